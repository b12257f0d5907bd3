#include "calendar/event_mapping.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "core/city_zones.h"
#include "core/local_date_time.h"
#include "core/zone.h"
#include "core/zoned_rendering.h"
#include "rpc/proto_time.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"

namespace convene::calendar {

using rpc::TimeFromProto;
using rpc::TimeToProto;

namespace {

v1::ZonedTime AgendaTimeToProto(const core::AgendaTime& t) {
  v1::ZonedTime z;
  *z.mutable_instant() = TimeToProto(t.instant);
  z.set_venue_local(core::FormatLocalDateTime(t.venue_local));
  z.set_venue_utc_offset(core::FormatUtcOffset(t.venue_utc_offset));
  z.set_viewer_local(core::FormatLocalDateTime(t.viewer_local));
  z.set_viewer_utc_offset(core::FormatUtcOffset(t.viewer_utc_offset));
  if (t.viewer_date_differs) {
    z.set_viewer_date_if_different(
        core::FormatLocalDate(absl::CivilDay(t.viewer_local)));
  }
  return z;
}

}  // namespace

absl::StatusOr<std::string> EncodeListEventsResponse(
    const std::vector<std::string>& documents, const std::string& next_page_token,
    const std::string& sync_token, DocumentCheck check) {
  using google::protobuf::internal::WireFormatLite;
  v1::Event parsed;
  size_t size = next_page_token.size() + sync_token.size() + 32;
  for (const std::string& doc : documents) {
    if (check == DocumentCheck::kParseEach && !parsed.ParseFromString(doc)) {
      return absl::DataLossError("stored event document does not parse");
    }
    size += doc.size() + 6;
  }
  std::string out;
  out.reserve(size);
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    // Field numbers of convene.v1.ListEventsResponse: events = 1,
    // next_page_token = 2, sync_token = 3 (a repeated message is its
    // elements, each tagged and length-prefixed).
    auto put = [&coded](int field, const std::string& bytes) {
      coded.WriteTag(WireFormatLite::MakeTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
      coded.WriteVarint32(static_cast<uint32_t>(bytes.size()));
      coded.WriteString(bytes);
    };
    static_assert(v1::ListEventsResponse::kEventsFieldNumber == 1);
    static_assert(v1::ListEventsResponse::kNextPageTokenFieldNumber == 2);
    static_assert(v1::ListEventsResponse::kSyncTokenFieldNumber == 3);
    for (const std::string& doc : documents) put(1, doc);
    if (!next_page_token.empty()) put(2, next_page_token);
    if (!sync_token.empty()) put(3, sync_token);
  }
  return out;
}

v1::Agenda AgendaToProto(const core::Agenda& a) {
  v1::Agenda w;
  w.set_event_id(a.event_id);
  w.set_title(a.title);
  w.set_venue_time_zone(a.venue_zone);
  w.set_viewer_time_zone(a.viewer_zone);
  w.set_status(a.status == core::EventStatus::kCancelled
                   ? v1::EVENT_STATUS_CANCELLED
                   : v1::EVENT_STATUS_SCHEDULED);
  w.set_revision(a.revision);
  for (const core::AgendaDay& d : a.days) {
    v1::AgendaDay* wd = w.add_days();
    wd->set_venue_date(core::FormatLocalDate(d.venue_date));
    *wd->mutable_start() = AgendaTimeToProto(d.start);
    *wd->mutable_end() = AgendaTimeToProto(d.end);
    for (const core::AgendaItem& item : d.items) {
      v1::AgendaItem* wi = wd->add_items();
      wi->set_session_id(item.session_id);
      wi->set_title(item.title);
      wi->set_format(FormatToProto(item.format));
      wi->set_room(item.room);
      wi->set_join_url(item.join_url);
      *wi->mutable_start() = AgendaTimeToProto(item.start);
      *wi->mutable_end() = AgendaTimeToProto(item.end);
      wi->set_continues_from_earlier_day(item.continues_from_earlier_day);
    }
  }
  return w;
}

namespace {

// "HH:MM" (00:00-24:00) as minutes since midnight.
absl::StatusOr<int> ParseClockMinutes(absl::string_view text,
                                      absl::string_view field, int fallback) {
  if (text.empty()) return fallback;
  int h = 0, m = 0;
  if (text.size() != 5 || text[2] != ':' ||
      !absl::SimpleAtoi(text.substr(0, 2), &h) ||
      !absl::SimpleAtoi(text.substr(3, 2), &m) || h < 0 || h > 24 || m < 0 ||
      m > 59 || (h == 24 && m != 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", text, "\" is not a local time HH:MM"));
  }
  return h * 60 + m;
}

}  // namespace

absl::StatusOr<core::MeetingTimesRequest> MeetingRequestFromProto(
    const v1::FindMeetingTimesRequest& w) {
  absl::StatusOr<core::Zone> range_zone = core::ResolveZone(
      w.range_time_zone().empty() ? "UTC" : w.range_time_zone(), "range_time_zone");
  if (!range_zone.ok()) return range_zone.status();
  core::MeetingTimesRequest r{
      .participants = {}, .range_zone = *range_zone, .from_date = {}, .to_date = {}};
  absl::StatusOr<absl::CivilDay> from = core::ParseLocalDate(w.from_date(), "from_date");
  if (!from.ok()) return from.status();
  absl::StatusOr<absl::CivilDay> to = core::ParseLocalDate(w.to_date(), "to_date");
  if (!to.ok()) return to.status();
  r.from_date = *from;
  r.to_date = *to;
  r.duration_minutes = w.duration_minutes();
  r.step_minutes = w.step_minutes() == 0 ? 30 : w.step_minutes();
  r.max_results = w.max_results() == 0 ? 10 : w.max_results();
  if (w.participants_size() > core::kMaxMeetingParticipants) {
    return absl::InvalidArgumentError(absl::StrCat(
        "participants: at most ", core::kMaxMeetingParticipants, " are allowed"));
  }
  for (int i = 0; i < w.participants_size(); ++i) {
    const v1::MeetingParticipant& wp = w.participants(i);
    const std::string field = absl::StrCat("participants[", i, "]");
    std::string zone_name = wp.time_zone();
    if (zone_name.empty()) {
      if (wp.city().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ": give a time_zone or a city"));
      }
      absl::StatusOr<std::string> by_city =
          core::ZoneForCity(wp.city(), absl::StrCat(field, ".city"));
      if (!by_city.ok()) return by_city.status();
      zone_name = *by_city;
    }
    absl::StatusOr<core::Zone> zone =
        core::ResolveZone(zone_name, absl::StrCat(field, ".time_zone"));
    if (!zone.ok()) return zone.status();
    core::MeetingParticipant p{.name = "", .zone = *zone};
    p.name = !wp.name().empty() ? wp.name() : !wp.city().empty() ? wp.city() : zone_name;
    absl::StatusOr<int> start = ParseClockMinutes(
        wp.working_start(), absl::StrCat(field, ".working_start"), 9 * 60);
    if (!start.ok()) return start.status();
    absl::StatusOr<int> end = ParseClockMinutes(
        wp.working_end(), absl::StrCat(field, ".working_end"), 17 * 60);
    if (!end.ok()) return end.status();
    p.working_start = *start;
    p.working_end = *end;
    if (wp.working_days_size() > 0) {
      p.working_weekdays.clear();
      for (int d : wp.working_days()) {
        if (d < 1 || d > 7) {
          return absl::InvalidArgumentError(absl::StrCat(
              field, ".working_days: ", d, " is not an ISO weekday 1-7"));
        }
        p.working_weekdays.insert(d);
      }
    }
    r.participants.push_back(std::move(p));
  }
  return r;
}

v1::FindMeetingTimesResponse MeetingTimesToProto(
    const core::MeetingTimesRequest& request, const core::MeetingTimes& found) {
  v1::FindMeetingTimesResponse out;
  for (const core::MeetingSlot& slot : found.slots) {
    v1::MeetingTimeSlot* ws = out.add_slots();
    *ws->mutable_start_time() = TimeToProto(slot.start);
    *ws->mutable_end_time() = TimeToProto(slot.end);
    ws->set_score(slot.score);
    for (size_t i = 0; i < slot.participants.size(); ++i) {
      const core::MeetingParticipantTimes& p = slot.participants[i];
      v1::ParticipantLocalTime* wp = ws->add_local_times();
      wp->set_name(p.name);
      if (i < request.participants.size()) {
        wp->set_time_zone(std::string(request.participants[i].zone.name()));
      }
      wp->set_local_start(core::FormatLocalDateTime(p.start.local));
      wp->set_local_end(core::FormatLocalDateTime(p.end.local));
      wp->set_utc_offset(core::FormatUtcOffset(p.start.utc_offset));
    }
  }
  return out;
}

}  // namespace convene::calendar
