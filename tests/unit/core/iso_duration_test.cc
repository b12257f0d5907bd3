#include "core/iso_duration.h"

#include <ostream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

absl::Duration MustParse(
    absl::string_view text,
    NegativeDuration negative = NegativeDuration::kReject) {
  absl::StatusOr<absl::Duration> duration = ParseIsoDuration(text, negative);
  EXPECT_TRUE(duration.ok()) << text << ": " << duration.status();
  return duration.value_or(absl::InfiniteDuration());
}

TEST(ParseIsoDuration, ReadsDaysHoursMinutesSecondsAndWeeks) {
  EXPECT_EQ(MustParse("PT1H"), absl::Hours(1));
  EXPECT_EQ(MustParse("PT15M"), absl::Minutes(15));
  EXPECT_EQ(MustParse("PT90S"), absl::Seconds(90));
  EXPECT_EQ(MustParse("P7D"), absl::Hours(7 * 24));
  EXPECT_EQ(MustParse("P1DT2H30M"), absl::Hours(26) + absl::Minutes(30));
  EXPECT_EQ(MustParse("P1DT1S"), absl::Hours(24) + absl::Seconds(1));
  EXPECT_EQ(MustParse("PT1H30S"), absl::Hours(1) + absl::Seconds(30));
  EXPECT_EQ(MustParse("P2W"), absl::Hours(14 * 24));
  EXPECT_EQ(MustParse("PT0S"), absl::ZeroDuration());
  EXPECT_EQ(MustParse("P0D"), absl::ZeroDuration());
  EXPECT_EQ(MustParse("+PT5M"), absl::Minutes(5));
  EXPECT_EQ(MustParse("PT999999999S"), absl::Seconds(999999999));
}

TEST(ParseIsoDuration, ReadsNegativeDurationsOnlyWhenAllowed) {
  EXPECT_EQ(MustParse("-PT15M", NegativeDuration::kAllow), absl::Minutes(-15));
  EXPECT_EQ(MustParse("-P1DT1H", NegativeDuration::kAllow), absl::Hours(-25));
  EXPECT_EQ(MustParse("-PT0S"), absl::ZeroDuration());

  absl::StatusOr<absl::Duration> rejected =
      ParseIsoDuration("-PT15M", NegativeDuration::kReject, "reminder.before");
  EXPECT_EQ(rejected.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(rejected.status().message(),
            "reminder.before: invalid duration \"-PT15M\": negative durations "
            "are not allowed here");
}

struct Rejection {
  const char* text;
  const char* reason;
};

// Names the parameterised cases by their input, not by their bytes.
void PrintTo(const Rejection& rejection, std::ostream* os) {
  *os << '"' << rejection.text << '"';
}

class ParseIsoDurationRejects : public ::testing::TestWithParam<Rejection> {};

TEST_P(ParseIsoDurationRejects, WithAMessageNamingValueAndReason) {
  absl::StatusOr<absl::Duration> duration =
      ParseIsoDuration(GetParam().text, NegativeDuration::kAllow);
  EXPECT_EQ(duration.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(duration.status().message(),
            absl::StrCat("invalid duration \"", GetParam().text,
                         "\": ", GetParam().reason));
}

constexpr const char* kForms =
    "expected an ISO-8601 duration such as \"PT15M\", \"P7D\" or "
    "\"P1DT2H30M\"";

INSTANTIATE_TEST_SUITE_P(
    StrictIso8601, ParseIsoDurationRejects,
    ::testing::Values(
        Rejection{"P1M",
                  "months are not supported (their length varies); use days"},
        Rejection{"P1Y2D",
                  "years are not supported (their length varies); use days"},
        Rejection{"PT1.5H", "fractions are not supported; use a smaller unit"},
        Rejection{"PT0,5H", "fractions are not supported; use a smaller unit"},
        Rejection{"P1H",
                  "hours, minutes and seconds go after a 'T', as in \"PT1H\""},
        Rejection{"PT1D", "unknown unit \"D\" after 'T' (expected H, M or S)"},
        Rejection{"P1X", "unknown unit \"X\" before 'T' (expected D or W)"},
        Rejection{"PT1h", "unknown unit \"h\" after 'T' (expected H, M or S)"},
        Rejection{"PT1M1H",
                  "units must appear once each, in the order W, D, T, H, M, S"},
        Rejection{"PT1H1H",
                  "units must appear once each, in the order W, D, T, H, M, S"},
        Rejection{"P1W1D",
                  "weeks cannot be combined with other units; use days"},
        Rejection{"P1WT1H",
                  "weeks cannot be combined with other units; use days"},
        Rejection{"PT1HT1M", "'T' appears twice"},
        Rejection{"PT", "'T' must be followed by hours, minutes or seconds"},
        Rejection{"P1DT", "'T' must be followed by hours, minutes or seconds"},
        Rejection{"PT15", "the number 15 has no unit"},
        Rejection{"PTH", "expected a number at \"H\""},
        Rejection{"PT1234567890S", "a number has more than 9 digits"},
        Rejection{"P", kForms}, Rejection{"", kForms},
        Rejection{"pt1h", kForms}, Rejection{"1H", kForms},
        Rejection{"--PT1H", kForms}, Rejection{" PT1H", kForms}));

TEST(FormatIsoDuration, WritesTheShortestForm) {
  EXPECT_EQ(FormatIsoDuration(absl::ZeroDuration()), "PT0S");
  EXPECT_EQ(FormatIsoDuration(absl::Minutes(15)), "PT15M");
  EXPECT_EQ(FormatIsoDuration(absl::Hours(24 * 7)), "P7D");
  EXPECT_EQ(FormatIsoDuration(absl::Hours(26) + absl::Minutes(30)),
            "P1DT2H30M");
  EXPECT_EQ(FormatIsoDuration(-absl::Minutes(15)), "-PT15M");
  EXPECT_EQ(FormatIsoDuration(absl::Seconds(3601)), "PT1H1S");
  EXPECT_EQ(FormatIsoDuration(absl::Milliseconds(1500)), "PT1S");
}

TEST(FormatIsoDuration, IsReadBackToTheSameDuration) {
  for (absl::Duration d : {absl::Seconds(1), absl::Hours(49) + absl::Seconds(5),
                           -absl::Hours(3), absl::Hours(24 * 400)}) {
    EXPECT_EQ(MustParse(FormatIsoDuration(d), NegativeDuration::kAllow), d);
  }
}

}  // namespace
}  // namespace convene::core

namespace convene::core {
namespace {

// Found by tests/fuzz/iso_duration_fuzzer: 999999999 weeks formatted as
// 6999999993 days, which did not read back.
TEST(IsoDurationLimits, EveryDurationReadCanBeWrittenBack) {
  EXPECT_FALSE(ParseIsoDuration("P999999999W").ok());
  EXPECT_EQ(ParseIsoDuration("P999999999W").status().message(),
            "invalid duration \"P999999999W\": longer than 999999999 days");
  absl::StatusOr<absl::Duration> longest = ParseIsoDuration("P999999999DT23H59M59S");
  ASSERT_TRUE(longest.ok());
  EXPECT_EQ(*ParseIsoDuration(FormatIsoDuration(*longest)), *longest);
  absl::StatusOr<absl::Duration> weeks = ParseIsoDuration("P142857142W");
  ASSERT_TRUE(weeks.ok());
  EXPECT_EQ(*ParseIsoDuration(FormatIsoDuration(*weeks)), *weeks);
}

}  // namespace
}  // namespace convene::core
