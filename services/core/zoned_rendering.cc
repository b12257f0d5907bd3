#include "core/zoned_rendering.h"

#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/internal/civil_seconds.h"
#include "core/local_date_time.h"

namespace convene::core {

ZonedTime ToZoned(const Zone& zone, absl::Time instant) {
  instant = internal::ClampToSupported(instant);
  ZoneOffset offset = zone.rules().OffsetAt(instant);
  return ZonedTime{internal::LocalAt(instant, offset.utc_offset),
                   offset.utc_offset, std::move(offset.abbreviation),
                   offset.is_dst};
}

std::string FormatUtcOffset(absl::Duration utc_offset) {
  const char sign = utc_offset < absl::ZeroDuration() ? '-' : '+';
  const int64_t seconds = absl::ToInt64Seconds(absl::AbsDuration(utc_offset));
  std::string text =
      absl::StrFormat("%c%02d:%02d", sign, seconds / 3600, seconds / 60 % 60);
  if (seconds % 60 != 0) absl::StrAppendFormat(&text, ":%02d", seconds % 60);
  return text;
}

std::string FormatLocal(const ZonedTime& zoned) {
  const absl::string_view abbreviation = zoned.abbreviation;
  // tzdata writes "+03" where a zone has no agreed abbreviation; printing it
  // next to "(+03:00)" would only repeat the offset.
  const bool numeric =
      abbreviation.empty() || abbreviation[0] == '+' || abbreviation[0] == '-';
  return absl::StrCat(FormatLocalDateTime(zoned.local), numeric ? "" : " ",
                      numeric ? "" : abbreviation, " (",
                      FormatUtcOffset(zoned.utc_offset), ")");
}

std::string FormatRfc3339(const ZonedTime& zoned) {
  const absl::CivilSecond& l = zoned.local;
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d%s", l.year(), l.month(),
                         l.day(), l.hour(), l.minute(), l.second(),
                         FormatUtcOffset(zoned.utc_offset));
}

std::string FormatUtcInstant(absl::Time instant) {
  return absl::StrCat(
      FormatLocalDateTime(internal::LocalAt(internal::ClampToSupported(instant),
                                            absl::ZeroDuration())),
      "Z");
}

}  // namespace convene::core
