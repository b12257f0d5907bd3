// MailMessage: one e-mail as Convene sends it (a notice or a reminder), and
// its RFC 5322 / MIME text: multipart/alternative with a text/plain and a
// text/html part (both UTF-8, base64), header text outside ASCII as RFC 2047
// encoded words, CRLF line ends, no line over 78 characters.
//
//   core::MailMessage m;
//   m.from = {"Convene", "convene@example.org"};
//   m.to = {"Eleni Papadopoulou", "eleni@example.org"};
//   m.subject = "Υπενθύμιση: ...";
//   m.text = "...";
//   m.message_id = core::MessageIdFor("ev_1/p1/event-P1D/r3", "example.org");
//   std::string wire = core::ComposeMime(m, absl::Now());
//
// No I/O: the notification service hands the text to SMTP or to a file.
#ifndef CONVENE_CORE_MAIL_MESSAGE_H_
#define CONVENE_CORE_MAIL_MESSAGE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace convene::core {

struct MailAddress {
  std::string name;   // display name, any Unicode; may be empty
  std::string email;  // addr-spec
};

struct MailMessage {
  MailAddress from;
  MailAddress to;
  MailAddress reply_to;  // empty email: no Reply-To
  std::string subject;
  std::string text;  // the plain-text body; the HTML part is made from it
  std::string message_id;  // "<...@...>", see MessageIdFor
  // An iTIP invitation (text/calendar; method=...), sent as a third
  // alternative when not empty; `calendar_method` is "REQUEST" or "CANCEL".
  std::string calendar;
  std::string calendar_method;
  // Extra headers, ASCII names and values (X-Convene-Kind, ...).
  std::vector<std::pair<std::string, std::string>> headers;
};

// A Message-ID derived from a notification id alone, so that a message sent
// again (after a crash between the server's acceptance and our record of
// it) carries the same id and mail clients can tell it is a duplicate.
// Characters outside [A-Za-z0-9._-] are written as "=XX".
std::string MessageIdFor(absl::string_view notification_id, absl::string_view domain);

// The domain of an address ("convene@example.org" -> "example.org"), or
// "convene.invalid" when it has none.
std::string MailDomain(absl::string_view email);

// OK when `email` is a plain addr-spec Convene can put on an envelope: one
// '@', a non-empty local part and domain, no blanks, controls, angle
// brackets, quotes, commas or semicolons (nothing that would let an address
// smuggle in another header or recipient).
absl::Status CheckMailAddress(absl::string_view email);

// RFC 2047: `text` as is when it is printable ASCII without "=?", else as
// "=?UTF-8?B?...?=" words, each at most 75 characters, joined by folding
// whitespace so that no line of the header exceeds 78; `used` characters
// ("Subject: ") already stand on the first line.
std::string EncodeHeaderWord(absl::string_view text, size_t used = 0);

// The message as sent: headers, then the multipart/alternative body.
// `date` fills the Date header (RFC 5322 format, UTC).
std::string ComposeMime(const MailMessage& message, absl::Time date);

// The HTML alternative of a plain-text body: escaped, paragraphs on blank
// lines, line breaks kept, http(s) links made clickable.
std::string PlainTextToHtml(absl::string_view text, absl::string_view title);

}  // namespace convene::core

#endif  // CONVENE_CORE_MAIL_MESSAGE_H_
