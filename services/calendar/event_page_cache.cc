#include "calendar/event_page_cache.h"

#include <utility>

namespace convene::calendar {

std::shared_ptr<const EventDocumentPage> EventPageCache::Find(
    absl::string_view head, absl::string_view query_key) const {
  absl::MutexLock lock(&mu_);
  if (head != head_) return nullptr;
  auto it = pages_.find(query_key);
  if (it == pages_.end()) return nullptr;
  return it->second;
}

void EventPageCache::Put(absl::string_view head, std::string query_key,
                         std::shared_ptr<const EventDocumentPage> page) {
  const size_t bytes = page->response.size() + query_key.size();
  if (bytes > max_bytes_) return;
  absl::MutexLock lock(&mu_);
  if (head != head_ || pages_.size() >= max_pages_ || bytes_ + bytes > max_bytes_) {
    pages_.clear();
    bytes_ = 0;
    head_ = std::string(head);
  }
  auto [it, added] = pages_.try_emplace(std::move(query_key), std::move(page));
  if (added) bytes_ += bytes;
}

size_t EventPageCache::size() const {
  absl::MutexLock lock(&mu_);
  return pages_.size();
}

}  // namespace convene::calendar
