#include "core/reminder_message.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "core/registration.h"
#include "core_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::Utc;

// The header's example: the 3rd CONNECTION workshop, 2022-03-15 09:30 in
// Thessaloniki (07:30Z), for a participant in Rome, a day ahead.
ReminderMessageInput ThessalonikiWorkshop() {
  ReminderMessageInput in;
  in.language = "en";
  in.participant_time_zone = "Europe/Rome";
  in.venue_time_zone = "Europe/Athens";
  in.event_title = "3rd CONNECTION workshop";
  in.venue_city = "Thessaloniki";
  in.starts = Utc(2022, 3, 15, 7, 30);
  in.lead = absl::Hours(24);
  in.venue_name = "Aristotle University, Research Dissemination Center";
  in.venue_address = "3is Septemvriou, 546 36 Thessaloniki";
  in.platform = "Zoom";
  in.join_url = "https://zoom.example/j/123";
  return in;
}

std::vector<std::string> Lines(const RenderedMessage& m) {
  return absl::StrSplit(m.body, '\n');
}

// The sentence after the greeting.
std::string FirstSentence(const RenderedMessage& m) {
  const std::vector<std::string> lines = Lines(m);
  return lines.size() < 2 ? "" : lines[1];
}

TEST(RenderReminder, EnglishTomorrowShowsVenueAndParticipantTimes) {
  const RenderedMessage m = RenderReminder(ThessalonikiWorkshop());
  EXPECT_EQ(m.language, "en");
  EXPECT_EQ(m.subject, "Reminder: 3rd CONNECTION workshop, 15 March 2022");
  EXPECT_EQ(FirstSentence(m),
            "3rd CONNECTION workshop starts tomorrow, 15 March 2022, 09:30 in "
            "Thessaloniki (08:30 your time, Europe/Rome).");
}

TEST(RenderReminder, GreetsTheRecipientByNameOrNeutrally) {
  ReminderMessageInput in = ThessalonikiWorkshop();
  EXPECT_EQ(Lines(RenderReminder(in))[0], "Hello,");
  in.recipient_name = "Ana";
  EXPECT_EQ(Lines(RenderReminder(in))[0], "Dear Ana,");
}

TEST(RenderReminder, InPersonShowsTheAddressNotTheLink) {
  const RenderedMessage m = RenderReminder(ThessalonikiWorkshop());
  EXPECT_THAT(Lines(m),
              ElementsAre("Hello,", ::testing::_,
                          "Venue: Aristotle University, Research Dissemination "
                          "Center, 3is Septemvriou, 546 36 Thessaloniki"));
  EXPECT_THAT(m.body, Not(HasSubstr("zoom.example")));
}

TEST(RenderReminder, OnlineShowsTheJoinLinkNotTheAddress) {
  ReminderMessageInput in = ThessalonikiWorkshop();
  in.mode = AttendanceMode::kOnline;
  const RenderedMessage m = RenderReminder(in);
  EXPECT_EQ(Lines(m).back(), "Join online: Zoom, https://zoom.example/j/123");
  EXPECT_THAT(m.body, Not(HasSubstr("Septemvriou")));
  EXPECT_THAT(m.body, Not(HasSubstr("Aristotle University")));
}

TEST(RenderReminder, SkipsEmptyPartsOfTheWhereLine) {
  ReminderMessageInput in = ThessalonikiWorkshop();
  in.venue_name.clear();
  EXPECT_EQ(Lines(RenderReminder(in)).back(),
            "Venue: 3is Septemvriou, 546 36 Thessaloniki");
  in.venue_address.clear();
  EXPECT_EQ(Lines(RenderReminder(in)).size(), 2u);

  in.mode = AttendanceMode::kOnline;
  in.platform.clear();
  EXPECT_EQ(Lines(RenderReminder(in)).back(),
            "Join online: https://zoom.example/j/123");
}

TEST(RenderReminder, MentionsTheFirstSession) {
  ReminderMessageInput in = ThessalonikiWorkshop();
  in.session_title = "Welcome and city tour";
  EXPECT_EQ(Lines(RenderReminder(in))[2],
            "First session: Welcome and city tour");
}

TEST(RenderReminder, UsesSummerTimeAfterTheMarchClockChange) {
  // Clocks moved on 27 March 2022: 09:00 CEST in Brussels is 07:00Z, which
  // is 10:00 EEST in Athens. Sent a week ahead, the reminder leaves while
  // both cities are still on winter time; it must not use that offset.
  ReminderMessageInput in = ThessalonikiWorkshop();
  in.venue_time_zone = "Europe/Brussels";
  in.venue_city = "Brussels";
  in.participant_time_zone = "Europe/Athens";
  in.starts = Utc(2022, 3, 28, 7, 0);
  in.lead = absl::Hours(24 * 7);
  EXPECT_EQ(FirstSentence(RenderReminder(in)),
            "3rd CONNECTION workshop starts in 7 days, 28 March 2022, 09:00 in "
            "Brussels (10:00 your time, Europe/Athens).");
}

TEST(RenderReminder, ShowsTheParticipantsDateWhenItIsAnotherDay) {
  // 19:00 in Brussels on 15 March (CET, 18:00Z) is 03:00 on the 16th in
  // Tokyo.
  ReminderMessageInput in = ThessalonikiWorkshop();
  in.venue_time_zone = "Europe/Brussels";
  in.venue_city = "Brussels";
  in.participant_time_zone = "Asia/Tokyo";
  in.starts = Utc(2022, 3, 15, 18, 0);
  EXPECT_EQ(FirstSentence(RenderReminder(in)),
            "3rd CONNECTION workshop starts tomorrow, 15 March 2022, 19:00 in "
            "Brussels (03:00 on 16 March 2022 your time, Asia/Tokyo).");
}

TEST(RenderReminder, OmitsTheParticipantsClockInTheVenueZone) {
  const std::string venue_only =
      "3rd CONNECTION workshop starts tomorrow, 15 March 2022, 09:30 in "
      "Thessaloniki.";
  ReminderMessageInput in = ThessalonikiWorkshop();
  for (const char* zone : {"Europe/Athens", "", "Europe/Atlantis"}) {
    SCOPED_TRACE(zone);
    in.participant_time_zone = zone;
    EXPECT_EQ(FirstSentence(RenderReminder(in)), venue_only);
  }
}

TEST(RenderReminder, NamesTheVenueZoneWhenTheCityIsEmpty) {
  ReminderMessageInput in = ThessalonikiWorkshop();
  in.venue_city.clear();
  EXPECT_EQ(FirstSentence(RenderReminder(in)),
            "3rd CONNECTION workshop starts tomorrow, 15 March 2022, 09:30 in "
            "Europe/Athens (08:30 your time, Europe/Rome).");
}

TEST(RenderReminder, FallsBackToUtcForAnUnknownVenueZone) {
  ReminderMessageInput in = ThessalonikiWorkshop();
  in.venue_time_zone = "Europe/Bruxelles";
  in.venue_city.clear();
  EXPECT_EQ(FirstSentence(RenderReminder(in)),
            "3rd CONNECTION workshop starts tomorrow, 15 March 2022, 07:30 in "
            "Etc/UTC (08:30 your time, Europe/Rome).");

  // With the participant's zone unknown too, both clocks are UTC's.
  in.participant_time_zone = "Europe/Roma";
  EXPECT_EQ(FirstSentence(RenderReminder(in)),
            "3rd CONNECTION workshop starts tomorrow, 15 March 2022, 07:30 in "
            "Etc/UTC.");
}

TEST(RenderReminder, PhrasesTheLeadInDaysHoursOrMinutes) {
  struct Case {
    absl::Duration lead;
    const char* phrase;
  };
  const Case cases[] = {
      {absl::Hours(24), "starts tomorrow, "},
      {absl::Hours(48), "starts in 2 days, "},
      {absl::Hours(24 * 7), "starts in 7 days, "},
      {absl::Hours(1), "starts in 1 hour, "},
      {absl::Hours(2), "starts in 2 hours, "},
      {absl::Hours(36), "starts in 36 hours, "},
      {absl::Minutes(1), "starts in 1 minute, "},
      {absl::Minutes(45), "starts in 45 minutes, "},
      {absl::Minutes(90), "starts in 90 minutes, "},
      {absl::Minutes(45) + absl::Seconds(30), "starts in 45 minutes, "},
      {absl::Seconds(30), "starts now, "},
      {absl::ZeroDuration(), "starts now, "},
      {absl::Minutes(-5), "starts now, "},
  };
  ReminderMessageInput in = ThessalonikiWorkshop();
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::FormatDuration(c.lead));
    in.lead = c.lead;
    EXPECT_THAT(FirstSentence(RenderReminder(in)), HasSubstr(c.phrase));
  }
}

// "Tomorrow" and "in N days" are read on the reader's calendar. A day
// before a session at 00:30 on the Monday after the spring change is 23:30
// on Saturday; a day before 23:30 on the autumn change's Sunday is 00:30 that
// same Sunday. Neither is "tomorrow" for the person reading it, and a
// participant told "tomorrow ... 00:30 your time" on Saturday night would
// come a day early: such leads are given in hours.
TEST(RenderReminder, SaysTomorrowOnlyWhenItIsTheReadersNextDate) {
  ReminderMessageInput in = ThessalonikiWorkshop();
  in.venue_time_zone = "Europe/Brussels";
  in.venue_city = "Brussels";
  in.participant_time_zone = "";
  in.starts = Utc(2022, 3, 27, 22, 30);  // Monday 28 March, 00:30 CEST
  in.lead = absl::Hours(24);
  EXPECT_EQ(FirstSentence(RenderReminder(in)),
            "3rd CONNECTION workshop starts in 24 hours, 28 March 2022, 00:30 in "
            "Brussels.");
  in.lead = absl::Hours(48);  // Friday 23:30: three dates ahead
  EXPECT_THAT(FirstSentence(RenderReminder(in)), HasSubstr("starts in 48 hours, "));
  in.starts = Utc(2022, 10, 30, 22, 30);  // Sunday 30 October, 23:30 CET
  in.lead = absl::Hours(24);              // Sunday 00:30 CEST
  EXPECT_THAT(FirstSentence(RenderReminder(in)), HasSubstr("starts in 24 hours, "));
  // Brussels 05:30 CET on 14 March 2022 is 00:30 EDT in New York, whose
  // clocks changed on the 13th: a day before is 23:30 EST on the 12th there.
  in.starts = Utc(2022, 3, 14, 4, 30);
  in.participant_time_zone = "America/New_York";
  EXPECT_EQ(FirstSentence(RenderReminder(in)),
            "3rd CONNECTION workshop starts in 24 hours, 14 March 2022, 05:30 in "
            "Brussels (00:30 your time, America/New_York).");
  // The same reminder read in Brussels is for tomorrow.
  in.participant_time_zone = "Europe/Rome";
  EXPECT_THAT(FirstSentence(RenderReminder(in)), HasSubstr("starts tomorrow, "));
}

// One row per language: the header's example in full, and each lead form.
struct LanguageCase {
  const char* tag;
  const char* subject;
  const char* sentence;      // lead 24 h, participant in Rome
  const char* tokyo;         // the participant's part, from Tokyo
  const char* in_7_days;     // lead 7 days
  const char* in_1_hour;     // lead 1 hour
  const char* in_2_hours;    // lead 2 hours
  const char* in_1_minute;   // lead 1 minute
  const char* in_5_minutes;  // lead 5 minutes
  const char* now;           // lead 0
  const char* greeting;      // named "Ana"
};

const LanguageCase kLanguageCases[] = {
    {"en", "Reminder: 3rd CONNECTION workshop, 15 March 2022",
     "3rd CONNECTION workshop starts tomorrow, 15 March 2022, 09:30 in "
     "Thessaloniki (08:30 your time, Europe/Rome).",
     "(16:30 your time, Asia/Tokyo)", "in 7 days", "in 1 hour", "in 2 hours",
     "in 1 minute", "in 5 minutes", "starts now", "Dear Ana,"},
    {"it", "Promemoria: 3rd CONNECTION workshop, 15 marzo 2022",
     "3rd CONNECTION workshop inizia domani, 15 marzo 2022, alle 09:30 a "
     "Thessaloniki (per Lei alle 08:30, Europe/Rome).",
     "(per Lei alle 16:30, Asia/Tokyo)", "tra 7 giorni", "tra 1 ora",
     "tra 2 ore", "tra 1 minuto", "tra 5 minuti", "inizia adesso",
     "Gentile Ana,"},
    {"el", "Υπενθύμιση: 3rd CONNECTION workshop, 15 Μαρτίου 2022",
     "3rd CONNECTION workshop ξεκινά αύριο, 15 Μαρτίου 2022, στις 09:30 στην "
     "πόλη Thessaloniki (για εσάς στις 08:30, Europe/Rome).",
     "(για εσάς στις 16:30, Asia/Tokyo)", "σε 7 ημέρες", "σε 1 ώρα",
     "σε 2 ώρες", "σε 1 λεπτό", "σε 5 λεπτά", "ξεκινά τώρα", "Γεια σας, Ana,"},
    {"bg", "Напомняне: 3rd CONNECTION workshop, 15 март 2022 г.",
     "3rd CONNECTION workshop започва утре, 15 март 2022 г., в 09:30 ч. в "
     "Thessaloniki (в 08:30 ч. Ваше време, Europe/Rome).",
     "(в 16:30 ч. Ваше време, Asia/Tokyo)", "след 7 дни", "след 1 час",
     "след 2 часа", "след 1 минута", "след 5 минути", "започва сега",
     "Здравейте, Ana,"},
    {"fr", "Rappel\u00a0: 3rd CONNECTION workshop, 15 mars 2022",
     "3rd CONNECTION workshop commence demain, le 15 mars 2022 à 09:30 à "
     "Thessaloniki (08:30 chez vous, Europe/Rome).",
     "(16:30 chez vous, Asia/Tokyo)", "dans 7 jours", "dans 1 heure",
     "dans 2 heures", "dans 1 minute", "dans 5 minutes", "commence maintenant",
     "Bonjour Ana,"},
    {"de", "Erinnerung: 3rd CONNECTION workshop, 15. März 2022",
     "3rd CONNECTION workshop beginnt morgen, am 15. März 2022 um 09:30 Uhr "
     "in Thessaloniki (bei Ihnen 08:30 Uhr, Europe/Rome).",
     "(bei Ihnen 16:30 Uhr, Asia/Tokyo)", "in 7 Tagen", "in 1 Stunde",
     "in 2 Stunden", "in 1 Minute", "in 5 Minuten", "beginnt jetzt",
     "Hallo Ana,"},
    {"nl", "Herinnering: 3rd CONNECTION workshop, 15 maart 2022",
     "3rd CONNECTION workshop begint morgen, op 15 maart 2022 om 09:30 in "
     "Thessaloniki (bij u om 08:30, Europe/Rome).",
     "(bij u om 16:30, Asia/Tokyo)", "over 7 dagen", "over 1 uur", "over 2 uur",
     "over 1 minuut", "over 5 minuten", "begint nu", "Beste Ana,"},
};

TEST(RenderReminder, RendersEachLanguagesMonthNameAndLeadPhrase) {
  for (const LanguageCase& c : kLanguageCases) {
    SCOPED_TRACE(c.tag);
    ReminderMessageInput in = ThessalonikiWorkshop();
    in.language = c.tag;
    RenderedMessage m = RenderReminder(in);
    EXPECT_EQ(m.language, c.tag);
    EXPECT_EQ(m.subject, c.subject);
    EXPECT_EQ(FirstSentence(m), c.sentence);

    in.recipient_name = "Ana";
    EXPECT_EQ(Lines(RenderReminder(in))[0], c.greeting);

    in.participant_time_zone = "Asia/Tokyo";
    EXPECT_THAT(FirstSentence(RenderReminder(in)), HasSubstr(c.tokyo));

    const std::pair<absl::Duration, const char*> leads[] = {
        {absl::Hours(24 * 7), c.in_7_days}, {absl::Hours(1), c.in_1_hour},
        {absl::Hours(2), c.in_2_hours},     {absl::Minutes(1), c.in_1_minute},
        {absl::Minutes(5), c.in_5_minutes}, {absl::ZeroDuration(), c.now},
    };
    for (const auto& [lead, phrase] : leads) {
      in.lead = lead;
      EXPECT_THAT(FirstSentence(RenderReminder(in)), HasSubstr(phrase));
    }
  }
}

TEST(RenderReminder, EachLanguageShowsTheParticipantsOtherDate) {
  // 19:00 in Brussels on 15 March is 03:00 on the 16th in Tokyo.
  const std::pair<const char*, const char*> cases[] = {
      {"en", "(03:00 on 16 March 2022 your time, Asia/Tokyo)"},
      {"it", "(per Lei il 16 marzo 2022 alle 03:00, Asia/Tokyo)"},
      {"el", "(για εσάς στις 16 Μαρτίου 2022 και ώρα 03:00, Asia/Tokyo)"},
      {"bg", "(на 16 март 2022 г. в 03:00 ч. Ваше време, Asia/Tokyo)"},
      {"fr", "(le 16 mars 2022 à 03:00 chez vous, Asia/Tokyo)"},
      {"de", "(bei Ihnen am 16. März 2022 um 03:00 Uhr, Asia/Tokyo)"},
      {"nl", "(bij u op 16 maart 2022 om 03:00, Asia/Tokyo)"},
  };
  ReminderMessageInput in = ThessalonikiWorkshop();
  in.venue_time_zone = "Europe/Brussels";
  in.venue_city = "Brussels";
  in.participant_time_zone = "Asia/Tokyo";
  in.starts = Utc(2022, 3, 15, 18, 0);
  for (const auto& [tag, part] : cases) {
    SCOPED_TRACE(tag);
    in.language = tag;
    EXPECT_THAT(FirstSentence(RenderReminder(in)), HasSubstr(part));
  }
}

TEST(RenderReminder, WritesEveryMonthInEachLanguage) {
  ReminderMessageInput in = ThessalonikiWorkshop();
  in.participant_time_zone.clear();
  in.language = "el";
  in.starts = Utc(2022, 5, 10, 7, 0);
  EXPECT_THAT(RenderReminder(in).subject, HasSubstr("10 Μαΐου 2022"));
  in.language = "bg";
  in.starts = Utc(2022, 12, 10, 7, 0);
  EXPECT_THAT(RenderReminder(in).subject, HasSubstr("10 декември 2022 г."));
  in.language = "fr";
  in.starts = Utc(2022, 8, 10, 7, 0);
  EXPECT_THAT(RenderReminder(in).subject, HasSubstr("10 août 2022"));
  in.language = "de";
  in.starts = Utc(2022, 10, 5, 7, 0);
  EXPECT_THAT(RenderReminder(in).subject, HasSubstr("5. Oktober 2022"));
}

TEST(RenderReminder, FrenchAndItalianWriteTheFirstOfTheMonthAsAnOrdinal) {
  ReminderMessageInput in = ThessalonikiWorkshop();
  in.starts = Utc(2022, 3, 1, 7, 30);
  in.language = "fr";
  EXPECT_THAT(RenderReminder(in).body, HasSubstr("le 1er mars 2022 à 09:30"));
  in.language = "it";
  EXPECT_THAT(RenderReminder(in).body, HasSubstr("1º marzo 2022, alle 09:30"));
  in.language = "de";
  EXPECT_THAT(RenderReminder(in).body, HasSubstr("am 1. März 2022 um 09:30"));
  in.language = "en";
  EXPECT_THAT(RenderReminder(in).body, HasSubstr("tomorrow, 1 March 2022,"));
}

TEST(RenderReminder, BulgarianSaysVavBeforeAVSound) {
  ReminderMessageInput in = ThessalonikiWorkshop();
  in.language = "bg";
  in.participant_time_zone.clear();
  in.venue_time_zone = "Europe/Sofia";
  in.venue_city = "Варна";
  EXPECT_THAT(RenderReminder(in).body, HasSubstr("в 09:30 ч. във Варна."));
  in.venue_city = "Пловдив";
  EXPECT_THAT(RenderReminder(in).body, HasSubstr("в 09:30 ч. в Пловдив."));
}

TEST(RenderReminder, MatchesTheLanguageByItsPrimarySubtag) {
  const std::pair<const char*, const char*> cases[] = {
      {"it-IT", "it"}, {"IT", "it"},    {"it_CH", "it"},
      {"el-GR", "el"}, {"BG", "bg"},    {"fr-BE", "fr"},
      {"de-AT", "de"}, {"nl-BE", "nl"}, {"en-GB", "en"},
  };
  ReminderMessageInput in = ThessalonikiWorkshop();
  for (const auto& [tag, used] : cases) {
    SCOPED_TRACE(tag);
    in.language = tag;
    EXPECT_EQ(RenderReminder(in).language, used);
  }
}

TEST(RenderReminder, FallsBackToEnglishForOtherTags) {
  ReminderMessageInput in = ThessalonikiWorkshop();
  const std::string english = RenderReminder(in).body;
  for (const char* tag : {"xx", "", "es", "ita", "-it", "english"}) {
    SCOPED_TRACE(tag);
    in.language = tag;
    const RenderedMessage m = RenderReminder(in);
    EXPECT_EQ(m.language, "en");
    EXPECT_EQ(m.body, english);
  }
}

TEST(RenderCancellationNotice, GivesTheVenueAndParticipantTimesAndTheReason) {
  ReminderMessageInput in = ThessalonikiWorkshop();
  in.recipient_name = "Ana";
  const RenderedMessage m =
      RenderCancellationNotice(in, "the venue is closed by a strike");
  EXPECT_EQ(m.language, "en");
  EXPECT_EQ(m.subject, "Cancelled: 3rd CONNECTION workshop");
  EXPECT_THAT(Lines(m),
              ElementsAre("Dear Ana,",
                          "3rd CONNECTION workshop, planned for 15 March "
                          "2022, 09:30 in Thessaloniki (08:30 your time, "
                          "Europe/Rome), has been cancelled.",
                          "Reason: the venue is closed by a strike"));
}

TEST(RenderCancellationNotice, LeavesOutTheReasonLineWithoutAReason) {
  const RenderedMessage m =
      RenderCancellationNotice(ThessalonikiWorkshop(), "");
  EXPECT_EQ(Lines(m).size(), 2u);
  EXPECT_THAT(m.body, Not(HasSubstr("Reason")));
}

TEST(RenderCancellationNotice, IsTranslatedIntoEachLanguage) {
  const std::pair<const char*, const char*> cases[] = {
      {"it",
       "L'evento «3rd CONNECTION workshop», previsto per il 15 marzo "
       "2022, alle 09:30 a Thessaloniki (per Lei alle 08:30, "
       "Europe/Rome), è stato annullato."},
      {"el",
       "Η εκδήλωση «3rd CONNECTION workshop», που είχε προγραμματιστεί "
       "για τις 15 Μαρτίου 2022, στις 09:30 στην πόλη Thessaloniki (για "
       "εσάς στις 08:30, Europe/Rome), ακυρώθηκε."},
      {"bg",
       "Събитието „3rd CONNECTION workshop“, насрочено за 15 март 2022 "
       "г., в 09:30 ч. в Thessaloniki (в 08:30 ч. Ваше време, "
       "Europe/Rome), е отменено."},
      {"fr",
       "L'événement «\u00a03rd CONNECTION workshop\u00a0», prévu le 15 "
       "mars 2022 à 09:30 à Thessaloniki (08:30 chez vous, "
       "Europe/Rome), est annulé."},
      {"de",
       "Die Veranstaltung „3rd CONNECTION workshop“ am 15. März 2022 um "
       "09:30 Uhr in Thessaloniki (bei Ihnen 08:30 Uhr, Europe/Rome) "
       "wurde abgesagt."},
      {"nl",
       "Het evenement “3rd CONNECTION workshop” op 15 maart 2022 om "
       "09:30 in Thessaloniki (bij u om 08:30, Europe/Rome) is "
       "geannuleerd."},
  };
  ReminderMessageInput in = ThessalonikiWorkshop();
  for (const auto& [tag, sentence] : cases) {
    SCOPED_TRACE(tag);
    in.language = tag;
    const RenderedMessage m = RenderCancellationNotice(in, "strike");
    EXPECT_EQ(m.language, tag);
    EXPECT_THAT(m.subject, HasSubstr("3rd CONNECTION workshop"));
    EXPECT_EQ(FirstSentence(m), sentence);
    EXPECT_EQ(Lines(m).size(), 3u);
    EXPECT_THAT(Lines(m).back(), HasSubstr("strike"));
  }
}

TEST(SupportedReminderLanguages, ListsTheSevenLanguagesEnglishFirst) {
  EXPECT_THAT(SupportedReminderLanguages(),
              ElementsAre("en", "it", "el", "bg", "fr", "de", "nl"));
}

TEST(RenderReminder, LeavesNoPlaceholderOrEmptyLineInAnyLanguage) {
  for (const std::string& tag : SupportedReminderLanguages()) {
    for (AttendanceMode mode :
         {AttendanceMode::kInPerson, AttendanceMode::kOnline}) {
      SCOPED_TRACE(tag);
      ReminderMessageInput in = ThessalonikiWorkshop();
      in.language = tag;
      in.mode = mode;
      in.session_title = "Opening";
      in.recipient_name = "Ana";
      for (const RenderedMessage& m :
           {RenderReminder(in), RenderCancellationNotice(in, "strike")}) {
        EXPECT_THAT(m.subject, Not(HasSubstr("$")));
        EXPECT_THAT(m.body, Not(HasSubstr("$")));
        for (const std::string& line : Lines(m)) EXPECT_FALSE(line.empty());
      }
    }
  }
}

}  // namespace
}  // namespace convene::core
