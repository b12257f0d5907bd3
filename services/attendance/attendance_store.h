// AttendanceStore: registrations, seats and waitlists of each event in Redis,
// all under the event's hash tag (keys.h). Every change is one Lua script:
// one round trip, no read-modify-write race between replicas.
//
//   AttendanceStore store(redis);
//   store.Register(request, [](absl::StatusOr<core::Registration> r) { ... });
//
// Callbacks run on the Redis client's loop thread: keep them short.
#ifndef CONVENE_STORAGE_ATTENDANCE_STORE_H_
#define CONVENE_STORAGE_ATTENDANCE_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/attendance_counts.h"
#include "core/check_in.h"
#include "core/registration.h"
#include "core/sign_in_sheet.h"
#include "storage/attendance_stream_format.h"
#include "storage/redis_client.h"

namespace convene::storage {

struct RegisterCommand {
  std::string event_id;
  std::string request_id;
  core::ParticipantInfo participant;
  // Empty: every day of the event in default_mode.
  std::vector<core::DayChoice> days;
  core::AttendanceMode default_mode = core::AttendanceMode::kInPerson;
  absl::Time now;
};

struct CheckInCommand {
  std::string event_id;
  std::string request_id;
  std::string participant_id;
  // Exactly one of day and session_id.
  std::optional<absl::CivilDay> day;
  std::string session_id;
  core::AttendanceMode mode = core::AttendanceMode::kInPerson;
  core::CheckInSource source = core::CheckInSource::kDesk;
  absl::Time occurred;
  // Details for a walk-in; nullopt: not a walk-in.
  std::optional<core::ParticipantInfo> walk_in;
};

// A ListRegistrations query; empty filters match anything.
struct RegistrationQuery {
  std::string event_id;
  std::optional<core::AttendanceMode> mode;
  std::optional<core::RegistrationStatus> status;
  std::string city;
  std::optional<absl::CivilDay> day;
  int page_size = 100;
  // Resume after this arrival position (from a previous page).
  std::optional<int64_t> after;
};

struct RegistrationPage {
  std::vector<core::Registration> registrations;
  std::optional<int64_t> next;  // empty on the last page
};

// Whether `status` is the NOT_FOUND an attendance call answers for an event
// with no sheet (attendance has not taken it from the calendar yet, or the
// event does not exist), as opposed to a registration that does not exist.
bool IsMissingSheet(const absl::Status& status);

class AttendanceStore {
 public:
  template <typename T>
  using Callback = absl::AnyInvocable<void(absl::StatusOr<T>)>;

  // `redis` must outlive the store. The event's attendance stream keeps
  // about `max_changes` entries.
  explicit AttendanceStore(RedisClient& redis, int64_t max_changes = 100000)
      : redis_(redis), max_changes_(max_changes) {}

  // Registers per the command's days; NOT_FOUND for an event without a
  // sheet, FAILED_PRECONDITION for a cancelled event or a mode it does not
  // offer, INVALID_ARGUMENT for a day outside it, ALREADY_EXISTS for a
  // participant registered already. A retried request id returns the
  // registration as it is now.
  void Register(const RegisterCommand& command,
                Callback<core::Registration> done);

  // Cancels `dates` (empty: every day) of a registration; each freed seat
  // goes to the head of its (day, mode) waitlist in the same step. NOT_FOUND
  // when not registered, INVALID_ARGUMENT for a date not registered for.
  // `reason` is recorded with the change.
  void Cancel(std::string event_id, std::string request_id,
              std::string participant_id, std::vector<absl::CivilDay> dates,
              std::string reason, absl::Time now,
              Callback<core::Registration> done);

  // Recomputes every counter, waitlist and headcount set of the event from
  // its registrations and check-in records (attendance_audit.lua) and
  // returns each drift; with `repair`, rewrites them in the same step.
  struct Drift {
    std::string field;
    std::string stored;
    std::string computed;
  };
  void Audit(std::string event_id, bool repair, Callback<std::vector<Drift>> done);

  // Records presence (one Redis command: a Lua script). A repeat for the
  // same (day or session, mode) returns the first record, duplicate = true.
  void CheckIn(const CheckInCommand& command,
               Callback<core::CheckInRecord> done);

  // The counts of the event, from the counters the scripts keep and the
  // presence sets (one round trip). NOT_FOUND for an unknown event. With
  // `days` ("YYYY-MM-DD"), only those days are read and answered (a date
  // that is not a day of the event is left out): the read costs what the
  // days asked for hold, not what the event holds.
  void Counts(std::string event_id, std::vector<std::string> days,
              Callback<core::AttendanceCounts> done);

  // Moves the listed days (empty `days`: every registered day, to
  // `all_days_mode`) to another mode: each freed seat promotes the head of
  // its old waitlist; a day moved to a full mode joins the end of its
  // waitlist; a listed day of the event not held (cancelled, or never asked
  // for) is added, a seat or the end of its waitlist. NOT_FOUND when not
  // registered, INVALID_ARGUMENT for a date not of the event,
  // FAILED_PRECONDITION for a mode the event does not offer or a
  // registration with every day cancelled.
  void ChangeMode(std::string event_id, std::string request_id,
                  std::string participant_id, std::vector<core::DayChoice> days,
                  core::AttendanceMode all_days_mode, absl::Time now,
                  Callback<core::Registration> done);

  // One page of registrations in arrival order (examines at most 5000
  // entries per call; a page may come back short with `next` set).
  void List(const RegistrationQuery& query, Callback<RegistrationPage> done);

  // Records an online leave for the day or session of `command` (mode and
  // walk-in are ignored); FAILED_PRECONDITION when no online join was
  // recorded there.
  void CheckOut(const CheckInCommand& command,
                Callback<core::CheckInRecord> done);

  // The event's sheet and everyone's first check-in per day (for the
  // sign-in sheet); NOT_FOUND for an unknown event.
  struct ReportData {
    core::EventSheet sheet;
    core::FirstCheckIns first_check_ins;
  };
  void ReadReportData(std::string event_id, Callback<ReportData> done);

  // Binds a ForgetParticipant request_id to its event id ("" for every
  // event), participant and reason, across events, before any erasure:
  // INVALID_ARGUMENT naming request_id when it was used for another. The
  // per-event binding of Forget() alone would let an id used in one event
  // erase another participant in the events it was not used in.
  void BindForgetRequest(std::string request_id, std::string event_id,
                         std::string participant_id, std::string reason,
                         Callback<bool> done);

  // Erases the participant's name, e-mail and organisation from their
  // registration for the event (true: erased now; false: already erased).
  // Idempotent per request id: a retry gets the first answer, and the id
  // used again for another participant or reason is INVALID_ARGUMENT.
  void Forget(std::string event_id, std::string request_id,
              std::string participant_id, std::string reason, absl::Time now,
              Callback<bool> done);

  // Forget() for every event in the calendar the participant registered
  // for. Events without a registration of theirs are skipped; NOT_FOUND when
  // there is none at all. Not one step across events (they live in
  // different slots), but each event's erasure is, and a retry finishes
  // what a failed call left.
  struct ForgetOutcome {
    std::vector<std::string> event_ids;  // registered for, in id order
    int erased_now = 0;                  // of those, erased by this call
  };
  void ForgetEverywhere(std::string request_id, std::string participant_id,
                        std::string reason,
                        absl::Time now, Callback<ForgetOutcome> done);

  // NOT_FOUND if the participant has no registration for the event.
  void Get(std::string event_id, std::string participant_id,
           Callback<core::Registration> done);

 private:
  void Change(std::string event_id, std::string request_id,
              std::string participant_id, std::string days, std::string op,
              std::string all_days_mode, std::string reason, absl::Time now,
              Callback<core::Registration> done);

  RedisClient& redis_;
  int64_t max_changes_;
};

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_ATTENDANCE_STORE_H_
