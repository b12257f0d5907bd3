#include "calendar/change_feed.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/page_token.h"
#include "core/text_limits.h"

namespace convene::calendar {

bool ChangeFeedApp::Matches(const ChangeQuery& query,
                            const storage::FeedEntry& entry) {
  if (!query.event_id.empty()) {
    auto event = entry.fields.find("event");
    if (event == entry.fields.end() || event->second != query.event_id) return false;
  }
  if (!query.kinds.empty()) {
    auto kind = entry.fields.find("kind");
    if (kind == entry.fields.end() || !query.kinds.contains(kind->second)) return false;
  }
  return true;
}

void ChangeFeedApp::ListChanges(
    ChangeQuery query, absl::AnyInvocable<void(absl::StatusOr<ChangeSlice>)> done) {
  absl::StatusOr<int> resolved =
      core::ResolvePageSize(query.page_size, kDefaultPageSize, kMaxPageSize);
  if (!resolved.ok()) return done(resolved.status());
  const int page_size = *resolved;
  const bool filtered = !query.event_id.empty() || !query.kinds.empty();
  const int examine = filtered ? std::max(page_size, kExaminedPerCall) : page_size;
  std::string from = query.position;
  store_.Read(
      std::move(from), examine,
      [query = std::move(query), page_size, examine, done = std::move(done)](
          absl::StatusOr<storage::ChangeFeedPage> page) mutable {
        if (!page.ok()) return done(page.status());
        ChangeSlice slice;
        slice.next_position =
            query.position.empty() ? page->last_position : query.position;
        bool full = false;
        size_t bytes = 0;
        for (storage::FeedEntry& entry : page->entries) {
          if (full) break;
          const bool match = Matches(query, entry);
          size_t entry_bytes = 0;
          for (const auto& [name, value] : entry.fields) entry_bytes += name.size() + value.size();
          if (match && !core::PageHasRoom(slice.entries.size(), bytes, entry_bytes)) {
            full = true;  // this entry starts the next page
            break;
          }
          slice.next_position = entry.id;
          if (!match) continue;
          bytes += entry_bytes;
          slice.entries.push_back(std::move(entry));
          full = static_cast<int>(slice.entries.size()) == page_size;
        }
        // More may follow when this call stopped before the end of what it
        // read, or read as much as it asked for.
        slice.has_more = slice.next_position != page->last_position &&
                         (full || static_cast<int>(page->entries.size()) == examine);
        done(std::move(slice));
      });
}

}  // namespace convene::calendar
