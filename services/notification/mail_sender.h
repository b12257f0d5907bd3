// MailSender: hands one composed e-mail (core::ComposeMime) to an SMTP
// server through libcurl (smtp:// with STARTTLS when the server offers it,
// smtps:// with TLS from the start), retrying transient failures (4xx
// answers, a server that cannot be reached) with backoff, or, with no SMTP
// server configured, writes it as an .eml file into a directory. No gRPC and
// no Redis here: the mail worker decides what the outcome means.
//
//   MailSender sender({.smtp_url = "smtp://mail.example.org:587",
//                      .user = "convene", .password = password_from_file});
//   MailOutcome sent = sender.Send({"convene@example.org", "eleni@example.org",
//                                   "ev_1=2Fp1...", mime_text});
//   if (!sent.delivered) LogWarn(sent.failure_reason);
#ifndef CONVENE_NOTIFICATION_MAIL_SENDER_H_
#define CONVENE_NOTIFICATION_MAIL_SENDER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace convene::notification {

struct MailSenderOptions {
  // smtp://HOST:PORT or smtps://HOST:PORT; empty: write files to mail_dir.
  std::string smtp_url;
  std::string user;      // SMTP AUTH, when set
  std::string password;  // never logged or reported
  std::string mail_dir;  // where .eml files go without an SMTP server
  int max_attempts = 4;  // the first try plus retries
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(30);
  absl::Duration timeout = absl::Seconds(30);  // one attempt, connecting included
};

// OK when the options name a usable SMTP URL (smtp:// or smtps:// with a
// host) or a mail directory; the error names the flag and the reason.
absl::Status ValidateMailSenderOptions(const MailSenderOptions& options);

struct OutgoingMail {
  std::string envelope_from;  // addr-spec (core::CheckMailAddress)
  std::string envelope_to;    // addr-spec
  std::string file_stem;      // the .eml file's name without extension: [A-Za-z0-9._=-]
  std::string message;        // the whole RFC 5322 text, CRLF line ends
};

struct MailOutcome {
  bool delivered = false;
  int attempts = 0;
  // Why not: the server's last answer ("550 5.1.1 ... user unknown") or the
  // connection error; never the password.
  std::string failure_reason;
  // Where it went: the SMTP URL without credentials, or the file's path.
  std::string where;
};

class MailSender {
 public:
  explicit MailSender(MailSenderOptions options);

  // Blocking: up to max_attempts SMTP transactions with backoff between
  // them; a 5xx answer is final at once. Writing a file is one attempt.
  MailOutcome Send(const OutgoingMail& mail) const;

  bool smtp() const { return !options_.smtp_url.empty(); }

 private:
  MailOutcome WriteFile(const OutgoingMail& mail) const;

  MailSenderOptions options_;
};

}  // namespace convene::notification

#endif  // CONVENE_NOTIFICATION_MAIL_SENDER_H_
