#include "core/zone.h"

#include <date/tz.h>

#include <cassert>
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
  // The names are date/tz's (the zones and links of the system database);
  // the rules come from the same TZif files through Abseil's reader, which
  // follows each file's closing POSIX rule past its last listed transition
  // (2037 in Debian's files). date 3.0.1 does not: through it, every zone
  // would keep its 2037 offset for ever (Brussels on CET all summer 2040).
  try {
    // The free function: libdate-tz.so exports it, not tzdb::locate_zone.
    date::locate_zone(std::string_view(iana_name.data(), iana_name.size()));
  } catch (const std::runtime_error&) {
    return internal::FieldError(field, UnknownZoneMessage(**db, iana_name));
  }
  absl::StatusOr<const ZoneinfoDirectory*> system = SystemZoneinfoDirectory();
  if (!system.ok()) return system.status();
  absl::StatusOr<Zone> zone = (*system)->Load(iana_name);
  if (absl::IsNotFound(zone.status())) {
    return internal::FieldError(field, UnknownZoneMessage(**db, iana_name));
  }
  if (!zone.ok()) return zone.status();
  return Cache().Insert(iana_name, *std::move(zone));
}

}  // namespace convene::core
