#include "storage/calendar_store.h"

#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "storage/keys.h"
#include "storage/scripts/calendar_list_lua.h"
#include "storage/scripts/calendar_write_lua.h"

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
          keys::CalendarChanges()};
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

bool ParseStreamId(absl::string_view id, uint64_t& ms, uint64_t& seq) {
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(id, absl::MaxSplits('-', 1));
  return !parts.first.empty() && !parts.second.empty() &&
         absl::SimpleAtoi(parts.first, &ms) &&
         absl::SimpleAtoi(parts.second, &seq);
}

}  // namespace

bool IsStreamId(absl::string_view id) {
  uint64_t ms, seq;
  return ParseStreamId(id, ms, seq);
}

bool StreamIdLess(absl::string_view a, absl::string_view b) {
  uint64_t ams, aseq, bms, bseq;
  if (!ParseStreamId(a, ams, aseq) || !ParseStreamId(b, bms, bseq)) return false;
  return std::tie(ams, aseq) < std::tie(bms, bseq);
}

CalendarStore::CalendarStore(RedisClient& redis, int64_t max_changes)
    : redis_(redis), max_changes_(max_changes) {}

std::string CalendarStore::ChangesKey() { return keys::CalendarChanges(); }

void CalendarStore::Create(const CalendarRecord& r,
                           Callback<CalendarWrite> done) {
  redis_.Eval(scripts::CalendarWrite(), WriteKeys(),
              {"create", r.id, "0", r.document, Attributes(r),
               absl::StrCat(r.start_ms), absl::StrCat(r.end_ms), "created", "",
               absl::StrCat(max_changes_), absl::StrCat(r.revision)},
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
               absl::StrCat(max_changes_), absl::StrCat(r.revision)},
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
       keys::CalendarChanges()},
      std::move(args),
      [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
        if (!reply.ok()) return done(reply.status());
        auto e = reply->elements();
        if (!reply->is_array() || e.size() < 3) {
          return done(absl::InternalError("calendar_list.lua: unexpected reply"));
        }
        CalendarPage page;
        int64_t next_ms = 0;
        if (!e[0].text().empty() && absl::SimpleAtoi(e[0].text(), &next_ms)) {
          page.next.emplace(next_ms, e[1].text());
        }
        page.sync_token = e[2].text();
        for (size_t i = 3; i < e.size(); ++i) page.documents.push_back(e[i].text());
        done(std::move(page));
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
  if (!after.empty() && !IsStreamId(after)) {
    return done(absl::InvalidArgumentError(
        "sync_token: not a token this service issued"));
  }
  const std::string key = keys::CalendarChanges();
  redis_.Pipeline(
      {{"XINFO", "STREAM", key},
       {"XRANGE", key, after.empty() ? "-" : absl::StrCat("(", after), "+",
        "COUNT", absl::StrCat(count)}},
      [after, done = std::move(done)](
          absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> replies) mutable {
        if (!replies.ok()) return done(replies.status());
        CalendarChangePage page;
        page.last_id = "0-0";
        // The stream is only ever trimmed from its front. Changes after
        // `after` are lost when something was trimmed and `after` lies
        // before the first entry still kept (conservatively also when
        // `after` is exactly the last entry trimmed).
        int64_t added = 0, length = 0;
        std::string first_kept;
        // XINFO fails with "no such key" until the first change is written.
        if ((*replies)[0].ok()) {
          auto info = (*replies)[0]->elements();
          for (size_t i = 0; i + 1 < info.size(); i += 2) {
            const std::string& name = info[i].text();
            const RedisReply& value = info[i + 1];
            if (name == "last-generated-id") page.last_id = value.text();
            if (name == "entries-added") added = value.as_integer().value_or(0);
            if (name == "length") length = value.as_integer().value_or(0);
            if (name == "first-entry" && value.is_array() &&
                !value.elements().empty()) {
              first_kept = value.elements()[0].text();
            }
          }
        }
        const bool trimmed = added > length;
        if (trimmed && (after.empty() || StreamIdLess(after, first_kept))) {
          return done(absl::FailedPreconditionError(
              "sync_token expired: changes after it are no longer kept; "
              "resync in full with ListEvents"));
        }
        if (!(*replies)[1].ok()) return done((*replies)[1].status());
        for (const RedisReply& entry : (*replies)[1]->elements()) {
          absl::StatusOr<CalendarChange> c = ParseChange(entry);
          if (!c.ok()) return done(c.status());
          page.changes.push_back(*std::move(c));
        }
        done(std::move(page));
      });
}

}  // namespace convene::storage
