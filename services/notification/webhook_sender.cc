#include "notification/webhook_sender.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
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
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "notification/curl_global_init.h"
#include "absl/time/time.h"
#include "core/backoff.h"
#include "core/text_limits.h"

namespace convene::notification {
namespace {

constexpr size_t kMaxUrlLength = 2000;
constexpr int kMinSecretChars = 16;
constexpr int kMaxSecretChars = 256;
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

// libcurl's own URL parser (curl_url), so that the URL is read exactly as
// the request that follows will read it.
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
  if (!absl::StartsWithIgnoreCase(url, "http://") &&
      !absl::StartsWithIgnoreCase(url, "https://")) {
    return UrlError("must start with http:// or https://");
  }
  // curl reads "https:///name" as "https://name"; a reader would not.
  if (const absl::string_view rest = url.substr(url.find("//") + 2);
      rest.empty() || rest.front() == '/' || rest.front() == '?' || rest.front() == '#') {
    return UrlError("has no host");
  }
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), curl_url_cleanup);
  if (!parsed) return absl::ResourceExhaustedError("webhook.url: out of memory");
  const std::string text(url);
  if (CURLUcode rc = curl_url_set(parsed.get(), CURLUPART_URL, text.c_str(), 0);
      rc != CURLUE_OK) {
    return UrlError(absl::StrCat("is not a valid URL (", curl_url_strerror(rc), ")"));
  }
  auto part = [&](CURLUPart which, unsigned flags, std::string& out) {
    char* value = nullptr;
    const CURLUcode rc = curl_url_get(parsed.get(), which, &value, flags);
    if (rc == CURLUE_OK && value != nullptr) out = value;
    curl_free(value);
    return rc;
  };
  std::string user, password, host, port;
  // Refused rather than stripped: credentials do not belong in stored
  // configuration, and "trusted.example@evil.example" misleads readers.
  if (part(CURLUPART_USER, 0, user) == CURLUE_OK ||
      part(CURLUPART_PASSWORD, 0, password) == CURLUE_OK) {
    return UrlError("must not contain user info (user:password@)");
  }
  if (part(CURLUPART_HOST, 0, host) != CURLUE_OK || host.empty()) {
    return UrlError("has no host");
  }
  if (part(CURLUPART_PORT, CURLU_DEFAULT_PORT, port) != CURLUE_OK) {
    return UrlError("has no port");
  }
  UrlEndpoint endpoint;
  endpoint.host = host;
  if (!absl::SimpleAtoi(port, &endpoint.port) || endpoint.port < 1 ||
      endpoint.port > 65535) {
    return UrlError("port must be a number from 1 to 65535");
  }
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

// `pinned`: a CURLOPT_RESOLVE entry ("host:port:address,...") so that curl
// connects to the addresses that were checked, not to what DNS says a
// moment later; empty: curl resolves.
Attempt PostOnce(const WebhookDelivery& delivery, const std::string& signature,
                 long timeout_ms, const std::string& pinned) {
  Attempt attempt;
  CurlEasy curl(curl_easy_init());
  if (curl == nullptr) {
    attempt.code = CURLE_FAILED_INIT;
    return attempt;
  }
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> resolve(
      pinned.empty() ? nullptr : curl_slist_append(nullptr, pinned.c_str()),
      curl_slist_free_all);

  CurlHeaders headers;
  for (const std::string& line :
       {std::string("Content-Type: application/json"),
        // Signed at each attempt, so a retry is not mistaken for a replay.
        absl::StrCat("X-Convene-Webhook-Signature: ",
                     WebhookTimestampedSignature(delivery.secret, absl::Now(),
                                                 delivery.body_json)),
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
  if (resolve) check(curl_easy_setopt(h, CURLOPT_RESOLVE, resolve.get()));
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

namespace {

// Every address `host` resolves to, numeric; empty when it does not resolve.
std::vector<std::string> Resolve(const std::string& host) {
  std::string name = host;
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::vector<std::string> out;
  if (getaddrinfo(name.c_str(), nullptr, &hints, &found) != 0) return out;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* where =
        a->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr);
    if (inet_ntop(a->ai_family, where, text, sizeof(text)) != nullptr &&
        std::find(out.begin(), out.end(), text) == out.end()) {
      out.emplace_back(text);
    }
  }
  freeaddrinfo(found);
  return out;
}

absl::StatusOr<std::vector<std::string>> CheckTarget(const UrlEndpoint& endpoint,
                                                     bool allow_private_targets) {
  std::vector<std::string> addresses = Resolve(endpoint.host);
  if (allow_private_targets) return addresses;
  for (const std::string& a : addresses) {
    if (!IsPublicAddress(a)) {
      return UrlError(absl::StrCat(
          endpoint.host, " resolves to ", a,
          ", which is not a public address (loopback, private, link-local and "
          "metadata addresses are refused unless the notification service runs "
          "with --webhook_allow_private_targets)"));
    }
  }
  return addresses;
}

}  // namespace

WebhookSender::WebhookSender(WebhookSenderOptions options,
                             std::function<void(absl::Duration)> sleep)
    : options_(Clamped(options)), sleep_(std::move(sleep)) {
  if (!sleep_) sleep_ = [](absl::Duration d) { absl::SleepFor(d); };
}

WebhookOutcome WebhookSender::Deliver(const WebhookDelivery& delivery) const {
  return Deliver(delivery, options_.max_attempts);
}

WebhookOutcome WebhookSender::Deliver(const WebhookDelivery& delivery, int max_attempts) const {
  max_attempts = std::max(1, max_attempts);
  WebhookOutcome outcome;
  outcome.final = true;  // until an attempt says otherwise
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
  core::Backoff backoff(options_.initial_backoff, options_.max_backoff);
  for (int n = 1; n <= max_attempts; ++n) {
    // Where the host leads is checked at every attempt (DNS can change), and
    // the request goes to exactly the addresses checked.
    std::string pinned;
    Attempt attempt;
    if (!options_.allow_private_targets) {
      absl::StatusOr<std::vector<std::string>> addresses = CheckTarget(*endpoint, false);
      if (!addresses.ok()) {
        outcome.attempts = n - 1;
        outcome.failure_reason = std::string(addresses.status().message());
        return outcome;
      }
      std::vector<std::string> bracketed;
      for (const std::string& a : *addresses) {
        bracketed.push_back(absl::StrContains(a, ':') ? absl::StrCat("[", a, "]") : a);
      }
      std::string host = endpoint->host;
      if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
      if (!addresses->empty()) {
        pinned = absl::StrCat(host, ":", endpoint->port, ":", absl::StrJoin(bracketed, ","));
      }
      if (addresses->empty()) attempt.code = CURLE_COULDNT_RESOLVE_HOST;
    }
    if (attempt.code != CURLE_COULDNT_RESOLVE_HOST) {
      attempt = PostOnce(delivery, signature, timeout_ms, pinned);
    }
    outcome.attempts = n;
    outcome.last_http_status = static_cast<int>(attempt.http_status);
    const Verdict verdict = Judge(attempt);
    if (verdict == Verdict::kDelivered) {
      outcome.delivered = true;
      outcome.final = false;
      outcome.failure_reason.clear();
      return outcome;
    }
    outcome.final = verdict == Verdict::kFinal;
    if (verdict == Verdict::kFinal || n == max_attempts) {
      outcome.failure_reason =
          DescribeFailure(attempt, *endpoint, options_.request_timeout, n);
      return outcome;
    }
    absl::Duration wait = backoff.Next();
    // The receiver knows its own load better than our schedule does; the cap
    // still applies so that one endpoint cannot park a sender thread.
    const bool may_ask_to_wait =
        attempt.code == CURLE_OK &&
        (attempt.http_status == 429 || attempt.http_status == 503);
    if (may_ask_to_wait && attempt.retry_after_seconds > 0) {
      wait = std::max(wait, absl::Seconds(attempt.retry_after_seconds));
    }
    sleep_(std::min(wait, options_.max_backoff));
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

std::string WebhookTimestampedSignature(absl::string_view secret, absl::Time sent,
                                        absl::string_view body) {
  const int64_t t = absl::ToUnixSeconds(sent);
  return absl::StrCat("t=", t, ",v1=", WebhookSignature(secret, absl::StrCat(t, ".", body)));
}

absl::Status VerifyWebhookSignature(absl::string_view secret, absl::string_view header,
                                    absl::string_view body, absl::Time now,
                                    absl::Duration tolerance) {
  int64_t t = 0;
  bool have_t = false;
  std::string v1;
  for (absl::string_view part : absl::StrSplit(header, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, "t=")) have_t = absl::SimpleAtoi(part, &t);
    else if (absl::ConsumePrefix(&part, "v1=")) v1 = std::string(part);
  }
  if (!have_t || v1.empty()) {
    return absl::PermissionDeniedError(
        "X-Convene-Webhook-Signature: must be t=<unix seconds>,v1=<hex>");
  }
  const std::string expected = WebhookSignature(secret, absl::StrCat(t, ".", body));
  if (expected.empty() || expected.size() != v1.size() ||
      CRYPTO_memcmp(expected.data(), v1.data(), v1.size()) != 0) {
    return absl::PermissionDeniedError(
        "X-Convene-Webhook-Signature: does not match the timestamp and body");
  }
  const absl::Duration age = now - absl::FromUnixSeconds(t);
  if (age > tolerance) {
    return absl::PermissionDeniedError(absl::StrCat(
        "X-Convene-Webhook-Signature: signed ", absl::FormatDuration(age),
        " ago, older than ", absl::FormatDuration(tolerance), " (a replay?)"));
  }
  if (-age > tolerance) {
    return absl::PermissionDeniedError(absl::StrCat(
        "X-Convene-Webhook-Signature: signed ", absl::FormatDuration(-age),
        " in the future, more than ", absl::FormatDuration(tolerance)));
  }
  return absl::OkStatus();
}

absl::Status ValidateWebhookUrl(absl::string_view url) {
  return ParseWebhookUrl(url).status();
}

bool IsPublicAddress(absl::string_view address) {
  const std::string text(address);
  auto v4_public = [](const unsigned char* a) {
    const auto in = [&](unsigned prefix_bits, std::initializer_list<unsigned char> net) {
      unsigned bits = prefix_bits;
      size_t i = 0;
      for (unsigned char n : net) {
        const unsigned take = std::min(bits, 8u);
        const unsigned char mask = static_cast<unsigned char>(0xff << (8 - take));
        if ((a[i] & mask) != (n & mask)) return false;
        bits -= take;
        ++i;
        if (bits == 0) return true;
      }
      return true;
    };
    return !(in(8, {0}) || in(8, {10}) || in(10, {100, 64}) || in(8, {127}) ||
             in(16, {169, 254}) || in(12, {172, 16}) || in(24, {192, 0, 0}) ||
             in(24, {192, 0, 2}) || in(16, {192, 168}) || in(15, {198, 18}) ||
             in(24, {198, 51, 100}) || in(24, {203, 0, 113}) || in(4, {224}) ||
             in(4, {240}));
  };
  unsigned char v4[4];
  if (inet_pton(AF_INET, text.c_str(), v4) == 1) return v4_public(v4);
  unsigned char v6[16];
  std::string bare = text;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') {
    bare = bare.substr(1, bare.size() - 2);
  }
  if (inet_pton(AF_INET6, bare.c_str(), v6) != 1) return false;
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static constexpr unsigned char kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(v6, kMapped, 12) == 0 || std::memcmp(v6, kNat64, 12) == 0) {
    return v4_public(v6 + 12);
  }
  // 6to4 (2002::/16) carries the relay's IPv4 address in bits 16-47, and
  // Teredo (2001::/32) the client's, inverted, in the last 32 bits: judged
  // as those addresses.
  if (v6[0] == 0x20 && v6[1] == 0x02 && !v4_public(v6 + 2)) return false;
  if (v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0 && v6[3] == 0) {
    const unsigned char client[4] = {
        static_cast<unsigned char>(~v6[12]), static_cast<unsigned char>(~v6[13]),
        static_cast<unsigned char>(~v6[14]), static_cast<unsigned char>(~v6[15])};
    if (!v4_public(client)) return false;
  }
  // The local-use NAT64 prefix (RFC 8215) translates into the operator's
  // own network, at whatever prefix length inside it the operator picked:
  // never public.
  static constexpr unsigned char kLocalNat64[6] = {0, 0x64, 0xff, 0x9b, 0, 1};
  if (std::memcmp(v6, kLocalNat64, 6) == 0) return false;
  // ::/96 holds ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d, none
  // of which is routed on the Internet.
  static constexpr unsigned char kZero[12] = {};
  if (std::memcmp(v6, kZero, 12) == 0) return false;
  if (std::memcmp(v6, "\x01\x00\x00\x00\x00\x00\x00\x00", 8) == 0) {
    return false;  // 100::/64, discard-only
  }
  if ((v6[0] & 0xfe) == 0xfc) return false;                    // fc00::/7
  if (v6[0] == 0xfe && (v6[1] & 0xc0) == 0x80) return false;   // fe80::/10
  if (v6[0] == 0xfe && (v6[1] & 0xc0) == 0xc0) return false;   // fec0::/10, site-local
  if (v6[0] == 0xff) return false;                             // multicast
  if (v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0x0d && v6[3] == 0xb8) {
    return false;  // 2001:db8::/32, documentation
  }
  return true;
}

absl::StatusOr<std::vector<std::string>> CheckWebhookTarget(absl::string_view url,
                                                            bool allow_private_targets) {
  absl::StatusOr<UrlEndpoint> endpoint = ParseWebhookUrl(url);
  if (!endpoint.ok()) return endpoint.status();
  return CheckTarget(*endpoint, allow_private_targets);
}

absl::Status ValidateWebhookSecret(absl::string_view secret) {
  return core::CheckTextLengthBetween("webhook.secret", secret, kMinSecretChars, kMaxSecretChars);
}

}  // namespace convene::notification
