#include "core/mail_message.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace convene::core {
namespace {

constexpr absl::string_view kCrlf = "\r\n";

bool PrintableAscii(absl::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return !absl::StrContains(text, "=?");
}

// Base64 of `data` in lines of 76 characters, each ended by CRLF.
std::string Base64Lines(absl::string_view data) {
  const std::string encoded = absl::Base64Escape(data);
  std::string out;
  for (size_t i = 0; i < encoded.size(); i += 76) {
    absl::StrAppend(&out, absl::string_view(encoded).substr(i, 76), kCrlf);
  }
  return out;
}

// The length of the UTF-8 sequence starting with `lead` (1 for a stray
// continuation byte, so that splitting never loops).
size_t Utf8Length(unsigned char lead) {
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  if (lead >= 0xc0) return 2;
  return 1;
}

// "Name <email>" with the name encoded, or the bare address; `used`
// characters stand before it on the line. The address goes on a line of its
// own when it would not fit after the name.
std::string FormatAddress(const MailAddress& a, size_t used) {
  if (a.name.empty()) return a.email;
  // RFC 5322's specials may not stand bare in a display name: a comma
  // would split the header into two addresses. Printable ASCII goes into a
  // quoted-string; anything else into encoded words, which may hold them.
  std::string name;
  if (!PrintableAscii(a.name)) {
    name = EncodeHeaderWord(a.name, used);
  } else if (a.name.find_first_of("\"\\()<>@,;:[].") == std::string::npos) {
    name = a.name;
  } else {
    name = absl::StrCat("\"", absl::StrReplaceAll(a.name, {{"\\", "\\\\"}, {"\"", "\\\""}}), "\"");
  }
  const size_t fold = name.rfind('\n');
  const size_t last_line = fold == std::string::npos ? used + name.size() : name.size() - fold - 1;
  const std::string address = absl::StrCat("<", a.email, ">");
  return absl::StrCat(name, last_line + 1 + address.size() > 78 ? "\r\n " : " ", address);
}

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// One escaped line, with http(s) URLs (up to the next blank) as links.
std::string HtmlLine(absl::string_view line) {
  std::string out;
  while (!line.empty()) {
    size_t at = line.find("https://");
    const size_t http = line.find("http://");
    if (http < at) at = http;
    if (at == absl::string_view::npos) {
      out += HtmlEscape(line);
      break;
    }
    out += HtmlEscape(line.substr(0, at));
    size_t end = line.find_first_of(" \t", at);
    if (end == absl::string_view::npos) end = line.size();
    const std::string url = HtmlEscape(line.substr(at, end - at));
    absl::StrAppend(&out, "<a href=\"", url, "\">", url, "</a>");
    line.remove_prefix(end);
  }
  return out;
}

}  // namespace

std::string MessageIdFor(absl::string_view notification_id, absl::string_view domain) {
  std::string local;
  for (unsigned char c : notification_id) {
    if (absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-') {
      local += static_cast<char>(c);
    } else {
      absl::StrAppendFormat(&local, "=%02X", c);
    }
  }
  // No leading, trailing or doubled dots in a dot-atom.
  for (size_t i = 0; i < local.size(); ++i) {
    if (local[i] == '.' && (i == 0 || i + 1 == local.size() || local[i + 1] == '.')) {
      local.replace(i, 1, "=2E");
    }
  }
  return absl::StrCat("<", local, "@", domain, ">");
}

std::string MailDomain(absl::string_view email) {
  const size_t at = email.rfind('@');
  if (at == absl::string_view::npos || at + 1 == email.size()) return "convene.invalid";
  return std::string(email.substr(at + 1));
}

absl::Status CheckMailAddress(absl::string_view email) {
  if (email.empty()) return absl::InvalidArgumentError("is empty");
  if (email.size() > 254) return absl::InvalidArgumentError("is longer than 254 characters");
  const size_t at = email.find('@');
  if (at == absl::string_view::npos || at == 0 || at + 1 == email.size() ||
      email.find('@', at + 1) != absl::string_view::npos) {
    return absl::InvalidArgumentError("is not local-part@domain");
  }
  for (unsigned char c : email) {
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"' || c == ',' || c == ';' ||
        c == '\\' || c == '(' || c == ')') {
      return absl::InvalidArgumentError("holds a blank, control or special character");
    }
  }
  return absl::OkStatus();
}

std::string EncodeHeaderWord(absl::string_view text, size_t used) {
  if (PrintableAscii(text)) return std::string(text);
  // Each word "=?UTF-8?B?" + base64 + "?=" stays within 75 characters and
  // its line within 78: 12 of framing, the rest base64 of whole characters
  // (3 bytes of text per 4 of base64). Later words follow a fold's blank.
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    const size_t on_line = words.empty() ? used : 1;
    const size_t room = std::min<size_t>(75, on_line < 66 ? 78 - on_line : 12);
    const size_t max_bytes = std::max<size_t>(4, (room - 12) / 4 * 3);
    size_t end = i;
    while (end < text.size()) {
      const size_t n = Utf8Length(static_cast<unsigned char>(text[end]));
      if (end + n - i > max_bytes) break;
      end += n;
    }
    if (end == i) end = std::min(text.size(), i + max_bytes);
    words.push_back(absl::StrCat("=?UTF-8?B?", absl::Base64Escape(text.substr(i, end - i)), "?="));
    i = end;
  }
  // Folding whitespace between encoded words is not part of the text.
  return absl::StrJoin(words, "\r\n ");
}

std::string PlainTextToHtml(absl::string_view text, absl::string_view title) {
  std::string body;
  for (absl::string_view paragraph : absl::StrSplit(text, "\n\n")) {
    if (absl::StripAsciiWhitespace(paragraph).empty()) continue;
    std::vector<std::string> lines;
    for (absl::string_view line : absl::StrSplit(paragraph, '\n')) lines.push_back(HtmlLine(line));
    absl::StrAppend(&body, "<p>", absl::StrJoin(lines, "<br>\n"), "</p>\n");
  }
  return absl::StrCat("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>",
                      HtmlEscape(title), "</title></head>\n<body>\n", body, "</body></html>\n");
}

std::string ComposeMime(const MailMessage& m, absl::Time date) {
  // The boundary comes from the message id: stable for a resend, and it
  // cannot occur in base64 parts (it holds '=' and '_').
  uint64_t h = 14695981039346656037ull;  // FNV-1a: the same in every process
  for (unsigned char c : m.message_id) h = (h ^ c) * 1099511628211ull;
  const std::string boundary = absl::StrFormat("=_convene_%016x", h);
  std::string out;
  auto header = [&](absl::string_view name, absl::string_view value) {
    absl::StrAppend(&out, name, ": ", value, kCrlf);
  };
  header("Date", absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", date, absl::UTCTimeZone()));
  header("From", FormatAddress(m.from, 6));
  header("To", FormatAddress(m.to, 4));
  if (!m.reply_to.email.empty()) header("Reply-To", FormatAddress(m.reply_to, 10));
  header("Subject", EncodeHeaderWord(m.subject, 9));
  header("Message-ID", m.message_id);
  for (const auto& [name, value] : m.headers) header(name, value);
  header("MIME-Version", "1.0");
  header("Content-Type", absl::StrCat("multipart/alternative; boundary=\"", boundary, "\""));
  absl::StrAppend(&out, kCrlf);
  std::string text = absl::StrReplaceAll(m.text, {{"\r\n", "\n"}});
  text = absl::StrReplaceAll(text, {{"\n", "\r\n"}});
  absl::StrAppend(&out, "--", boundary, kCrlf, "Content-Type: text/plain; charset=UTF-8", kCrlf,
                  "Content-Transfer-Encoding: base64", kCrlf, kCrlf, Base64Lines(text));
  absl::StrAppend(&out, "--", boundary, kCrlf, "Content-Type: text/html; charset=UTF-8", kCrlf,
                  "Content-Transfer-Encoding: base64", kCrlf, kCrlf,
                  Base64Lines(PlainTextToHtml(m.text, m.subject)));
  if (!m.calendar.empty()) {
    absl::StrAppend(&out, "--", boundary, kCrlf, "Content-Type: text/calendar; charset=UTF-8; method=",
                    m.calendar_method.empty() ? "REQUEST" : m.calendar_method, kCrlf,
                    "Content-Transfer-Encoding: base64", kCrlf, kCrlf, Base64Lines(m.calendar));
  }
  absl::StrAppend(&out, "--", boundary, "--", kCrlf);
  return out;
}

}  // namespace convene::core
