#include "notification/mail_sender.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/backoff.h"
#include "notification/curl_global_init.h"

namespace convene::notification {
namespace {

struct Upload {
  const std::string* data;
  size_t sent = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, up->data->size() - up->sent);
  std::memcpy(buffer, up->data->data() + up->sent, n);
  up->sent += n;
  return n;
}

struct Attempt {
  CURLcode code = CURLE_OK;
  long smtp_code = 0;  // the server's last answer, 0 if none came
  std::string detail;  // curl's error buffer
};

Attempt SmtpOnce(const MailSenderOptions& o, const OutgoingMail& mail) {
  Attempt attempt;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) {
    attempt.code = CURLE_FAILED_INIT;
    return attempt;
  }
  CURL* h = curl.get();
  const std::string from = absl::StrCat("<", mail.envelope_from, ">");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt(
      curl_slist_append(nullptr, absl::StrCat("<", mail.envelope_to, ">").c_str()),
      curl_slist_free_all);
  char error_buffer[CURL_ERROR_SIZE] = {};
  Upload upload{&mail.message};
  const long timeout_ms = static_cast<long>(absl::ToInt64Milliseconds(o.timeout));
  CURLcode set = CURLE_OK;
  auto check = [&](CURLcode rc) {
    if (set == CURLE_OK) set = rc;
  };
  check(curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer));
  check(curl_easy_setopt(h, CURLOPT_URL, o.smtp_url.c_str()));
  check(curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps"));
  // smtp://: STARTTLS when the server offers it; smtps://: TLS throughout.
  check(curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY)));
  if (!o.user.empty()) {
    check(curl_easy_setopt(h, CURLOPT_USERNAME, o.user.c_str()));
    check(curl_easy_setopt(h, CURLOPT_PASSWORD, o.password.c_str()));
  }
  check(curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str()));
  check(curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt.get()));
  check(curl_easy_setopt(h, CURLOPT_READFUNCTION, ReadUpload));
  check(curl_easy_setopt(h, CURLOPT_READDATA, &upload));
  check(curl_easy_setopt(h, CURLOPT_UPLOAD, 1L));
  check(curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
                         static_cast<curl_off_t>(mail.message.size())));
  check(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L));
  check(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms));
  check(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms));
  if (set != CURLE_OK) {
    attempt.code = set;
    return attempt;
  }
  attempt.code = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &attempt.smtp_code);
  attempt.detail = error_buffer;
  return attempt;
}

// The URL as shown in logs and reasons: no user or password in it.
std::string Shown(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  return absl::StrCat(url.substr(0, scheme + 3), url.substr(at + 1));
}

}  // namespace

absl::Status ValidateMailSenderOptions(const MailSenderOptions& o) {
  if (!o.smtp_url.empty()) {
    absl::string_view rest = o.smtp_url;
    if (!absl::ConsumePrefix(&rest, "smtp://") && !absl::ConsumePrefix(&rest, "smtps://")) {
      return absl::InvalidArgumentError("--smtp_url: must start with smtp:// or smtps://");
    }
    if (rest.empty() || rest.front() == ':' || rest.front() == '/') {
      return absl::InvalidArgumentError("--smtp_url: names no host");
    }
    if (absl::StrContains(rest, '@')) {
      return absl::InvalidArgumentError(
          "--smtp_url: must not hold a user or password; use --smtp_user and "
          "--smtp_password_file");
    }
    return absl::OkStatus();
  }
  if (o.mail_dir.empty()) {
    return absl::InvalidArgumentError("--smtp_url or --mail_dir: one is needed to send e-mail");
  }
  return absl::OkStatus();
}

MailSender::MailSender(MailSenderOptions options) : options_(std::move(options)) {
  options_.max_attempts = std::max(1, options_.max_attempts);
  options_.timeout = std::clamp(options_.timeout, absl::Milliseconds(1), absl::Minutes(10));
}

MailOutcome MailSender::WriteFile(const OutgoingMail& mail) const {
  MailOutcome out;
  out.attempts = 1;
  // Named by the notification: a message written again replaces itself.
  const std::string path = absl::StrCat(options_.mail_dir, "/", mail.file_stem, ".eml");
  const std::string temp = absl::StrCat(path, ".tmp");
  out.where = path;
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    out.failure_reason = absl::StrCat("cannot write ", temp, ": ", std::strerror(errno));
    return out;
  }
  size_t written = 0;
  while (written < mail.message.size()) {
    const ssize_t n = ::write(fd, mail.message.data() + written, mail.message.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      out.failure_reason = absl::StrCat("cannot write ", temp, ": ", std::strerror(errno));
      ::close(fd);
      ::unlink(temp.c_str());
      return out;
    }
    written += static_cast<size_t>(n);
  }
  ::close(fd);
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    out.failure_reason = absl::StrCat("cannot rename to ", path, ": ", std::strerror(errno));
    ::unlink(temp.c_str());
    return out;
  }
  out.delivered = true;
  return out;
}

MailOutcome MailSender::Send(const OutgoingMail& mail) const {
  if (options_.smtp_url.empty()) return WriteFile(mail);
  MailOutcome out;
  out.where = Shown(options_.smtp_url);
  if (CURLcode init = CurlGlobalInitOnce(); init != CURLE_OK) {
    out.failure_reason = absl::StrCat("libcurl: ", curl_easy_strerror(init));
    return out;
  }
  core::Backoff backoff(options_.initial_backoff, options_.max_backoff);
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    out.attempts = attempt;
    const Attempt a = SmtpOnce(options_, mail);
    if (a.code == CURLE_OK) {
      out.delivered = true;
      out.failure_reason.clear();
      return out;
    }
    const bool answered = a.smtp_code >= 200;
    out.failure_reason =
        answered ? absl::StrCat("SMTP ", a.smtp_code, " from ", out.where, ": ",
                                a.detail.empty() ? curl_easy_strerror(a.code) : a.detail)
                 : absl::StrCat(out.where, ": ",
                                a.detail.empty() ? curl_easy_strerror(a.code) : a.detail);
    // 5xx is the server's final word (unknown user, refused sender, bad
    // credentials); 4xx and no answer at all may pass.
    if (a.smtp_code >= 500) return out;
    if (attempt < options_.max_attempts) absl::SleepFor(backoff.Next());
  }
  return out;
}

}  // namespace convene::notification
