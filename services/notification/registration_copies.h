// RegistrationCopies: the registrations reminders are planned and rendered
// for, from notification's own copy (storage::RegistrationCopyStore in
// {ntf}), which the reminder planner keeps from each event's attendance
// stream: notification never reads attendance's keys.
//
//   RegistrationCopies copies(store);
//   copies.Apply(event_id, entry.fields, done);  // the planner, per entry
//   copies.Get("ev_1", "torino-1", [](absl::StatusOr<core::Registration> r) { ... });
//
// A participant_contact entry (right after each registration_created)
// carries the participant's contact and days (storage/
// attendance_stream_format.h) and makes or replaces the copy; the other
// registration entries carry the days after the change and update a copy
// that exists. participant_forgotten removes the copy (Forget).
#ifndef CONVENE_NOTIFICATION_REGISTRATION_COPIES_H_
#define CONVENE_NOTIFICATION_REGISTRATION_COPIES_H_

#include <map>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/registration.h"
#include "notification/registration_copy_store.h"

namespace convene::notification {

class RegistrationCopies {
 public:
  template <typename T>
  using Done = absl::AnyInvocable<void(absl::StatusOr<T>)>;

  struct Page {
    std::vector<core::Registration> registrations;
    std::string next_cursor = "0";  // "0": that was the last page
  };

  // `store` must outlive this.
  explicit RegistrationCopies(storage::RegistrationCopyStore& store) : store_(store) {}

  // Takes one registration entry of the event's attendance stream into the
  // copy. Says whether the copy changed: false for an entry older than the
  // copy, and for a change of a registration with no copy (one made before
  // notification kept copies: `convene-admin resheet` fills those).
  void Apply(std::string event_id, const std::map<std::string, std::string>& fields,
             Done<bool> done);

  // Stores `registration` as the copy unless one of its revision or later is
  // kept (`convene-admin resheet`).
  void Put(const core::Registration& registration, Done<bool> done);

  // NOT_FOUND when there is no copy.
  void Get(std::string event_id, std::string participant_id, Done<core::Registration> done);

  // One page of the event's copies from `cursor` ("0" for the first).
  void List(std::string event_id, std::string cursor, Done<Page> done);

  // Removes the copy (erasure).
  void Forget(std::string event_id, std::string participant_id, Done<bool> done) {
    store_.Forget(std::move(event_id), std::move(participant_id), std::move(done));
  }

  // The stored form of a copy and back: the days in the attendance stream's
  // form, then the participant as a serialised convene.v1.Participant.
  static std::string Encode(const core::Registration& registration);
  static absl::StatusOr<core::Registration> Decode(const std::string& event_id,
                                                   const std::string& participant_id,
                                                   const std::string& record);

 private:
  storage::RegistrationCopyStore& store_;
};

}  // namespace convene::notification

#endif  // CONVENE_NOTIFICATION_REGISTRATION_COPIES_H_
