#include "core/zone.h"

#include <date/tz.h>

#include <cassert>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/internal/civil_seconds.h"
#include "core/internal/field_error.h"
#include "core/zoneinfo_directory.h"

namespace convene::core {
namespace {

absl::Time ToAbslTime(date::sys_seconds t) {
  return absl::FromUnixSeconds(t.time_since_epoch().count());
}

// ZoneRules answered by date/tz from the system tz database. The
// date::time_zone is owned by date's tzdb singleton, which lives until exit.
class DateZoneRules final : public ZoneRules {
 public:
  explicit DateZoneRules(const date::time_zone* tz) : tz_(tz) {}

  absl::string_view name() const override { return tz_->name(); }

  ZoneOffset OffsetAt(absl::Time instant) const override {
    const date::sys_info info =
        tz_->get_info(date::sys_seconds(std::chrono::seconds(
            absl::ToUnixSeconds(internal::ClampToSupported(instant)))));
    // With USE_OS_TZDB, date reports `save` as 1 minute for any DST period
    // (TZif files carry only an is-DST flag), so test it for non-zero only.
    return ZoneOffset{absl::Seconds(info.offset.count()),
                      info.save != std::chrono::minutes(0), info.abbrev};
  }

  LocalTimeInfo Lookup(absl::CivilSecond local) const override {
    const date::local_info info =
        tz_->get_info(date::local_seconds(std::chrono::seconds(
            internal::EpochSeconds(internal::ClampToSupported(local)))));
    LocalTimeInfo out;
    out.offset_before = absl::Seconds(info.first.offset.count());
    switch (info.result) {
      case date::local_info::unique:
        out.kind = LocalTimeKind::kUnique;
        out.offset_after = out.offset_before;
        break;
      case date::local_info::nonexistent:
      case date::local_info::ambiguous:
        out.kind = info.result == date::local_info::nonexistent
                       ? LocalTimeKind::kGap
                       : LocalTimeKind::kOverlap;
        out.offset_after = absl::Seconds(info.second.offset.count());
        out.transition = ToAbslTime(info.second.begin);
        break;
    }
    return out;
  }

 private:
  const date::time_zone* tz_;
};

class ZoneCache {
 public:
  std::optional<Zone> Find(absl::string_view name) const
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::ReaderMutexLock lock(&mu_);
    auto it = zones_.find(name);
    if (it == zones_.end()) return std::nullopt;
    return it->second;
  }

  // Returns the cached entry for `name`: `zone` unless another thread got
  // there first.
  Zone Insert(absl::string_view name, Zone zone) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return zones_.try_emplace(name, std::move(zone)).first->second;
  }

 private:
  mutable absl::Mutex mu_;
  // Only names that resolved are cached, so user input cannot grow this past
  // the ~600 zones of the tz database.
  absl::flat_hash_map<std::string, Zone> zones_ ABSL_GUARDED_BY(mu_);
};

ZoneCache& Cache() {
  static ZoneCache* cache = new ZoneCache;
  return *cache;
}

absl::StatusOr<const date::tzdb*> LoadTzdb() {
  try {
    return &date::get_tzdb();
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("cannot read the system time zone database: ", e.what()));
  }
}

std::string UnknownZoneMessage(const date::tzdb& db, absl::string_view name) {
  std::string message =
      absl::StrCat("unknown time zone ", internal::Quote(name));
  for (const date::time_zone& zone : db.zones) {
    if (zone.name() != "localtime" &&
        absl::EqualsIgnoreCase(zone.name(), name)) {
      absl::StrAppend(&message, " (did you mean \"", zone.name(), "\"?)");
      break;
    }
  }
  return message;
}

}  // namespace

Zone::Zone(std::shared_ptr<const ZoneRules> rules) : rules_(std::move(rules)) {
  assert(rules_ != nullptr);
}

absl::StatusOr<Zone> ResolveZone(absl::string_view iana_name,
                                 absl::string_view field) {
  if (iana_name.empty()) {
    return internal::FieldError(
        field,
        "time zone is empty: expected an IANA name such as "
        "\"Europe/Brussels\"");
  }
  if (std::optional<Zone> cached = Cache().Find(iana_name)) return *cached;
  absl::StatusOr<const date::tzdb*> db = LoadTzdb();
  if (!db.ok()) return db.status();
  // Debian's zoneinfo has a "localtime" entry: a link to the host's
  // /etc/localtime, so its meaning depends on the machine. Not an IANA name.
  if (iana_name == "localtime") {
    return internal::FieldError(field, UnknownZoneMessage(**db, iana_name));
  }
  absl::StatusOr<const ZoneinfoDirectory*> override_root =
      ConfiguredZoneinfoDirectory();
  if (!override_root.ok()) {
    // A deployment error, not the caller's: every zone fails alike until
    // the variable is fixed, rather than quietly using other rules.
    return absl::InternalError(override_root.status().message());
  }
  if (*override_root != nullptr) {
    absl::StatusOr<Zone> zone = (*override_root)->Load(iana_name);
    if (zone.ok()) return Cache().Insert(iana_name, *std::move(zone));
    if (!absl::IsNotFound(zone.status())) return zone.status();
    // Not in the override root: the system database has it or nobody does.
  }
  const date::time_zone* tz = nullptr;
  try {
    // The free function: libdate-tz.so exports it, not tzdb::locate_zone.
    tz =
        date::locate_zone(std::string_view(iana_name.data(), iana_name.size()));
  } catch (const std::runtime_error&) {
    return internal::FieldError(field, UnknownZoneMessage(**db, iana_name));
  }
  try {
    // date reads a zone's file on first use and throws if that fails; do it
    // here so that later lookups (which cannot return a Status) never throw.
    tz->get_info(date::sys_seconds{});
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(
        "cannot read time zone ", internal::Quote(iana_name), ": ", e.what()));
  }
  return Cache().Insert(iana_name, Zone(std::make_shared<DateZoneRules>(tz)));
}

}  // namespace convene::core
