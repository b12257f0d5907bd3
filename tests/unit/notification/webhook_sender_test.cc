#include "notification/webhook_sender.h"

#include <cstdlib>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "unit/notification/test_http_server.h"

namespace convene::notification {
namespace {

// The receivers of these tests listen on loopback, which a production
// sender refuses (see IsPublicAddress).
WebhookSenderOptions LoopbackOptions() {
  WebhookSenderOptions options;
  options.allow_private_targets = true;
  return options;
}

using ::convene::testing_util::RefusingLoopbackPort;
using ::convene::testing_util::TestHttpServer;
using Reply = TestHttpServer::Reply;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Ge;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Le;
using ::testing::Not;
using ::testing::StartsWith;

constexpr absl::string_view kSecret = "s3cr3t-s3cr3t-s3cr3t";
constexpr absl::string_view kBody = R"({"event_id":"e1","kind":"reminder"})";

// A proxy from the environment would turn loopback requests into requests to
// the proxy; these tests talk to 127.0.0.1 only.
class NoProxyEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    setenv("no_proxy", "127.0.0.1,localhost", 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
  }
};
[[maybe_unused]] const ::testing::Environment* const kNoProxy =
    ::testing::AddGlobalTestEnvironment(new NoProxyEnvironment);

// Stands in for absl::SleepFor: remembers each wait and returns at once.
class RecordingSleeper {
 public:
  std::function<void(absl::Duration)> AsFunction() {
    return [this](absl::Duration d) {
      absl::MutexLock lock(&mu_);
      sleeps_.push_back(d);
    };
  }
  std::vector<absl::Duration> sleeps() const {
    absl::MutexLock lock(&mu_);
    return sleeps_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<absl::Duration> sleeps_ ABSL_GUARDED_BY(mu_);
};

std::unique_ptr<TestHttpServer> StartServer(
    std::vector<TestHttpServer::Reply> script) {
  absl::StatusOr<std::unique_ptr<TestHttpServer>> server =
      TestHttpServer::Start(std::move(script));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

WebhookDelivery DeliveryTo(std::string url, std::string key = "reminder-1") {
  return WebhookDelivery{.url = std::move(url),
                         .secret = std::string(kSecret),
                         .body_json = std::string(kBody),
                         .idempotency_key = std::move(key)};
}

std::string Header(const TestHttpServer::Request& request,
                   const std::string& name) {
  auto it = request.headers.find(name);
  return it == request.headers.end() ? "<absent>" : it->second;
}

void ExpectInvalidUrl(absl::string_view url) {
  const absl::Status status = ValidateWebhookUrl(url);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << url;
  EXPECT_THAT(std::string(status.message()), StartsWith("webhook.url: "))
      << url;
}

TEST(WebhookSignature, MatchesRfc4231TestCase2) {
  EXPECT_EQ(WebhookSignature("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookSignature, ChangesWithTheSecretAndTheBody) {
  const std::string base = WebhookSignature(kSecret, kBody);
  EXPECT_EQ(base.size(), 64u);
  EXPECT_NE(WebhookSignature("another-secret-value", kBody), base);
  EXPECT_NE(WebhookSignature(kSecret, "{}"), base);
}

TEST(WebhookSender, DeliversOn200WithBodyContentTypeKeyAndSignature) {
  auto server = StartServer({Reply::Answer(200)});
  ASSERT_NE(server, nullptr);
  RecordingSleeper sleeper;
  WebhookSender sender(LoopbackOptions(), sleeper.AsFunction());

  const WebhookOutcome outcome =
      sender.Deliver(DeliveryTo(server->Url("/hook?tenant=t1")));

  EXPECT_TRUE(outcome.delivered);
  EXPECT_EQ(outcome.attempts, 1);
  EXPECT_EQ(outcome.last_http_status, 200);
  EXPECT_THAT(outcome.failure_reason, IsEmpty());
  EXPECT_THAT(sleeper.sleeps(), IsEmpty());
  const std::vector<TestHttpServer::Request> requests = server->Requests();
  ASSERT_EQ(requests.size(), 1u);
  const TestHttpServer::Request& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/hook?tenant=t1");
  EXPECT_EQ(r.body, kBody);
  EXPECT_EQ(Header(r, "content-type"), "application/json");
  EXPECT_EQ(Header(r, "user-agent"), "convene-notification");
  EXPECT_EQ(Header(r, "x-convene-idempotency-key"), "reminder-1");
  EXPECT_EQ(Header(r, "x-convene-signature"), WebhookSignature(kSecret, kBody));
  for (const auto& [name, value] : r.headers) {
    EXPECT_THAT(value, Not(HasSubstr(std::string(kSecret)))) << name;
  }
}

// A body signature alone can be replayed forever; the timestamped one
// binds each request to the moment it was sent.
TEST(WebhookSender, SignsTheTimestampTogetherWithTheBody) {
  auto server = StartServer({Reply::Answer(200)});
  ASSERT_NE(server, nullptr);
  WebhookSender sender(LoopbackOptions());
  const int64_t before = absl::ToUnixSeconds(absl::Now());
  ASSERT_TRUE(sender.Deliver(DeliveryTo(server->Url("/hook"))).delivered);
  const int64_t after = absl::ToUnixSeconds(absl::Now());

  const std::vector<TestHttpServer::Request> requests = server->Requests();
  ASSERT_EQ(requests.size(), 1u);
  const std::string header = Header(requests[0], "x-convene-webhook-signature");
  int64_t t = 0;
  std::string v1;
  for (absl::string_view part : absl::StrSplit(header, ',')) {
    if (absl::ConsumePrefix(&part, "t=")) {
      ASSERT_TRUE(absl::SimpleAtoi(part, &t)) << header;
    }
    if (absl::ConsumePrefix(&part, "v1=")) v1 = std::string(part);
  }
  EXPECT_THAT(t, AllOf(Ge(before), Le(after))) << header;
  EXPECT_EQ(v1, WebhookSignature(kSecret, absl::StrCat(t, ".", kBody))) << header;
  EXPECT_TRUE(VerifyWebhookSignature(kSecret, header, kBody, absl::FromUnixSeconds(after),
                                     absl::Minutes(5))
                  .ok());
}

TEST(VerifyWebhookSignature, RejectsAnOldDeliveryReplayedAndATamperedOne) {
  const absl::Time sent = absl::FromUnixSeconds(1765000000);
  const std::string header =
      absl::StrCat("t=1765000000,v1=", WebhookSignature(kSecret, absl::StrCat("1765000000.", kBody)));
  EXPECT_TRUE(VerifyWebhookSignature(kSecret, header, kBody, sent + absl::Minutes(4),
                                     absl::Minutes(5)).ok());
  const absl::Status replayed = VerifyWebhookSignature(kSecret, header, kBody,
                                                       sent + absl::Minutes(6), absl::Minutes(5));
  EXPECT_EQ(replayed.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(replayed.message()), HasSubstr("older than"));
  // A replayer who moves the timestamp forward breaks the signature.
  const std::string moved =
      absl::StrCat("t=1765000400,v1=", WebhookSignature(kSecret, absl::StrCat("1765000000.", kBody)));
  EXPECT_FALSE(VerifyWebhookSignature(kSecret, moved, kBody, sent + absl::Minutes(7),
                                      absl::Minutes(5)).ok());
  EXPECT_FALSE(VerifyWebhookSignature(kSecret, header, "{}", sent, absl::Minutes(5)).ok());
  EXPECT_FALSE(VerifyWebhookSignature("another-secret-value", header, kBody, sent,
                                      absl::Minutes(5)).ok());
  EXPECT_FALSE(VerifyWebhookSignature(kSecret, "v1=abc", kBody, sent, absl::Minutes(5)).ok());
  // From the future beyond the tolerance (a clock far off, or a forgery kept for later).
  EXPECT_FALSE(VerifyWebhookSignature(kSecret, header, kBody, sent - absl::Minutes(6),
                                      absl::Minutes(5)).ok());
}

// The webhook worker tries once per pass and schedules retries itself; it
// must know whether another try could help.
TEST(WebhookSender, TriesOnceWhenAskedAndSaysWhetherAnotherTryCouldHelp) {
  auto server = StartServer({Reply::Answer(503), Reply::Answer(400)});
  ASSERT_NE(server, nullptr);
  RecordingSleeper sleeper;
  WebhookSender sender(LoopbackOptions(), sleeper.AsFunction());
  const WebhookOutcome busy = sender.Deliver(DeliveryTo(server->Url("/hook")), 1);
  EXPECT_FALSE(busy.delivered);
  EXPECT_EQ(busy.attempts, 1);
  EXPECT_FALSE(busy.final);
  const WebhookOutcome bad = sender.Deliver(DeliveryTo(server->Url("/hook")), 1);
  EXPECT_EQ(bad.last_http_status, 400);
  EXPECT_TRUE(bad.final);
  EXPECT_THAT(sleeper.sleeps(), IsEmpty());
  EXPECT_EQ(server->Requests().size(), 2u);
}

TEST(WebhookSender, SendsALargeBodyWithoutWaitingForContinue) {
  auto server = StartServer({Reply::Answer(204)});
  ASSERT_NE(server, nullptr);
  RecordingSleeper sleeper;
  WebhookSender sender(LoopbackOptions(), sleeper.AsFunction());
  WebhookDelivery delivery = DeliveryTo(server->Url());
  delivery.body_json =
      absl::StrCat(R"({"notes":")", std::string(200 * 1024, 'x'), R"("})");

  const WebhookOutcome outcome = sender.Deliver(delivery);

  EXPECT_TRUE(outcome.delivered) << outcome.failure_reason;
  const std::vector<TestHttpServer::Request> requests = server->Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body, delivery.body_json);
  EXPECT_EQ(Header(requests[0], "expect"), "<absent>");
  EXPECT_EQ(Header(requests[0], "x-convene-signature"),
            WebhookSignature(kSecret, delivery.body_json));
}

TEST(WebhookSender, DeliversDespiteALargeResponseBody) {
  auto server =
      StartServer({Reply::Answer(200, {}, std::string(1024 * 1024, 'y'))});
  ASSERT_NE(server, nullptr);
  RecordingSleeper sleeper;
  WebhookSender sender(LoopbackOptions(), sleeper.AsFunction());

  const WebhookOutcome outcome = sender.Deliver(DeliveryTo(server->Url()));

  EXPECT_TRUE(outcome.delivered) << outcome.failure_reason;
  EXPECT_EQ(outcome.attempts, 1);
}

TEST(WebhookSender, RetriesServiceUnavailableWithExponentialBackoff) {
  auto server =
      StartServer({Reply::Answer(503), Reply::Answer(503), Reply::Answer(200)});
  ASSERT_NE(server, nullptr);
  RecordingSleeper sleeper;
  WebhookSender sender(LoopbackOptions(), sleeper.AsFunction());

  const WebhookOutcome outcome = sender.Deliver(DeliveryTo(server->Url()));

  EXPECT_TRUE(outcome.delivered);
  EXPECT_EQ(outcome.attempts, 3);
  EXPECT_EQ(outcome.last_http_status, 200);
  // Doubling bounds, each wait from the upper half of its bound (jitter).
  ASSERT_EQ(sleeper.sleeps().size(), 2u);
  EXPECT_THAT(sleeper.sleeps()[0], AllOf(Ge(absl::Milliseconds(250)), Le(absl::Milliseconds(500))));
  EXPECT_THAT(sleeper.sleeps()[1], AllOf(Ge(absl::Milliseconds(500)), Le(absl::Seconds(1))));
  const std::vector<TestHttpServer::Request> requests = server->Requests();
  ASSERT_EQ(requests.size(), 3u);
  for (const TestHttpServer::Request& r : requests) {
    EXPECT_EQ(Header(r, "x-convene-idempotency-key"), "reminder-1");
    EXPECT_EQ(r.body, kBody);
  }
}

TEST(WebhookSender, GivesUpAfterMaxAttemptsWhenTheServerAlwaysAnswers500) {
  auto server = StartServer({Reply::Answer(500)});
  ASSERT_NE(server, nullptr);
  RecordingSleeper sleeper;
  WebhookSender sender(LoopbackOptions(), sleeper.AsFunction());

  const WebhookOutcome outcome = sender.Deliver(DeliveryTo(server->Url()));

  EXPECT_FALSE(outcome.delivered);
  EXPECT_EQ(outcome.attempts, 5);
  EXPECT_EQ(outcome.last_http_status, 500);
  EXPECT_EQ(outcome.failure_reason, "HTTP 500 after 5 attempts");
  EXPECT_EQ(sleeper.sleeps().size(), 4u);
  EXPECT_EQ(server->Requests().size(), 5u);
}

TEST(WebhookSender, CapsTheBackoffAtMaxBackoff) {
  auto server = StartServer({Reply::Answer(502)});
  ASSERT_NE(server, nullptr);
  RecordingSleeper sleeper;
  WebhookSenderOptions options = LoopbackOptions();
  options.max_attempts = 6;
  options.max_backoff = absl::Seconds(2);
  WebhookSender sender(options, sleeper.AsFunction());

  const WebhookOutcome outcome = sender.Deliver(DeliveryTo(server->Url()));

  EXPECT_EQ(outcome.attempts, 6);
  const std::vector<absl::Duration> bounds = {absl::Milliseconds(500), absl::Seconds(1),
                                              absl::Seconds(2), absl::Seconds(2),
                                              absl::Seconds(2)};
  ASSERT_EQ(sleeper.sleeps().size(), bounds.size());
  for (size_t i = 0; i < bounds.size(); ++i) {
    EXPECT_THAT(sleeper.sleeps()[i], AllOf(Ge(bounds[i] / 2), Le(bounds[i]))) << i;
  }
}

TEST(WebhookSender, DoesNotRetryABadRequest) {
  auto server = StartServer({Reply::Answer(400), Reply::Answer(200)});
  ASSERT_NE(server, nullptr);
  RecordingSleeper sleeper;
  WebhookSender sender(LoopbackOptions(), sleeper.AsFunction());

  const WebhookOutcome outcome = sender.Deliver(DeliveryTo(server->Url()));

  EXPECT_FALSE(outcome.delivered);
  EXPECT_EQ(outcome.attempts, 1);
  EXPECT_EQ(outcome.last_http_status, 400);
  EXPECT_THAT(outcome.failure_reason,
              AllOf(HasSubstr("HTTP 400"), HasSubstr("after 1 attempt")));
  EXPECT_THAT(sleeper.sleeps(), IsEmpty());
  EXPECT_EQ(server->Requests().size(), 1u);
}

TEST(WebhookSender, RetriesTooManyRequestsAndRequestTimeout) {
  auto server =
      StartServer({Reply::Answer(429), Reply::Answer(408), Reply::Answer(202)});
  ASSERT_NE(server, nullptr);
  RecordingSleeper sleeper;
  WebhookSender sender(LoopbackOptions(), sleeper.AsFunction());

  const WebhookOutcome outcome = sender.Deliver(DeliveryTo(server->Url()));

  EXPECT_TRUE(outcome.delivered);
  EXPECT_EQ(outcome.attempts, 3);
  EXPECT_EQ(outcome.last_http_status, 202);
  EXPECT_EQ(sleeper.sleeps().size(), 2u);
}

TEST(WebhookSender, WaitsAsLongAsRetryAfterAsksButNoLongerThanMaxBackoff) {
  auto server = StartServer({Reply::Answer(429, {{"Retry-After", "3"}}),
                             Reply::Answer(503, {{"Retry-After", "120"}}),
                             Reply::Answer(200)});
  ASSERT_NE(server, nullptr);
  RecordingSleeper sleeper;
  WebhookSender sender(LoopbackOptions(), sleeper.AsFunction());

  const WebhookOutcome outcome = sender.Deliver(DeliveryTo(server->Url()));

  EXPECT_TRUE(outcome.delivered);
  EXPECT_THAT(sleeper.sleeps(),
              ElementsAre(absl::Seconds(3), absl::Seconds(30)));
}

TEST(WebhookSender, TreatsARedirectAsAFailureWithoutFollowingIt) {
  // Were the redirect followed, it would come back here as a second request.
  auto server = StartServer({Reply::Answer(302, {{"Location", "/elsewhere"}})});
  ASSERT_NE(server, nullptr);
  RecordingSleeper sleeper;
  WebhookSender sender(LoopbackOptions(), sleeper.AsFunction());

  const WebhookOutcome outcome = sender.Deliver(DeliveryTo(server->Url()));

  EXPECT_FALSE(outcome.delivered);
  EXPECT_EQ(outcome.attempts, 1);
  EXPECT_EQ(outcome.last_http_status, 302);
  EXPECT_THAT(outcome.failure_reason, HasSubstr("HTTP 302"));
  const std::vector<TestHttpServer::Request> requests = server->Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/hook");
}

TEST(WebhookSender, ReportsARefusedConnectionAfterMaxAttempts) {
  absl::StatusOr<std::unique_ptr<RefusingLoopbackPort>> port =
      RefusingLoopbackPort::Reserve();
  ASSERT_TRUE(port.ok()) << port.status();
  RecordingSleeper sleeper;
  WebhookSender sender(LoopbackOptions(), sleeper.AsFunction());
  const std::string address = absl::StrCat("127.0.0.1:", (*port)->port());

  const WebhookOutcome outcome = sender.Deliver(
      DeliveryTo(absl::StrCat("http://", address, "/hook?token=abc")));

  EXPECT_FALSE(outcome.delivered);
  EXPECT_EQ(outcome.attempts, 5);
  EXPECT_EQ(outcome.last_http_status, 0);
  EXPECT_EQ(outcome.failure_reason,
            absl::StrCat("connect to ", address,
                         " failed: Connection refused (after 5 attempts)"));
  EXPECT_EQ(sleeper.sleeps().size(), 4u);
}

TEST(WebhookSender, TimesOutEachAttemptWhenTheServerNeverAnswers) {
  auto server = StartServer({Reply::Silence()});
  ASSERT_NE(server, nullptr);
  RecordingSleeper sleeper;
  WebhookSenderOptions options = LoopbackOptions();
  options.max_attempts = 2;
  options.request_timeout = absl::Milliseconds(300);
  WebhookSender sender(options, sleeper.AsFunction());

  const WebhookOutcome outcome = sender.Deliver(DeliveryTo(server->Url()));

  EXPECT_FALSE(outcome.delivered);
  EXPECT_EQ(outcome.attempts, 2);
  EXPECT_EQ(outcome.last_http_status, 0);
  EXPECT_THAT(outcome.failure_reason, AllOf(HasSubstr("timed out after 300ms"),
                                            HasSubstr("after 2 attempts")));
  ASSERT_EQ(sleeper.sleeps().size(), 1u);
  EXPECT_THAT(sleeper.sleeps()[0], AllOf(Ge(absl::Milliseconds(250)), Le(absl::Milliseconds(500))));
  EXPECT_TRUE(server->WaitForRequests(1, absl::Seconds(10)));
}

TEST(WebhookSender, RejectsAnInvalidUrlWithoutSending) {
  RecordingSleeper sleeper;
  WebhookSender sender(LoopbackOptions(), sleeper.AsFunction());

  const WebhookOutcome outcome =
      sender.Deliver(DeliveryTo("file:///etc/passwd"));

  EXPECT_FALSE(outcome.delivered);
  EXPECT_EQ(outcome.attempts, 0);
  EXPECT_THAT(outcome.failure_reason, StartsWith("webhook.url: "));
}

TEST(WebhookSender, RejectsAnIdempotencyKeyThatWouldAddHeaders) {
  auto server = StartServer({Reply::Answer(200)});
  ASSERT_NE(server, nullptr);
  RecordingSleeper sleeper;
  WebhookSender sender(LoopbackOptions(), sleeper.AsFunction());

  const WebhookOutcome outcome =
      sender.Deliver(DeliveryTo(server->Url(), "k1\r\nX-Injected: yes"));

  EXPECT_FALSE(outcome.delivered);
  EXPECT_EQ(outcome.attempts, 0);
  EXPECT_THAT(outcome.failure_reason, StartsWith("webhook.idempotency_key: "));
  EXPECT_THAT(server->Requests(), IsEmpty());
}

TEST(WebhookSender, DeliversFromSeveralThreadsAtOnce) {
  auto server = StartServer({Reply::Answer(200)});
  ASSERT_NE(server, nullptr);
  RecordingSleeper sleeper;
  const WebhookSender sender(LoopbackOptions(), sleeper.AsFunction());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 3;
  std::vector<std::vector<WebhookOutcome>> outcomes(kThreads);

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        outcomes[t].push_back(sender.Deliver(
            DeliveryTo(server->Url(), absl::StrCat("key-", t, "-", i))));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  for (const std::vector<WebhookOutcome>& per_thread : outcomes) {
    for (const WebhookOutcome& outcome : per_thread) {
      EXPECT_TRUE(outcome.delivered) << outcome.failure_reason;
    }
  }
  std::set<std::string> keys;
  for (const TestHttpServer::Request& r : server->Requests()) {
    keys.insert(Header(r, "x-convene-idempotency-key"));
  }
  EXPECT_EQ(keys.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST(ValidateWebhookUrl, AcceptsHttpAndHttpsUrls) {
  for (absl::string_view url :
       {"http://example.com", "https://hooks.example.com/convene?tenant=t1#x",
        "http://127.0.0.1:8080/hook", "https://[::1]:8443/hook",
        "HTTPS://Hooks.Example.COM/Path", "https://example.com:/hook"}) {
    EXPECT_TRUE(ValidateWebhookUrl(url).ok())
        << url << ": " << ValidateWebhookUrl(url);
  }
}

TEST(ValidateWebhookUrl, RejectsOtherSchemes) {
  ExpectInvalidUrl("ftp://example.com/hook");
  ExpectInvalidUrl("file:///etc/passwd");
  ExpectInvalidUrl("gopher://example.com");
  ExpectInvalidUrl("example.com/hook");
  ExpectInvalidUrl("http:/example.com");
}

TEST(ValidateWebhookUrl, RejectsAnEmptyUrl) {
  EXPECT_EQ(ValidateWebhookUrl(""),
            absl::InvalidArgumentError("webhook.url: is empty"));
}

TEST(ValidateWebhookUrl, RejectsAUrlWithoutAHost) {
  ExpectInvalidUrl("http://");
  ExpectInvalidUrl("https:///hook");
  ExpectInvalidUrl("http://:8080/hook");
  ExpectInvalidUrl("https://?x=1");
  ExpectInvalidUrl("https://[]/hook");
}

TEST(ValidateWebhookUrl, RejectsAUrlLongerThan2000Characters) {
  const std::string prefix = "https://example.com/";
  const std::string longest = prefix + std::string(2000 - prefix.size(), 'a');
  EXPECT_TRUE(ValidateWebhookUrl(longest).ok());
  ExpectInvalidUrl(longest + "a");
}

TEST(ValidateWebhookUrl, RejectsWhitespaceAndControlCharacters) {
  ExpectInvalidUrl("https://example.com/a b");
  ExpectInvalidUrl(" https://example.com/");
  ExpectInvalidUrl("https://example.com/\tx");
  ExpectInvalidUrl("https://example.com/\r\nX-Injected: 1");
  ExpectInvalidUrl(std::string("https://example.com/\0x", 22));
  ExpectInvalidUrl("https://example.com/\x7f");
}

TEST(ValidateWebhookUrl, RejectsUserInfo) {
  ExpectInvalidUrl("https://user:pass@example.com/hook");
  ExpectInvalidUrl("https://user@example.com/hook");
  ExpectInvalidUrl("https://trusted.example@127.0.0.1/hook");
}

TEST(ValidateWebhookUrl, RejectsBadPortsAndHosts) {
  ExpectInvalidUrl("http://example.com:0/");
  ExpectInvalidUrl("http://example.com:65536/");
  ExpectInvalidUrl("http://example.com:http/");
  ExpectInvalidUrl("http://example.com:-1/");
  ExpectInvalidUrl("http://exa<mple.com/");
  ExpectInvalidUrl("http://[::1/");
  ExpectInvalidUrl("http://[::1]x/");
}

TEST(IsPublicAddress, RefusesEveryNonPublicRange) {
  for (const char* a : {"0.0.0.0", "10.1.2.3", "100.64.0.1", "127.0.0.1", "127.9.9.9",
                        "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.0.8",
                        "192.168.1.1", "198.18.0.1", "224.0.0.1", "240.0.0.1",
                        "255.255.255.255", "::", "::1", "fc00::1", "fd12:3456::1",
                        "fe80::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
                        "64:ff9b::a9fe:a9fe", "2001:db8::1", "[::1]", "not an address", ""}) {
    EXPECT_FALSE(IsPublicAddress(a)) << a;
  }
  for (const char* a : {"93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1",
                        "2606:2800:220:1:248:1893:25c8:1946", "::ffff:93.184.216.34"}) {
    EXPECT_TRUE(IsPublicAddress(a)) << a;
  }
}

// IPv6 forms that reach an IPv4 address inside the network, or are not
// routed on the Internet at all: the local-use NAT64 prefix (RFC 8215,
// 64:ff9b:1::/48, any prefix length an operator picks inside it), 6to4
// (2002::/16, the IPv4 address in bits 16-47), Teredo (2001::/32, the
// client's address inverted in the last 32 bits), the deprecated
// IPv4-compatible ::a.b.c.d and site-local fec0::/10, and the discard
// prefix 100::/64.
TEST(IsPublicAddress, RefusesIpv6FormsOfInsideAddresses) {
  for (const char* a : {"64:ff9b:1::a9fe:a9fe", "64:ff9b:1:a9fe:a9:fe00::",
                        "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "2002:a9fe:a9fe::1",
                        "2002:7f00:1::", "2002:c0a8:101::1",
                        "2001:0:4136:e378:8000:63bf:80ff:fffe", "::127.0.0.1", "::8.8.8.8",
                        "fec0::1", "100::1"}) {
    EXPECT_FALSE(IsPublicAddress(a)) << a;
  }
  for (const char* a : {"2002:5db8:d822::1", "2001:0:4136:e378:8000:63bf:a2b7:f7dd",
                        "64:ff9b::5db8:d822", "2a00:1450:4001:80b::200e"}) {
    EXPECT_TRUE(IsPublicAddress(a)) << a;
  }
}

TEST(CheckWebhookTarget, RefusesMetadataLoopbackAndPrivateTargetsUnlessAllowed) {
  for (const char* url : {"http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:8080/x",
                          "http://localhost/x", "http://[::1]/x", "https://10.0.0.5/hook",
                          "http://0x7f000001/x", "http://2130706433/x"}) {
    absl::StatusOr<std::vector<std::string>> checked = CheckWebhookTarget(url, false);
    EXPECT_EQ(checked.status().code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_THAT(std::string(checked.status().message()),
                ::testing::HasSubstr("not a public address"))
        << url;
    EXPECT_TRUE(CheckWebhookTarget(url, true).ok()) << url;
  }
  // A public literal passes; a name that does not resolve now is left to
  // delivery, which checks again.
  EXPECT_TRUE(CheckWebhookTarget("https://93.184.216.34/hook", false).ok());
  EXPECT_TRUE(CheckWebhookTarget("https://does-not-resolve.invalid/hook", false).ok());
}

TEST(WebhookSender, NeverSendsToAPrivateTargetByDefault) {
  auto server = StartServer({Reply::Answer(200)});
  ASSERT_NE(server, nullptr);
  RecordingSleeper sleeper;
  WebhookSender sender(WebhookSenderOptions{}, sleeper.AsFunction());
  const WebhookOutcome outcome = sender.Deliver(DeliveryTo(server->Url("/hook")));
  EXPECT_FALSE(outcome.delivered);
  EXPECT_EQ(outcome.attempts, 0);
  EXPECT_THAT(outcome.failure_reason, HasSubstr("not a public address"));
  EXPECT_THAT(server->Requests(), IsEmpty());
}

TEST(ValidateWebhookSecret, AcceptsSixteenToTwoHundredFiftySixCharacters) {
  EXPECT_TRUE(ValidateWebhookSecret(std::string(16, 'k')).ok());
  EXPECT_TRUE(ValidateWebhookSecret(std::string(256, 'k')).ok());
}

std::string Omegas(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += "\u03a9";  // one character, two bytes
  return out;
}

TEST(ValidateWebhookSecret, CountsCharactersNotBytes) {
  EXPECT_TRUE(ValidateWebhookSecret(Omegas(16)).ok());
  EXPECT_TRUE(ValidateWebhookSecret(Omegas(256)).ok());
  EXPECT_EQ(ValidateWebhookSecret(Omegas(8)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateWebhookSecret(Omegas(257)).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ValidateWebhookSecret, RejectsTooShortOrTooLongWithoutEchoingIt) {
  for (const std::string& secret :
       {std::string("hunter2-hunter2"), std::string(257, 'q')}) {
    const absl::Status status = ValidateWebhookSecret(secret);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()), StartsWith("webhook.secret: "));
    EXPECT_THAT(std::string(status.message()), Not(HasSubstr(secret)));
    EXPECT_THAT(std::string(status.message()), Not(HasSubstr("hunter2")));
  }
  EXPECT_FALSE(ValidateWebhookSecret("").ok());
}

}  // namespace
}  // namespace convene::notification
