#include "core/transition_table_zone.h"

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/internal/civil_seconds.h"

namespace convene::core {
namespace {

// Period 0 is `initial_`, in force until the first transition; period j >= 1
// starts at transitions_[j - 1].at and lasts until the next transition.
class TransitionTableRules final : public ZoneRules {
 public:
  TransitionTableRules(std::string name, ZoneOffset initial,
                       std::vector<ZoneTransition> transitions)
      : name_(std::move(name)),
        initial_(std::move(initial)),
        transitions_(std::move(transitions)) {}

  absl::string_view name() const override { return name_; }

  ZoneOffset OffsetAt(absl::Time instant) const override {
    return Offset(PeriodAt(instant));
  }

  LocalTimeInfo Lookup(absl::CivilSecond local) const override {
    const absl::Time as_utc = absl::FromUnixSeconds(
        internal::EpochSeconds(internal::ClampToSupported(local)));
    // Offsets are within 18 hours, so every instant that shows `local` lies
    // within a day of `as_utc`: only the periods around it can hold one.
    const size_t first = PeriodAt(as_utc - absl::Hours(24));
    const size_t last = PeriodAt(as_utc + absl::Hours(24));

    std::vector<size_t> holders;  // periods in which `local` is shown
    for (size_t j = first; j <= last; ++j) {
      const absl::Time candidate = as_utc - Offset(j).utc_offset;
      if (Begin(j) <= candidate && candidate < End(j)) holders.push_back(j);
    }

    LocalTimeInfo info;
    if (holders.size() == 1) {
      info.offset_before = info.offset_after = Offset(holders[0]).utc_offset;
      return info;
    }
    if (holders.size() >= 2) {
      info.kind = LocalTimeKind::kOverlap;
      info.offset_before = Offset(holders.front()).utc_offset;
      info.offset_after = Offset(holders.back()).utc_offset;
      info.transition = Begin(holders.back());
      return info;
    }
    for (size_t j = first; j < last; ++j) {
      // Period j's clock has passed `local` when it ends, and period j + 1's
      // clock starts after `local`: the clocks skipped it.
      if (as_utc - Offset(j).utc_offset >= End(j) &&
          as_utc - Offset(j + 1).utc_offset < Begin(j + 1)) {
        info.kind = LocalTimeKind::kGap;
        info.offset_before = Offset(j).utc_offset;
        info.offset_after = Offset(j + 1).utc_offset;
        info.transition = Begin(j + 1);
        return info;
      }
    }
    // Unreachable for validated tables; answer like a fixed-offset zone.
    info.offset_before = info.offset_after = OffsetAt(as_utc).utc_offset;
    return info;
  }

 private:
  size_t PeriodAt(absl::Time instant) const {
    return static_cast<size_t>(
        std::upper_bound(transitions_.begin(), transitions_.end(), instant,
                         [](absl::Time t, const ZoneTransition& transition) {
                           return t < transition.at;
                         }) -
        transitions_.begin());
  }
  const ZoneOffset& Offset(size_t period) const {
    return period == 0 ? initial_ : transitions_[period - 1].offset;
  }
  absl::Time Begin(size_t period) const {
    return period == 0 ? absl::InfinitePast() : transitions_[period - 1].at;
  }
  absl::Time End(size_t period) const {
    return period == transitions_.size() ? absl::InfiniteFuture()
                                         : transitions_[period].at;
  }

  std::string name_;
  ZoneOffset initial_;
  std::vector<ZoneTransition> transitions_;
};

absl::Status CheckOffset(const ZoneOffset& offset, absl::string_view what) {
  if (absl::AbsDuration(offset.utc_offset) > absl::Hours(18)) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": UTC offset ", absl::FormatDuration(offset.utc_offset),
        " is outside +/-18h"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Zone> MakeTransitionTableZone(
    std::string name, ZoneOffset initial,
    std::vector<ZoneTransition> transitions) {
  if (name.empty()) {
    return absl::InvalidArgumentError("zone name is empty");
  }
  if (absl::Status s = CheckOffset(initial, "initial offset"); !s.ok())
    return s;
  for (size_t i = 0; i < transitions.size(); ++i) {
    const std::string what = absl::StrCat("transition ", i);
    const absl::Time at = transitions[i].at;
    if (at == absl::InfinitePast() || at == absl::InfiniteFuture()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": instant is infinite"));
    }
    if (i > 0 && at <= transitions[i - 1].at) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": instant is not after transition ", i - 1));
    }
    if (absl::Status s = CheckOffset(transitions[i].offset, what); !s.ok()) {
      return s;
    }
  }
  return Zone(std::make_shared<TransitionTableRules>(
      std::move(name), std::move(initial), std::move(transitions)));
}

}  // namespace convene::core
