// SessionStore: the only state convene-web keeps, in memory: which browser
// (a random session id in an HttpOnly cookie) holds which Convene token,
// its CSRF token, and what the token was found to be allowed to do per
// event. A restart signs everyone out, which is the point: nothing to
// leak from disk.
//
//   SessionStore store({.max_sessions = 10000}, [] { return absl::Now(); });
//   Session anon = store.CreateAnonymous();           // for the sign-in form
//   std::optional<Session> s = store.SignIn(anon.id, token,
//   /*lists_events=*/true);
//   // s->id is new: the id the browser held before signing in is dropped
//
// Sessions that were not used for `idle_timeout` expire; when the store is
// full, the least recently used is dropped. Thread-safe.
#ifndef CONVENE_CLIENTS_WEB_SESSION_STORE_H_
#define CONVENE_CLIENTS_WEB_SESSION_STORE_H_

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace convene::web {

// What a token may do with one event, found by trying (the API has no
// "who am I" call; see EventAccessProbe in web_app.cc).
struct EventAccess {
  bool sees_people = false;       // names and registrations (organizer, checkin, admin)
  bool organises = false;         // registrations' changes, the CSV (organizer, admin)
  bool checks_in = false;         // the desk (checkin, organizer, admin)
  bool exports_calendar = false;  // iCalendar (organizer, integration, admin)
};

struct Session {
  std::string id;
  std::string csrf;
  // Empty until signed in. Never logged, never sent to the browser.
  std::string token;
  // Whether the token may list the whole calendar (tokens limited to some
  // events may not; they open an event by id).
  bool lists_events = false;
  absl::Time last_used;
  std::map<std::string, EventAccess> events;

  bool signed_in() const { return !token.empty(); }
};

class SessionStore {
 public:
  struct Options {
    size_t max_sessions = 10000;
    absl::Duration idle_timeout = absl::Hours(12);
    // Remembered per session; more events than this forget the oldest.
    size_t max_events_per_session = 64;
  };

  SessionStore(Options options, std::function<absl::Time()> now);

  // A session without a token: it carries the CSRF token of the sign-in form.
  Session CreateAnonymous();
  // The live session with that id (and marks it used), or nothing.
  std::optional<Session> Find(const std::string& id);
  // Replaces session `id` by a new signed-in one holding `token` (a fresh id
  // and CSRF token, so an id planted before sign-in is worthless after).
  // Nothing if `id` is unknown or expired.
  std::optional<Session> SignIn(const std::string& id, std::string token,
                                bool lists_events);
  void Remove(const std::string& id);
  void SetEventAccess(const std::string& id, const std::string& event_id,
                      EventAccess access);
  size_t size() const;

 private:
  void InsertLocked(Session session) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EvictLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  const std::function<absl::Time()> now_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Session> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace convene::web

#endif  // CONVENE_CLIENTS_WEB_SESSION_STORE_H_
