#include "notification/webhook_sender.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace convene::notification {
namespace {

constexpr size_t kMaxUrlLength = 2000;
constexpr size_t kMinSecretLength = 16;
constexpr size_t kMaxSecretLength = 256;
constexpr size_t kMaxIdempotencyKeyLength = 256;
// Receivers have nothing to tell us in a body; reading a little of it lets a
// connection finish cleanly, reading all of it would let one endpoint stream
// at us until the timeout.
constexpr size_t kMaxResponseBytes = 64 * 1024;
constexpr absl::Duration kMaxRequestTimeout = absl::Minutes(10);

// The parts of a checked URL that failure messages may name. The path and
// query are left out on purpose: endpoints often carry a token there.
struct UrlEndpoint {
  std::string host;  // as written; an IPv6 address keeps its brackets
  int port = 0;      // the explicit port, or the scheme's default
};

absl::Status UrlError(absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat("webhook.url: ", reason));
}

bool IsHostNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '.' || c == '_';
}

bool IsIpv6LiteralChar(char c) {
  return absl::ascii_isxdigit(static_cast<unsigned char>(c)) || c == ':' ||
         c == '.';
}

absl::StatusOr<UrlEndpoint> ParseWebhookUrl(absl::string_view url) {
  if (url.empty()) return UrlError("is empty");
  if (url.size() > kMaxUrlLength) {
    return UrlError(
        absl::StrCat("is longer than ", kMaxUrlLength, " characters"));
  }
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return UrlError("contains whitespace or a control character");
    }
  }

  UrlEndpoint endpoint;
  absl::string_view rest = url;
  if (absl::StartsWithIgnoreCase(rest, "http://")) {
    rest.remove_prefix(7);
    endpoint.port = 80;
  } else if (absl::StartsWithIgnoreCase(rest, "https://")) {
    rest.remove_prefix(8);
    endpoint.port = 443;
  } else {
    return UrlError("must start with http:// or https://");
  }

  const absl::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  // Refused rather than stripped: credentials do not belong in stored
  // configuration, and "trusted.example@evil.example" misleads readers.
  if (absl::StrContains(authority, '@')) {
    return UrlError("must not contain user info (user:password@)");
  }
  if (authority.empty()) return UrlError("has no host");

  absl::string_view host;
  absl::string_view after_host;
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) {
      return UrlError("has an unterminated [IPv6] address");
    }
    const absl::string_view literal = authority.substr(1, close - 1);
    if (literal.empty() ||
        !std::all_of(literal.begin(), literal.end(), IsIpv6LiteralChar)) {
      return UrlError("has an invalid [IPv6] address");
    }
    host = authority.substr(0, close + 1);
    after_host = authority.substr(close + 1);
    if (!after_host.empty() && after_host.front() != ':') {
      return UrlError("has characters after the [IPv6] address");
    }
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    after_host = colon == absl::string_view::npos ? absl::string_view()
                                                  : authority.substr(colon);
    if (host.empty()) return UrlError("has no host");
    if (!std::all_of(host.begin(), host.end(), IsHostNameChar)) {
      return UrlError(
          "host may contain only letters, digits, '-', '.' and '_' (use the "
          "xn-- form of an international name)");
    }
  }

  // after_host is empty or ":port"; an empty port means the default one.
  if (after_host.size() > 1) {
    const absl::string_view port_text = after_host.substr(1);
    int port = 0;
    if (port_text.size() > 5 ||
        !std::all_of(port_text.begin(), port_text.end(),
                     [](char c) {
                       return absl::ascii_isdigit(
                           static_cast<unsigned char>(c));
                     }) ||
        !absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
      return UrlError("port must be a number from 1 to 65535");
    }
    endpoint.port = port;
  }
  endpoint.host = std::string(host);
  return endpoint;
}

// The key goes into a header line, so CR/LF would let it add headers.
absl::Status ValidateIdempotencyKey(absl::string_view key) {
  if (key.empty()) {
    return absl::InvalidArgumentError("webhook.idempotency_key: is empty");
  }
  if (key.size() > kMaxIdempotencyKeyLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("webhook.idempotency_key: is longer than ",
                     kMaxIdempotencyKeyLength, " characters"));
  }
  for (char c : key) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return absl::InvalidArgumentError(
          "webhook.idempotency_key: may contain only printable ASCII without "
          "spaces");
    }
  }
  return absl::OkStatus();
}

// curl_global_init is not safe to race with itself or with other threads'
// curl use on older libcurls, so it runs exactly once, before any handle.
CURLcode CurlGlobalInitOnce() {
  static std::once_flag once;
  static CURLcode result = CURLE_FAILED_INIT;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return result;
}

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlHeaders = std::unique_ptr<curl_slist, CurlSlistDeleter>;

struct BodySink {
  size_t bytes = 0;
  bool truncated = false;
};

size_t DiscardBody(char* /*data*/, size_t size, size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const size_t n = size * count;
  sink->bytes += n;
  if (sink->bytes > kMaxResponseBytes) {
    sink->truncated = true;
    return 0;  // anything but n makes curl stop with CURLE_WRITE_ERROR
  }
  return n;
}

// strerror_r comes in an XSI flavour (returns int) and a GNU one (returns
// char*); these pick whichever this libc has. strerror() itself is not
// thread-safe.
[[maybe_unused]] const char* StrerrorResult(int rc, const char* buffer) {
  return rc == 0 ? buffer : "unknown error";
}
[[maybe_unused]] const char* StrerrorResult(const char* text,
                                            const char* /*buffer*/) {
  return text;
}
std::string ErrnoText(long error) {
  char buffer[256] = {};
  return StrerrorResult(
      strerror_r(static_cast<int>(error), buffer, sizeof(buffer)), buffer);
}

// What one POST came to.
struct Attempt {
  CURLcode code = CURLE_OK;  // CURLE_OK: an HTTP answer arrived
  long http_status = 0;
  long os_errno = 0;
  curl_off_t retry_after_seconds = 0;
  std::string curl_detail;  // curl's error buffer, may be empty
};

Attempt PostOnce(const WebhookDelivery& delivery, const std::string& signature,
                 long timeout_ms) {
  Attempt attempt;
  CurlEasy curl(curl_easy_init());
  if (curl == nullptr) {
    attempt.code = CURLE_FAILED_INIT;
    return attempt;
  }

  CurlHeaders headers;
  for (const std::string& line :
       {std::string("Content-Type: application/json"),
        absl::StrCat("X-Convene-Signature: ", signature),
        absl::StrCat("X-Convene-Idempotency-Key: ", delivery.idempotency_key),
        // curl would otherwise send "Expect: 100-continue" for bodies over
        // 1 KiB and wait for an interim answer many receivers never send.
        std::string("Expect:")}) {
    curl_slist* appended = curl_slist_append(headers.get(), line.c_str());
    if (appended == nullptr) {
      attempt.code = CURLE_OUT_OF_MEMORY;
      return attempt;
    }
    headers.release();
    headers.reset(appended);
  }

  char error_buffer[CURL_ERROR_SIZE] = {};
  BodySink sink;
  CURL* h = curl.get();
  CURLcode set = CURLE_OK;
  auto check = [&set](CURLcode rc) {
    if (set == CURLE_OK) set = rc;
  };
  check(curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer));
  check(curl_easy_setopt(h, CURLOPT_URL, delivery.url.c_str()));
  // Belt and braces next to ValidateWebhookUrl: whatever the URL says, curl
  // may speak only HTTP(S), and never follows a redirect elsewhere.
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85.0 added the _STR forms
  check(curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https"));
  check(curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
#else
  check(curl_easy_setopt(h, CURLOPT_PROTOCOLS,
                         static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS)));
  check(curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS,
                         static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS)));
#endif
  check(curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L));
  // Without this, curl's DNS timeouts use SIGALRM, which is not safe with
  // several threads.
  check(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L));
  check(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms));
  check(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms));
  check(curl_easy_setopt(h, CURLOPT_POST, 1L));
  check(curl_easy_setopt(h, CURLOPT_POSTFIELDS, delivery.body_json.data()));
  check(curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(delivery.body_json.size())));
  check(curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get()));
  check(curl_easy_setopt(h, CURLOPT_USERAGENT, "convene-notification"));
  check(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, DiscardBody));
  check(curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink));
  if (set != CURLE_OK) {
    // Sending without one of these (say, the protocol limit) is worse than
    // not sending.
    attempt.code = set;
    return attempt;
  }

  attempt.code = curl_easy_perform(h);
  if (attempt.code == CURLE_WRITE_ERROR && sink.truncated) {
    attempt.code = CURLE_OK;  // the status line is all we wanted
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &attempt.http_status);
  curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &attempt.os_errno);
  curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &attempt.retry_after_seconds);
  attempt.curl_detail = error_buffer;
  return attempt;
}

enum class Verdict { kDelivered, kRetry, kFinal };

Verdict Judge(const Attempt& attempt) {
  if (attempt.code == CURLE_OK) {
    const long s = attempt.http_status;
    if (s >= 200 && s < 300) return Verdict::kDelivered;
    if (s == 408 || s == 429 || s >= 500) return Verdict::kRetry;
    return Verdict::kFinal;
  }
  switch (attempt.code) {
    // The network or the endpoint may be back in a moment.
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return Verdict::kRetry;
    // E.g. a certificate that does not verify, or a URL curl refuses: the
    // same request will fail the same way.
    default:
      return Verdict::kFinal;
  }
}

std::string AttemptsText(int attempts) {
  return absl::StrCat(attempts, attempts == 1 ? " attempt" : " attempts");
}

std::string DescribeFailure(const Attempt& attempt, const UrlEndpoint& endpoint,
                            absl::Duration timeout, int attempts) {
  if (attempt.code == CURLE_OK) {
    const long s = attempt.http_status;
    std::string text =
        absl::StrCat("HTTP ", s, " after ", AttemptsText(attempts));
    if (s >= 300 && s < 400) {
      absl::StrAppend(&text, " (redirects are not followed)");
    } else if (s < 500 && s != 408 && s != 429) {
      absl::StrAppend(&text, " (not retried)");
    }
    return text;
  }
  const std::string where = absl::StrCat(endpoint.host, ":", endpoint.port);
  std::string text;
  switch (attempt.code) {
    case CURLE_COULDNT_CONNECT:
      text = absl::StrCat("connect to ", where, " failed: ",
                          attempt.os_errno != 0
                              ? ErrnoText(attempt.os_errno)
                              : std::string(curl_easy_strerror(attempt.code)));
      break;
    case CURLE_OPERATION_TIMEDOUT:
      text = absl::StrCat("request to ", where, " timed out after ",
                          absl::FormatDuration(timeout));
      break;
    case CURLE_COULDNT_RESOLVE_HOST:
      text = absl::StrCat("resolving host ", endpoint.host, " failed");
      break;
    default:
      text = absl::StrCat("request to ", where,
                          " failed: ", curl_easy_strerror(attempt.code));
      if (!attempt.curl_detail.empty()) {
        absl::StrAppend(&text, " (", attempt.curl_detail, ")");
      }
      break;
  }
  absl::StrAppend(&text, " (after ", AttemptsText(attempts), ")");
  return text;
}

WebhookSenderOptions Clamped(WebhookSenderOptions options) {
  options.max_attempts = std::max(options.max_attempts, 1);
  options.initial_backoff =
      std::max(options.initial_backoff, absl::ZeroDuration());
  options.max_backoff = std::max(options.max_backoff, absl::ZeroDuration());
  options.request_timeout = std::clamp(
      options.request_timeout, absl::Milliseconds(1), kMaxRequestTimeout);
  return options;
}

}  // namespace

WebhookSender::WebhookSender(WebhookSenderOptions options,
                             std::function<void(absl::Duration)> sleep)
    : options_(Clamped(options)), sleep_(std::move(sleep)) {
  if (!sleep_) sleep_ = [](absl::Duration d) { absl::SleepFor(d); };
}

WebhookOutcome WebhookSender::Deliver(const WebhookDelivery& delivery) const {
  WebhookOutcome outcome;
  absl::StatusOr<UrlEndpoint> endpoint = ParseWebhookUrl(delivery.url);
  if (!endpoint.ok()) {
    outcome.failure_reason = std::string(endpoint.status().message());
    return outcome;
  }
  if (absl::Status key = ValidateIdempotencyKey(delivery.idempotency_key);
      !key.ok()) {
    outcome.failure_reason = std::string(key.message());
    return outcome;
  }
  if (CURLcode init = CurlGlobalInitOnce(); init != CURLE_OK) {
    outcome.failure_reason = absl::StrCat("libcurl initialization failed: ",
                                          curl_easy_strerror(init));
    return outcome;
  }

  const std::string signature =
      WebhookSignature(delivery.secret, delivery.body_json);
  const long timeout_ms =
      static_cast<long>(absl::ToInt64Milliseconds(options_.request_timeout));
  absl::Duration backoff = options_.initial_backoff;
  for (int n = 1; n <= options_.max_attempts; ++n) {
    const Attempt attempt = PostOnce(delivery, signature, timeout_ms);
    outcome.attempts = n;
    outcome.last_http_status = static_cast<int>(attempt.http_status);
    const Verdict verdict = Judge(attempt);
    if (verdict == Verdict::kDelivered) {
      outcome.delivered = true;
      outcome.failure_reason.clear();
      return outcome;
    }
    if (verdict == Verdict::kFinal || n == options_.max_attempts) {
      outcome.failure_reason =
          DescribeFailure(attempt, *endpoint, options_.request_timeout, n);
      return outcome;
    }
    absl::Duration wait = backoff;
    // The receiver knows its own load better than our schedule does; the cap
    // still applies so that one endpoint cannot park a sender thread.
    const bool may_ask_to_wait =
        attempt.code == CURLE_OK &&
        (attempt.http_status == 429 || attempt.http_status == 503);
    if (may_ask_to_wait && attempt.retry_after_seconds > 0) {
      wait = std::max(wait, absl::Seconds(attempt.retry_after_seconds));
    }
    sleep_(std::min(wait, options_.max_backoff));
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  return outcome;  // not reached: the loop returns on its last attempt
}

std::string WebhookSignature(absl::string_view secret, absl::string_view body) {
  // OpenSSL wants non-null pointers even for empty input.
  static const unsigned char kEmpty = 0;
  const void* key =
      secret.empty() ? &kEmpty : static_cast<const void*>(secret.data());
  const auto* data = body.empty()
                         ? &kEmpty
                         : reinterpret_cast<const unsigned char*>(body.data());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (secret.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      HMAC(EVP_sha256(), key, static_cast<int>(secret.size()), data,
           body.size(), digest, &digest_size) == nullptr) {
    return "";
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), digest_size));
}

absl::Status ValidateWebhookUrl(absl::string_view url) {
  return ParseWebhookUrl(url).status();
}

absl::Status ValidateWebhookSecret(absl::string_view secret) {
  if (secret.size() < kMinSecretLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("webhook.secret: must have at least ", kMinSecretLength,
                     " characters"));
  }
  if (secret.size() > kMaxSecretLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "webhook.secret: must have at most ", kMaxSecretLength, " characters"));
  }
  return absl::OkStatus();
}

}  // namespace convene::notification
