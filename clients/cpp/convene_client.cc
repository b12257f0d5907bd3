#include "convene_client.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"

namespace convene::client {
namespace {

// Calls without a request id: a repeat after a lost answer could make a
// second webhook or token, so they are never retried.
bool WritesWithoutRequestId(const google::protobuf::MethodDescriptor& m) {
  return m.name() == "CreateWebhook" || m.name() == "CreateToken";
}

std::string Seconds(absl::Duration d) {
  return absl::StrFormat("%.3fs", absl::ToDoubleSeconds(d));
}

// The service config of every channel: retry each unary call of the four
// services on UNAVAILABLE (streams are read to their end by the caller and
// resumed from a position, not retried).
std::string RetryServiceConfig(const ClientOptions& options) {
  std::vector<std::string> names;
  for (const char* name :
       {v1::CalendarService::service_full_name(), v1::AttendanceService::service_full_name(),
        v1::NotificationService::service_full_name(), v1::AdminService::service_full_name()}) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor& m = *service->method(i);
      if (m.client_streaming() || m.server_streaming() || WritesWithoutRequestId(m)) continue;
      names.push_back(absl::StrFormat(R"({"service":"%s","method":"%s"})",
                                      service->full_name(), m.name()));
    }
  }
  return absl::StrFormat(
      R"({"methodConfig":[{"name":[%s],"retryPolicy":{"maxAttempts":%d,)"
      R"("initialBackoff":"%s","maxBackoff":"%s","backoffMultiplier":2,)"
      R"("retryableStatusCodes":["UNAVAILABLE"]}}]})",
      absl::StrJoin(names, ","), std::clamp(options.max_attempts, 2, 5),
      Seconds(options.initial_backoff), Seconds(options.max_backoff));
}

absl::Status ToStatus(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

}  // namespace

ConveneClient::ConveneClient(ClientOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<ConveneClient>> ConveneClient::Connect(
    ClientOptions options) {
  if (options.target.empty()) return absl::InvalidArgumentError("target: is required");
  if (options.max_attempts < 1) options.max_attempts = 1;
  auto credentials = options.credentials ? options.credentials
                                         : grpc::InsecureChannelCredentials();
  grpc::ChannelArguments arguments;
  if (options.max_attempts > 1) {
    arguments.SetServiceConfigJSON(RetryServiceConfig(options));
  } else {
    arguments.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  }
  if (options.keepalive_time > absl::ZeroDuration() &&
      options.keepalive_timeout > absl::ZeroDuration()) {
    auto ms = [](absl::Duration d) {
      return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(d), INT_MAX));
    };
    arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, ms(options.keepalive_time));
    arguments.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, ms(options.keepalive_timeout));
    // An idle watch sends no data; gRPC would stop pinging after two pings.
    arguments.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  }
  std::unique_ptr<ConveneClient> client(new ConveneClient(options));
  auto service = [&](auto& into, const std::string& given) {
    const std::string& target = given.empty() ? options.target : given;
    into = std::remove_reference_t<decltype(into)>::On(
        target, grpc::CreateCustomChannel(target, credentials, arguments));
  };
  service(client->calendar_, options.calendar_target);
  service(client->attendance_, options.attendance_target);
  service(client->notification_, options.notification_target);
  service(client->admin_, options.admin_target);
  return client;
}

std::string ConveneClient::NewRequestId() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  return absl::StrFormat("cli-%016x%016x", random(), random());
}

void ConveneClient::Prepare(grpc::ClientContext& context, bool with_deadline) const {
  if (with_deadline) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
  }
  context.set_wait_for_ready(options_.wait_for_ready);
  if (!options_.bearer_token.empty()) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", options_.bearer_token));
  }
}

template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> ConveneClient::Unary(
    Service<Stub>& service,
    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
    const Request& request) {
  grpc::ClientContext context;
  Prepare(context, true);
  Response response;
  grpc::Status status = (service.stub.get()->*method)(&context, request, &response);
  if (status.ok()) return response;
  // The call failed because no connection could be made (not because a
  // reachable server answered UNAVAILABLE): name the address, whether the
  // retries ran into the deadline or ran out of attempts first.
  if (service.channel->GetState(false) == GRPC_CHANNEL_TRANSIENT_FAILURE) {
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      return absl::UnavailableError(absl::StrCat(
          "could not reach ", service.target, " within the ",
          absl::FormatDuration(options_.deadline), " deadline"));
    }
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      return absl::UnavailableError(
          absl::StrCat("could not reach ", service.target, ": ", status.error_message()));
    }
  }
  return ToStatus(status);
}

template <typename Stub, typename Request, typename Message>
absl::Status ConveneClient::Stream(
    Service<Stub>& service,
    std::unique_ptr<grpc::ClientReader<Message>> (Stub::*method)(grpc::ClientContext*,
                                                                 const Request&),
    const Request& request, const std::function<bool(const Message&)>& on_message,
    bool* reached, const std::function<void(const std::string&)>& on_start) {
  grpc::ClientContext context;
  Prepare(context, false);
  std::unique_ptr<grpc::ClientReader<Message>> reader =
      (service.stub.get()->*method)(&context, request);
  // The reader returns once the request is sent, which needs a connection
  // (or once the call failed for want of one).
  if (reached != nullptr) {
    *reached = service.channel->GetState(false) == GRPC_CHANNEL_READY;
  }
  if (on_start) {
    // A stream from now sends its start position as soon as it has read
    // it, not with a first message that may be hours away.
    reader->WaitForInitialMetadata();
    const auto& metadata = context.GetServerInitialMetadata();
    if (auto it = metadata.find(std::string(kPositionHeader)); it != metadata.end()) {
      if (reached != nullptr) *reached = true;
      on_start(std::string(it->second.data(), it->second.size()));
    }
  }
  Message message;
  bool stopped = false;
  while (reader->Read(&message)) {
    if (!on_message(message)) {
      stopped = true;
      context.TryCancel();
      break;
    }
  }
  grpc::Status status = reader->Finish();
  if (stopped) return absl::OkStatus();
  return ToStatus(status);
}

namespace {
template <typename Request>
void EnsureRequestId(Request& request) {
  if (request.request_id().empty()) request.set_request_id(ConveneClient::NewRequestId());
}
}  // namespace

using CalStub = v1::CalendarService::Stub;
using AttStub = v1::AttendanceService::Stub;
using NtfStub = v1::NotificationService::Stub;
using AdmStub = v1::AdminService::Stub;

absl::StatusOr<v1::Event> ConveneClient::CreateEvent(v1::CreateEventRequest request) {
  EnsureRequestId(request);
  return Unary(calendar_, &CalStub::CreateEvent, request);
}
absl::StatusOr<v1::Event> ConveneClient::GetEvent(const std::string& event_id) {
  v1::GetEventRequest request;
  request.set_event_id(event_id);
  return Unary(calendar_, &CalStub::GetEvent, request);
}
absl::StatusOr<v1::Event> ConveneClient::UpdateEvent(const v1::UpdateEventRequest& request) {
  return Unary(calendar_, &CalStub::UpdateEvent, request);
}
absl::StatusOr<v1::Event> ConveneClient::CancelEvent(const v1::CancelEventRequest& request) {
  return Unary(calendar_, &CalStub::CancelEvent, request);
}
absl::StatusOr<v1::ListEventsResponse> ConveneClient::ListEvents(
    const v1::ListEventsRequest& request) {
  return Unary(calendar_, &CalStub::ListEvents, request);
}
absl::StatusOr<v1::Agenda> ConveneClient::GetAgenda(const v1::GetAgendaRequest& request) {
  return Unary(calendar_, &CalStub::GetAgenda, request);
}
absl::StatusOr<v1::ExportICalendarResponse> ConveneClient::ExportICalendar(
    const v1::ExportICalendarRequest& request) {
  return Unary(calendar_, &CalStub::ExportICalendar, request);
}
absl::StatusOr<v1::ListEventChangesResponse> ConveneClient::ListEventChanges(
    const v1::ListEventChangesRequest& request) {
  return Unary(calendar_, &CalStub::ListEventChanges, request);
}
absl::StatusOr<v1::FindMeetingTimesResponse> ConveneClient::FindMeetingTimes(
    const v1::FindMeetingTimesRequest& request) {
  return Unary(calendar_, &CalStub::FindMeetingTimes, request);
}
absl::Status ConveneClient::WatchEventChanges(
    const v1::WatchEventChangesRequest& request,
    const std::function<bool(const v1::EventChange&)>& on_change) {
  return Stream(calendar_, &CalStub::WatchEventChanges, request, on_change);
}
absl::StatusOr<v1::ListChangesResponse> ConveneClient::ListChanges(
    const v1::ListChangesRequest& request) {
  return Unary(calendar_, &CalStub::ListChanges, request);
}
absl::Status ConveneClient::WatchChanges(
    const v1::WatchChangesRequest& request,
    const std::function<bool(const v1::Change&)>& on_change, bool* reached,
    const std::function<void(const std::string&)>& on_start) {
  return Stream(calendar_, &CalStub::WatchChanges, request, on_change, reached,
                request.position().empty() ? on_start : nullptr);
}

absl::StatusOr<v1::Registration> ConveneClient::Register(v1::RegisterRequest request) {
  EnsureRequestId(request);
  return Unary(attendance_, &AttStub::Register, request);
}
absl::StatusOr<v1::Registration> ConveneClient::ChangeMode(v1::ChangeModeRequest request) {
  EnsureRequestId(request);
  return Unary(attendance_, &AttStub::ChangeMode, request);
}
absl::StatusOr<v1::Registration> ConveneClient::CancelRegistration(
    v1::CancelRegistrationRequest request) {
  EnsureRequestId(request);
  return Unary(attendance_, &AttStub::CancelRegistration, request);
}
absl::StatusOr<v1::Registration> ConveneClient::GetRegistration(
    const v1::GetRegistrationRequest& request) {
  return Unary(attendance_, &AttStub::GetRegistration, request);
}
absl::StatusOr<v1::ListRegistrationsResponse> ConveneClient::ListRegistrations(
    const v1::ListRegistrationsRequest& request) {
  return Unary(attendance_, &AttStub::ListRegistrations, request);
}
absl::StatusOr<v1::CheckInRecord> ConveneClient::CheckIn(v1::CheckInRequest request) {
  EnsureRequestId(request);
  return Unary(attendance_, &AttStub::CheckIn, request);
}
absl::StatusOr<v1::CheckInRecord> ConveneClient::CheckOut(v1::CheckOutRequest request) {
  EnsureRequestId(request);
  return Unary(attendance_, &AttStub::CheckOut, request);
}
absl::StatusOr<v1::AttendanceCounts> ConveneClient::GetAttendanceCounts(
    const std::string& event_id) {
  v1::GetAttendanceCountsRequest request;
  request.set_event_id(event_id);
  return Unary(attendance_, &AttStub::GetAttendanceCounts, request);
}
absl::Status ConveneClient::WatchAttendanceCounts(
    const v1::WatchAttendanceCountsRequest& request,
    const std::function<bool(const v1::AttendanceCounts&)>& on_counts) {
  return Stream(attendance_, &AttStub::WatchAttendanceCounts, request, on_counts);
}
absl::StatusOr<v1::ExportAttendanceReportResponse> ConveneClient::ExportAttendanceReport(
    const v1::ExportAttendanceReportRequest& request) {
  return Unary(attendance_, &AttStub::ExportAttendanceReport, request);
}
absl::StatusOr<v1::ForgetParticipantResponse> ConveneClient::ForgetParticipant(
    v1::ForgetParticipantRequest request) {
  EnsureRequestId(request);
  return Unary(attendance_, &AttStub::ForgetParticipant, request);
}

absl::StatusOr<v1::ReminderPolicy> ConveneClient::SetReminderPolicy(
    const v1::SetReminderPolicyRequest& request) {
  return Unary(notification_, &NtfStub::SetReminderPolicy, request);
}
absl::StatusOr<v1::ReminderPolicy> ConveneClient::GetReminderPolicy(const std::string& event_id) {
  v1::GetReminderPolicyRequest request;
  request.set_event_id(event_id);
  return Unary(notification_, &NtfStub::GetReminderPolicy, request);
}
absl::StatusOr<v1::RunDueRemindersResponse> ConveneClient::RunDueReminders(
    const v1::RunDueRemindersRequest& request) {
  return Unary(notification_, &NtfStub::RunDueReminders, request);
}
absl::StatusOr<v1::ListScheduledRemindersResponse> ConveneClient::ListScheduledReminders(
    const v1::ListScheduledRemindersRequest& request) {
  return Unary(notification_, &NtfStub::ListScheduledReminders, request);
}
absl::StatusOr<v1::ListNotificationsResponse> ConveneClient::ListNotifications(
    const v1::ListNotificationsRequest& request) {
  return Unary(notification_, &NtfStub::ListNotifications, request);
}
absl::Status ConveneClient::AckNotification(const v1::AckNotificationRequest& request) {
  return Unary(notification_, &NtfStub::AckNotification, request).status();
}
absl::Status ConveneClient::SubscribeNotifications(
    const v1::SubscribeNotificationsRequest& request,
    const std::function<bool(const v1::Notification&)>& on_notification) {
  return Stream(notification_, &NtfStub::SubscribeNotifications, request, on_notification);
}
absl::StatusOr<v1::Webhook> ConveneClient::CreateWebhook(const v1::CreateWebhookRequest& request) {
  return Unary(notification_, &NtfStub::CreateWebhook, request);
}
absl::StatusOr<v1::ListWebhooksResponse> ConveneClient::ListWebhooks() {
  return Unary(notification_, &NtfStub::ListWebhooks, v1::ListWebhooksRequest());
}
absl::Status ConveneClient::DeleteWebhook(const std::string& webhook_id) {
  v1::DeleteWebhookRequest request;
  request.set_webhook_id(webhook_id);
  return Unary(notification_, &NtfStub::DeleteWebhook, request).status();
}

absl::StatusOr<v1::CreateTokenResponse> ConveneClient::CreateToken(
    const v1::CreateTokenRequest& request) {
  return Unary(admin_, &AdmStub::CreateToken, request);
}
absl::StatusOr<v1::ListTokensResponse> ConveneClient::ListTokens() {
  return Unary(admin_, &AdmStub::ListTokens, v1::ListTokensRequest());
}
absl::Status ConveneClient::RevokeToken(const std::string& token_id) {
  v1::RevokeTokenRequest request;
  request.set_token_id(token_id);
  return Unary(admin_, &AdmStub::RevokeToken, request).status();
}

}  // namespace convene::client
