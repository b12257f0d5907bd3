// convene-web: the organisers' browser pages, served over HTTP, calling the
// Convene services over gRPC with each signed-in browser's own token.
//
//   convene-web --server=127.0.0.1:50051 --listen=127.0.0.1:8080
//
// Prints "convene-web listening on http://HOST:PORT" once it accepts
// connections; stops cleanly on SIGTERM or SIGINT (live pages are ended,
// in-flight requests finish).
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "convene_client.h"
#include "web_app.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:8080",
          "HOST:PORT to serve HTTP on (port 0 picks a free port, printed)");
ABSL_FLAG(std::string, server, "127.0.0.1:50051",
          "host:port of a server with all the services (convened)");
ABSL_FLAG(std::string, calendar, "",
          "the calendar service's host:port (default --server)");
ABSL_FLAG(std::string, attendance, "",
          "the attendance service's host:port (default --server)");
ABSL_FLAG(std::string, notification, "",
          "the notification service's host:port (default --server)");
ABSL_FLAG(std::string, tls_ca_file, "",
          "the services serve TLS: trust the CA certificates in this PEM file");
ABSL_FLAG(std::string, tls_client_cert_file, "",
          "PEM client certificate for services that require one (mutual TLS)");
ABSL_FLAG(std::string, tls_client_key_file, "",
          "PEM private key of --tls_client_cert_file");
ABSL_FLAG(std::string, http_tls_cert_file, "",
          "serve HTTPS with this PEM certificate (chain) instead of HTTP");
ABSL_FLAG(std::string, http_tls_key_file, "",
          "PEM private key of --http_tls_cert_file");
ABSL_FLAG(bool, secure_cookies, false,
          "mark the session cookie Secure although serving HTTP: convene-web "
          "sits behind a "
          "TLS-terminating proxy (implied by --http_tls_cert_file)");
ABSL_FLAG(int, http_threads, 48,
          "HTTP worker threads (each live page holds one)");
ABSL_FLAG(int, max_live_pages, 24, "live attendance pages open at once");
ABSL_FLAG(int, max_live_pages_per_token, 6,
          "of those, the most one token may hold open");
ABSL_FLAG(absl::Duration, live_page_max_duration, absl::Minutes(30),
          "a live page's stream ends after this long; the browser reconnects "
          "by itself");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10),
          "deadline of each call to the services");
ABSL_FLAG(int, events_per_answer, 2000,
          "events per answer of the events list; the page offers the rest "
          "with a button (1-10000)");
ABSL_FLAG(int, desk_search_limit, 5000,
          "registrations a desk search reads at most; past it the desk says "
          "it searched only part (1-100000)");
ABSL_FLAG(bool, log_requests, true,
          "one line per HTTP request on stderr (no tokens, no queries)");

namespace {

using convene::web::WebApp;
using convene::web::WebConfig;

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream file(path, std::ios::binary);
  out->assign(std::istreambuf_iterator<char>(file),
              std::istreambuf_iterator<char>());
  return file.good() || file.eof();
}

int Fail(const std::string& message) {
  std::cerr << "convene-web: " << message << std::endl;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists, so that only the waiter below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A browser that goes away mid-response must not kill the process.
  signal(SIGPIPE, SIG_IGN);

  absl::SetProgramUsageMessage(
      "convene-web --server=HOST:PORT --listen=HOST:PORT: the organisers' "
      "browser pages");
  absl::ParseCommandLine(argc, argv);

  const std::string listen = absl::GetFlag(FLAGS_listen);
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return Fail("--listen must be HOST:PORT, not \"" + listen + "\"");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }

  convene::client::ClientOptions options;
  options.target = absl::GetFlag(FLAGS_server);
  options.calendar_target = absl::GetFlag(FLAGS_calendar);
  options.attendance_target = absl::GetFlag(FLAGS_attendance);
  options.notification_target = absl::GetFlag(FLAGS_notification);
  options.deadline = absl::GetFlag(FLAGS_timeout);
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::InsecureChannelCredentials();
  if (const std::string ca = absl::GetFlag(FLAGS_tls_ca_file); !ca.empty()) {
    grpc::SslCredentialsOptions ssl;
    if (!ReadFile(ca, &ssl.pem_root_certs) ||
        ssl.pem_root_certs.find("-----BEGIN CERTIFICATE-----") ==
            std::string::npos) {
      return Fail("--tls_ca_file: \"" + ca +
                  "\" is not a readable PEM certificate file");
    }
    const std::string cert = absl::GetFlag(FLAGS_tls_client_cert_file);
    const std::string key = absl::GetFlag(FLAGS_tls_client_key_file);
    if (cert.empty() != key.empty()) {
      return Fail(
          "--tls_client_cert_file and --tls_client_key_file go together");
    }
    if (!cert.empty() && (!ReadFile(cert, &ssl.pem_cert_chain) ||
                          !ReadFile(key, &ssl.pem_private_key))) {
      return Fail(
          "cannot read --tls_client_cert_file or --tls_client_key_file");
    }
    credentials = grpc::SslCredentials(ssl);
    options.credentials = credentials;
  }
  const std::string attendance_target = options.attendance_target.empty()
                                            ? options.target
                                            : options.attendance_target;
  std::shared_ptr<grpc::Channel> attendance =
      grpc::CreateChannel(attendance_target, credentials);

  const std::string https_cert = absl::GetFlag(FLAGS_http_tls_cert_file);
  const std::string https_key = absl::GetFlag(FLAGS_http_tls_key_file);
  if (https_cert.empty() != https_key.empty()) {
    return Fail("--http_tls_cert_file and --http_tls_key_file go together");
  }
  WebConfig config;
  config.secure_cookies =
      absl::GetFlag(FLAGS_secure_cookies) || !https_cert.empty();
  config.live_stream_max_duration = absl::GetFlag(FLAGS_live_page_max_duration);
  config.max_live_streams =
      static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_max_live_pages)));
  config.events_per_answer = absl::GetFlag(FLAGS_events_per_answer);
  if (config.events_per_answer < 1 || config.events_per_answer > 10000) {
    return Fail("--events_per_answer must be 1-10000");
  }
  config.max_registrations = absl::GetFlag(FLAGS_desk_search_limit);
  if (config.max_registrations < 1 || config.max_registrations > 100000) {
    return Fail("--desk_search_limit must be 1-100000");
  }
  config.max_live_streams_per_token = static_cast<size_t>(
      std::max(1, absl::GetFlag(FLAGS_max_live_pages_per_token)));
  if (absl::GetFlag(FLAGS_log_requests)) {
    config.log = [](const std::string& line) {
      std::fprintf(stderr, "%s\n", line.c_str());
    };
  }
  const int threads = std::max(4, absl::GetFlag(FLAGS_http_threads));
  if (static_cast<size_t>(threads) <= config.max_live_streams) {
    return Fail(
        "--http_threads must exceed --max_live_pages, or live pages starve the "
        "rest");
  }

  std::unique_ptr<httplib::Server> http;
  if (!https_cert.empty()) {
    auto tls = std::make_unique<httplib::SSLServer>(https_cert.c_str(),
                                                    https_key.c_str());
    if (!tls->is_valid())
      return Fail("cannot load --http_tls_cert_file / --http_tls_key_file");
    http = std::move(tls);
  } else {
    http = std::make_unique<httplib::Server>();
  }
  http->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http->set_payload_max_length(64 * 1024);
  http->set_read_timeout(10, 0);
  http->set_write_timeout(10, 0);
  http->set_keep_alive_max_count(100);

  WebApp app(config, options, attendance);
  app.Register(*http);

  const int bound = port == 0 ? http->bind_to_any_port(host)
                              : (http->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) return Fail("cannot listen on " + listen);
  std::thread serving([&http] { http->listen_after_bind(); });
  std::printf("convene-web listening on %s://%s:%d (services at %s)\n",
              https_cert.empty() ? "http" : "https",
              listen.substr(0, colon).c_str(), bound, options.target.c_str());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::fprintf(stderr, "convene-web: signal %d, stopping\n", signal_number);
  // Live pages first: their handlers would otherwise keep stop() waiting.
  app.Shutdown();
  http->stop();
  serving.join();
  std::fprintf(stderr, "convene-web: stopped\n");
  return 0;
}
