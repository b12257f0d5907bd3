// Unit tests of convene-web's pieces that need no server: escaping, the
// CSRF comparison and the session store (on a fake clock). The pages
// themselves are tested in a browser: tests/e2e/web_test.py.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include <grpcpp/grpcpp.h>

#include <memory>
#include <vector>

#include "absl/time/time.h"
#include "counts_stream.h"
#include "csrf.h"
#include "html_escape.h"
#include "search_fold.h"
#include "session_store.h"

namespace convene::web {
namespace {

TEST(EscapeHtml, EscapesEveryCharacterThatCanEndTextOrAnAttribute) {
  EXPECT_EQ(EscapeHtml("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert(1)&gt;");
  EXPECT_EQ(EscapeHtml(R"(a "b" & 'c')"), "a &quot;b&quot; &amp; &#39;c&#39;");
  EXPECT_EQ(EscapeHtml("Ana Kovač"), "Ana Kovač");
}

TEST(FoldForSearch, LowersAndStripsAccentsInLatinGreekAndCyrillic) {
  EXPECT_EQ(FoldForSearch("Ζωή Αλεξίου"), FoldForSearch("ΖΩΗ αλεξιου"));
  EXPECT_EQ(FoldForSearch("Οδυσσέας"), FoldForSearch("ΟΔΥΣΣΕΑΣ"));  // final sigma
  EXPECT_EQ(FoldForSearch("Иван Петров"), "иван петров");
  EXPECT_EQ(FoldForSearch("Éloïse Dubois"), "eloise dubois");
  EXPECT_EQ(FoldForSearch("Niccolò Ana Kovač Łukasz Ștefan Straße"),
            "niccolo ana kovac lukasz stefan strasse");
  EXPECT_EQ(FoldForSearch("E\xcc\x81loi\xcc\x88se"), "eloise");  // combining accents (NFD)
  EXPECT_EQ(FoldForSearch("thess-nikos_2 × 東京"), "thess-nikos_2 × 東京");
  EXPECT_EQ(FoldForSearch("a\xff\xc3"), "a\xff\xc3");  // not UTF-8: kept byte by byte
}

TEST(ConstantTimeEquals, ComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("", ""));  // an empty token never matches
}

TEST(RandomToken, Is64HexDigitsAndDoesNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string t = RandomToken();
    ASSERT_EQ(t.size(), 64u);
    EXPECT_EQ(t.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_TRUE(seen.insert(t).second);
  }
}

class SessionStoreTest : public ::testing::Test {
 protected:
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
  SessionStore Store(size_t max = 100) {
    return SessionStore({.max_sessions = max,
                         .idle_timeout = absl::Hours(1),
                         .max_events_per_session = 2},
                        [this] { return now_; });
  }
};

TEST_F(SessionStoreTest, SignInReplacesTheAnonymousSessionWithANewId) {
  SessionStore store = Store();
  Session anon = store.CreateAnonymous();
  EXPECT_FALSE(anon.signed_in());
  std::optional<Session> s = store.SignIn(anon.id, "secret", true);
  ASSERT_TRUE(s.has_value());
  EXPECT_NE(s->id, anon.id);
  EXPECT_NE(s->csrf, anon.csrf);
  EXPECT_FALSE(store.Find(anon.id).has_value());  // a planted id is worthless
  ASSERT_TRUE(store.Find(s->id).has_value());
  EXPECT_EQ(store.Find(s->id)->token, "secret");
  EXPECT_FALSE(store.SignIn(anon.id, "again", true).has_value());
}

TEST_F(SessionStoreTest, IdleSessionsExpire) {
  SessionStore store = Store();
  Session s = *store.SignIn(store.CreateAnonymous().id, "secret", true);
  now_ += absl::Minutes(59);
  EXPECT_TRUE(store.Find(s.id).has_value());  // and is used again
  now_ += absl::Minutes(59);
  EXPECT_TRUE(store.Find(s.id).has_value());
  now_ += absl::Minutes(61);
  EXPECT_FALSE(store.Find(s.id).has_value());
}

TEST_F(SessionStoreTest, AFullStoreDropsAnonymousSessionsFirst) {
  SessionStore store = Store(3);
  Session signed_in = *store.SignIn(store.CreateAnonymous().id, "secret", true);
  for (int i = 0; i < 10; ++i) {
    now_ += absl::Seconds(1);
    store.CreateAnonymous();
  }
  EXPECT_LE(store.size(), 3u);
  EXPECT_TRUE(store.Find(signed_in.id).has_value());
}

TEST_F(SessionStoreTest, RemembersAccessForABoundedNumberOfEvents) {
  SessionStore store = Store();
  Session s = *store.SignIn(store.CreateAnonymous().id, "secret", true);
  store.SetEventAccess(s.id, "ev_1", {.sees_people = true});
  store.SetEventAccess(s.id, "ev_2", {});
  store.SetEventAccess(s.id, "ev_3", {.checks_in = true});
  Session found = *store.Find(s.id);
  EXPECT_EQ(found.events.size(), 2u);
  EXPECT_TRUE(found.events.at("ev_3").checks_in);
}

// One token (a partner's integration token, say) could hold every live
// page convene-web serves, and everyone else's live page got "too many live
// pages are open". Each token gets its share; others still open theirs.
TEST(CountsStreams, OneTokenCannotHoldEveryLivePage) {
  // Nothing listens there: each watch's call fails, but a watch holds its
  // place until the page lets go of it, as an open page does.
  CountsStreams streams(
      grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()),
      {.max_streams = 8, .max_streams_per_token = 3});
  std::vector<std::shared_ptr<CountsWatch>> partner;
  for (int i = 0; i < 3; ++i) {
    partner.push_back(streams.Open("partner-token", "ev_a"));
    ASSERT_NE(partner.back(), nullptr) << i;
  }
  EXPECT_EQ(streams.Open("partner-token", "ev_b"), nullptr);
  std::vector<std::shared_ptr<CountsWatch>> organiser;
  for (int i = 0; i < 3; ++i) {
    organiser.push_back(streams.Open("organiser-token", "ev_b"));
    ASSERT_NE(organiser.back(), nullptr) << i;
  }
  partner.pop_back();  // a page closed: its place is free again
  EXPECT_NE(streams.Open("partner-token", "ev_a"), nullptr);
  streams.Shutdown();
}

}  // namespace
}  // namespace convene::web
