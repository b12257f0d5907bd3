// WebApp: convene-web's pages and JSON endpoints, a gRPC client of the
// Convene services on one side and an HTTP server for browsers on the
// other. It owns no data: every answer comes from the services, called
// with the token of the browser's session.
//
//   WebApp app(config, client_options, attendance_channel);
//   httplib::Server http;
//   app.Register(http);          // routes, security headers, CSRF, logging
//   ... http.listen_after_bind();
//   app.Shutdown();              // ends the live streams so stop() returns
//
// Routes (HTML pages are one shell that /static/app.js fills in):
//   GET  /signin, POST /signin, POST /signout
//   GET  /events, /events/ID, /events/ID/live, /events/ID/desk    pages
//   GET  /api/events, /api/events/ID, /api/events/ID/counts,
//        /api/events/ID/people?q=, /api/events/ID/stream (SSE)    JSON
//   POST /api/events/ID/checkin                                    check-in
//   GET  /download/ID/attendance.csv, /download/ID/calendar.ics
// Every POST needs the session's CSRF token (header X-CSRF-Token or form
// field csrf); anything else answers 403.
#ifndef CONVENE_CLIENTS_WEB_WEB_APP_H_
#define CONVENE_CLIENTS_WEB_WEB_APP_H_

#include <httplib.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "convene_client.h"
#include "counts_stream.h"
#include "session_store.h"

namespace convene::web {

struct WebConfig {
  // Set the cookie's Secure attribute: convene-web serves TLS itself, or
  // sits behind a TLS-terminating proxy (--secure_cookies).
  bool secure_cookies = false;
  size_t max_sessions = 10000;
  absl::Duration session_idle_timeout = absl::Hours(12);
  // Live pages open at once (each holds a gRPC stream and an HTTP thread).
  size_t max_live_streams = 24;
  // Of those, the most one token may hold.
  size_t max_live_streams_per_token = 6;
  // A live page's stream ends after this long and the browser reconnects,
  // so that no call lives forever (and a revoked token is noticed).
  absl::Duration live_stream_max_duration = absl::Minutes(30);
  // Registrations read per desk search (a workshop has tens to hundreds);
  // past it the answer says the search stopped short.
  int max_registrations = 5000;
  // Events per answer of /api/events; more follow with its next_page_token.
  int events_per_answer = 2000;
  // Where request lines go (stderr in main; tests may collect them).
  std::function<void(const std::string&)> log;
};

class WebApp {
 public:
  // `client_options` says where the services are (no token: each call
  // takes its session's); `attendance` is a channel to the attendance
  // service for the live streams.
  WebApp(WebConfig config, client::ClientOptions client_options,
         std::shared_ptr<grpc::Channel> attendance);

  void Register(httplib::Server& server);
  // Ends every live stream and refuses new ones.
  void Shutdown();

 private:
  struct Call;  // one request with its session, see web_app.cc

  std::shared_ptr<client::ConveneClient> ClientFor(const std::string& token);
  EventAccess AccessFor(const Session& session, const std::string& event_id);

  void Page(const httplib::Request& req, httplib::Response& res,
            const std::string& page);
  void SignInForm(const httplib::Request& req, httplib::Response& res);
  void SignIn(const httplib::Request& req, httplib::Response& res);
  void SignOut(const httplib::Request& req, httplib::Response& res);
  void ListEvents(const httplib::Request& req, httplib::Response& res);
  void EventDetails(const httplib::Request& req, httplib::Response& res);
  void Counts(const httplib::Request& req, httplib::Response& res);
  void People(const httplib::Request& req, httplib::Response& res);
  void CheckIn(const httplib::Request& req, httplib::Response& res);
  void Stream(const httplib::Request& req, httplib::Response& res);
  void DownloadCsv(const httplib::Request& req, httplib::Response& res);
  void DownloadIcs(const httplib::Request& req, httplib::Response& res);
  // The CSRF (and Origin) check of every POST; false: 403 written.
  bool AdmitPost(const httplib::Request& req, httplib::Response& res);
  // The session cookie's name: "__Host-convene_session" when it is Secure.
  const char* CookieName() const;
  std::string SessionCookie(const std::string& id, bool clear = false) const;

  const WebConfig config_;
  const client::ClientOptions client_options_;
  SessionStore sessions_;
  CountsStreams streams_;
  absl::Mutex clients_mu_;
  // One client (its channels) per token in use, so that a page's calls do
  // not each open connections. Bounded: cleared when full.
  absl::flat_hash_map<std::string, std::shared_ptr<client::ConveneClient>>
      clients_ ABSL_GUARDED_BY(clients_mu_);
};

}  // namespace convene::web

#endif  // CONVENE_CLIENTS_WEB_WEB_APP_H_
