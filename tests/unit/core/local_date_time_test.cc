#include "core/local_date_time.h"

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

TEST(ParseLocalDateTime, ReadsHoursAndMinutes) {
  absl::StatusOr<absl::CivilSecond> local =
      ParseLocalDateTime("2022-03-15T09:30");
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_EQ(*local, absl::CivilSecond(2022, 3, 15, 9, 30, 0));
}

TEST(ParseLocalDateTime, ReadsSeconds) {
  absl::StatusOr<absl::CivilSecond> local =
      ParseLocalDateTime("2022-03-15T09:30:45");
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_EQ(*local, absl::CivilSecond(2022, 3, 15, 9, 30, 45));
}

TEST(ParseLocalDateTime, ReadsTheEdgesOfTheDayAndOfTheRange) {
  EXPECT_EQ(*ParseLocalDateTime("2022-03-15T00:00"),
            absl::CivilSecond(2022, 3, 15, 0, 0, 0));
  EXPECT_EQ(*ParseLocalDateTime("2022-03-15T23:59:59"),
            absl::CivilSecond(2022, 3, 15, 23, 59, 59));
  EXPECT_EQ(*ParseLocalDateTime("1900-01-01T00:00"),
            absl::CivilSecond(1900, 1, 1, 0, 0, 0));
  EXPECT_EQ(*ParseLocalDateTime("2200-12-31T23:59"),
            absl::CivilSecond(2200, 12, 31, 23, 59, 0));
  // Issue 16: 9999-12-30 was accepted and its start overflowed to 2262.
  EXPECT_EQ(ParseLocalDateTime("9999-12-30T00:00", "event.start_local").status().message(),
            "event.start_local: invalid local date-time \"9999-12-30T00:00\": year 9999 is "
            "outside the supported years 1900..2200");
  EXPECT_FALSE(ParseLocalDateTime("0001-01-01T00:00").ok());
  EXPECT_FALSE(ParseLocalDateTime("1899-12-31T23:59").ok());
  EXPECT_FALSE(ParseLocalDate("2201-01-01").ok());
}

TEST(ParseLocalDateTime, KnowsLeapYears) {
  EXPECT_TRUE(ParseLocalDateTime("2024-02-29T10:00").ok());
  EXPECT_TRUE(ParseLocalDateTime("2000-02-29T10:00").ok());
  EXPECT_FALSE(ParseLocalDateTime("2023-02-29T10:00").ok());
  EXPECT_FALSE(ParseLocalDateTime("2100-02-29T10:00").ok());
}

struct Rejection {
  const char* text;
  const char* message;
};

// Names the parameterised cases by their input, not by their bytes.
void PrintTo(const Rejection& rejection, std::ostream* os) {
  *os << '"' << rejection.text << '"';
}

class ParseLocalDateTimeRejects : public ::testing::TestWithParam<Rejection> {};

TEST_P(ParseLocalDateTimeRejects, WithAMessageNamingValueAndReason) {
  absl::StatusOr<absl::CivilSecond> local = ParseLocalDateTime(GetParam().text);
  EXPECT_EQ(local.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(local.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    StrictIso8601, ParseLocalDateTimeRejects,
    ::testing::Values(
        Rejection{"2022-02-30T09:00",
                  "invalid local date-time \"2022-02-30T09:00\": 2022-02 has "
                  "no day 30"},
        Rejection{"2022-04-31T09:00",
                  "invalid local date-time \"2022-04-31T09:00\": 2022-04 has "
                  "no day 31"},
        Rejection{"2022-03-00T09:00",
                  "invalid local date-time \"2022-03-00T09:00\": 2022-03 has "
                  "no day 00"},
        Rejection{"2022-13-01T09:00",
                  "invalid local date-time \"2022-13-01T09:00\": month 13 is "
                  "out of range 01..12"},
        Rejection{"0000-01-01T09:00",
                  "invalid local date-time \"0000-01-01T09:00\": year 0000 is "
                  "outside the supported years 1900..2200"},
        Rejection{"2022-03-15T24:00",
                  "invalid local date-time \"2022-03-15T24:00\": 24:00 is not "
                  "a valid time here; use 00:00 of the next day"},
        Rejection{"2022-03-15T25:00",
                  "invalid local date-time \"2022-03-15T25:00\": hour 25 is "
                  "out of range 00..23"},
        Rejection{"2022-03-15T09:60",
                  "invalid local date-time \"2022-03-15T09:60\": minute 60 is "
                  "out of range 00..59"},
        Rejection{"2022-03-15T23:59:60",
                  "invalid local date-time \"2022-03-15T23:59:60\": leap "
                  "seconds (second 60) are not supported"},
        Rejection{"2022-03-15T09:30Z",
                  "invalid local date-time \"2022-03-15T09:30Z\": local times "
                  "carry no UTC offset (found \"Z\"); send the wall-clock "
                  "time and name the zone separately"},
        Rejection{"2022-03-15T09:30:00+01:00",
                  "invalid local date-time \"2022-03-15T09:30:00+01:00\": "
                  "local times carry no UTC offset (found \"+01:00\"); send "
                  "the wall-clock time and name the zone separately"},
        Rejection{"2022-03-15T09:30-05:00",
                  "invalid local date-time \"2022-03-15T09:30-05:00\": local "
                  "times carry no UTC offset (found \"-05:00\"); send the "
                  "wall-clock time and name the zone separately"},
        Rejection{"2022-03-15t09:30",
                  "invalid local date-time \"2022-03-15t09:30\": expected 'T' "
                  "between date and time, found \"t\""},
        Rejection{"2022-03-15 09:30",
                  "invalid local date-time \"2022-03-15 09:30\": expected 'T' "
                  "between date and time, found \" \""},
        Rejection{"2022-03-15T09:30:00.5",
                  "invalid local date-time \"2022-03-15T09:30:00.5\": "
                  "fractional seconds are not supported"},
        Rejection{"2022-03-15T09:30x",
                  "invalid local date-time \"2022-03-15T09:30x\": unexpected "
                  "characters \"x\" after the time"},
        Rejection{"2022-03-15T09:30:00 ",
                  "invalid local date-time \"2022-03-15T09:30:00 \": "
                  "unexpected characters \" \" after the time"},
        Rejection{"2022-03-15",
                  "invalid local date-time \"2022-03-15\": the time of day is "
                  "missing; expected YYYY-MM-DDThh:mm or YYYY-MM-DDThh:mm:ss"},
        Rejection{"2022-03-15T9:30",
                  "invalid local date-time \"2022-03-15T9:30\": expected "
                  "YYYY-MM-DDThh:mm or YYYY-MM-DDThh:mm:ss"},
        Rejection{"2022-03-15T09",
                  "invalid local date-time \"2022-03-15T09\": expected "
                  "YYYY-MM-DDThh:mm or YYYY-MM-DDThh:mm:ss"},
        Rejection{"2022-03-15T09:30:5",
                  "invalid local date-time \"2022-03-15T09:30:5\": expected "
                  "YYYY-MM-DDThh:mm or YYYY-MM-DDThh:mm:ss"},
        Rejection{"2022-3-15T09:30",
                  "invalid local date-time \"2022-3-15T09:30\": expected "
                  "YYYY-MM-DDThh:mm or YYYY-MM-DDThh:mm:ss"},
        Rejection{"+2022-03-15T09:30",
                  "invalid local date-time \"+2022-03-15T09:30\": expected "
                  "YYYY-MM-DDThh:mm or YYYY-MM-DDThh:mm:ss"},
        Rejection{" 2022-03-15T09:30",
                  "invalid local date-time \" 2022-03-15T09:30\": expected "
                  "YYYY-MM-DDThh:mm or YYYY-MM-DDThh:mm:ss"},
        Rejection{"20220315T0930",
                  "invalid local date-time \"20220315T0930\": expected "
                  "YYYY-MM-DDThh:mm or YYYY-MM-DDThh:mm:ss"},
        Rejection{"",
                  "invalid local date-time \"\": expected "
                  "YYYY-MM-DDThh:mm or YYYY-MM-DDThh:mm:ss"}));

TEST(ParseLocalDateTime, PrefixesTheFieldName) {
  EXPECT_EQ(ParseLocalDateTime("2022-02-30T09:00", "event.start_local")
                .status()
                .message(),
            "event.start_local: invalid local date-time \"2022-02-30T09:00\": "
            "2022-02 has no day 30");
}

TEST(ParseLocalDate, ReadsADate) {
  absl::StatusOr<absl::CivilDay> day = ParseLocalDate("2022-03-15");
  ASSERT_TRUE(day.ok()) << day.status();
  EXPECT_EQ(*day, absl::CivilDay(2022, 3, 15));
}

TEST(ParseLocalDate, RejectsTimesExtraCharactersAndImpossibleDates) {
  EXPECT_EQ(ParseLocalDate("2022-03-15T09:00").status().message(),
            "invalid local date \"2022-03-15T09:00\": expected a date without "
            "a time of day");
  EXPECT_EQ(ParseLocalDate("2022-03-15Z").status().message(),
            "invalid local date \"2022-03-15Z\": unexpected characters \"Z\" "
            "after the date");
  EXPECT_EQ(ParseLocalDate("2022-02-29", "event.day").status().message(),
            "event.day: invalid local date \"2022-02-29\": 2022-02 has no day "
            "29");
  EXPECT_EQ(ParseLocalDate("15/03/2022").status().message(),
            "invalid local date \"15/03/2022\": expected YYYY-MM-DD");
  EXPECT_EQ(ParseLocalDate("2022-03-1").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FormatLocalDateTime, OmitsZeroSeconds) {
  EXPECT_EQ(FormatLocalDateTime(absl::CivilSecond(2022, 3, 15, 9, 30, 0)),
            "2022-03-15T09:30");
  EXPECT_EQ(FormatLocalDateTime(absl::CivilSecond(2022, 3, 15, 9, 30, 7)),
            "2022-03-15T09:30:07");
  EXPECT_EQ(FormatLocalDateTime(absl::CivilSecond(987, 1, 2, 3, 4, 0)),
            "0987-01-02T03:04");
}

TEST(FormatLocalDateTime, IsReadBackUnchanged) {
  for (const char* text : {"2022-03-15T09:30", "2022-10-30T02:30:59",
                           "1999-12-31T23:59", "2024-02-29T00:00:01"}) {
    absl::StatusOr<absl::CivilSecond> local = ParseLocalDateTime(text);
    ASSERT_TRUE(local.ok()) << local.status();
    EXPECT_EQ(FormatLocalDateTime(*local), text);
  }
}

TEST(FormatLocalDate, WritesIsoDate) {
  EXPECT_EQ(FormatLocalDate(absl::CivilDay(2022, 3, 5)), "2022-03-05");
}

}  // namespace
}  // namespace convene::core
