#include "core/language_tag.h"

#include "absl/status/status.h"
#include "core/registration.h"
#include "core/reminder_message.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

using ::testing::HasSubstr;

TEST(CheckLanguageTag, AcceptsTheTagsBrowsersAndOperatingSystemsSend) {
  for (const char* tag : {"it", "el", "fil", "it-IT", "IT", "pt-BR",
                          "zh-Hant-TW", "it_IT", "sr-Latn-RS", "de-CH-1996"}) {
    EXPECT_TRUE(CheckLanguageTag(tag, "participant.language").ok()) << tag;
  }
}

TEST(CheckLanguageTag, RefusesWhatIsNoTagNamingTheField) {
  for (const char* tag : {"i", "italiano", "it-", "-it", "it--IT", "1t",
                          "it-IT!", "it IT", "it-abcdefghi", "en-\xc3\xa9"}) {
    absl::Status s = CheckLanguageTag(tag, "participant.language");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << tag;
    EXPECT_THAT(s.message(), HasSubstr("participant.language")) << tag;
  }
  // Well-formed subtags, but longer than the 35 characters RFC 5646 asks
  // every implementation to store.
  EXPECT_FALSE(CheckLanguageTag("it-IT-aaaa-bbbb-cccc-dddd-eeee-ffff-gggg",
                                "participant.language").ok());
}

TEST(PrimaryLanguageOf, IsTheFirstSubtagInLowerCase) {
  EXPECT_EQ(PrimaryLanguageOf("it-IT"), "it");
  EXPECT_EQ(PrimaryLanguageOf("EL"), "el");
  EXPECT_EQ(PrimaryLanguageOf("nl_BE"), "nl");
  EXPECT_EQ(PrimaryLanguageOf(""), "");
}

// What Register accepts and what the reminder text is written in come from
// one definition: a tag the renderer reads as Italian is a tag Register takes.
TEST(ValidateParticipant, AcceptsARegionalTagTheRemindersAreWrittenIn) {
  ParticipantInfo p;
  p.participant_id = "p1";
  p.display_name = "Giulia Conti";
  p.email = "giulia@example.org";
  p.language = "it-IT";
  EXPECT_TRUE(ValidateParticipant(p).ok()) << ValidateParticipant(p);
  p.language = "it_IT";
  EXPECT_TRUE(ValidateParticipant(p).ok()) << ValidateParticipant(p);
  p.language = "italiano";
  EXPECT_EQ(ValidateParticipant(p).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace convene::core
