// SheetBuilder: turns the calendar's change stream into attendance sheets.
// Each calendar change entry carries the event after the change ("doc", a
// serialised convene.v1.Event); the sheet is the attendance-relevant part of
// it (core::MakeEventSheet), written under the event's own hash tag by
// EventSheetStore, which never replaces a newer revision.
//
//   SheetBuilder builder(redis, sheets);
//   builder.Apply(entry_doc, done);        // the sheet follower, per entry
//   builder.CatchUp("ev_1", done);         // a call that found no sheet
//
// Read-your-writes: a calendar change reaches attendance through the sheet
// follower (sheet_follower.h) within its lag. An event that was just created
// has no sheet yet; an attendance call that finds none asks CatchUp, which
// looks for the event among the calendar's newest changes
// (storage/calendar_change_window.h) and builds its sheet at once, so an
// organiser who creates an event and registers someone straight away is
// never told it does not exist. A change to an event that already has a
// sheet (capacity, days, cancellation) is applied by the follower, and the
// calendar answers the write once the follower announced it
// (calendar/change_applied_waiter.h, bounded); AttendanceCounts.event_revision
// says which revision a call was answered for.
#ifndef CONVENE_ATTENDANCE_SHEET_BUILDER_H_
#define CONVENE_ATTENDANCE_SHEET_BUILDER_H_

#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "attendance/event_sheet_store.h"
#include "storage/redis_client.h"

namespace convene::attendance {

class SheetBuilder {
 public:
  template <typename T>
  using Done = absl::AnyInvocable<void(absl::StatusOr<T>)>;

  // `redis` and `sheets` must outlive the builder.
  SheetBuilder(storage::RedisClient& redis, storage::EventSheetStore& sheets)
      : redis_(redis), sheets_(sheets) {}

  // Writes the sheet of the event document `doc` (a calendar change's
  // "doc" field) unless a sheet of that revision or later is stored (with
  // kReplace: unless a later one is); says whether it wrote. An event whose
  // zone this machine does not know gets no sheet (FAILED_PRECONDITION).
  void Apply(const std::string& doc, Done<bool> done,
             storage::EventSheetStore::SameRevision same =
                 storage::EventSheetStore::SameRevision::kKeep);

  // Builds the sheet of `event_id` from its newest change among the
  // calendar's last kCalendarCatchUpWindow changes; true when the event was found
  // there (its sheet is then stored), false when it was not.
  void CatchUp(std::string event_id, Done<bool> done);

 private:
  storage::RedisClient& redis_;
  storage::EventSheetStore& sheets_;
};

}  // namespace convene::attendance

#endif  // CONVENE_ATTENDANCE_SHEET_BUILDER_H_
