// EventPageCache: ListEvents pages read lately, each kept with the calendar's
// head (its change stream's newest entry and epoch, as a sync token) at the
// time it was read. Every write to the calendar appends to that stream in
// the same script (calendar_write.lua), so while Redis still reports the
// same head, reading the page again would give the same bytes: a repeated
// page (a calendar integration polling its window) costs one small read of
// the head instead of the page script and fifty documents. A page is kept
// under the head its own read returned, so a write that raced the read only
// makes the page miss.
//
//   EventPageCache pages;
//   std::string head = ...;  // CalendarStore::Head
//   if (auto page = pages.Find(head, key)) return *page;
//   pages.Put(page->sync_token, key, page);
//
// Pages of one head at a time: a newer head drops the rest (they were all
// read before it). Bounded by pages and bytes; when full it starts over.
// Thread-safe.
#ifndef CONVENE_CALENDAR_EVENT_PAGE_CACHE_H_
#define CONVENE_CALENDAR_EVENT_PAGE_CACHE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace convene::calendar {

// One ListEvents page as stored: each event a serialised convene.v1.Event
// (what ListEvents answers with), and the whole page already encoded as a
// ListEventsResponse, so a page is sent as it was read.
struct EventDocumentPage {
  std::vector<std::string> documents;
  std::string next_page_token;
  std::string sync_token;
  std::string response;  // the encoded convene.v1.ListEventsResponse
};

class EventPageCache {
 public:
  explicit EventPageCache(size_t max_pages = 1024, size_t max_bytes = size_t{64} << 20)
      : max_pages_(max_pages), max_bytes_(max_bytes) {}

  // The page asked for by `query_key`, if it was read at `head`.
  std::shared_ptr<const EventDocumentPage> Find(absl::string_view head,
                                                absl::string_view query_key) const;

  // Keeps `page`, read at `head`.
  void Put(absl::string_view head, std::string query_key,
           std::shared_ptr<const EventDocumentPage> page);

  size_t size() const;

 private:
  const size_t max_pages_;
  const size_t max_bytes_;
  mutable absl::Mutex mu_;
  std::string head_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, std::shared_ptr<const EventDocumentPage>> pages_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace convene::calendar

#endif  // CONVENE_CALENDAR_EVENT_PAGE_CACHE_H_
