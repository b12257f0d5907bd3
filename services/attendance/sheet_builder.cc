#include "attendance/sheet_builder.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/event_sheet.h"
#include "core/zone.h"
#include "mapping/event_mapping.h"
#include "storage/calendar_change_window.h"

namespace convene::attendance {

void SheetBuilder::Apply(const std::string& doc, Done<bool> done,
                         storage::EventSheetStore::SameRevision same) {
  absl::StatusOr<core::Event> event = mapping::EventFromDocument(doc);
  if (!event.ok()) return done(event.status());
  absl::StatusOr<core::Zone> zone = core::ResolveZone(event->time_zone);
  if (!zone.ok()) {
    return done(absl::FailedPreconditionError(
        absl::StrCat("event ", event->id, ": ", zone.status().message())));
  }
  absl::StatusOr<core::EventSheet> sheet = core::MakeEventSheet(*event, *zone);
  if (!sheet.ok()) return done(sheet.status());
  sheets_.Put(*sheet, std::move(done), same);
}

void SheetBuilder::CatchUp(std::string event_id, Done<bool> done) {
  storage::FindNewestCalendarDocument(
      redis_, std::move(event_id), storage::kCalendarCatchUpWindow,
      [this, done = std::move(done)](
          absl::StatusOr<std::optional<std::string>> doc) mutable {
        if (!doc.ok()) return done(doc.status());
        if (!*doc) return done(false);
        Apply(**doc, [done = std::move(done)](absl::StatusOr<bool> written) mutable {
          if (!written.ok()) return done(written.status());
          done(true);
        });
      });
}

}  // namespace convene::attendance
