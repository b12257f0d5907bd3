#include "core/pseudonym.h"

#include <gtest/gtest.h>

namespace convene::core {
namespace {

// What an integration consumer relies on: one person keeps one name in one
// event, and nothing in it gives the id away.
TEST(ParticipantPseudonym, IsStablePerEventAndKeyAndHidesTheId) {
  const std::string key = "0123456789abcdef0123456789abcdef";
  const std::string p = ParticipantPseudonym(key, "ev_1", "eleni@example.org");
  EXPECT_EQ(p, ParticipantPseudonym(key, "ev_1", "eleni@example.org"));
  EXPECT_EQ(p.size(), 3u + 24u);
  EXPECT_EQ(p.substr(0, 3), "pn_");
  EXPECT_EQ(p.find("eleni"), std::string::npos);
  EXPECT_NE(p, ParticipantPseudonym(key, "ev_2", "eleni@example.org"));
  EXPECT_NE(p, ParticipantPseudonym(key, "ev_1", "eleni@example.com"));
  EXPECT_NE(p, ParticipantPseudonym("another deployment", "ev_1", "eleni@example.org"));
  // The event and the id are not simply joined: ("ev_1", "2x") is not ("ev_12", "x").
  EXPECT_NE(ParticipantPseudonym(key, "ev_1", "2x"), ParticipantPseudonym(key, "ev_12", "x"));
  EXPECT_EQ(ParticipantPseudonym(key, "ev_1", ""), "");
}

}  // namespace
}  // namespace convene::core
