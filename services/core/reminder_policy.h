// ReminderPolicy: when an event's participants are reminded, as offsets
// before the event's start and before each event day's first session.
//
//   ReminderPolicy policy = DefaultReminderPolicy("ev_123");
//   // before_event {7d, 1d, 1h}, before_each_day {1h}, is_default
//   policy.before_event = {absl::Hours(48)};
//   absl::Status s = ValidateReminderPolicy(policy);
#ifndef CONVENE_CORE_REMINDER_POLICY_H_
#define CONVENE_CORE_REMINDER_POLICY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/notice.h"

namespace convene::core {

struct ReminderPolicy {
  std::string event_id;
  std::vector<absl::Duration> before_event;
  std::vector<absl::Duration> before_each_day;
  // Registration notice kinds not sent for the event (none by default).
  std::vector<NoticeKind> muted_notices;
  // No policy was set for the event: this is the default one.
  bool is_default = false;
  absl::Time update_time = absl::InfinitePast();
};

// Bounds of a policy: offsets in (0, kMaxReminderOffset], whole seconds, at
// most kMaxRemindersPerList in each list, none twice.
inline constexpr absl::Duration kMaxReminderOffset = absl::Hours(24 * 90);
inline constexpr int kMaxRemindersPerList = 10;

// 7 days, 1 day and 1 hour before the event; 1 hour before each day.
ReminderPolicy DefaultReminderPolicy(std::string event_id);

// INVALID_ARGUMENT naming "policy.before_event[i]" (or before_each_day, or
// event_id) and the bound it breaks.
absl::Status ValidateReminderPolicy(const ReminderPolicy& policy);

}  // namespace convene::core

#endif  // CONVENE_CORE_REMINDER_POLICY_H_
