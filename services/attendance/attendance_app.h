// AttendanceApp: the attendance use cases over AttendanceStore, with no gRPC
// in sight, so tests drive it directly.
//
//   AttendanceApp app(store, clock);
//   app.Register(event_id, "req-1", participant, AttendanceMode::kInPerson,
//                {}, [](absl::StatusOr<core::Registration> r) { ... });
//
// Callbacks may run on the Redis client's loop thread: keep them short.
#ifndef CONVENE_ATTENDANCE_ATTENDANCE_APP_H_
#define CONVENE_ATTENDANCE_ATTENDANCE_APP_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "attendance/sheet_builder.h"
#include "core/clock.h"
#include "core/registration.h"
#include "attendance/attendance_store.h"

namespace convene::attendance {

template <typename T>
using Done = absl::AnyInvocable<void(absl::StatusOr<T>)>;

// A day choice as it comes off the wire: the mode may be left to the
// request's default.
struct RequestedDay {
  absl::CivilDay date;
  std::optional<core::AttendanceMode> mode;
};

class AttendanceApp {
 public:
  // `store`, `clock` and `sheets` must outlive the app. Without `sheets`, a
  // call for an event attendance has no sheet for answers NOT_FOUND at
  // once; with it, the sheet is first looked for in the calendar's newest
  // changes (SheetBuilder::CatchUp).
  AttendanceApp(storage::AttendanceStore& store, const core::Clock& clock,
                SheetBuilder* sheets = nullptr)
      : store_(store), clock_(clock), sheets_(sheets) {}

  // Registers `participant` for `days` (empty: every day of the event), each
  // day in its own mode or `mode`. One Redis round trip.
  void Register(std::string event_id, std::string request_id,
                core::ParticipantInfo participant,
                std::optional<core::AttendanceMode> mode,
                std::vector<RequestedDay> days, Done<core::Registration> done);

  // Cancels `dates` (empty: all) of a registration; freed seats promote the
  // heads of their waitlists at once.
  // Moves all days (mode given, days empty) or the listed days to another
  // mode, adding a listed day not held; each freed seat promotes the head
  // of its waitlist at once.
  void ChangeMode(std::string event_id, std::string request_id,
                  std::string participant_id,
                  std::optional<core::AttendanceMode> mode,
                  std::vector<RequestedDay> days,
                  Done<core::Registration> done);

  void CancelRegistration(std::string event_id, std::string request_id,
                          std::string participant_id,
                          std::vector<absl::CivilDay> dates, std::string reason,
                          Done<core::Registration> done);

  // Records presence for a day or a session (exactly one of them).
  // `occurred` unset: now. `walk_in`: details to register someone who is not
  // registered, when the event takes walk-ins and the room has a seat.
  void CheckIn(storage::CheckInCommand command,
               std::optional<absl::Time> occurred,
               Done<core::CheckInRecord> done);

  void GetAttendanceCounts(std::string event_id,
                           Done<core::AttendanceCounts> done) {
    GetAttendanceCounts(std::move(event_id), {}, std::move(done));
  }
  // The counts of `days` alone ("YYYY-MM-DD"; empty: every day): only those
  // are read, and the answer holds only those of them the event has.
  void GetAttendanceCounts(std::string event_id, std::vector<std::string> days,
                           Done<core::AttendanceCounts> done);

  struct ListPage {
    std::vector<core::Registration> registrations;
    std::string next_page_token;
  };
  static constexpr int kDefaultPageSize = 100;
  static constexpr int kMaxPageSize = 500;

  // Registrations in arrival order, filtered; `page_token` from a previous
  // page with the same filters.
  void ListRegistrations(storage::RegistrationQuery query,
                         std::string page_token, Done<ListPage> done);

  // Records an online leave (source ONLINE_LEAVE) for a day or a session.
  void CheckOut(storage::CheckInCommand command,
                std::optional<absl::Time> occurred,
                Done<core::CheckInRecord> done);

  // The CSV sign-in sheet of the event, built from the stored records.
  struct Report {
    std::string csv;
    int rows = 0;
  };
  void ExportAttendanceReport(std::string event_id, Done<Report> done);

  // Erases the participant's name, e-mail and organisation from their
  // registration for `event_id` (empty: every event they registered for);
  // counts stay and each erasure is recorded as a PARTICIPANT_FORGOTTEN
  // entry in the event's attendance stream, from which the notification
  // service erases their reminders and notification texts (attendance
  // never touches notification's keys). Erasing again is harmless
  // (erased_now counts only what this call erased).
  static constexpr int kMaxReason = 1000;
  using ForgetOutcome = storage::AttendanceStore::ForgetOutcome;
  void ForgetParticipant(std::string event_id, std::string participant_id,
                         std::string request_id, std::string reason,
                         Done<ForgetOutcome> done);

  void GetRegistration(std::string event_id, std::string participant_id,
                       Done<core::Registration> done);

 private:
  struct ReportState;
  void CollectRegistrations(std::shared_ptr<ReportState> state);

  // Runs `attempt`; when it finds no sheet for `event_id`, catches the sheet
  // up from the calendar's stream and, if the event was there, runs it once
  // more. `attempt` is called at most twice.
  template <typename T>
  void WithSheet(const std::string& event_id, std::function<void(Done<T>)> attempt,
                 Done<T> done) {
    auto shared = std::make_shared<std::function<void(Done<T>)>>(std::move(attempt));
    (*shared)([this, event_id, shared, done = std::move(done)](absl::StatusOr<T> r) mutable {
      if (r.ok() || sheets_ == nullptr || !storage::IsMissingSheet(r.status())) {
        return done(std::move(r));
      }
      sheets_->CatchUp(event_id, [shared, first = std::move(r), done = std::move(done)](
                                     absl::StatusOr<bool> found) mutable {
        // Could not look (Redis away, a failover): say so, not "not found".
        if (!found.ok()) return done(found.status());
        if (!*found) return done(std::move(first));
        (*shared)(std::move(done));
      });
    });
  }

  storage::AttendanceStore& store_;
  const core::Clock& clock_;
  SheetBuilder* sheets_;
};

}  // namespace convene::attendance

#endif  // CONVENE_ATTENDANCE_ATTENDANCE_APP_H_
