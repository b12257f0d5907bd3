#include "core/reminder_policy.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/iso_duration.h"

namespace convene::core {

ReminderPolicy DefaultReminderPolicy(std::string event_id) {
  ReminderPolicy policy;
  policy.event_id = std::move(event_id);
  policy.before_event = {absl::Hours(24 * 7), absl::Hours(24), absl::Hours(1)};
  policy.before_each_day = {absl::Hours(1)};
  policy.is_default = true;
  return policy;
}

namespace {

absl::Status ValidateOffsets(const std::vector<absl::Duration>& offsets,
                             absl::string_view list) {
  if (static_cast<int>(offsets.size()) > kMaxRemindersPerList) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy.", list, ": at most ", kMaxRemindersPerList,
                     " offsets, got ", offsets.size()));
  }
  absl::flat_hash_set<int64_t> seen;
  for (size_t i = 0; i < offsets.size(); ++i) {
    const absl::Duration d = offsets[i];
    const std::string field = absl::StrCat("policy.", list, "[", i, "]");
    if (d <= absl::ZeroDuration() || d > kMaxReminderOffset) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": must be more than 0 and at most 90 days before, got ",
          d == absl::InfiniteDuration() || d == -absl::InfiniteDuration()
              ? "an infinite offset"
              : FormatIsoDuration(d)));
    }
    if (d != absl::Seconds(absl::ToInt64Seconds(d))) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": must be whole seconds"));
    }
    if (!seen.insert(absl::ToInt64Seconds(d)).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": ", FormatIsoDuration(d), " is listed twice"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateReminderPolicy(const ReminderPolicy& policy) {
  if (policy.event_id.empty()) {
    return absl::InvalidArgumentError("policy.event_id: is required");
  }
  if (absl::Status s = ValidateOffsets(policy.before_event, "before_event");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateOffsets(policy.before_each_day, "before_each_day"); !s.ok()) {
    return s;
  }
  // A kind listed twice was stored twice; the offsets refuse the same.
  absl::flat_hash_set<NoticeKind> muted;
  for (size_t i = 0; i < policy.muted_notices.size(); ++i) {
    if (!muted.insert(policy.muted_notices[i]).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "policy.muted_notices[", i, "]: the same notice kind is listed twice"));
    }
  }
  return absl::OkStatus();
}

}  // namespace convene::core
