// WebhookSender: delivers one signed JSON notification to a subscriber's
// HTTP(S) endpoint, retrying transient failures with exponential backoff.
// No gRPC and no Redis here; the caller decides what to do with the outcome.
//
//   WebhookSender sender(WebhookSenderOptions{});
//   WebhookOutcome outcome =
//       sender.Deliver({.url = "https://hooks.example.com/convene",
//                       .secret = subscription_secret,
//                       .body_json = payload,
//                       .idempotency_key = reminder_id});
//   if (!outcome.delivered) core::LogWarn(outcome.failure_reason);
//
// The receiver checks authenticity and freshness with the
// X-Convene-Webhook-Signature header, "t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<raw body>">" (VerifyWebhookSignature), rejecting a t older than a few
// minutes so that a captured request cannot be replayed later, and drops
// repeats by X-Convene-Idempotency-Key (also in the signed body as
// "idempotency_key"): a retry after a lost answer sends the same key. The older
// X-Convene-Signature (HMAC of the body alone) is still sent for receivers
// written against it, but it proves nothing about when a request was made.

#ifndef CONVENE_NOTIFICATION_WEBHOOK_SENDER_H_
#define CONVENE_NOTIFICATION_WEBHOOK_SENDER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace convene::notification {

// How hard Deliver() tries. Out-of-range values are clamped: max_attempts to
// at least 1, backoffs to at least zero, request_timeout to [1ms, 10min] (curl
// reads a zero timeout as "none", which would let one endpoint hang a thread).
struct WebhookSenderOptions {
  int max_attempts = 5;  // the first try plus retries
  // The bound of the wait before the first retry; it doubles for each
  // further retry, and each wait is drawn from the upper half of its bound
  // (core/backoff.h), so that senders do not retry one receiver in lockstep.
  absl::Duration initial_backoff = absl::Milliseconds(500);
  // No wait exceeds this, including one asked for by a Retry-After header.
  absl::Duration max_backoff = absl::Seconds(30);
  // The limit for one attempt, connecting included.
  absl::Duration request_timeout = absl::Seconds(5);
  // Let webhooks reach loopback, private, link-local and other non-public
  // addresses (see IsPublicAddress): for receivers on a private network,
  // and tests. Off, such a target fails without a request.
  bool allow_private_targets = false;
};

// One notification to one endpoint.
struct WebhookDelivery {
  std::string url;        // http:// or https:// (see ValidateWebhookUrl)
  std::string secret;     // HMAC key; never sent, logged or reported
  std::string body_json;  // sent verbatim as the request body
  // The same for every retry of this delivery: 1-256 printable ASCII
  // characters, no spaces.
  std::string idempotency_key;
};

// What Deliver() achieved.
struct WebhookOutcome {
  bool delivered = false;    // the endpoint answered 2xx
  int attempts = 0;          // requests made; 0 if the delivery was invalid
  int last_http_status = 0;  // of the last attempt; 0: no HTTP answer
  // Empty when delivered; otherwise says why, naming the HTTP status or the
  // transport error and the number of attempts, e.g. "HTTP 503 after 5
  // attempts" or "connect to 127.0.0.1:1 failed: Connection refused (after 5
  // attempts)". Names only the host and port of the URL, never its path or
  // query (which may carry a token), and never the secret.
  std::string failure_reason;
  // Not delivered, and trying again would not change that (an invalid
  // delivery, a refused target, 3xx, or a 4xx other than 408 and 429).
  bool final = false;
};

// Sends webhooks over libcurl. Thread-safe: several threads may call
// Deliver() on one sender at once (the `sleep` function must then be
// thread-safe too).
class WebhookSender {
 public:
  // `sleep` waits between attempts; tests pass one that records the duration
  // and returns at once. Empty means absl::SleepFor.
  explicit WebhookSender(WebhookSenderOptions options,
                         std::function<void(absl::Duration)> sleep = {});

  // Blocking. POSTs `delivery.body_json` with Content-Type: application/json,
  // User-Agent: convene-notification, X-Convene-Webhook-Signature:
  // WebhookTimestampedSignature(secret, now, body) (a fresh timestamp for each
  // attempt), X-Convene-Signature: WebhookSignature(secret, body) and
  // X-Convene-Idempotency-Key. A 2xx answer
  // is delivered. Connection errors, timeouts, 408, 429 and 5xx are retried
  // (up to max_attempts in all) after initial_backoff, doubling up to
  // max_backoff; a Retry-After on 429/503 lengthens the wait, within
  // max_backoff. Other answers are final at once, since resending will not
  // change them: other 4xx, and 3xx (redirects are never followed). An
  // invalid URL (ValidateWebhookUrl) or idempotency key fails with no attempt.
  // The secret is not checked here (ValidateWebhookSecret is for accepting
  // one). The response body is read (up to 64 KiB) and discarded.
  WebhookOutcome Deliver(const WebhookDelivery& delivery) const;
  // The same with at most `max_attempts` (at least 1) tries: 1 for a caller
  // that schedules retries itself, so that no thread waits out a backoff.
  WebhookOutcome Deliver(const WebhookDelivery& delivery, int max_attempts) const;

 private:
  WebhookSenderOptions options_;
  std::function<void(absl::Duration)> sleep_;
};

// HMAC-SHA256 of `body` keyed with `secret`, as 64 lowercase hex digits
// (empty only if OpenSSL fails, e.g. out of memory).
std::string WebhookSignature(absl::string_view secret, absl::string_view body);

// The X-Convene-Webhook-Signature value for a request sent at `sent`:
// "t=<unix seconds>,v1=" + WebhookSignature(secret, "<t>.<body>").
std::string WebhookTimestampedSignature(absl::string_view secret, absl::Time sent,
                                        absl::string_view body);

// A receiver's check of an X-Convene-Webhook-Signature `header`: OK when its
// v1 is the HMAC of "<t>.<body>" under `secret` (compared in constant time)
// and t is within `tolerance` of `now` either way. PERMISSION_DENIED naming
// the reason otherwise (malformed, wrong signature, older than the
// tolerance: a replay, or from too far in the future).
absl::Status VerifyWebhookSignature(absl::string_view secret, absl::string_view header,
                                    absl::string_view body, absl::Time now,
                                    absl::Duration tolerance);

// OK if `url` is acceptable as a webhook endpoint: http:// or https://, a
// host (name, IPv4 or [IPv6]) and optional port 1-65535, at most 2000
// characters, no whitespace or control characters, no user info
// ("user:pass@"). Otherwise INVALID_ARGUMENT "webhook.url: <reason>". Does not
// resolve the host, so it says nothing about where the URL leads.
absl::Status ValidateWebhookUrl(absl::string_view url);

// Whether `address` (numeric IPv4 or IPv6) is a public unicast address a
// webhook may reach: not unspecified, loopback, private (10/8, 172.16/12,
// 192.168/16, fc00::/7), shared (100.64/10), link-local (169.254/16, where
// clouds serve instance metadata, and fe80::/10), benchmarking, reserved,
// multicast or broadcast, site-local (fec0::/10), IPv4-compatible (::/96),
// discard-only (100::/64) or local-use NAT64 (64:ff9b:1::/48); IPv4-mapped,
// NAT64 (64:ff9b::/96), 6to4 and Teredo IPv6 addresses are judged by the
// IPv4 address they carry. False for text that is no address.
bool IsPublicAddress(absl::string_view address);

// Resolves the host of a valid webhook `url` and checks every address it
// resolves to (DNS may answer differently later, so delivery checks again).
// INVALID_ARGUMENT "webhook.url: HOST resolves to ADDRESS, which is not a
// public address ..." unless `allow_private_targets`. Returns the addresses
// (empty when the host does not resolve now, which is not refused: it may
// resolve when there is something to deliver).
absl::StatusOr<std::vector<std::string>> CheckWebhookTarget(absl::string_view url,
                                                            bool allow_private_targets);

// OK if `secret` has 16 to 256 characters; otherwise INVALID_ARGUMENT
// "webhook.secret: <reason>". The message never contains the secret.
absl::Status ValidateWebhookSecret(absl::string_view secret);

}  // namespace convene::notification

#endif  // CONVENE_NOTIFICATION_WEBHOOK_SENDER_H_
