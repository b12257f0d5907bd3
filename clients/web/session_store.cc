#include "session_store.h"

#include <utility>

#include "csrf.h"

namespace convene::web {

SessionStore::SessionStore(Options options, std::function<absl::Time()> now)
    : options_(options), now_(std::move(now)) {}

Session SessionStore::CreateAnonymous() {
  Session s;
  s.id = RandomToken();
  s.csrf = RandomToken();
  s.last_used = now_();
  absl::MutexLock lock(&mu_);
  InsertLocked(s);
  return s;
}

std::optional<Session> SessionStore::Find(const std::string& id) {
  if (id.empty()) return std::nullopt;
  const absl::Time now = now_();
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  if (now - it->second.last_used > options_.idle_timeout) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_used = now;
  return it->second;
}

std::optional<Session> SessionStore::SignIn(const std::string& id,
                                            std::string token,
                                            bool lists_events) {
  const absl::Time now = now_();
  Session s;
  s.id = RandomToken();
  s.csrf = RandomToken();
  s.token = std::move(token);
  s.lists_events = lists_events;
  s.last_used = now;
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() ||
      now - it->second.last_used > options_.idle_timeout) {
    return std::nullopt;
  }
  sessions_.erase(it);
  InsertLocked(s);
  return s;
}

void SessionStore::Remove(const std::string& id) {
  absl::MutexLock lock(&mu_);
  sessions_.erase(id);
}

void SessionStore::SetEventAccess(const std::string& id,
                                  const std::string& event_id,
                                  EventAccess access) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  auto& events = it->second.events;
  if (events.size() >= options_.max_events_per_session &&
      !events.contains(event_id)) {
    events.erase(events.begin());
  }
  events[event_id] = access;
}

size_t SessionStore::size() const {
  absl::MutexLock lock(&mu_);
  return sessions_.size();
}

void SessionStore::InsertLocked(Session session) {
  EvictLocked();
  std::string id = session.id;
  sessions_.emplace(std::move(id), std::move(session));
}

void SessionStore::EvictLocked() {
  const absl::Time now = now_();
  absl::erase_if(sessions_, [&](const auto& entry) {
    return now - entry.second.last_used > options_.idle_timeout;
  });
  // Still full: the least recently used goes, anonymous ones first, so
  // that a flood of visits to the sign-in page cannot sign organisers out.
  // A linear scan, but only while the store is full.
  while (sessions_.size() >= options_.max_sessions && !sessions_.empty()) {
    auto victim = sessions_.end();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (victim == sessions_.end()) {
        victim = it;
        continue;
      }
      const bool anon = !it->second.signed_in(),
                 victim_anon = !victim->second.signed_in();
      if ((anon && !victim_anon) ||
          (anon == victim_anon &&
           it->second.last_used < victim->second.last_used)) {
        victim = it;
      }
    }
    sessions_.erase(victim);
  }
}

}  // namespace convene::web
