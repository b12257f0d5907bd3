// Conversions between convene.v1 events (proto) and core::Event: the event
// as the calendar stores it and as every service reads it from the
// calendar's stream and documents. The only place that knows both.
//
//   absl::StatusOr<core::Event> event = EventFromProto(request.event());
//   convene::v1::Event wire = EventToProto(*event);
//
// FromProto checks the wire format of each field (local times, enums) and
// names the field on error; the domain rules are PrepareEvent's job.
#ifndef CONVENE_MAPPING_EVENT_MAPPING_H_
#define CONVENE_MAPPING_EVENT_MAPPING_H_

#include <string>

#include "absl/status/statusor.h"
#include "convene/v1/calendar.pb.h"
#include "core/event.h"

namespace convene::mapping {

// The wire event as a domain event; output-only fields are ignored.
absl::StatusOr<core::Event> EventFromProto(const v1::Event& wire);

// The domain event on the wire, output-only fields included.
v1::Event EventToProto(const core::Event& event);

// A stored document (EventToProto serialised) back to the domain event,
// including its output-only fields.
absl::StatusOr<core::Event> EventFromDocument(const std::string& document);
std::string EventToDocument(const core::Event& event);

core::LocalTimePolicy PolicyFromProto(v1::LocalTimePolicy policy);
v1::LocalTimePolicy PolicyToProto(core::LocalTimePolicy policy);
core::EventFormat FormatFromProto(v1::EventFormat format);
v1::EventFormat FormatToProto(core::EventFormat format);
core::EventKind KindFromProto(v1::EventKind kind);
v1::EventKind KindToProto(core::EventKind kind);

}  // namespace convene::mapping

#endif  // CONVENE_MAPPING_EVENT_MAPPING_H_
