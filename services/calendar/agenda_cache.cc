#include "calendar/agenda_cache.h"

namespace convene::calendar {

std::shared_ptr<const AgendaAnswer> AgendaCache::Find(const std::string& event_id,
                                                      const std::string& viewer_zone,
                                                      const std::string& document) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(std::make_pair(event_id, viewer_zone));
  if (it == entries_.end() || it->second.document != document) return nullptr;
  return it->second.answer;
}

void AgendaCache::Put(const std::string& event_id, const std::string& viewer_zone,
                      std::string document, std::shared_ptr<const AgendaAnswer> answer) {
  absl::MutexLock lock(&mu_);
  if (entries_.size() >= capacity_) entries_.clear();
  entries_.insert_or_assign(std::make_pair(event_id, viewer_zone),
                            Entry{std::move(document), std::move(answer)});
}

size_t AgendaCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace convene::calendar
