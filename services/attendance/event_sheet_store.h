// EventSheetStore: the attendance sheet of each event (core/event_sheet.h)
// in Redis, under the event's own hash tag so the attendance scripts read it
// in the same step as registrations and seats.
//
//   EventSheetStore sheets(redis);
//   sheets.Put(sheet, [](absl::StatusOr<bool> written) { ... });
//
// Attendance builds each sheet from the calendar's change stream
// (attendance/sheet_follower.h). Put never replaces a sheet with an older
// or equal revision, so the follower, a catch-up and a replay may race
// freely.
#ifndef CONVENE_STORAGE_EVENT_SHEET_STORE_H_
#define CONVENE_STORAGE_EVENT_SHEET_STORE_H_

#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/event_sheet.h"
#include "storage/redis_client.h"

namespace convene::storage {

class EventSheetStore {
 public:
  template <typename T>
  using Callback = absl::AnyInvocable<void(absl::StatusOr<T>)>;

  // Registrations a sheet change moves are recorded in the event's changes
  // stream, capped at about `max_changes` entries like AttendanceStore's.
  explicit EventSheetStore(RedisClient& redis, int64_t max_changes = 100000)
      : redis_(redis), max_changes_(max_changes) {}

  // Whether Put replaces a stored sheet of the same revision: kKeep for the
  // calendar's writes (a late copy never overwrites), kReplace to rewrite
  // sheets written by an older release with fields it did not know
  // (convene-admin resheet).
  enum class SameRevision { kKeep, kReplace };

  // Writes `sheet` unless a sheet of a later revision (or of the same one,
  // with kKeep) is stored; the callback says whether it wrote. When the
  // event moved to other dates with as many days, registrations, seat
  // counters and waitlists move with it in the same step (day i to day i).
  void Put(const core::EventSheet& sheet, Callback<bool> done,
           SameRevision same = SameRevision::kKeep);

  // Ids of every event Put has written a sheet for, sorted (sheets written
  // by a release before this index existed are listed once
  // `convene-admin resheet` has run).
  void ListEventIds(Callback<std::vector<std::string>> done);

  // The stored sheet; NOT_FOUND if the event has none.
  void Get(std::string event_id, Callback<core::EventSheet> done);

  // Field/value pairs of the sheet as stored (also what scripts read).
  static std::vector<std::string> Encode(const core::EventSheet& sheet);
  static absl::StatusOr<core::EventSheet> Decode(std::string event_id,
                                                 const RedisReply& hgetall);

 private:
  RedisClient& redis_;
  int64_t max_changes_;
};

// Wire names of formats and modes inside Redis values.
absl::string_view FormatName(core::EventFormat format);
core::EventFormat FormatFromName(absl::string_view name);

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_EVENT_SHEET_STORE_H_
