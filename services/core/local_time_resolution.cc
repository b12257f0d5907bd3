#include "core/local_time_resolution.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/internal/civil_seconds.h"
#include "core/internal/field_error.h"
#include "core/local_date_time.h"
#include "core/zoned_rendering.h"

namespace convene::core {
namespace {

// "local time ... does not exist / is ambiguous in ..." with the offsets and
// the transition both as the wall clock read it and in UTC, so a user can
// see which times to avoid.
std::string TransitionMessage(const Zone& zone, absl::CivilSecond local,
                              const LocalTimeInfo& info) {
  const bool gap = info.kind == LocalTimeKind::kGap;
  return absl::StrCat("local time ", FormatLocalDateTime(local),
                      gap ? " does not exist in " : " is ambiguous in ",
                      zone.name(),
                      gap ? ": it falls in the gap when clocks go from "
                          : ": it occurs twice when clocks go from ",
                      FormatUtcOffset(info.offset_before), " to ",
                      FormatUtcOffset(info.offset_after), " at ",
                      FormatLocalDateTime(internal::LocalAt(
                          info.transition, info.offset_before)),
                      " (", FormatUtcInstant(info.transition), ")");
}

}  // namespace

LocalTimeInfo Classify(const Zone& zone, absl::CivilSecond local) {
  return zone.rules().Lookup(local);
}

absl::StatusOr<absl::Time> ToInstant(const Zone& zone, absl::CivilSecond local,
                                     LocalTimePolicy policy,
                                     absl::string_view field) {
  if (local < internal::kMinSupportedCivil ||
      local > internal::kMaxSupportedCivil) {
    return internal::FieldError(
        field, absl::StrFormat("local time %s is outside the years 0001..9999",
                               FormatLocalDateTime(local)));
  }
  const LocalTimeInfo info = zone.rules().Lookup(local);
  if (info.kind == LocalTimeKind::kUnique) {
    return internal::InstantOf(local, info.offset_before);
  }
  // Reading `local` with either offset gives the two candidates; the larger
  // offset gives the earlier instant.
  const absl::Duration larger = std::max(info.offset_before, info.offset_after);
  const absl::Duration smaller =
      std::min(info.offset_before, info.offset_after);
  switch (policy) {
    case LocalTimePolicy::kReject:
      return internal::FieldError(field, TransitionMessage(zone, local, info));
    case LocalTimePolicy::kRfc5545:
      return internal::InstantOf(local, info.offset_before);
    case LocalTimePolicy::kEarlier:
      return internal::InstantOf(local, larger);
    case LocalTimePolicy::kLater:
      return internal::InstantOf(local, smaller);
  }
  return internal::FieldError(field, "unknown LocalTimePolicy");
}

}  // namespace convene::core
