// ConveneClient: typed calls to the Convene services (calendar, attendance,
// notification and the admin service for tokens), with a deadline
// on every call, retries while a service answers UNAVAILABLE (Redis or the
// server away) by gRPC's own retry policy (the channel's service config:
// exponential backoff with jitter, within the call's deadline), and request
// ids generated once per logical call so that a retried write is applied
// once.
//
//   ClientOptions options;
//   options.target = "127.0.0.1:50051";            // convened, or one per service
//   absl::StatusOr<std::unique_ptr<ConveneClient>> client = ConveneClient::Connect(options);
//   absl::StatusOr<v1::Event> e = (*client)->GetEvent("ev_0123");
//   v1::RegisterRequest r;  // request_id left empty: the client makes one
//   absl::StatusOr<v1::Registration> reg = (*client)->Register(r);
//
// Errors are absl::Status with the server's code and message (which names
// the field and the reason); a call that ran out of attempts returns the
// last UNAVAILABLE. Streams (Watch..., Subscribe...) are not retried: they
// return when the server ends them, `on_message` returns false, or the
// connection stops answering keepalive pings (UNAVAILABLE).
#ifndef CONVENE_CLIENTS_CPP_CONVENE_CLIENT_H_
#define CONVENE_CLIENTS_CPP_CONVENE_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "convene/v1/admin.grpc.pb.h"
#include "convene/v1/attendance.grpc.pb.h"
#include "convene/v1/calendar.grpc.pb.h"
#include "convene/v1/notification.grpc.pb.h"

namespace convene::client {

namespace v1 = ::convene::v1;

// The initial-metadata key in which WatchChanges from now names the position
// it starts after (calendar.proto); WatchChanges' `on_start` reads it.
inline constexpr char kPositionHeader[] = "x-convene-position";

struct ClientOptions {
  // host:port of a server with all the services (convened), or of each.
  std::string target = "127.0.0.1:50051";
  std::string calendar_target;      // empty: `target`
  std::string attendance_target;    // empty: `target`
  std::string notification_target;  // empty: `target`
  std::string admin_target;         // empty: `target`
  // Deadline of a unary call, all its attempts included.
  absl::Duration deadline = absl::Seconds(10);
  // Attempts while the answer is UNAVAILABLE (1: no retry; gRPC allows at
  // most 5), waiting about initial_backoff, then twice as long each time, at
  // most max_backoff (gRPC picks each wait at random below the bound).
  int max_attempts = 5;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);
  // Streams have no deadline, and an idle watch reads nothing: a
  // connection quiet for keepalive_time is pinged, and dropped when the ping
  // is not answered within keepalive_timeout, so a watch over a network
  // that vanished (no FIN: a NAT entry dropped, a server host gone) ends
  // with UNAVAILABLE instead of waiting for ever. 0: no pings. Convene's
  // servers accept pings every 10 s (or their own --keepalive_time, when
  // shorter); more often, they answer with GOAWAY.
  absl::Duration keepalive_time = absl::Seconds(30);
  absl::Duration keepalive_timeout = absl::Seconds(10);
  // Wait for a server that is not up yet (until the deadline) instead of
  // failing at once: for tools started beside the services.
  bool wait_for_ready = false;
  // Sent as "authorization: Bearer <token>" when not empty.
  std::string bearer_token;
  // Null: plaintext (loopback and development only).
  std::shared_ptr<grpc::ChannelCredentials> credentials;
};

class ConveneClient {
 public:
  // Makes the channels; does not wait for the servers (calls do, up to
  // their deadline).
  static absl::StatusOr<std::unique_ptr<ConveneClient>> Connect(ClientOptions options);

  // A fresh request id: "cli-" and 32 random hex digits.
  static std::string NewRequestId();

  const ClientOptions& options() const { return options_; }

  // Calendar. Requests with an empty request_id get a generated one.
  absl::StatusOr<v1::Event> CreateEvent(v1::CreateEventRequest request);
  absl::StatusOr<v1::Event> GetEvent(const std::string& event_id);
  absl::StatusOr<v1::Event> UpdateEvent(const v1::UpdateEventRequest& request);
  absl::StatusOr<v1::Event> CancelEvent(const v1::CancelEventRequest& request);
  absl::StatusOr<v1::ListEventsResponse> ListEvents(const v1::ListEventsRequest& request);
  absl::StatusOr<v1::Agenda> GetAgenda(const v1::GetAgendaRequest& request);
  absl::StatusOr<v1::ExportICalendarResponse> ExportICalendar(
      const v1::ExportICalendarRequest& request);
  absl::StatusOr<v1::ListEventChangesResponse> ListEventChanges(
      const v1::ListEventChangesRequest& request);
  absl::StatusOr<v1::FindMeetingTimesResponse> FindMeetingTimes(
      const v1::FindMeetingTimesRequest& request);
  // Calls `on_change` for each change until it returns false or the stream
  // ends; returns how it ended (OK when on_change stopped it).
  absl::Status WatchEventChanges(const v1::WatchEventChangesRequest& request,
                                 const std::function<bool(const v1::EventChange&)>& on_change);
  // The change feed across services (schedule and attendance).
  absl::StatusOr<v1::ListChangesResponse> ListChanges(const v1::ListChangesRequest& request);
  // `reached`, when given, tells whether the call got through to the server
  // (a connection was up to carry it), whatever came back: a stream from now
  // may say nothing for hours, and a caller that resumes it tells an
  // unreachable server from one that ended the stream by this.
  // `on_start`, when given and the request has no position (from now), is
  // called once with the position the stream starts after, before any
  // change: a caller keeps it as where to resume until it has handled a
  // change, so a quiet stream that ends loses nothing relayed meanwhile.
  absl::Status WatchChanges(const v1::WatchChangesRequest& request,
                            const std::function<bool(const v1::Change&)>& on_change,
                            bool* reached = nullptr,
                            const std::function<void(const std::string&)>& on_start = nullptr);

  // Attendance.
  absl::StatusOr<v1::Registration> Register(v1::RegisterRequest request);
  absl::StatusOr<v1::Registration> ChangeMode(v1::ChangeModeRequest request);
  absl::StatusOr<v1::Registration> CancelRegistration(v1::CancelRegistrationRequest request);
  absl::StatusOr<v1::Registration> GetRegistration(const v1::GetRegistrationRequest& request);
  absl::StatusOr<v1::ListRegistrationsResponse> ListRegistrations(
      const v1::ListRegistrationsRequest& request);
  absl::StatusOr<v1::CheckInRecord> CheckIn(v1::CheckInRequest request);
  absl::StatusOr<v1::CheckInRecord> CheckOut(v1::CheckOutRequest request);
  absl::StatusOr<v1::AttendanceCounts> GetAttendanceCounts(const std::string& event_id);
  absl::Status WatchAttendanceCounts(const v1::WatchAttendanceCountsRequest& request,
                                     const std::function<bool(const v1::AttendanceCounts&)>& on_counts);
  absl::StatusOr<v1::ExportAttendanceReportResponse> ExportAttendanceReport(
      const v1::ExportAttendanceReportRequest& request);
  absl::StatusOr<v1::ForgetParticipantResponse> ForgetParticipant(
      v1::ForgetParticipantRequest request);

  // Notification.
  absl::StatusOr<v1::ReminderPolicy> SetReminderPolicy(const v1::SetReminderPolicyRequest& request);
  absl::StatusOr<v1::ReminderPolicy> GetReminderPolicy(const std::string& event_id);
  absl::StatusOr<v1::RunDueRemindersResponse> RunDueReminders(const v1::RunDueRemindersRequest& request);
  absl::StatusOr<v1::ListScheduledRemindersResponse> ListScheduledReminders(
      const v1::ListScheduledRemindersRequest& request);
  absl::StatusOr<v1::ListNotificationsResponse> ListNotifications(
      const v1::ListNotificationsRequest& request);
  absl::Status AckNotification(const v1::AckNotificationRequest& request);
  absl::Status SubscribeNotifications(const v1::SubscribeNotificationsRequest& request,
                                      const std::function<bool(const v1::Notification&)>& on_notification);
  absl::StatusOr<v1::Webhook> CreateWebhook(const v1::CreateWebhookRequest& request);
  absl::StatusOr<v1::ListWebhooksResponse> ListWebhooks();
  absl::Status DeleteWebhook(const std::string& webhook_id);

  // Admin (tokens; an admin token only). The response of CreateToken holds
  // the secret, the only time the server shows it. CreateToken (like
  // CreateWebhook) carries no request id, so it is not retried: an
  // UNAVAILABLE may still have made the token (ListTokens shows it).
  absl::StatusOr<v1::CreateTokenResponse> CreateToken(const v1::CreateTokenRequest& request);
  absl::StatusOr<v1::ListTokensResponse> ListTokens();
  absl::Status RevokeToken(const std::string& token_id);

 private:
  explicit ConveneClient(ClientOptions options);

  // One unary call with its deadline (the channel's retry policy retries
  // it on UNAVAILABLE, except the calls without a request id).
  // A service's stub and the channel it calls through.
  template <typename Stub>
  struct Service {
    static Service On(std::string target, std::shared_ptr<grpc::Channel> channel) {
      Service s;
      s.stub = std::make_unique<Stub>(channel);
      s.channel = std::move(channel);
      s.target = std::move(target);
      return s;
    }
    std::shared_ptr<grpc::Channel> channel;
    std::string target;
    std::unique_ptr<Stub> stub;
  };

  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Unary(
      Service<Stub>& service,
      grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
      const Request& request);
  // One server stream read to its end (or until `on_message` says stop).
  template <typename Stub, typename Request, typename Message>
  absl::Status Stream(
      Service<Stub>& service,
      std::unique_ptr<grpc::ClientReader<Message>> (Stub::*method)(grpc::ClientContext*,
                                                                   const Request&),
      const Request& request, const std::function<bool(const Message&)>& on_message,
      bool* reached = nullptr,
      const std::function<void(const std::string&)>& on_start = nullptr);
  void Prepare(grpc::ClientContext& context, bool with_deadline) const;

  ClientOptions options_;
  Service<v1::CalendarService::Stub> calendar_;
  Service<v1::AttendanceService::Stub> attendance_;
  Service<v1::NotificationService::Stub> notification_;
  Service<v1::AdminService::Stub> admin_;
};

}  // namespace convene::client

#endif  // CONVENE_CLIENTS_CPP_CONVENE_CLIENT_H_
