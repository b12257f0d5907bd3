// convene-demo: loads the CONNECTION demo calendar (clients/demo/
// connection_demo.json) into running Convene services through the public
// API, then prints what an organiser wants to see in the first minute: the
// Thessaloniki workshop's agenda in the venue's zone and in a partner's, its
// hybrid attendance per day, and the next reminders due.
//
//   convene-demo --server=127.0.0.1:50051
//
// Loading is idempotent: every write carries a fixed request id, so running
// it again changes nothing and prints the summary again.
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "convene_client.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "convened's host:port");
ABSL_FLAG(std::string, data, CONVENE_DEMO_DATA, "the demo data (JSON)");
ABSL_FLAG(std::string, partner_tz, "Europe/Rome", "the partner zone the agenda is also shown in");
ABSL_FLAG(std::string, token, "", "bearer token (or $CONVENE_TOKEN)");

namespace {

namespace v1 = convene::v1;
using convene::client::ConveneClient;
using google::protobuf::Struct;
using google::protobuf::Value;

[[noreturn]] void Fail(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "convene-demo: %s: %s\n", what.c_str(), status.ToString().c_str());
  std::exit(1);
}

template <typename T>
T Check(absl::StatusOr<T> r, const std::string& what) {
  if (!r.ok()) Fail(what, r.status());
  return *std::move(r);
}

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(m, &out);
  return out;
}

template <typename M>
M FromJson(const google::protobuf::Message& value, const std::string& what) {
  M out;
  auto status = google::protobuf::util::JsonStringToMessage(ToJson(value), &out);
  if (!status.ok()) Fail(what, absl::InvalidArgumentError(status.ToString()));
  return out;
}

const Value& Field(const Struct& s, const std::string& name) {
  static const Value kNull;
  auto it = s.fields().find(name);
  return it == s.fields().end() ? kNull : it->second;
}

// "09:00" of "2022-03-15T09:00".
std::string Hm(const std::string& local) {
  return local.size() >= 16 ? local.substr(11, 5) : local;
}

// The first March 15 (of the workshop's programme) that is more than eight
// days ahead, so that even the 7-day reminder is still to come.
int RerunYear() {
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  int year = static_cast<int>(today.year());
  if (absl::CivilDay(year, 3, 15) - today <= 8) ++year;
  return year;
}

struct Loaded {
  std::map<std::string, std::string> event_ids;  // key -> id
  int registrations = 0;
  int check_ins = 0;
  std::string rerun_key;
  std::string soon_key;  // the webinar a few minutes ahead
  int soon_registrations = 0;
};

// An online webinar starting a few minutes from now, with a reminder due
// within about a minute of loading: a new user sees reminders sent (the run
// command writes them into .run/mail/) without waiting for next March. Each
// run makes a new one: its request id carries its start.
void LoadSoonWebinar(ConveneClient& client, const Struct& soon,
                     const std::map<std::string, v1::Participant>& people, Loaded& loaded) {
  const std::string key = Field(soon, "key").string_value();
  v1::Event event = FromJson<v1::Event>(Field(soon, "event").struct_value(), "event " + key);
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(event.time_zone(), &zone)) {
    Fail("soon", absl::InvalidArgumentError("time_zone " + event.time_zone() + " is not known"));
  }
  const int64_t next_minute = absl::ToUnixSeconds(absl::Now()) / 60 * 60 + 60;
  const absl::Time start =
      absl::FromUnixSeconds(next_minute) + absl::Minutes(Field(soon, "minutes_ahead").number_value());
  const absl::Time end = start + absl::Minutes(Field(soon, "minutes_long").number_value());
  event.set_start_local(absl::FormatTime("%Y-%m-%dT%H:%M", start, zone));
  event.set_end_local(absl::FormatTime("%Y-%m-%dT%H:%M", end, zone));
  v1::CreateEventRequest create;
  create.set_request_id(absl::StrCat("demo-event-", key, "-", event.start_local()));
  *create.mutable_event() = event;
  const std::string id = Check(client.CreateEvent(create), "CreateEvent " + key).id();
  loaded.event_ids[key] = id;
  loaded.soon_key = key;

  // Its only reminder: remind_seconds_before the start, at least 30 s ahead.
  v1::SetReminderPolicyRequest policy;
  policy.mutable_policy()->set_event_id(id);
  policy.mutable_policy()->add_before_event()->set_seconds(
      static_cast<int64_t>(Field(soon, "remind_seconds_before").number_value()));
  Check(client.SetReminderPolicy(policy), "SetReminderPolicy " + key);
  for (const Value& r : Field(soon, "registrations").list_value().values()) {
    Struct rest = r.struct_value();
    const std::string pid = Field(rest, "participant").string_value();
    rest.mutable_fields()->erase("participant");
    v1::RegisterRequest request = FromJson<v1::RegisterRequest>(rest, "registration");
    auto person = people.find(pid);
    if (person == people.end()) Fail("soon", absl::NotFoundError("participant " + pid + " is not in the demo"));
    *request.mutable_participant() = person->second;
    request.set_event_id(id);
    request.set_request_id(absl::StrCat("demo-reg-", id, "-", pid));
    Check(client.Register(request), "Register " + pid);
    ++loaded.registrations;
    ++loaded.soon_registrations;
  }
}

Loaded Load(ConveneClient& client, const Struct& data) {
  Loaded loaded;
  std::map<std::string, Struct> events;
  for (const Value& item : Field(data, "events").list_value().values()) {
    const Struct& e = item.struct_value();
    events[Field(e, "key").string_value()] = Field(e, "event").struct_value();
  }
  const Struct& rerun = Field(data, "rerun").struct_value();
  const std::string of = Field(rerun, "of").string_value();
  if (events.count(of)) {
    // The same programme next March: dates moved, local hours kept.
    std::string text = absl::StrReplaceAll(ToJson(events[of]),
                                           {{"\"2022-03-", absl::StrCat("\"", RerunYear(), "-03-")}});
    Struct copy;
    (void)google::protobuf::util::JsonStringToMessage(text, &copy);
    (*copy.mutable_fields())["title"].set_string_value(
        absl::StrCat(Field(copy, "title").string_value(), Field(rerun, "title_suffix").string_value()));
    loaded.rerun_key = of + "-rerun";
    events[loaded.rerun_key] = copy;
  }
  for (const auto& [key, e] : events) {
    v1::CreateEventRequest request;
    request.set_request_id("demo-event-" + key);
    *request.mutable_event() = FromJson<v1::Event>(e, "event " + key);
    loaded.event_ids[key] = Check(client.CreateEvent(request), "CreateEvent " + key).id();
  }

  std::map<std::string, v1::Participant> people;
  for (const Value& p : Field(data, "participants").list_value().values()) {
    v1::Participant participant = FromJson<v1::Participant>(p.struct_value(), "participant");
    people[participant.participant_id()] = participant;
  }
  std::map<std::string, Struct> registration_of;  // thessaloniki's, for the re-run
  for (const auto& [key, list] : Field(data, "registrations").struct_value().fields()) {
    for (const Value& r : list.list_value().values()) {
      // RegisterRequest has no "participant" string: pass the rest.
      Struct rest = r.struct_value();
      const std::string pid = Field(rest, "participant").string_value();
      rest.mutable_fields()->erase("participant");
      if (key == of) registration_of[pid] = rest;
      v1::RegisterRequest request = FromJson<v1::RegisterRequest>(rest, "registration");
      *request.mutable_participant() = people[pid];
      request.set_event_id(loaded.event_ids[key]);
      request.set_request_id(absl::StrCat("demo-reg-", key, "-", pid));
      Check(client.Register(request), "Register " + pid);
      ++loaded.registrations;
    }
  }
  if (!loaded.rerun_key.empty()) {
    const int year = RerunYear();
    for (const Value& p : Field(rerun, "participants").list_value().values()) {
      const std::string pid = p.string_value();
      std::string text = absl::StrReplaceAll(
          ToJson(registration_of[pid]), {{"\"2022-03-", absl::StrCat("\"", year, "-03-")}});
      v1::RegisterRequest request;
      (void)google::protobuf::util::JsonStringToMessage(text, &request);
      *request.mutable_participant() = people[pid];
      request.set_event_id(loaded.event_ids[loaded.rerun_key]);
      request.set_request_id(absl::StrCat("demo-reg-", loaded.rerun_key, "-", pid));
      Check(client.Register(request), "Register " + pid);
      ++loaded.registrations;
    }
    // The default policy, set explicitly so that it shows as the event's own.
    v1::SetReminderPolicyRequest policy;
    policy.mutable_policy()->set_event_id(loaded.event_ids[loaded.rerun_key]);
    for (int64_t s : {7 * 86400, 86400, 3600}) policy.mutable_policy()->add_before_event()->set_seconds(s);
    policy.mutable_policy()->add_before_each_day()->set_seconds(3600);
    Check(client.SetReminderPolicy(policy), "SetReminderPolicy");
  }
  if (const Struct& soon = Field(data, "soon").struct_value(); !Field(soon, "key").string_value().empty()) {
    LoadSoonWebinar(client, soon, people, loaded);
  }
  int n = 0;
  for (const auto& [key, list] : Field(data, "checkins").struct_value().fields()) {
    for (const Value& c : list.list_value().values()) {
      Struct rest = c.struct_value();
      const std::string pid = Field(rest, "participant").string_value();
      rest.mutable_fields()->erase("participant");
      v1::CheckInRequest request = FromJson<v1::CheckInRequest>(rest, "check-in");
      request.set_participant_id(pid);
      request.set_event_id(loaded.event_ids[key]);
      request.set_request_id(absl::StrCat("demo-checkin-", key, "-", ++n));
      Check(client.CheckIn(request), "CheckIn " + pid);
      ++loaded.check_ins;
    }
  }
  return loaded;
}

void PrintAgenda(ConveneClient& client, const std::string& event_id, const std::string& partner_tz) {
  v1::GetAgendaRequest request;
  request.set_event_id(event_id);
  request.set_viewer_time_zone(partner_tz);
  v1::Agenda agenda = Check(client.GetAgenda(request), "GetAgenda");
  std::printf("\n== %s: agenda in the venue's zone (%s) and in a partner's (%s)\n",
              agenda.title().c_str(), agenda.venue_time_zone().c_str(), partner_tz.c_str());
  std::printf("   (session hours are illustrative: the documents give none)\n");
  for (const v1::AgendaDay& day : agenda.days()) {
    std::printf("  %s\n", day.venue_date().c_str());
    for (const v1::AgendaItem& item : day.items()) {
      const std::string where = item.format() == v1::EVENT_FORMAT_IN_PERSON ? "in person"
                                : item.format() == v1::EVENT_FORMAT_ONLINE  ? "online"
                                                                            : "hybrid";
      std::string partner = absl::StrCat(Hm(item.start().viewer_local()), "-",
                                         Hm(item.end().viewer_local()));
      if (!item.start().viewer_date_if_different().empty()) {
        absl::StrAppend(&partner, " (", item.start().viewer_date_if_different(), ")");
      }
      std::printf("    %s-%s venue | %-11s %s | %-9s | %s\n", Hm(item.start().venue_local()).c_str(),
                  Hm(item.end().venue_local()).c_str(), partner.c_str(), "partner",
                  where.c_str(), item.title().c_str());
    }
  }
}

void PrintCounts(ConveneClient& client, const std::string& event_id) {
  v1::AttendanceCounts counts = Check(client.GetAttendanceCounts(event_id), "GetAttendanceCounts");
  std::printf("\n== Hybrid attendance per day (%d registrations)\n", counts.registrations());
  std::printf("  %-10s  %-17s  %-17s  %-17s  %-s\n", "day", "registered", "waitlisted",
              "checked in", "present (unique): room only / online only / both");
  std::printf("  %-10s  %-17s  %-17s  %-17s\n", "", "room  online", "room  online", "room  online");
  for (const v1::DayCounts& d : counts.days()) {
    const v1::ModeCounts& c = d.counts();
    std::printf("  %-10s  %4d  %6d       %4d  %6d       %4d  %6d       %d / %d / %d = %d\n",
                d.date().c_str(), c.registered_in_person(), c.registered_online(),
                c.waitlisted_in_person(), c.waitlisted_online(), c.checked_in_in_person(),
                c.checked_in_online(), d.unique().in_person_only(), d.unique().online_only(),
                d.unique().both(), d.unique().total());
  }
  if (counts.days_size() > 0) {
    std::printf("  by city, %s:", counts.days(0).date().c_str());
    for (const v1::GroupCounts& g : counts.days(0).by_city()) {
      std::printf(" %s %d+%d", g.key().empty() ? "?" : g.key().c_str(),
                  g.counts().registered_in_person(), g.counts().registered_online());
    }
    std::printf("   (room+online registered)\n");
  }
}

void PrintReminders(ConveneClient& client, const std::string& event_id, int expected = 1) {
  v1::ListScheduledRemindersRequest request;
  request.set_event_id(event_id);
  request.set_page_size(1000);
  v1::ListScheduledRemindersResponse page;
  // The planner follows the attendance stream: give it a moment.
  const absl::Time until = absl::Now() + absl::Seconds(15);
  do {
    page = Check(client.ListScheduledReminders(request), "ListScheduledReminders");
    if (page.reminders_size() >= expected) break;
    absl::SleepFor(absl::Milliseconds(200));
  } while (absl::Now() < until);
  v1::Event event = Check(client.GetEvent(event_id), "GetEvent");
  std::printf("\n== Next reminders due: %s, %s\n", event.title().c_str(), event.start_local().c_str());
  std::printf("  %-20s  %-18s  %-13s  %-9s  %s\n", "due (UTC)", "participant", "reminds of",
              "mode", "in their zone");
  int shown = 0;
  for (const v1::ScheduledReminder& r : page.reminders()) {
    if (++shown > 12) break;
    const std::string kind =
        r.kind() == v1::REMINDER_KIND_BEFORE_DAY ? "day " + r.day().substr(5) : "the event";
    std::printf("  %-20s  %-18s  %-13s  %-9s  %s %s (%s)\n",
                absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixSeconds(r.due_time().seconds()),
                                 absl::UTCTimeZone()).c_str(),
                r.participant_id().c_str(), kind.c_str(),
                r.mode() == v1::ATTENDANCE_MODE_ONLINE ? "online" : "in person",
                r.due_local().c_str(), r.language().c_str(), r.time_zone().c_str());
  }
  std::printf("  (%d planned in all)\n", page.reminders_size());
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Loads the CONNECTION demo into Convene and prints a summary.");
  absl::ParseCommandLine(argc, argv);
  convene::client::ClientOptions options;
  options.target = absl::GetFlag(FLAGS_server);
  options.bearer_token = absl::GetFlag(FLAGS_token);
  if (options.bearer_token.empty() && std::getenv("CONVENE_TOKEN")) {
    options.bearer_token = std::getenv("CONVENE_TOKEN");
  }
  options.wait_for_ready = true;  // the services may be starting
  options.deadline = absl::Seconds(30);
  std::unique_ptr<ConveneClient> client = Check(ConveneClient::Connect(options), "connect");

  std::ifstream file(absl::GetFlag(FLAGS_data));
  if (!file) Fail("--data", absl::NotFoundError(absl::GetFlag(FLAGS_data) + " cannot be read"));
  std::stringstream text;
  text << file.rdbuf();
  Struct data;
  if (auto s = google::protobuf::util::JsonStringToMessage(text.str(), &data); !s.ok()) {
    Fail("--data", absl::InvalidArgumentError(s.ToString()));
  }
  Loaded loaded = Load(*client, data);
  std::printf("== CONNECTION demo: %zu events, %d registrations, %d check-ins loaded\n",
              loaded.event_ids.size(), loaded.registrations, loaded.check_ins);
  std::printf("   (dates from ../shared/SCENARIO.md; session hours illustrative; "
              "the re-run is the 2022 programme moved to next March)\n");
  PrintAgenda(*client, loaded.event_ids["thessaloniki"], absl::GetFlag(FLAGS_partner_tz));
  PrintCounts(*client, loaded.event_ids["thessaloniki"]);
  if (!loaded.rerun_key.empty()) PrintReminders(*client, loaded.event_ids[loaded.rerun_key]);
  if (!loaded.soon_key.empty()) {
    PrintReminders(*client, loaded.event_ids[loaded.soon_key], loaded.soon_registrations);
    std::printf("  (sent when due: with the run command, as .eml files into .run/mail/)\n");
  }
  std::printf("\n== Event ids\n");
  for (const auto& [key, id] : loaded.event_ids) std::printf("  %-18s %s\n", key.c_str(), id.c_str());
  return 0;
}
