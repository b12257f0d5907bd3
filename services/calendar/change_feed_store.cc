#include "calendar/change_feed_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "storage/keys.h"
#include "storage/stream_position.h"
#include "calendar/scripts/feed_append_lua.h"
#include "storage/stream_range.h"

namespace convene::storage {

std::string ChangeFeedStore::Key() { return keys::ChangeFeed(); }

absl::StatusOr<FeedEntry> ChangeFeedStore::ParseEntry(const RedisReply& entry) {
  auto e = entry.elements();
  if (!entry.is_array() || e.size() != 2 || !e[1].is_array()) {
    return absl::InternalError("change feed: malformed entry");
  }
  FeedEntry out;
  out.id = e[0].text();
  auto kv = e[1].elements();
  for (size_t i = 0; i + 1 < kv.size(); i += 2) {
    if (kv[i].text() == "src") {
      out.stream = kv[i + 1].text();
    } else {
      out.fields[kv[i].text()] = kv[i + 1].text();
    }
  }
  return out;
}

void ChangeFeedStore::Read(std::string position, int count,
                           Callback<ChangeFeedPage> done) {
  ReadStreamAfter(
      redis_, keys::ChangeFeed(), std::move(position), count,
      {.field = "position",
       .resync = "start again with an empty position and re-read the current "
                 "state (ListEvents, ListRegistrations)",
       .empty_is_oldest_kept = true},
      [this, done = std::move(done)](absl::StatusOr<StreamRange> range) mutable {
        if (!range.ok()) return done(range.status());
        ChangeFeedPage page;
        page.last_position = range->last_position();
        page.epoch = range->epoch;
        for (const RedisReply& raw : range->entries) {
          absl::StatusOr<FeedEntry> entry = ParseEntry(raw);
          if (!entry.ok()) return done(entry.status());
          entry->id = range->PositionOf(entry->id);
          page.entries.push_back(*std::move(entry));
        }
        std::vector<FeedEntry> entries = std::move(page.entries);
        Resolve(std::move(entries), [page = std::move(page), done = std::move(done)](
                                        absl::StatusOr<std::vector<FeedEntry>> entries) mutable {
          if (!entries.ok()) return done(entries.status());
          page.entries = *std::move(entries);
          done(std::move(page));
        });
      });
}

void ChangeFeedStore::Resolve(std::vector<FeedEntry> entries,
                              Callback<std::vector<FeedEntry>> done) {
  // Which field of keys::ChangeFeedPeople() answers which entry's field.
  struct Wanted {
    size_t entry;
    std::string field;
  };
  std::vector<Wanted> wanted;
  std::vector<std::string> command = {"HMGET", keys::ChangeFeedPeople()};
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& f = entries[i].fields;
    auto pn = f.find("pn");
    if (pn == f.end() || pn->second != "1") continue;
    auto event = f.find("event");
    auto participant = f.find("participant");
    if (event == f.end() || participant == f.end()) continue;
    const std::string person = absl::StrCat(event->second, "|", participant->second);
    wanted.push_back({i, std::string(kFeedPersonId)});
    command.push_back(person);
    auto sid = f.find("sid");
    if (sid != f.end()) {
      wanted.push_back({i, std::string(kFeedPersonReason)});
      command.push_back(absl::StrCat(person, "|", sid->second));
    }
  }
  if (wanted.empty()) return done(std::move(entries));
  redis_.Command(std::move(command), [entries = std::move(entries), wanted = std::move(wanted),
                                      done = std::move(done)](
                                         absl::StatusOr<RedisReply> r) mutable {
    if (!r.ok()) return done(r.status());
    if (r->is_error()) return done(absl::UnavailableError(absl::StrCat("change feed: ", r->text())));
    const auto& values = r->elements();
    for (size_t k = 0; k < wanted.size() && k < values.size(); ++k) {
      // Nil: relayed before the person's fields were kept; "": erased (an
      // id is never empty; feed_append.lua).
      if (values[k].is_nil() || values[k].text().empty()) continue;
      entries[wanted[k].entry].fields[wanted[k].field] = values[k].text();
    }
    done(std::move(entries));
  });
}

void ChangeFeedStore::Head(Callback<std::string> done) {
  ReadStreamHead(redis_, keys::ChangeFeed(), std::move(done));
}

absl::StatusOr<int> AppendToChangeFeed(RedisSyncClient& redis,
                                       const std::vector<FeedEntry>& entries,
                                       int64_t max_entries) {
  // One XREAD of the relay may return hundreds of entries from each of
  // hundreds of streams (a first start, a long outage); scripts of a few
  // hundred entries keep Redis from stalling on one. Each script records
  // its own sources' positions, so a failure between two leaves nothing
  // half-done: the next relay resumes after the last script that ran.
  constexpr size_t kPerScript = 500;
  int appended = 0;
  for (size_t begin = 0; begin < entries.size(); begin += kPerScript) {
    const size_t end = std::min(entries.size(), begin + kPerScript);
    std::vector<std::string> argv = {absl::StrCat(max_entries)};
    for (size_t i = begin; i < end; ++i) {
      const FeedEntry& e = entries[i];
      argv.push_back(e.stream);
      argv.push_back(e.id);
      std::vector<std::string> kept;
      std::string person, person_id, reason, reason_of, forgotten;
      for (const auto& [field, value] : e.fields) {
        if (field == kFeedPerson) {
          person = value;
        } else if (field == kFeedPersonReasonOf) {
          reason_of = value;
        } else if (field == kFeedPersonId) {
          person_id = value;
        } else if (field == kFeedPersonReason) {
          reason = value;
        } else if (field == kFeedPersonForgotten) {
          forgotten = value;
        } else {
          kept.push_back(field);
          kept.push_back(value);
        }
      }
      argv.push_back(absl::StrCat(kept.size() / 2));
      for (std::string& v : kept) argv.push_back(std::move(v));
      for (std::string* v : {&person, &person_id, &reason, &reason_of, &forgotten}) {
        argv.push_back(std::move(*v));
      }
    }
    absl::StatusOr<RedisReply> r =
        redis.Eval(scripts::FeedAppend(),
                   {keys::ChangeFeed(), keys::ChangeFeedSources(),
                    keys::StreamEpoch(keys::ChangeFeed()), keys::ChangeFeedPeople(),
                    keys::ChangeFeedPeopleAge(), keys::ChangeFeedPeopleBackfill()},
                   std::move(argv));
    if (!r.ok()) return r.status();
    appended += static_cast<int>(r->as_integer().value_or(0));
  }
  return appended;
}

}  // namespace convene::storage
