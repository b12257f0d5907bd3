// Conversions between the calendar's own RPC messages (agenda, meeting
// times) and core; the event itself converts in mapping/event_mapping.h.
//
//   v1::Agenda wire = AgendaToProto(core::BuildAgenda(event, venue, viewer));
#ifndef CONVENE_CALENDAR_EVENT_MAPPING_H_
#define CONVENE_CALENDAR_EVENT_MAPPING_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "convene/v1/calendar.pb.h"
#include "core/agenda.h"
#include "core/event.h"
#include "core/meeting_times.h"
#include "mapping/event_mapping.h"
#include "google/protobuf/timestamp.pb.h"

namespace convene::calendar {

// The event conversions are shared with the other services (mapping/);
// the calendar's code names them as its own.
using mapping::EventFromDocument;
using mapping::EventFromProto;
using mapping::EventToDocument;
using mapping::EventToProto;
using mapping::FormatFromProto;
using mapping::FormatToProto;
using mapping::KindFromProto;
using mapping::KindToProto;
using mapping::PolicyFromProto;
using mapping::PolicyToProto;

v1::Agenda AgendaToProto(const core::Agenda& agenda);

// Whether EncodeListEventsResponse checks that each document parses, or
// the caller has just decoded every one of them (which checks it).
enum class DocumentCheck { kParseEach, kAlreadyDecoded };

// A ListEventsResponse built from stored event documents (each a serialised
// convene.v1.Event) without decoding them: each is checked to parse (unless
// `check` says the caller decoded them), then copied in as it is. DATA_LOSS
// when one does not parse.
absl::StatusOr<std::string> EncodeListEventsResponse(
    const std::vector<std::string>& documents, const std::string& next_page_token,
    const std::string& sync_token, DocumentCheck check = DocumentCheck::kParseEach);

// A FindMeetingTimes request with defaults filled in (working hours 09:00-
// 17:00 on weekdays, a 30-minute grid, 10 results, dates read in UTC), each
// zone resolved (a city through the built-in city table).
absl::StatusOr<core::MeetingTimesRequest> MeetingRequestFromProto(
    const v1::FindMeetingTimesRequest& request);
v1::FindMeetingTimesResponse MeetingTimesToProto(
    const core::MeetingTimesRequest& request, const core::MeetingTimes& found);

}  // namespace convene::calendar

#endif  // CONVENE_CALENDAR_EVENT_MAPPING_H_
