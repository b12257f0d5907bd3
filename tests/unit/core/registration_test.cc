#include "core/registration.h"

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

using ::testing::HasSubstr;

ParticipantInfo Giulia() {
  ParticipantInfo p;
  p.participant_id = "p1";
  p.display_name = "Giulia Conti";
  p.email = "giulia@example.org";
  return p;
}

TEST(PrepareParticipant, DropsSpacesAroundAndCollapsesSpacesInside) {
  ParticipantInfo p = Giulia();
  p.display_name = "  Giulia \xc2\xa0 Conti ";  // with a no-break space
  p.city = "Den  Haag\xe2\x80\xaf";             // narrow no-break space
  p.organisation = "\xef\xbb\xbfStad Gent";     // a byte-order mark
  p.email = " giulia@example.org\t";
  absl::StatusOr<ParticipantInfo> got = PrepareParticipant(p);
  // A tab is a control character: refused, not trimmed.
  ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(got.status().message(), HasSubstr("participant.email"));

  p.email = " giulia@example.org ";
  got = PrepareParticipant(p);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->display_name, "Giulia Conti");
  EXPECT_EQ(got->city, "Den Haag");
  EXPECT_EQ(got->organisation, "Stad Gent");
  EXPECT_EQ(got->email, "giulia@example.org");
}

TEST(PrepareParticipant, KeepsTextsWithoutExtraSpacesAsTheyAre) {
  ParticipantInfo p = Giulia();
  p.city = "Θεσσαλονίκη";
  p.organisation = "Università di Torino";
  absl::StatusOr<ParticipantInfo> got = PrepareParticipant(p);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->city, "Θεσσαλονίκη");
  EXPECT_EQ(got->organisation, "Università di Torino");
  EXPECT_EQ(got->display_name, "Giulia Conti");
}

TEST(PrepareParticipant, ANameOfSpacesOnlyIsNoName) {
  ParticipantInfo p = Giulia();
  p.display_name = " \xc2\xa0 ";
  absl::StatusOr<ParticipantInfo> got = PrepareParticipant(p);
  ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(got.status().message(), HasSubstr("participant.display_name"));
}

TEST(PrepareParticipant, AnEmailWithASpaceInsideIsStillRefused) {
  ParticipantInfo p = Giulia();
  p.email = "giulia conti@example.org";
  EXPECT_EQ(PrepareParticipant(p).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace convene::core
