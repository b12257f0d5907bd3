// The CONNECTION network's calendar (../shared/SCENARIO.md) as domain
// events, for tests and the demo. Dates and places are the documents';
// session hours are not in them and are plausible choices of ours
// (09:00-17:30 local, with breaks), marked as such wherever they are shown.
//
//   std::vector<convene::core::Event> events = ConnectionCalendar();
//   const core::Event& thessaloniki = events[3];
#ifndef CONVENE_TESTS_TESTING_UTIL_CONNECTION_CALENDAR_H_
#define CONVENE_TESTS_TESTING_UTIL_CONNECTION_CALENDAR_H_

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "core/event.h"

namespace convene::testing_util {

// Indexes into ConnectionCalendar().
enum ConnectionEvent {
  kFirstPartnerMeeting = 0,  // online, 2020-03-31, organiser in Brussels
  kInterimMeeting = 1,       // Brussels, hybrid, 2021-09-13..14
  kTurinWorkshop = 2,        // Turin, in person, 2021-10-11
  kThessalonikiWorkshop = 3, // Thessaloniki, hybrid, 2022-03-15..17
  kUtrechtFinalMeeting = 4,  // Utrecht, in person, 2022-11-15
  kUtrechtConference = 5,    // Utrecht, in person, 2022-11-16..17
};

inline core::Session MakeSession(std::string title, absl::CivilSecond start,
                                 absl::CivilSecond end,
                                 core::EventFormat format =
                                     core::EventFormat::kUnspecified) {
  core::Session s;
  s.title = std::move(title);
  s.start_local = start;
  s.end_local = end;
  s.format = format;
  return s;
}

inline std::vector<core::Event> ConnectionCalendar() {
  using absl::CivilSecond;
  using core::EventFormat;
  using core::EventKind;
  std::vector<core::Event> events;

  core::Event first;
  first.title = "CONNECTION first partner meeting";
  first.description = "First meeting of the partners, held online during the "
                      "health emergency.";
  first.kind = EventKind::kMeeting;
  first.organisers = {"Eurocities"};
  first.city = "Brussels";
  first.country_code = "BE";
  first.format = EventFormat::kOnline;
  first.time_zone = "Europe/Brussels";  // the organiser's zone
  first.start_local = CivilSecond(2020, 3, 31, 10, 0, 0);
  first.end_local = CivilSecond(2020, 3, 31, 12, 30, 0);
  first.online = {"Zoom", "https://meet.example.org/connection/kickoff", 0};
  events.push_back(first);

  core::Event interim;
  interim.title = "CONNECTION interim meeting";
  interim.description =
      "Progress, schedule and stakeholder coordination; good practices per "
      "community of practice.";
  interim.kind = EventKind::kMeeting;
  interim.organisers = {"Eurocities", "MigrationWork"};
  interim.city = "Brussels";
  interim.country_code = "BE";
  interim.format = EventFormat::kHybrid;
  interim.time_zone = "Europe/Brussels";
  interim.start_local = CivilSecond(2021, 9, 13, 9, 0, 0);
  interim.end_local = CivilSecond(2021, 9, 14, 17, 30, 0);
  interim.venue = {"Eurocities office", "Square de Meeus 1, 1000 Brussels",
                   "Brussels", 40};
  interim.online = {"Zoom", "https://meet.example.org/connection/interim", 60};
  interim.sessions = {
      MakeSession("Progress and schedule", CivilSecond(2021, 9, 13, 9, 0, 0),
                  CivilSecond(2021, 9, 13, 10, 30, 0)),
      MakeSession("Training of integration trainers",
                  CivilSecond(2021, 9, 13, 11, 0, 0),
                  CivilSecond(2021, 9, 13, 12, 30, 0)),
      MakeSession("Talk by the Brussels Refugee Committee",
                  CivilSecond(2021, 9, 13, 14, 0, 0),
                  CivilSecond(2021, 9, 13, 15, 30, 0)),
      MakeSession("Stakeholder coordination", CivilSecond(2021, 9, 13, 16, 0, 0),
                  CivilSecond(2021, 9, 13, 17, 0, 0)),
      MakeSession("Good practices per community of practice",
                  CivilSecond(2021, 9, 14, 9, 0, 0),
                  CivilSecond(2021, 9, 14, 12, 30, 0)),
      MakeSession("Communication and awareness",
                  CivilSecond(2021, 9, 14, 14, 0, 0),
                  CivilSecond(2021, 9, 14, 17, 30, 0)),
  };
  events.push_back(interim);

  core::Event turin;
  turin.title = "CoP1 2nd workshop";
  turin.description = "A strategic approach to integration, participation "
                      "and interaction.";
  turin.kind = EventKind::kWorkshop;
  turin.community = "CoP1";
  turin.organisers = {"Città di Torino", "ANCI Piemonte"};
  turin.city = "Torino";
  turin.country_code = "IT";
  turin.format = EventFormat::kInPerson;
  turin.time_zone = "Europe/Rome";
  turin.start_local = CivilSecond(2021, 10, 11, 9, 30, 0);
  turin.end_local = CivilSecond(2021, 10, 11, 17, 30, 0);
  turin.venue = {"Palazzo Civico", "Piazza Palazzo di Città 1, 10122 Torino",
                 "Torino", 30};
  events.push_back(turin);

  core::Event thessaloniki;
  thessaloniki.title = "CoP1 3rd workshop";
  thessaloniki.description =
      "Day 1 hosted by the Municipality of Thessaloniki, day 2 by the "
      "Municipality of Delta; guided tours of reception facilities.";
  thessaloniki.kind = EventKind::kWorkshop;
  thessaloniki.community = "CoP1";
  thessaloniki.organisers = {"ANATOLIKI S.A."};
  thessaloniki.city = "Thessaloniki";
  thessaloniki.country_code = "EL";
  thessaloniki.format = EventFormat::kHybrid;
  thessaloniki.time_zone = "Europe/Athens";
  thessaloniki.start_local = CivilSecond(2022, 3, 15, 9, 0, 0);
  thessaloniki.end_local = CivilSecond(2022, 3, 17, 17, 30, 0);
  thessaloniki.venue = {"Thessaloniki City Hall",
                        "Vasileos Georgiou A 1, 546 40 Thessaloniki",
                        "Thessaloniki", 25};
  thessaloniki.online = {"Zoom", "https://meet.example.org/connection/cop1-3",
                         50};
  thessaloniki.sessions = {
      MakeSession("Municipality of Thessaloniki: integration strategy",
                  CivilSecond(2022, 3, 15, 9, 0, 0),
                  CivilSecond(2022, 3, 15, 13, 0, 0)),
      MakeSession("Guided tour of reception facilities",
                  CivilSecond(2022, 3, 15, 14, 30, 0),
                  CivilSecond(2022, 3, 15, 17, 30, 0), EventFormat::kInPerson),
      MakeSession("Municipality of Delta: local action plan",
                  CivilSecond(2022, 3, 16, 9, 0, 0),
                  CivilSecond(2022, 3, 16, 13, 0, 0)),
      MakeSession("Guided tour of reception facilities in Delta",
                  CivilSecond(2022, 3, 16, 14, 30, 0),
                  CivilSecond(2022, 3, 16, 17, 30, 0), EventFormat::kInPerson),
      MakeSession("Peer review and next steps", CivilSecond(2022, 3, 17, 9, 0, 0),
                  CivilSecond(2022, 3, 17, 13, 0, 0)),
  };
  events.push_back(thessaloniki);

  core::Event final_meeting;
  final_meeting.title = "CONNECTION final project meeting";
  final_meeting.description = "Each community of practice presents its results.";
  final_meeting.kind = EventKind::kMeeting;
  final_meeting.organisers = {"Eurocities"};
  final_meeting.city = "Utrecht";
  final_meeting.country_code = "NL";
  final_meeting.format = EventFormat::kInPerson;
  final_meeting.time_zone = "Europe/Amsterdam";
  final_meeting.start_local = CivilSecond(2022, 11, 15, 9, 30, 0);
  final_meeting.end_local = CivilSecond(2022, 11, 15, 17, 30, 0);
  final_meeting.venue = {"Stadhuis Utrecht", "Korte Minrebroederstraat 2, Utrecht",
                         "Utrecht", 60};
  events.push_back(final_meeting);

  core::Event conference;
  conference.title = "Integrating Cities conference (10th edition)";
  conference.kind = EventKind::kConference;
  conference.organisers = {"Eurocities", "Gemeente Utrecht"};
  conference.city = "Utrecht";
  conference.country_code = "NL";
  conference.format = EventFormat::kInPerson;
  conference.time_zone = "Europe/Amsterdam";
  conference.start_local = CivilSecond(2022, 11, 16, 9, 0, 0);
  conference.end_local = CivilSecond(2022, 11, 17, 17, 30, 0);
  conference.venue = {"TivoliVredenburg", "Vredenburgkade 11, Utrecht",
                      "Utrecht", 200};
  conference.sessions = {
      MakeSession("Workshop: the CoP1 how-to guide (ANCI Piemonte, Zagreb, "
                  "Prague)",
                  CivilSecond(2022, 11, 17, 11, 0, 0),
                  CivilSecond(2022, 11, 17, 12, 30, 0)),
  };
  events.push_back(conference);
  return events;
}

}  // namespace convene::testing_util

#endif  // CONVENE_TESTS_TESTING_UTIL_CONNECTION_CALENDAR_H_
