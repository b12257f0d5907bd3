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

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/registration.h"
#include "storage/attendance_store.h"
#include "storage/reminder_store.h"

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
  static constexpr int kMaxRequestId = 128;

  // `store`, `clock` and `reminders` must outlive the app. Without
  // `reminders`, ForgetParticipant erases attendance data only.
  AttendanceApp(storage::AttendanceStore& store, const core::Clock& clock,
                storage::ReminderStore* reminders = nullptr)
      : store_(store), clock_(clock), reminders_(reminders) {}

  // Registers `participant` for `days` (empty: every day of the event), each
  // day in its own mode or `mode`. One Redis round trip.
  void Register(std::string event_id, std::string request_id,
                core::ParticipantInfo participant,
                std::optional<core::AttendanceMode> mode,
                std::vector<RequestedDay> days, Done<core::Registration> done);

  // Cancels `dates` (empty: all) of a registration; freed seats promote the
  // heads of their waitlists at once.
  // Moves all days (mode given, days empty) or the listed days to another
  // mode; each freed seat promotes the head of its waitlist at once.
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
  // counts stay and each erasure is recorded. Then removes their pending
  // reminders and notifications' texts. Erasing again is harmless
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

  void ForgetReminders(std::string participant_id, std::string event_id,
                       ForgetOutcome outcome, Done<ForgetOutcome> done);

  storage::AttendanceStore& store_;
  const core::Clock& clock_;
  storage::ReminderStore* reminders_;
};

}  // namespace convene::attendance

#endif  // CONVENE_ATTENDANCE_ATTENDANCE_APP_H_
