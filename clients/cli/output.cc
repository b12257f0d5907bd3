#include "output.h"

#include <algorithm>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "core/iso_duration.h"
#include "core/local_date_time.h"
#include "core/local_time_resolution.h"
#include "core/zoned_rendering.h"
#include "google/protobuf/util/json_util.h"

namespace convene::cli {
namespace {

bool IsNumber(absl::string_view cell) {
  double value = 0;
  return absl::SimpleAtod(cell, &value);
}

std::string Pad(absl::string_view cell, size_t width, bool right) {
  std::string cut = Truncate(cell, width);
  std::string fill(width - DisplayWidth(cut), ' ');
  return right ? fill + cut : cut + fill;
}

}  // namespace

size_t DisplayWidth(absl::string_view text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

std::string Truncate(absl::string_view text, size_t width) {
  if (DisplayWidth(text) <= width) return std::string(text);
  if (width == 0) return "";
  // Keep width-1 code points, then the ellipsis.
  size_t kept = 0, end = 0;
  while (end < text.size()) {
    size_t next = end + 1;
    while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
    if (kept + 1 > width - 1) break;
    ++kept;
    end = next;
  }
  return absl::StrCat(text.substr(0, end), "…");
}

std::string Table::Render(int width, int indent) const {
  size_t columns = header_.size();
  std::vector<size_t> widths(columns, 0);
  std::vector<bool> numeric(columns, true);
  for (size_t c = 0; c < columns; ++c) widths[c] = DisplayWidth(header_[c]);
  for (const auto& row : headers_) {
    for (size_t c = 0; c < columns && c < row.size(); ++c) {
      widths[c] = std::max(widths[c], DisplayWidth(row[c]));
    }
  }
  for (const auto& row : rows_) {
    for (size_t c = 0; c < columns && c < row.size(); ++c) {
      widths[c] = std::max(widths[c], DisplayWidth(row[c]));
      if (!row[c].empty() && !IsNumber(row[c])) numeric[c] = false;
    }
  }
  // A column with nothing in any row (no room, no failure) is left out.
  std::vector<bool> empty(columns, !rows_.empty());
  for (const auto& row : rows_) {
    for (size_t c = 0; c < columns && c < row.size(); ++c) {
      if (!row[c].empty()) empty[c] = false;
    }
  }
  for (size_t c = 0; c < columns; ++c) {
    if (empty[c]) widths[c] = 0;
  }
  // Shrink the widest column a column at a time, so that wide cells give way
  // first; no column goes below its header or 6 columns.
  auto total = [&] {
    size_t shown = std::count(empty.begin(), empty.end(), false);
    size_t sum = indent + (shown > 0 ? 2 * (shown - 1) : 0);
    for (size_t w : widths) sum += w;
    return sum;
  };
  for (size_t sum = total(); sum > static_cast<size_t>(width); --sum) {
    size_t widest = columns;
    for (size_t c = 0; c < columns; ++c) {
      if (empty[c] || std::find(whole_.begin(), whole_.end(), c) != whole_.end()) continue;
      size_t floor = std::max<size_t>(6, DisplayWidth(header_[c]));
      if (widths[c] > floor && (widest == columns || widths[c] > widths[widest])) widest = c;
    }
    if (widest == columns) break;
    --widths[widest];
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text(indent, ' ');
    bool first = true;
    for (size_t c = 0; c < columns; ++c) {
      if (empty[c]) continue;
      absl::string_view cell = c < cells.size() ? absl::string_view(cells[c]) : "";
      absl::StrAppend(&text, first ? "" : "  ", Pad(cell, widths[c], numeric[c] && !rows_.empty()));
      first = false;
    }
    absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(text), "\n");
  };
  line(header_);
  for (const auto& row : headers_) line(row);
  for (const auto& row : rows_) line(row);
  return out;
}

absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  int64_t seconds = absl::ToUnixSeconds(t);
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  return ts;
}

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

google::protobuf::Duration ToProto(absl::Duration d) {
  google::protobuf::Duration out;
  int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(d / absl::Nanoseconds(1)));
  return out;
}

std::string ShortDuration(absl::Duration d) {
  if (d == absl::ZeroDuration()) return "0s";
  std::string out = d < absl::ZeroDuration() ? "-" : "";
  d = absl::AbsDuration(d);
  const std::pair<absl::Duration, const char*> units[] = {{absl::Hours(24), "d"},
                                                          {absl::Hours(1), "h"},
                                                          {absl::Minutes(1), "m"},
                                                          {absl::Seconds(1), "s"}};
  for (const auto& [unit, suffix] : units) {
    int64_t n = absl::IDivDuration(d, unit, &d);
    if (n > 0) absl::StrAppend(&out, n, suffix);
  }
  return out;
}

absl::StatusOr<absl::Duration> ParseDurationArg(absl::string_view text) {
  absl::string_view unsigned_text = absl::StripPrefix(absl::StripPrefix(text, "-"), "+");
  if (absl::StartsWith(unsigned_text, "P")) {
    return core::ParseIsoDuration(text, core::NegativeDuration::kAllow);
  }
  // "7d" and "1d12h": days first, then what absl reads ("12h", "30m").
  bool negative = absl::StartsWith(text, "-");
  absl::Duration total;
  absl::string_view rest = unsigned_text;
  if (size_t d = rest.find('d'); d != absl::string_view::npos) {
    int64_t days = 0;
    if (!absl::SimpleAtoi(rest.substr(0, d), &days)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid duration \"", text, "\""));
    }
    total = absl::Hours(24 * days);
    rest.remove_prefix(d + 1);
  }
  if (!rest.empty()) {
    absl::Duration more;
    if (!absl::ParseDuration(rest, &more)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid duration \"", text, "\" (write 7d, 1h30m, 90s or ISO 8601 such as PT1H)"));
    }
    total += more;
  }
  return negative ? -total : total;
}

int Context::Fail(const absl::Status& status) {
  // One line, whatever the server wrote.
  std::string message(status.message());
  std::replace(message.begin(), message.end(), '\n', ' ');
  std::cerr << "convene: " << absl::StatusCodeToString(status.code()) << ": " << message
            << std::endl;
  return kExitFailure;
}

int Context::Usage(const Args& args) {
  for (const std::string& error : args.errors()) {
    std::cerr << args.command_path() << ": " << error << "\n";
  }
  std::cerr << "Run '" << args.command_path() << " --help' for usage." << std::endl;
  return kExitUsage;
}

int Context::Usage(const Args& args, std::string message) {
  Args copy = args;
  copy.Error(std::move(message));
  return Usage(copy);
}

int Context::PrintJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) return Fail(absl::InternalError(std::string(status.message())));
  out() << json << std::endl;
  return kExitOk;
}

int Context::Save(const std::string& path, const std::string& text, const std::string& what) {
  if (path.empty()) {
    out() << text;
    out().flush();
    return kExitOk;
  }
  std::ofstream file(path, std::ios::binary);
  file << text;
  file.close();
  if (!file) {
    return Fail(absl::PermissionDeniedError(absl::StrCat(path, ": cannot write the file")));
  }
  out() << "wrote " << what << " to " << path << std::endl;
  return kExitOk;
}

core::Zone Context::ZoneOr(absl::string_view zone_name) const {
  absl::StatusOr<core::Zone> zone = core::ResolveZone(zone_name);
  return zone.ok() ? *zone : viewer_;
}

std::string LocalMinute(const core::Zone& zone, absl::Time instant) {
  absl::CivilSecond local = core::ToZoned(zone, instant).local;
  return absl::FormatCivilTime(absl::CivilMinute(local)).replace(10, 1, " ");
}

std::string ShowLocal(absl::string_view local, absl::string_view same_day_as) {
  std::string text(local.substr(0, 16));
  if (text.size() > 10 && text[10] == 'T') text[10] = ' ';
  if (!same_day_as.empty() && local.substr(0, 10) == same_day_as) return text.substr(11);
  return text;
}

std::string TimeRange(absl::string_view start, absl::string_view end, absl::string_view ref_date) {
  std::string from = ShowLocal(start), to = ShowLocal(end);
  std::string text = ShowLocal(start, ref_date);
  absl::StrAppend(&text, "-", to.size() > 11 ? to.substr(11) : to);
  if (to.substr(0, 10) > from.substr(0, 10)) {
    absl::CivilDay a, b;
    if (absl::ParseCivilTime(from.substr(0, 10), &a) &&
        absl::ParseCivilTime(to.substr(0, 10), &b)) {
      absl::StrAppend(&text, " (+", b - a, "d)");
    }
  }
  return text;
}

std::string Context::InViewer(absl::Time instant) const { return LocalMinute(viewer_, instant); }

std::string Context::Both(absl::Time instant, absl::string_view venue_zone) const {
  std::string viewer = InViewer(instant);
  std::string here = absl::StrCat(viewer, " ", viewer_.name());
  if (venue_zone.empty() || venue_zone == viewer_.name()) return here;
  core::Zone venue = ZoneOr(venue_zone);
  std::string there = LocalMinute(venue, instant);
  if (there.substr(0, 10) == viewer.substr(0, 10)) there = there.substr(11);
  return absl::StrCat(here, " = ", there, " ", venue_zone);
}

absl::StatusOr<absl::Time> Context::ParseTimeArg(absl::string_view text) const {
  // With an offset or "Z": an instant; seconds may be left out.
  for (const char* format : {absl::RFC3339_full, "%Y-%m-%d%ET%H:%M%Ez"}) {
    absl::Time instant;
    std::string error;
    if (absl::ParseTime(format, text, &instant, &error)) return instant;
  }
  // Otherwise a wall-clock time (or a date: its midnight) in the viewer's zone.
  absl::CivilSecond local;
  if (text.size() == 10) {
    absl::StatusOr<absl::CivilDay> day = core::ParseLocalDate(text);
    if (!day.ok()) return day.status();
    local = absl::CivilSecond(*day);
  } else {
    absl::StatusOr<absl::CivilSecond> parsed = core::ParseLocalDateTime(text);
    if (!parsed.ok()) return parsed.status();
    local = *parsed;
  }
  return core::ToInstant(viewer_, local, core::LocalTimePolicy::kEarlier);
}

}  // namespace convene::cli
