// Convene's iCalendar against libical's RFC 5545/5546 restriction check
// (icalrestriction_check, the library of Evolution and Thunderbird): the
// invitations e-mail carries (METHOD:REQUEST and CANCEL) and the plain
// calendar export (METHOD:PUBLISH, which needs an ORGANIZER per VEVENT:
// the event's organiser contact). A failure lists libical's X-LIC-ERROR
// findings.
#include <libical/ical.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "core/event_rules.h"
#include "core/icalendar.h"
#include "core/zone.h"
#include "gtest/gtest.h"
#include "testing_util/connection_calendar.h"

namespace convene::core {
namespace {

absl::Time Utc(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), absl::UTCTimeZone());
}

// libical's findings on `ics`: empty when it passes.
std::vector<std::string> Restrictions(const std::string& ics) {
  icalcomponent* cal = icalparser_parse_string(ics.c_str());
  if (cal == nullptr) return {"libical could not parse it"};
  std::vector<std::string> errors;
  if (icalrestriction_check(cal) == 0) errors.push_back("icalrestriction_check: 0");
  for (icalcomponent* c = cal; c != nullptr;) {
    for (icalproperty* p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY);
         p != nullptr; p = icalcomponent_get_next_property(c, ICAL_XLICERROR_PROPERTY)) {
      errors.push_back(icalproperty_as_ical_string(p));
    }
    c = c == cal ? icalcomponent_get_first_component(cal, ICAL_ANY_COMPONENT)
                 : icalcomponent_get_next_component(cal, ICAL_ANY_COMPONENT);
  }
  icalcomponent_free(cal);
  return errors;
}

// The CONNECTION calendar exported, every event with `contact`.
absl::StatusOr<std::string> ExportConnection(const Contact& contact) {
  std::vector<Event> events = testing_util::ConnectionCalendar();
  for (Event& e : events) {
    e.organiser_contact = contact;
    absl::StatusOr<Zone> zone = ResolveZone(e.time_zone);
    if (!zone.ok()) return zone.status();
    if (absl::Status s = PrepareEvent(e, *zone); !s.ok()) return s;
  }
  ICalendarOptions opts;
  opts.now = Utc(2022, 3, 2, 12, 0);
  return ExportICalendar(events, opts);
}

Invitation TwoDays(bool cancel) {
  Invitation inv;
  inv.cancel = cancel;
  inv.uid = "ev_1-eleni@convene";
  inv.sequence = cancel ? 3 : 1;
  inv.stamp = Utc(2022, 3, 2, 12, 0);
  inv.summary = "CoP1 3rd workshop";
  inv.organiser_name = "CoP1 office";
  inv.organiser_email = "cop1@thessaloniki.example";
  inv.attendee_name = "Eleni";
  inv.attendee_email = "eleni@example.org";
  inv.days = {{Utc(2022, 3, 15, 7, 0), Utc(2022, 3, 15, 15, 30), "City Hall", "In person"},
              {Utc(2022, 3, 16, 7, 0), Utc(2022, 3, 16, 15, 30), "https://meet.example.org/x",
               "Online: https://meet.example.org/x"}};
  return inv;
}

TEST(ITipRestrictions, TheInvitationRequestPasses) {
  absl::StatusOr<std::string> ics = WriteInvitation(TwoDays(false));
  ASSERT_TRUE(ics.ok()) << ics.status();
  EXPECT_EQ(Restrictions(*ics), std::vector<std::string>{}) << *ics;
}

TEST(ITipRestrictions, TheInvitationCancelPasses) {
  absl::StatusOr<std::string> ics = WriteInvitation(TwoDays(true));
  ASSERT_TRUE(ics.ok()) << ics.status();
  EXPECT_EQ(Restrictions(*ics), std::vector<std::string>{}) << *ics;
}

TEST(ITipRestrictions, TheCalendarExportPassesWithAnOrganiserContact) {
  absl::StatusOr<std::string> ics =
      ExportConnection({"CONNECTION secretariat", "secretariat@connection.example"});
  ASSERT_TRUE(ics.ok()) << ics.status();
  EXPECT_EQ(Restrictions(*ics), std::vector<std::string>{});
}

// The check bites: without an ORGANIZER, libical refuses a PUBLISH (what
// the export was before events had an organiser contact), and a REQUEST
// without an ATTENDEE.
TEST(ITipRestrictions, WithoutTheRequiredPeopleLibicalRefuses) {
  absl::StatusOr<std::string> ics = ExportConnection({});
  ASSERT_TRUE(ics.ok()) << ics.status();
  EXPECT_NE(Restrictions(*ics), std::vector<std::string>{});
  absl::StatusOr<std::string> request = WriteInvitation(TwoDays(false));
  ASSERT_TRUE(request.ok());
  std::string without_attendee;
  for (absl::string_view line : absl::StrSplit(*request, "\r\n")) {
    if (!absl::StartsWith(line, "ATTENDEE")) absl::StrAppend(&without_attendee, line, "\r\n");
  }
  EXPECT_NE(Restrictions(without_attendee), std::vector<std::string>{});
}

}  // namespace
}  // namespace convene::core
