// The e-mail text Convene sends: headers encoded per RFC 2047, a
// multipart/alternative body, a Message-ID that names the notification.
#include "core/mail_message.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

MailMessage Greek() {
  MailMessage m;
  m.from = {"Convene", "convene@example.org"};
  m.to = {"Ελένη Παπαδοπούλου", "eleni@example.org"};
  m.reply_to = {"Δήμος Θεσσαλονίκης", "connection@thessaloniki.gr"};
  m.subject = "Υπενθύμιση: Εργαστήριο CONNECTION αύριο στις 09:30 (Θεσσαλονίκη)";
  m.text = "Γεια σας Ελένη,\n\nτο εργαστήριο ξεκινά αύριο.\nhttps://meet.example.org/x?a=1&b=2\n";
  m.message_id = MessageIdFor("ev_1/thess-1/event-P1D/r3", "example.org");
  m.headers = {{"X-Convene-Kind", "reminder"},
               {"X-Convene-Notification-Id", "ev_1/thess-1/event-P1D/r3"}};
  return m;
}

// The decoded text of every "=?UTF-8?B?...?=" word in `header`, joined.
std::string DecodeWords(absl::string_view header) {
  std::string out;
  for (absl::string_view word : absl::StrSplit(header, "\r\n ")) {
    if (!absl::ConsumePrefix(&word, "=?UTF-8?B?") || !absl::ConsumeSuffix(&word, "?=")) {
      out += std::string(word);
      continue;
    }
    std::string decoded;
    EXPECT_TRUE(absl::Base64Unescape(word, &decoded)) << word;
    out += decoded;
  }
  return out;
}

TEST(MailMessage, AsciiHeaderTextStaysAsItIs) {
  EXPECT_EQ(EncodeHeaderWord("Reminder: CONNECTION workshop"), "Reminder: CONNECTION workshop");
  // Text that looks like an encoded word is encoded, not taken as one.
  EXPECT_THAT(EncodeHeaderWord("=?UTF-8?B?x?="), HasSubstr("=?UTF-8?B?PT9VVEYtOD9CP3g/PQ==?="));
}

TEST(MailMessage, NonAsciiHeaderTextIsEncodedInWordsOfWholeCharacters) {
  const std::string subject = Greek().subject;
  const std::string encoded = EncodeHeaderWord(subject, 9);
  EXPECT_EQ(DecodeWords(encoded), subject);
  bool first = true;
  for (absl::string_view line : absl::StrSplit(encoded, "\r\n")) {
    EXPECT_LE(line.size() + (first ? 9 : 0), 78u) << line;
    first = false;
  }
  // Each word decodes to whole UTF-8 characters on its own.
  for (absl::string_view word : absl::StrSplit(encoded, "\r\n ")) {
    std::string decoded;
    ASSERT_TRUE(absl::ConsumePrefix(&word, "=?UTF-8?B?") && absl::ConsumeSuffix(&word, "?="));
    ASSERT_TRUE(absl::Base64Unescape(word, &decoded));
    const unsigned char last_lead = static_cast<unsigned char>(decoded.back());
    EXPECT_LT(last_lead, 0xc0) << "a word ends inside a character";
  }
}

TEST(MailMessage, MessageIdNamesTheNotificationAndIsAValidMsgId) {
  EXPECT_EQ(MessageIdFor("ev_1/thess-1/event-P1D/r3", "example.org"),
            "<ev_1=2Fthess-1=2Fevent-P1D=2Fr3@example.org>");
  // Two notifications never share one; the same one always gets the same.
  EXPECT_NE(MessageIdFor("ev_1/a/b/r1", "x.org"), MessageIdFor("ev_1/a/b/r2", "x.org"));
  EXPECT_EQ(MessageIdFor("ev_1/a b<c>/x/r1", "x.org"), "<ev_1=2Fa=20b=3Cc=3E=2Fx=2Fr1@x.org>");
  // No leading, trailing or doubled dot is left in the dot-atom.
  EXPECT_EQ(MessageIdFor(".a..b.", "x.org"), "<=2Ea=2E.b=2E@x.org>");
  EXPECT_EQ(MailDomain("convene@example.org"), "example.org");
  EXPECT_EQ(MailDomain("nobody"), "convene.invalid");
}

TEST(MailMessage, AddressesThatCouldSmuggleHeadersOrRecipientsAreRefused) {
  EXPECT_TRUE(CheckMailAddress("eleni@example.org").ok());
  for (const char* bad : {"", "eleni", "@example.org", "eleni@", "a@b@c", "a b@c.org",
                          "a@c.org\r\nBcc: x@y.org", "a@c.org,b@d.org", "<a@c.org>", "a\"@c.org"}) {
    EXPECT_FALSE(CheckMailAddress(bad).ok()) << bad;
  }
}

TEST(MailMessage, AnAsciiDisplayNameWithSpecialsIsQuotedSoTheHeaderNamesOneAddress) {
  // The demo's organiser contact: a comma would otherwise split Reply-To
  // into two addresses, the first one "ANATOLIKI S.A." and invalid.
  MailMessage m = Greek();
  m.reply_to = {"ANATOLIKI S.A., CoP1", "connection@anatoliki.example"};
  m.to = {"Daan \"the host\" de Vries (Utrecht)", "daan@example.org"};
  const std::string wire = ComposeMime(m, absl::FromUnixSeconds(1647250200));
  EXPECT_THAT(wire, HasSubstr("Reply-To: \"ANATOLIKI S.A., CoP1\" <connection@anatoliki.example>\r\n"));
  EXPECT_THAT(wire, HasSubstr("To: \"Daan \\\"the host\\\" de Vries (Utrecht)\" <daan@example.org>\r\n"));
  EXPECT_THAT(wire, HasSubstr("From: Convene <convene@example.org>\r\n"));
}

TEST(MailMessage, ComposesHeadersAndTwoAlternativesWithCrlfAndShortLines) {
  const MailMessage m = Greek();
  const std::string wire = ComposeMime(m, absl::FromUnixSeconds(1647250200));  // 2022-03-14 09:30 UTC
  EXPECT_THAT(wire, HasSubstr("Date: Mon, 14 Mar 2022 09:30:00 +0000\r\n"));
  EXPECT_THAT(wire, HasSubstr("From: Convene <convene@example.org>\r\n"));
  EXPECT_THAT(wire, HasSubstr("To: =?UTF-8?B?"));
  EXPECT_THAT(wire, HasSubstr(" <eleni@example.org>\r\n"));
  EXPECT_THAT(wire, HasSubstr(" <connection@thessaloniki.gr>\r\n"));
  EXPECT_THAT(wire, HasSubstr("Message-ID: <ev_1=2Fthess-1=2Fevent-P1D=2Fr3@example.org>\r\n"));
  EXPECT_THAT(wire, HasSubstr("X-Convene-Kind: reminder\r\n"));
  EXPECT_THAT(wire, HasSubstr("X-Convene-Notification-Id: ev_1/thess-1/event-P1D/r3\r\n"));
  EXPECT_THAT(wire, HasSubstr("Content-Type: multipart/alternative; boundary="));
  EXPECT_THAT(wire, HasSubstr("Content-Type: text/plain; charset=UTF-8\r\n"));
  EXPECT_THAT(wire, HasSubstr("Content-Type: text/html; charset=UTF-8\r\n"));
  // Every line ends in CRLF and none is longer than 78.
  EXPECT_THAT(wire, Not(HasSubstr("\n\n")));
  for (size_t i = 0; i < wire.size(); ++i) {
    if (wire[i] == '\n') {
      ASSERT_TRUE(i > 0 && wire[i - 1] == '\r') << "bare LF at " << i;
    }
  }
  for (absl::string_view line : absl::StrSplit(wire, "\r\n")) {
    EXPECT_LE(line.size(), 78u) << line;
  }
  // The plain part decodes to the text, with CRLF line ends.
  const size_t start = wire.find("\r\n\r\n", wire.find("text/plain")) + 4;
  const size_t end = wire.find("--=_convene_", start);
  std::string plain;
  ASSERT_TRUE(absl::Base64Unescape(absl::StrReplaceAll(wire.substr(start, end - start), {{"\r\n", ""}}),
                                   &plain));
  EXPECT_EQ(plain, absl::StrReplaceAll(m.text, {{"\n", "\r\n"}}));
}

TEST(MailMessage, TheHtmlPartEscapesTextAndLinksUrls) {
  const std::string html = PlainTextToHtml(
      "Hello <img src=x onerror=alert(1)>,\n\njoin at https://meet.example.org/x?a=1&b=2 now", "T&C");
  EXPECT_THAT(html, HasSubstr("Hello &lt;img src=x onerror=alert(1)&gt;,</p>"));
  EXPECT_THAT(html, HasSubstr("<a href=\"https://meet.example.org/x?a=1&amp;b=2\">"));
  EXPECT_THAT(html, HasSubstr("<title>T&amp;C</title>"));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
}

}  // namespace
}  // namespace convene::core
