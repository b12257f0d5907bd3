// Conversions between the wire types of convene.v1 (proto) and the calendar's
// domain types (core). The only place that knows both.
//
//   absl::StatusOr<core::Event> event = EventFromProto(request.event());
//   convene::v1::Event wire = EventToProto(*event);
//
// FromProto checks the wire format of each field (local times, enums) and
// names the field on error; the domain rules are PrepareEvent's job.
#ifndef CONVENE_CALENDAR_EVENT_MAPPING_H_
#define CONVENE_CALENDAR_EVENT_MAPPING_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "convene/v1/calendar.pb.h"
#include "core/agenda.h"
#include "core/event.h"
#include "core/meeting_times.h"
#include "google/protobuf/timestamp.pb.h"

namespace convene::calendar {

// The wire event as a domain event; output-only fields are ignored.
absl::StatusOr<core::Event> EventFromProto(const v1::Event& wire);

// The domain event on the wire, output-only fields included.
v1::Event EventToProto(const core::Event& event);

// A stored document (EventToProto serialised) back to the domain event,
// including its output-only fields.
absl::StatusOr<core::Event> EventFromDocument(const std::string& document);
std::string EventToDocument(const core::Event& event);

v1::Agenda AgendaToProto(const core::Agenda& agenda);

// A FindMeetingTimes request with defaults filled in (working hours 09:00-
// 17:00 on weekdays, a 30-minute grid, 10 results, dates read in UTC), each
// zone resolved (a city through the built-in city table).
absl::StatusOr<core::MeetingTimesRequest> MeetingRequestFromProto(
    const v1::FindMeetingTimesRequest& request);
v1::FindMeetingTimesResponse MeetingTimesToProto(
    const core::MeetingTimesRequest& request, const core::MeetingTimes& found);

core::LocalTimePolicy PolicyFromProto(v1::LocalTimePolicy policy);
v1::LocalTimePolicy PolicyToProto(core::LocalTimePolicy policy);
core::EventFormat FormatFromProto(v1::EventFormat format);
v1::EventFormat FormatToProto(core::EventFormat format);
core::EventKind KindFromProto(v1::EventKind kind);
v1::EventKind KindToProto(core::EventKind kind);


}  // namespace convene::calendar

#endif  // CONVENE_CALENDAR_EVENT_MAPPING_H_
