#include "core/page_token.h"

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

TEST(PageToken, GivesBackThePositionForTheSameListAndFilters) {
  // Filters are caller texts: a '|' in them must not confuse the decoder.
  const std::string filters = "ev_1,CoP|1,Gent";
  const std::string token = EncodePageToken("v1", "1700000000000|ev_2", filters);
  absl::StatusOr<std::string> position = DecodePageToken(token, "v1", filters, "ListEvents");
  ASSERT_TRUE(position.ok()) << position.status();
  EXPECT_EQ(*position, "1700000000000|ev_2");
}

TEST(PageToken, RefusesATokenOfAnotherListOrOtherFiltersOrNoTokenAtAll) {
  const std::string token = EncodePageToken("n1", "50", "ev_1,0");
  for (const auto& [tag, filters, text] :
       {std::tuple<std::string, std::string, std::string>{"s1", "ev_1,0", token},
        {"n1", "ev_2,0", token},
        {"n1", "ev_1,3", token},
        {"n1", "ev_1,0", "50"},
        {"n1", "ev_1,0", "not base64!"}}) {
    absl::StatusOr<std::string> position = DecodePageToken(text, tag, filters, "ListNotifications");
    EXPECT_EQ(position.status(),
              absl::InvalidArgumentError(
                  "page_token: not a token from ListNotifications with these filters"))
        << tag << " " << filters << " " << text;
  }
}

TEST(PageToken, TakesOnlyTheOffsetsItWrites) {
  EXPECT_EQ(*DecodeOffsetPageToken("", "n1", "f", "L"), 0);
  EXPECT_EQ(*DecodeOffsetPageToken(EncodePageToken("n1", "0", "f"), "n1", "f", "L"), 0);
  EXPECT_EQ(*DecodeOffsetPageToken(EncodePageToken("n1", "150", "f"), "n1", "f", "L"), 150);
  EXPECT_EQ(*DecodeOffsetPageToken(EncodePageToken("n1", absl::StrCat(kMaxPageOffset), "f"),
                                   "n1", "f", "L"),
            kMaxPageOffset);
  // Well-formed tokens around offsets this service never writes (INT64_MAX
  // would overflow offset + page size).
  for (const std::string& offset :
       std::vector<std::string>{"+3", " 4", "4 ", "05", "-1", "", "1e3",
                                absl::StrCat(kMaxPageOffset + 1), "9223372036854775807",
                                "99999999999999999999"}) {
    EXPECT_FALSE(DecodeOffsetPageToken(EncodePageToken("n1", offset, "f"), "n1", "f", "L").ok())
        << "\"" << offset << "\"";
  }
}

TEST(PageToken, ReadsNumbersOnlyAsItWritesThem) {
  int64_t signed_value = 0;
  EXPECT_TRUE(ParseIssuedNumber("-5", -10, 10, signed_value));
  EXPECT_EQ(signed_value, -5);
  EXPECT_TRUE(ParseIssuedNumber("0", 0, 0, signed_value));
  for (const char* text : {"+5", " 5", "5 ", "05", "-0", "", "11", "-11", "5-"}) {
    EXPECT_FALSE(ParseIssuedNumber(text, -10, 10, signed_value)) << "\"" << text << "\"";
  }
  uint64_t unsigned_value = 0;
  EXPECT_TRUE(ParseIssuedNumber("18446744073709551615", unsigned_value));
  EXPECT_EQ(unsigned_value, UINT64_MAX);
  for (const char* text : {"18446744073709551616", "-1", "+1", "01", " 1", "1 ", ""}) {
    EXPECT_FALSE(ParseIssuedNumber(text, unsigned_value)) << "\"" << text << "\"";
  }
}

}  // namespace
}  // namespace convene::core
