// The gRPC face of convene.v1.CalendarService: checks wire input, maps proto
// to domain, calls CalendarApp, maps the result back. No Redis and no
// time-zone arithmetic here.
//
//   convene::calendar::CalendarHandler handler(app);
//   builder.RegisterService(&handler);
//
// RPCs not built yet answer UNIMPLEMENTED (the generated base class does so
// for every method that is not overridden).
#ifndef CONVENE_CALENDAR_CALENDAR_HANDLER_H_
#define CONVENE_CALENDAR_CALENDAR_HANDLER_H_

#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "calendar/calendar_app.h"
#include "calendar/change_feed.h"
#include "calendar/pseudonym_key_source.h"
#include "calendar/event_change_watcher.h"
#include "storage/stream_tailer.h"
#include "convene/v1/calendar.grpc.pb.h"

namespace convene::calendar {

// Serves convene.v1.CalendarService on gRPC's callback API; every reaction
// hands off to the app and returns without blocking. ListEvents and
// GetAgenda are served raw: their answers are kept as the bytes of the
// response (EventDocumentPage::response, AgendaAnswer::response), so a page
// goes out without a decode and re-encode of fifty events, and a repeated
// agenda without a conversion.
class CalendarHandler final
    : public v1::CalendarService::WithRawCallbackMethod_ListEvents<
          v1::CalendarService::WithRawCallbackMethod_GetAgenda<
              v1::CalendarService::CallbackService>> {
 public:
  // The fully qualified service name, as health checks and reflection use it.
  static constexpr char kServiceName[] = "convene.v1.CalendarService";

  // `app`, `change_tailer` (following the calendar change stream), `feed`
  // and `feed_tailer` (following the change feed across services) must
  // outlive the handler.
  CalendarHandler(CalendarApp& app, storage::StreamTailer& change_tailer,
                  ChangeFeedApp& feed, storage::StreamTailer& feed_tailer)
      : app_(app),
        change_tailer_(change_tailer),
        feed_(feed),
        feed_tailer_(feed_tailer) {}

  // Where the deployment's key for participant pseudonyms comes from
  // (core/pseudonym.h); set once before the service serves.
  void set_pseudonym_keys(PseudonymKeySource* keys) { pseudonym_keys_ = keys; }

  // Ends every open WatchEventChanges and WatchChanges stream with
  // UNAVAILABLE (shutdown).
  void CloseStreams();

  grpc::ServerUnaryReactor* CreateEvent(grpc::CallbackServerContext* context,
                                        const v1::CreateEventRequest* request,
                                        v1::Event* response) override;
  grpc::ServerUnaryReactor* GetEvent(grpc::CallbackServerContext* context,
                                     const v1::GetEventRequest* request,
                                     v1::Event* response) override;
  grpc::ServerUnaryReactor* UpdateEvent(grpc::CallbackServerContext* context,
                                        const v1::UpdateEventRequest* request,
                                        v1::Event* response) override;
  grpc::ServerUnaryReactor* CancelEvent(grpc::CallbackServerContext* context,
                                        const v1::CancelEventRequest* request,
                                        v1::Event* response) override;
  grpc::ServerUnaryReactor* ListEvents(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request_bytes,
                                       grpc::ByteBuffer* response_bytes) override;
  grpc::ServerUnaryReactor* GetAgenda(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request_bytes,
                                      grpc::ByteBuffer* response_bytes) override;
  grpc::ServerUnaryReactor* ListEventChanges(
      grpc::CallbackServerContext* context,
      const v1::ListEventChangesRequest* request,
      v1::ListEventChangesResponse* response) override;
  grpc::ServerUnaryReactor* FindMeetingTimes(
      grpc::CallbackServerContext* context,
      const v1::FindMeetingTimesRequest* request,
      v1::FindMeetingTimesResponse* response) override;
  grpc::ServerUnaryReactor* ExportICalendar(
      grpc::CallbackServerContext* context,
      const v1::ExportICalendarRequest* request,
      v1::ExportICalendarResponse* response) override;
  grpc::ServerWriteReactor<v1::EventChange>* WatchEventChanges(
      grpc::CallbackServerContext* context,
      const v1::WatchEventChangesRequest* request) override;
  grpc::ServerUnaryReactor* ListChanges(grpc::CallbackServerContext* context,
                                        const v1::ListChangesRequest* request,
                                        v1::ListChangesResponse* response) override;
  grpc::ServerWriteReactor<v1::Change>* WatchChanges(
      grpc::CallbackServerContext* context,
      const v1::WatchChangesRequest* request) override;

  using ChangeWatcher = ResumableWatcher<v1::Change>;

  // The initial-metadata key in which WatchChanges from now (no position)
  // names the position it starts after (calendar.proto).
  static constexpr std::string_view kPositionHeader = "x-convene-position";

 private:
  CalendarApp& app_;
  storage::StreamTailer& change_tailer_;
  ChangeFeedApp& feed_;
  storage::StreamTailer& feed_tailer_;
  PseudonymKeySource* pseudonym_keys_ = nullptr;
  absl::Mutex watchers_mu_;
  absl::flat_hash_set<EventChangeWatcher*> watchers_ ABSL_GUARDED_BY(watchers_mu_);
  absl::flat_hash_set<ChangeWatcher*> change_watchers_ ABSL_GUARDED_BY(watchers_mu_);
};

}  // namespace convene::calendar

#endif  // CONVENE_CALENDAR_CALENDAR_HANDLER_H_
