// Which registration notice a participant is owed (told vs now), and its
// text in every language.
#include "core/notice.h"

#include <string>

#include "absl/strings/match.h"
#include "core/reminder_message.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

absl::Time At(int d, int h) {
  return absl::FromCivil(absl::CivilSecond(2022, 3, d, h, 30, 0), absl::UTCTimeZone());
}

NoticeDay Day(int d, AttendanceMode mode, RegistrationStatus status, int place = 0) {
  return {absl::CivilDay(2022, 3, d), mode, status, place, At(d, 8), "City Hall, Main 1"};
}

NoticeState TwoDays(RegistrationStatus first, RegistrationStatus second,
                    AttendanceMode mode = AttendanceMode::kInPerson) {
  return {At(15, 8), At(16, 16), {Day(15, mode, first), Day(16, mode, second)}};
}

constexpr auto kIn = AttendanceMode::kInPerson;
constexpr auto kOn = AttendanceMode::kOnline;
constexpr auto kOk = RegistrationStatus::kConfirmed;
constexpr auto kWait = RegistrationStatus::kWaitlisted;
constexpr auto kGone = RegistrationStatus::kCancelled;

TEST(OwedNotice, TheFirstNoticeSaysConfirmedOrWaitlistedAndNothingForACancelledOne) {
  EXPECT_EQ(OwedNotice(nullptr, TwoDays(kOk, kWait)), NoticeKind::kConfirmed);
  EXPECT_EQ(OwedNotice(nullptr, TwoDays(kWait, kWait)), NoticeKind::kWaitlisted);
  EXPECT_EQ(OwedNotice(nullptr, TwoDays(kGone, kGone)), std::nullopt);
}

TEST(OwedNotice, NothingChangedOrChangedBackOwesNothing) {
  const NoticeState s = TwoDays(kOk, kOk);
  EXPECT_EQ(OwedNotice(&s, s), std::nullopt);
  // Only a waiting-list place moved: not worth a message.
  NoticeState a = TwoDays(kWait, kWait), b = a;
  b.days[0].waitlist_position = 2;
  EXPECT_EQ(OwedNotice(&a, b), std::nullopt);
}

TEST(OwedNotice, EachChangeHasItsKindAndTheWeightiestWins) {
  const NoticeState told = TwoDays(kWait, kOk);
  EXPECT_EQ(OwedNotice(&told, TwoDays(kOk, kOk)), NoticeKind::kPromoted);
  EXPECT_EQ(OwedNotice(&told, TwoDays(kGone, kGone)), NoticeKind::kCancelled);
  EXPECT_EQ(OwedNotice(&told, TwoDays(kWait, kGone)), NoticeKind::kDayCancelled);
  const NoticeState ok = TwoDays(kOk, kOk);
  EXPECT_EQ(OwedNotice(&ok, TwoDays(kOk, kOk, kOn)), NoticeKind::kModeChanged);
  EXPECT_EQ(OwedNotice(&ok, TwoDays(kOk, kWait)), NoticeKind::kWaitlisted);
  // Promoted and another day cancelled at once: the promotion is the news.
  EXPECT_EQ(OwedNotice(&told, TwoDays(kOk, kGone)), NoticeKind::kPromoted);
  // The event moved: that first, whatever else changed.
  NoticeState moved = TwoDays(kOk, kGone);
  moved.event_start += absl::Hours(2);
  EXPECT_EQ(OwedNotice(&ok, moved), NoticeKind::kRescheduled);
  // A day the event no longer has counts as cancelled.
  NoticeState shorter = ok;
  shorter.days.pop_back();
  EXPECT_EQ(OwedNotice(&ok, shorter), NoticeKind::kDayCancelled);
  // A day added with a seat.
  NoticeState one = shorter;
  EXPECT_EQ(OwedNotice(&one, ok), NoticeKind::kConfirmed);
  NoticeState venue = ok;
  venue.days[1].where = "Town Hall, Square 2";
  EXPECT_EQ(OwedNotice(&ok, venue), NoticeKind::kVenueChanged);
}

TEST(OwedNotice, TheStateSurvivesItsTextForm) {
  NoticeState s = TwoDays(kWait, kOk, kOn);
  s.days[0].waitlist_position = 3;
  s.days[1].where = "https://meet.example.org/x?a=1|b=2";
  absl::StatusOr<NoticeState> back = ParseNoticeState(FormatNoticeState(s));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, s);
  EXPECT_FALSE(ParseNoticeState("v0 garbage").ok());
}

TEST(RenderNotice, EveryKindInEveryLanguageIsFilledIn) {
  for (const std::string& language : SupportedReminderLanguages()) {
    for (int k = 0; k <= static_cast<int>(NoticeKind::kVenueChanged); ++k) {
      NoticeMessageInput in;
      in.message.language = language;
      in.message.participant_time_zone = "Europe/Rome";
      in.message.venue_time_zone = "Europe/Athens";
      in.message.event_title = "3rd CONNECTION workshop";
      in.message.venue_city = "Thessaloniki";
      in.message.starts = At(15, 7);
      in.message.venue_name = "City Hall";
      in.message.venue_address = "Vasileos Georgiou 1";
      in.message.platform = "Zoom";
      in.message.join_url = "https://meet.example.org/x";
      in.message.recipient_name = "Eleni";
      in.kind = static_cast<NoticeKind>(k);
      in.days = {Day(15, kIn, kOk), Day(16, kOn, kWait, 3), Day(17, kIn, kGone)};
      in.previous_start = At(14, 7);
      const RenderedMessage m = RenderNotice(in);
      SCOPED_TRACE(language + " " + std::string(NoticeKindName(in.kind)));
      EXPECT_EQ(m.language, language);
      EXPECT_THAT(m.subject, HasSubstr("3rd CONNECTION workshop"));
      EXPECT_THAT(m.body, HasSubstr("3rd CONNECTION workshop"));
      EXPECT_THAT(m.body, Not(HasSubstr("$")));
      EXPECT_THAT(m.body, Not(HasSubstr("\n\n")));
      EXPECT_THAT(m.body, HasSubstr("Eleni"));
      // The waiting-list place, the venue for the in-person day and the
      // link for... none: the online day is waitlisted.
      EXPECT_THAT(m.body, HasSubstr(" 3"));
      EXPECT_THAT(m.body, HasSubstr("Vasileos Georgiou 1"));
      EXPECT_THAT(m.body, Not(HasSubstr("https://meet.example.org/x")));
      // Venue time 10:30 (Athens), the participant's 09:30 (Rome).
      EXPECT_THAT(m.body, HasSubstr("10:30"));
      EXPECT_THAT(m.body, HasSubstr("09:30"));
      // Only a moved event shows the time before.
      EXPECT_EQ(absl::StrContains(m.body, "14"), in.kind == NoticeKind::kRescheduled) << m.body;
    }
  }
}

}  // namespace
}  // namespace convene::core
