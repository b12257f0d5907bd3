#include "attendance/attendance_app.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "core/page_token.h"
#include "core/sign_in_sheet.h"
#include "core/text_limits.h"
#include "core/zone.h"

namespace convene::attendance {

namespace {

// The ids every attendance call names; "" for one the call does not take.
// The participant and request ids a call names (the event's aside).
absl::Status CheckCallerIds(absl::string_view participant_id,
                            absl::string_view request_id,
                            bool needs_participant, bool needs_request) {
  if (needs_participant && participant_id.empty()) {
    return absl::InvalidArgumentError("participant_id: is required");
  }
  if (needs_request) return core::CheckRequestId(request_id);
  return absl::OkStatus();
}

absl::Status CheckIds(absl::string_view event_id,
                      absl::string_view participant_id,
                      absl::string_view request_id, bool needs_participant,
                      bool needs_request) {
  if (event_id.empty())
    return absl::InvalidArgumentError("event_id: is required");
  return CheckCallerIds(participant_id, request_id, needs_participant,
                        needs_request);
}

}  // namespace

void AttendanceApp::Register(std::string event_id, std::string request_id,
                             core::ParticipantInfo participant,
                             std::optional<core::AttendanceMode> mode,
                             std::vector<RequestedDay> days,
                             Done<core::Registration> done) {
  if (absl::Status s = CheckIds(event_id, "", request_id, false, true);
      !s.ok()) {
    return done(s);
  }
  absl::StatusOr<core::ParticipantInfo> prepared =
      core::PrepareParticipant(std::move(participant));
  if (!prepared.ok()) return done(prepared.status());
  participant = *std::move(prepared);
  storage::RegisterCommand command;
  for (size_t i = 0; i < days.size(); ++i) {
    if (!days[i].mode && !mode) {
      return done(absl::InvalidArgumentError(absl::StrCat(
          "days[", i, "].mode: is required when the request has no mode")));
    }
    command.days.push_back(
        {days[i].date, days[i].mode ? *days[i].mode : *mode});
  }
  if (days.empty() && !mode) {
    return done(absl::InvalidArgumentError(
        "mode: is required (IN_PERSON or ONLINE), or give a mode per day"));
  }
  if (absl::Status s = core::ValidateDayChoices(command.days); !s.ok()) {
    return done(s);
  }
  command.event_id = std::move(event_id);
  command.request_id = std::move(request_id);
  command.participant = std::move(participant);
  command.default_mode = mode.value_or(core::AttendanceMode::kInPerson);
  command.now = clock_.Now();
  const std::string event = command.event_id;
  WithSheet<core::Registration>(
      event, [this, command](auto done) { store_.Register(command, std::move(done)); },
      std::move(done));
}

void AttendanceApp::ChangeMode(std::string event_id, std::string request_id,
                               std::string participant_id,
                               std::optional<core::AttendanceMode> mode,
                               std::vector<RequestedDay> days,
                               Done<core::Registration> done) {
  if (absl::Status s =
          CheckIds(event_id, participant_id, request_id, true, true);
      !s.ok()) {
    return done(s);
  }
  if (days.empty() && !mode) {
    return done(absl::InvalidArgumentError(
        "mode: is required (the new mode of every day), or list days with "
        "their new modes"));
  }
  std::vector<core::DayChoice> choices;
  for (size_t i = 0; i < days.size(); ++i) {
    if (!days[i].mode && !mode) {
      return done(absl::InvalidArgumentError(
          absl::StrCat("days[", i, "].mode: is required")));
    }
    choices.push_back({days[i].date, days[i].mode ? *days[i].mode : *mode});
  }
  if (absl::Status s = core::ValidateDayChoices(choices); !s.ok()) {
    return done(s);
  }
  const absl::Time now = clock_.Now();
  const core::AttendanceMode default_mode = mode.value_or(core::AttendanceMode::kInPerson);
  WithSheet<core::Registration>(
      event_id,
      [this, event_id, request_id, participant_id, choices, default_mode, now](auto done) {
        store_.ChangeMode(event_id, request_id, participant_id, choices, default_mode, now,
                          std::move(done));
      },
      std::move(done));
}

void AttendanceApp::CancelRegistration(std::string event_id,
                                       std::string request_id,
                                       std::string participant_id,
                                       std::vector<absl::CivilDay> dates,
                                       std::string reason,
                                       Done<core::Registration> done) {
  if (absl::Status s =
          CheckIds(event_id, participant_id, request_id, true, true);
      !s.ok()) {
    return done(s);
  }
  if (absl::Status s = core::CheckTextLength("reason", reason, kMaxReason); !s.ok()) {
    return done(s);
  }
  const absl::Time now = clock_.Now();
  WithSheet<core::Registration>(
      event_id,
      [this, event_id, request_id, participant_id, dates, reason, now](auto done) {
        store_.Cancel(event_id, request_id, participant_id, dates, reason, now,
                      std::move(done));
      },
      std::move(done));
}

void AttendanceApp::CheckIn(storage::CheckInCommand c,
                            std::optional<absl::Time> occurred,
                            Done<core::CheckInRecord> done) {
  if (absl::Status s =
          CheckIds(c.event_id, c.participant_id, c.request_id, true, true);
      !s.ok()) {
    return done(s);
  }
  if (c.day.has_value() == !c.session_id.empty()) {
    return done(absl::InvalidArgumentError(
        "day, session_id: give exactly one of them"));
  }
  if (c.source == core::CheckInSource::kOnlineLeave) {
    return done(absl::InvalidArgumentError(
        "source: ONLINE_LEAVE is reported with CheckOut"));
  }
  if ((c.source == core::CheckInSource::kOnlineJoin) !=
      (c.mode == core::AttendanceMode::kOnline)) {
    return done(absl::InvalidArgumentError(
        "source: ONLINE_JOIN goes with mode ONLINE, DESK and BADGE with "
        "IN_PERSON"));
  }
  // Whether this time is in the day's check-in window is judged by the
  // script, against the event's sheet.
  c.occurred = occurred.value_or(clock_.Now());
  if (c.walk_in) {
    c.walk_in->participant_id = c.participant_id;
    absl::StatusOr<core::ParticipantInfo> prepared =
        core::PrepareParticipant(*c.walk_in);
    if (!prepared.ok()) {
      return done(absl::InvalidArgumentError(
          absl::StrCat("walk_in: ", prepared.status().message())));
    }
    *c.walk_in = *std::move(prepared);
  }
  WithSheet<core::CheckInRecord>(
      c.event_id, [this, c](auto done) { store_.CheckIn(c, std::move(done)); },
      std::move(done));
}

void AttendanceApp::GetAttendanceCounts(std::string event_id, std::vector<std::string> days,
                                        Done<core::AttendanceCounts> done) {
  if (event_id.empty()) {
    return done(absl::InvalidArgumentError("event_id: is required"));
  }
  WithSheet<core::AttendanceCounts>(
      event_id,
      [this, event_id, days = std::move(days)](auto done) {
        store_.Counts(event_id, days, std::move(done));
      },
      std::move(done));
}

namespace {

// ListRegistrations' page tokens (core/page_token.h): an arrival position.
constexpr absl::string_view kListTokenTag = "r1";

std::string ListFingerprint(const storage::RegistrationQuery& q) {
  return absl::StrCat(q.event_id, ",",
                      q.mode ? static_cast<int>(*q.mode) + 1 : 0, ",",
                      q.status ? static_cast<int>(*q.status) + 1 : 0, ",",
                      q.city, ",", q.day ? absl::FormatCivilTime(*q.day) : "");
}

}  // namespace

void AttendanceApp::ListRegistrations(storage::RegistrationQuery q,
                                      std::string page_token,
                                      Done<ListPage> done) {
  if (q.event_id.empty()) {
    return done(absl::InvalidArgumentError("event_id: is required"));
  }
  absl::StatusOr<int> page_size = core::ResolvePageSize(q.page_size, kDefaultPageSize,
                                                        kMaxPageSize);
  if (!page_size.ok()) return done(page_size.status());
  q.page_size = *page_size;
  const std::string fingerprint = ListFingerprint(q);
  if (!page_token.empty()) {
    absl::StatusOr<int64_t> after = core::DecodeOffsetPageToken(
        page_token, kListTokenTag, fingerprint, "ListRegistrations");
    if (!after.ok()) return done(after.status());
    q.after = *after;
  }
  WithSheet<storage::RegistrationPage>(
      q.event_id, [this, q](auto done) { store_.List(q, std::move(done)); },
      [fingerprint, done = std::move(done)](
                     absl::StatusOr<storage::RegistrationPage> page) mutable {
    if (!page.ok()) return done(page.status());
    ListPage out;
    out.registrations = std::move(page->registrations);
    if (page->next) {
      out.next_page_token =
          core::EncodePageToken(kListTokenTag, absl::StrCat(*page->next), fingerprint);
    }
    done(std::move(out));
  });
}

void AttendanceApp::CheckOut(storage::CheckInCommand c,
                             std::optional<absl::Time> occurred,
                             Done<core::CheckInRecord> done) {
  if (absl::Status s =
          CheckIds(c.event_id, c.participant_id, c.request_id, true, true);
      !s.ok()) {
    return done(s);
  }
  if (c.day.has_value() == !c.session_id.empty()) {
    return done(absl::InvalidArgumentError(
        "day, session_id: give exactly one of them"));
  }
  if (c.source != core::CheckInSource::kOnlineLeave) {
    return done(absl::InvalidArgumentError("source: must be ONLINE_LEAVE"));
  }
  // Whether this time is in the day's check-in window is judged by the
  // script, against the event's sheet.
  c.occurred = occurred.value_or(clock_.Now());
  WithSheet<core::CheckInRecord>(
      c.event_id, [this, c](auto done) { store_.CheckOut(c, std::move(done)); },
      std::move(done));
}

struct AttendanceApp::ReportState {
  storage::AttendanceStore::ReportData data;
  std::vector<core::Registration> registrations;
  storage::RegistrationQuery query;
  Done<Report> done;
};

void AttendanceApp::ExportAttendanceReport(std::string event_id,
                                           Done<Report> done) {
  if (event_id.empty()) {
    return done(absl::InvalidArgumentError("event_id: is required"));
  }
  auto state = std::make_shared<ReportState>();
  state->query.event_id = event_id;
  state->query.page_size = kMaxPageSize;
  state->done = std::move(done);
  WithSheet<storage::AttendanceStore::ReportData>(
      event_id,
      [this, event_id](auto done) { store_.ReadReportData(event_id, std::move(done)); },
      [this, state](absl::StatusOr<storage::AttendanceStore::ReportData> d) {
        if (!d.ok()) return state->done(d.status());
        state->data = *std::move(d);
        CollectRegistrations(state);
      });
}

void AttendanceApp::CollectRegistrations(std::shared_ptr<ReportState> state) {
  store_.List(state->query,
              [this, state](absl::StatusOr<storage::RegistrationPage> page) {
                if (!page.ok()) return state->done(page.status());
                for (core::Registration& r : page->registrations) {
                  state->registrations.push_back(std::move(r));
                }
                if (page->next) {
                  state->query.after = *page->next;
                  return CollectRegistrations(state);
                }
                absl::StatusOr<core::Zone> zone =
                    core::ResolveZone(state->data.sheet.time_zone);
                if (!zone.ok()) return state->done(zone.status());
                Report report;
                report.rows = static_cast<int>(state->registrations.size());
                report.csv = core::BuildSignInSheet(
                    state->data.sheet, *zone, state->registrations,
                    state->data.first_check_ins);
                state->done(std::move(report));
              });
}

void AttendanceApp::ForgetParticipant(std::string event_id,
                                      std::string participant_id,
                                      std::string request_id,
                                      std::string reason,
                                      Done<ForgetOutcome> done) {
  const bool every_event = event_id.empty();
  if (absl::Status s = CheckCallerIds(participant_id, request_id, true, true);
      !s.ok()) {
    return done(s);
  }
  if (absl::Status s = core::CheckTextLength("reason", reason, kMaxReason); !s.ok()) {
    return done(s);
  }
  // The id is bound across events first: an erasure cannot be undone, so
  // an id reused for another request must stop it before any event.
  store_.BindForgetRequest(
      request_id, event_id, participant_id, reason,
      [this, every_event, event_id, participant_id, request_id, reason,
       done = std::move(done)](absl::StatusOr<bool> bound) mutable {
        if (!bound.ok()) return done(bound.status());
        if (every_event) {
          return store_.ForgetEverywhere(std::move(request_id), participant_id,
                                         std::move(reason), clock_.Now(), std::move(done));
        }
        const absl::Time now = clock_.Now();
        WithSheet<bool>(
            event_id,
            [this, event_id, request_id, participant_id, reason, now](auto done) {
              store_.Forget(event_id, request_id, participant_id, reason, now,
                            std::move(done));
            },
            [event_id, done = std::move(done)](absl::StatusOr<bool> erased) mutable {
              if (!erased.ok()) return done(erased.status());
              done(ForgetOutcome{{event_id}, *erased ? 1 : 0});
            });
      });
}

void AttendanceApp::GetRegistration(std::string event_id,
                                    std::string participant_id,
                                    Done<core::Registration> done) {
  if (absl::Status s = CheckIds(event_id, participant_id, "", true, false);
      !s.ok()) {
    return done(s);
  }
  WithSheet<core::Registration>(
      event_id,
      [this, event_id, participant_id](auto done) {
        store_.Get(event_id, participant_id, std::move(done));
      },
      std::move(done));
}

}  // namespace convene::attendance
