#include "calendar/calendar_store.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "storage/keys.h"
#include "storage/stream_position.h"
#include "calendar/scripts/calendar_list_lua.h"
#include "calendar/scripts/calendar_write_lua.h"

namespace convene::storage {
namespace {

std::string Clean(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"|", "/"}});
}

std::string Attributes(const CalendarRecord& r) {
  return absl::StrCat(r.revision, "|", r.start_ms, "|", r.end_ms, "|", r.status,
                      "|", r.format, "|", r.kind, "|", Clean(r.community), "|",
                      Clean(r.city));
}

std::vector<std::string> WriteKeys() {
  return {keys::CalendarDocuments(), keys::CalendarAttributes(),
          keys::CalendarStartIndex(), keys::CalendarStats(),
          keys::CalendarChanges(), keys::CalendarCreateRequests(),
          keys::StreamEpoch(keys::CalendarChanges())};
}

absl::StatusOr<CalendarWrite> ParseWrite(absl::StatusOr<RedisReply> reply) {
  if (!reply.ok()) return reply.status();
  auto e = reply->elements();
  if (!reply->is_array() || e.size() != 3) {
    return absl::InternalError("calendar_write.lua: unexpected reply");
  }
  CalendarWrite w;
  w.applied = e[0].is_integer() && *e[0].as_integer() == 1;
  w.document = e[1].text();
  w.change_id = e[2].text();
  return w;
}

}  // namespace

CalendarStore::CalendarStore(RedisClient& redis, int64_t max_changes)
    : redis_(redis), max_changes_(max_changes) {}

std::string CalendarStore::ChangesKey() { return keys::CalendarChanges(); }

void CalendarStore::Create(const CalendarRecord& r, std::string request_fingerprint,
                           Callback<CalendarWrite> done) {
  redis_.Eval(scripts::CalendarWrite(), WriteKeys(),
              {"create", r.id, "0", r.document, Attributes(r),
               absl::StrCat(r.start_ms), absl::StrCat(r.end_ms), "created", "",
               absl::StrCat(max_changes_), absl::StrCat(r.revision),
               std::move(request_fingerprint)},
              [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                done(ParseWrite(std::move(reply)));
              });
}

void CalendarStore::Update(const CalendarRecord& r, int64_t expected_revision,
                           std::string change_type, std::string reason,
                           Callback<CalendarWrite> done) {
  redis_.Eval(scripts::CalendarWrite(), WriteKeys(),
              {"update", r.id, absl::StrCat(expected_revision), r.document,
               Attributes(r), absl::StrCat(r.start_ms), absl::StrCat(r.end_ms),
               std::move(change_type), std::move(reason),
               absl::StrCat(max_changes_), absl::StrCat(r.revision), ""},
              [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                done(ParseWrite(std::move(reply)));
              });
}

void CalendarStore::Get(std::string id, Callback<std::string> done) {
  redis_.Command({"HGET", keys::CalendarDocuments(), id},
                 [id, done = std::move(done)](
                     absl::StatusOr<RedisReply> reply) mutable {
                   if (!reply.ok()) return done(reply.status());
                   if (reply->is_nil()) {
                     return done(absl::NotFoundError(
                         absl::StrCat("event ", id, " not found")));
                   }
                   done(std::string(reply->text()));
                 });
}

void CalendarStore::Exists(std::string id, Callback<bool> done) {
  redis_.Command({"HEXISTS", keys::CalendarDocuments(), std::move(id)},
                 [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                   if (!reply.ok()) return done(reply.status());
                   absl::StatusOr<int64_t> n = reply->as_integer();
                   if (!n.ok()) return done(n.status());
                   done(*n != 0);
                 });
}

void CalendarStore::List(const CalendarQuery& q, Callback<CalendarPage> done,
                         int max_examined) {
  std::vector<std::string> args = {
      q.from_ms ? absl::StrCat(*q.from_ms) : "",
      q.to_ms ? absl::StrCat(*q.to_ms) : "",
      q.after ? absl::StrCat(q.after->first) : "",
      q.after ? q.after->second : "",
      absl::StrCat(q.page_size),
      q.status,
      q.format,
      q.kind,
      Clean(q.community),
      absl::AsciiStrToLower(Clean(q.city)),
      absl::StrCat(max_examined)};
  redis_.Eval(
      scripts::CalendarList(),
      {keys::CalendarDocuments(), keys::CalendarAttributes(),
       keys::CalendarStartIndex(), keys::CalendarStats(),
       keys::CalendarChanges(), keys::StreamEpoch(keys::CalendarChanges())},
      std::move(args),
      [this, done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
        if (!reply.ok()) return done(reply.status());
        auto e = reply->elements();
        if (!reply->is_array() || e.size() < 4) {
          return done(absl::InternalError("calendar_list.lua: unexpected reply"));
        }
        CalendarPage page;
        int64_t next_ms = 0;
        if (!e[0].text().empty() && absl::SimpleAtoi(e[0].text(), &next_ms)) {
          page.next.emplace(next_ms, e[1].text());
        }
        page.sync_token = EncodeStreamPosition({e[3].text(), e[2].text()});
        if (e.size() == 4) return done(std::move(page));
        // The documents, read after the page: each is at least as new as the
        // sync token, so a follower from the token misses no change (it may
        // see one again).
        std::vector<std::string> read = {"HMGET", keys::CalendarDocuments()};
        for (size_t i = 4; i < e.size(); ++i) read.push_back(e[i].text());
        redis_.Command(std::move(read), [page = std::move(page), done = std::move(done)](
                                            absl::StatusOr<RedisReply> docs) mutable {
          if (!docs.ok()) return done(docs.status());
          for (const RedisReply& doc : docs->elements()) {
            if (!doc.is_nil()) page.documents.push_back(doc.text());
          }
          done(std::move(page));
        });
      });
}

absl::StatusOr<CalendarChange> CalendarStore::ParseChange(const RedisReply& entry) {
  auto e = entry.elements();
  if (!entry.is_array() || e.size() != 2 || !e[1].is_array()) {
    return absl::InternalError("calendar change stream: malformed entry");
  }
  CalendarChange c;
  c.id = e[0].text();
  auto fields = e[1].elements();
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    const std::string& name = fields[i].text();
    const std::string& value = fields[i + 1].text();
    if (name == "type") {
      c.type = value;
    } else if (name == "event") {
      c.event_id = value;
    } else if (name == "revision") {
      if (!absl::SimpleAtoi(value, &c.revision)) c.revision = 0;
    } else if (name == "reason") {
      c.reason = value;
    } else if (name == "doc") {
      c.document = value;
    }
  }
  return c;
}

void CalendarStore::ReadChanges(std::string after, int count,
                                Callback<CalendarChangePage> done) {
  ReadStreamAfter(
      redis_, keys::CalendarChanges(), std::move(after), count,
      {.field = "sync_token", .resync = "resync in full with ListEvents"},
      [done = std::move(done)](absl::StatusOr<StreamRange> range) mutable {
        if (!range.ok()) return done(range.status());
        CalendarChangePage page;
        page.last_position = range->last_position();
        for (const RedisReply& entry : range->entries) {
          absl::StatusOr<CalendarChange> c = ParseChange(entry);
          if (!c.ok()) return done(c.status());
          c->id = range->PositionOf(c->id);
          page.changes.push_back(*std::move(c));
        }
        done(std::move(page));
      });
}

void CalendarStore::Head(Callback<std::string> done) {
  redis_.Pipeline(
      {{"XREVRANGE", keys::CalendarChanges(), "+", "-", "COUNT", "1"},
       {"GET", keys::StreamEpoch(keys::CalendarChanges())}},
      [done = std::move(done)](
          absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> replies) mutable {
        if (!replies.ok()) return done(replies.status());
        for (const absl::StatusOr<RedisReply>& r : *replies) {
          if (!r.ok()) return done(r.status());
        }
        const RedisReply& newest = *(*replies)[0];
        const RedisReply& epoch = *(*replies)[1];
        std::string id = "0-0";
        if (newest.is_array() && !newest.elements().empty() &&
            newest.elements()[0].is_array() && !newest.elements()[0].elements().empty()) {
          id = newest.elements()[0].elements()[0].text();
        }
        done(EncodeStreamPosition({epoch.is_nil() ? "" : epoch.text(), std::move(id)}));
      });
}

void CalendarStore::ChangesHead(Callback<std::string> done) {
  ReadStreamHead(redis_, keys::CalendarChanges(), std::move(done));
}

}  // namespace convene::storage
