// Fuzzes local time -> instant resolution (ToInstant, Classify) over the zones
// of fuzz_check.h and over made-up transition-table zones, with every
// LocalTimePolicy. Local times are either arbitrary (fields out of range are
// normalised, years far outside 0001..9999) or close to an offset change, so
// that gaps and overlaps are common. Promises checked:
// - outside 0001..9999 every policy refuses, with INVALID_ARGUMENT naming the
//   field; inside, kReject refuses exactly the gaps and overlaps and the other
//   policies always succeed;
// - a unique time: all policies agree, and the zone's wall clock shows it at
//   the instant returned;
// - a gap (offset grows): kRfc5545 == kLater, read with the offset before,
//   which the wall clock shows moved forward by the gap; kEarlier is read with
//   the offset after and shows moved back by it;
// - an overlap (offset shrinks): kRfc5545 == kEarlier < kLater, and the wall
//   clock shows the time itself at both instants.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/local_date_time.h"
#include "core/local_time_resolution.h"
#include "core/transition_table_zone.h"
#include "core/zone.h"
#include "core/zone_rules.h"
#include "core/zoned_rendering.h"
#include "fuzz_check.h"

namespace convene::core {
namespace {

constexpr int64_t kDay = 24 * 60 * 60;
constexpr int64_t kMaxOffsetSeconds = 18 * 60 * 60;

int64_t UnixSecondsAt(int year) {
  return absl::ToUnixSeconds(
      absl::FromCivil(absl::CivilSecond(year, 1, 1), absl::UTCTimeZone()));
}

// A zone, and an instant shortly before which its offset may change.
struct FuzzZone {
  Zone zone;
  absl::Time hint;
};

ZoneOffset ConsumeOffset(FuzzedDataProvider& in) {
  return ZoneOffset{absl::Seconds(in.ConsumeIntegralInRange<int64_t>(
                        -kMaxOffsetSeconds, kMaxOffsetSeconds)),
                    in.ConsumeBool(), ""};
}

FuzzZone ConsumeZone(FuzzedDataProvider& in) {
  if (in.ConsumeBool()) {
    const absl::string_view name =
        fuzz::kZones[in.ConsumeIntegralInRange<size_t>(
            0, std::size(fuzz::kZones) - 1)];
    absl::StatusOr<Zone> zone = ResolveZone(name);
    FUZZ_CHECK(zone.ok(), "the tz database lacks ", name, ": ",
               zone.status().ToString());
    // Real zones change offsets between the 1850s and 2037 (see zone.h).
    return {*std::move(zone),
            absl::FromUnixSeconds(in.ConsumeIntegralInRange<int64_t>(
                UnixSecondsAt(1850), UnixSecondsAt(2040)))};
  }
  // Transitions at least 3 days apart, so that one gap or overlap (at most
  // 36 hours) never runs into the next and the checks above stay exact.
  const ZoneOffset initial = ConsumeOffset(in);
  std::vector<ZoneTransition> transitions;
  int64_t at =
      in.ConsumeIntegralInRange<int64_t>(UnixSecondsAt(2), UnixSecondsAt(9998));
  const int count = in.ConsumeIntegralInRange(0, 6);
  for (int i = 0; i < count && at < UnixSecondsAt(9998); ++i) {
    transitions.push_back({absl::FromUnixSeconds(at), ConsumeOffset(in)});
    at += in.ConsumeIntegralInRange<int64_t>(3 * kDay, 400 * kDay);
  }
  const absl::Time hint =
      transitions.empty()
          ? absl::UnixEpoch()
          : transitions.front().at -
                absl::Seconds(in.ConsumeIntegralInRange<int64_t>(0, 2 * kDay));
  absl::StatusOr<Zone> zone =
      MakeTransitionTableZone("Fuzz/Table", initial, std::move(transitions));
  FUZZ_CHECK(zone.ok(), "a valid table is refused: ", zone.status().ToString());
  return {*std::move(zone), hint};
}

// The first instant in (from, from + 400 days] at which the UTC offset
// differs from the one at `from`, or `from` if there is none.
absl::Time NextOffsetChange(const Zone& zone, absl::Time from) {
  const auto offset = [&](int64_t t) {
    return zone.rules().OffsetAt(absl::FromUnixSeconds(t)).utc_offset;
  };
  int64_t lo = absl::ToUnixSeconds(from);
  const absl::Duration at_from = offset(lo);
  for (int day = 1; day <= 400; ++day) {
    int64_t hi = lo + kDay;
    if (offset(hi) == at_from) {
      lo = hi;
      continue;
    }
    while (hi - lo > 1) {
      const int64_t mid = lo + (hi - lo) / 2;
      (offset(mid) == at_from ? lo : hi) = mid;
    }
    return absl::FromUnixSeconds(hi);
  }
  return from;
}

absl::CivilSecond ConsumeLocal(FuzzedDataProvider& in, const FuzzZone& z) {
  if (in.ConsumeBool()) {
    const absl::Time change = NextOffsetChange(z.zone, z.hint);
    return ToZoned(z.zone, change).local +
           in.ConsumeIntegralInRange<int64_t>(-40 * 3600, 40 * 3600);
  }
  const int64_t year = in.ConsumeIntegralInRange<int64_t>(-100000, 100000);
  const int month = in.ConsumeIntegralInRange(-24, 36);
  const int day = in.ConsumeIntegralInRange(-62, 92);
  const int hour = in.ConsumeIntegralInRange(-48, 72);
  const int minute = in.ConsumeIntegralInRange(-120, 180);
  const int second = in.ConsumeIntegralInRange(-120, 180);
  return absl::CivilSecond(year, month, day, hour, minute, second);
}

// The wall-clock time `zone` shows at `instant`.
absl::CivilSecond WallClock(const Zone& zone, absl::Time instant) {
  return ToZoned(zone, instant).local;
}

void Fuzz(FuzzedDataProvider& in) {
  const FuzzZone z = ConsumeZone(in);
  const Zone& zone = z.zone;
  const absl::CivilSecond local = ConsumeLocal(in, z);
  const std::string what =
      absl::StrCat(FormatLocalDateTime(local), " in ", zone.name());

  absl::StatusOr<absl::Time> by[4];
  const LocalTimePolicy policies[4] = {
      LocalTimePolicy::kReject, LocalTimePolicy::kRfc5545,
      LocalTimePolicy::kEarlier, LocalTimePolicy::kLater};
  for (int i = 0; i < 4; ++i) {
    by[i] = ToInstant(zone, local, policies[i], "fuzz.local");
    if (!by[i].ok()) {
      FUZZ_CHECK(by[i].status().code() == absl::StatusCode::kInvalidArgument &&
                     absl::StartsWith(by[i].status().message(), "fuzz.local: "),
                 what, ": ", by[i].status().ToString());
    }
  }
  const absl::StatusOr<absl::Time>&reject = by[0], &rfc5545 = by[1],
        &earlier = by[2], &later = by[3];

  if (local.year() < 1 || local.year() > 9999) {
    for (const auto& result : by) {
      FUZZ_CHECK(!result.ok(), what, ": accepted outside 0001..9999");
    }
    return;
  }
  FUZZ_CHECK(rfc5545.ok() && earlier.ok() && later.ok(), what,
             ": a policy that resolves everything refused");

  const LocalTimeInfo info = Classify(zone, local);
  switch (info.kind) {
    case LocalTimeKind::kUnique:
      FUZZ_CHECK(reject.ok(), what,
                 ": a unique time refused: ", reject.status().ToString());
      FUZZ_CHECK(
          *reject == *rfc5545 && *reject == *earlier && *reject == *later, what,
          ": policies disagree on a unique time");
      FUZZ_CHECK(WallClock(zone, *reject) == local, what, ": the instant ",
                 FormatUtcInstant(*reject), " shows ",
                 FormatLocalDateTime(WallClock(zone, *reject)));
      break;
    case LocalTimeKind::kGap: {
      FUZZ_CHECK(!reject.ok(), what, ": kReject accepted a gap");
      const absl::Duration gap = info.offset_after - info.offset_before;
      FUZZ_CHECK(gap > absl::ZeroDuration(), what, ": a gap of ",
                 absl::FormatDuration(gap));
      FUZZ_CHECK(*rfc5545 == *later && *earlier + gap == *later, what,
                 ": gap policies disagree");
      const int64_t gap_seconds = absl::ToInt64Seconds(gap);
      FUZZ_CHECK(WallClock(zone, *later) == local + gap_seconds &&
                     WallClock(zone, *earlier) == local - gap_seconds,
                 what, ": a gap time does not move by the gap's length");
      break;
    }
    case LocalTimeKind::kOverlap:
      FUZZ_CHECK(!reject.ok(), what, ": kReject accepted an overlap");
      FUZZ_CHECK(info.offset_after < info.offset_before, what,
                 ": an overlap where the offset grows");
      FUZZ_CHECK(*rfc5545 == *earlier && *earlier < *later, what,
                 ": overlap policies disagree");
      FUZZ_CHECK(WallClock(zone, *earlier) == local &&
                     WallClock(zone, *later) == local,
                 what, ": an overlap instant does not show the time");
      break;
  }
}

}  // namespace
}  // namespace convene::core

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  convene::core::Fuzz(in);
  return 0;
}
