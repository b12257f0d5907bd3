#include "attendance/attendance_handler.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "attendance/registration_mapping.h"
#include "auth/rpc_policy.h"
#include "auth/token_authenticator.h"
#include "core/local_date_time.h"
#include "rpc/proto_time.h"
#include "rpc/status_conversion.h"
#include "rpc/unary_reply.h"

namespace convene::attendance {
namespace {

auto ReplyRegistration(grpc::ServerUnaryReactor* reactor,
                       v1::Registration* response) {
  return rpc::Reply<core::Registration>(
      reactor, response,
      [](const core::Registration& r, v1::Registration& w) { w = RegistrationToProto(r); });
}

// A registration read back to a caller who may see only part of it.
auto ReplyRegistrationAsSeen(grpc::ServerUnaryReactor* reactor, v1::Registration* response,
                             core::ParticipantView view) {
  return rpc::Reply<core::Registration>(
      reactor, response, [view](core::Registration r, v1::Registration& w) {
        core::LimitToView(r.participant, view);
        w = RegistrationToProto(r);
      });
}

}  // namespace

grpc::ServerUnaryReactor* AttendanceHandler::Register(
    grpc::CallbackServerContext* context, const v1::RegisterRequest* request,
    v1::Registration* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return rpc::FinishNow(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::optional<core::AttendanceMode>> mode =
      ModeFromProto(request->mode(), "mode");
  absl::StatusOr<std::vector<RequestedDay>> days =
      DaysFromProto(request->days());
  if (!mode.ok() || !days.ok()) {
    reactor->Finish(
        rpc::ToGrpcStatus(!mode.ok() ? mode.status() : days.status()));
    return reactor;
  }
  app_.Register(request->event_id(), request->request_id(),
                ParticipantFromProto(request->participant()), *mode,
                *std::move(days), ReplyRegistration(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* AttendanceHandler::ChangeMode(
    grpc::CallbackServerContext* context, const v1::ChangeModeRequest* request,
    v1::Registration* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return rpc::FinishNow(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::optional<core::AttendanceMode>> mode =
      ModeFromProto(request->mode(), "mode");
  absl::StatusOr<std::vector<RequestedDay>> days =
      DaysFromProto(request->days());
  if (!mode.ok() || !days.ok()) {
    reactor->Finish(
        rpc::ToGrpcStatus(!mode.ok() ? mode.status() : days.status()));
    return reactor;
  }
  app_.ChangeMode(request->event_id(), request->request_id(),
                  request->participant_id(), *mode, *std::move(days),
                  ReplyRegistration(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* AttendanceHandler::CancelRegistration(
    grpc::CallbackServerContext* context,
    const v1::CancelRegistrationRequest* request, v1::Registration* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return rpc::FinishNow(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::vector<absl::CivilDay> dates;
  for (int i = 0; i < request->dates_size(); ++i) {
    absl::StatusOr<absl::CivilDay> d =
        core::ParseLocalDate(request->dates(i), absl::StrCat("dates[", i, "]"));
    if (!d.ok()) {
      reactor->Finish(rpc::ToGrpcStatus(d.status()));
      return reactor;
    }
    dates.push_back(*d);
  }
  app_.CancelRegistration(request->event_id(), request->request_id(),
                          request->participant_id(), std::move(dates),
                          request->reason(), ReplyRegistration(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* AttendanceHandler::CheckIn(
    grpc::CallbackServerContext* context, const v1::CheckInRequest* request,
    v1::CheckInRecord* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return rpc::FinishNow(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<storage::CheckInCommand> command = CheckInFromProto(*request);
  if (!command.ok()) {
    reactor->Finish(rpc::ToGrpcStatus(command.status()));
    return reactor;
  }
  std::optional<absl::Time> occurred;
  if (request->has_occurred_time()) {
    occurred = rpc::TimeFromProto(request->occurred_time());
  }
  app_.CheckIn(*std::move(command), occurred,
               rpc::Reply<core::CheckInRecord>(
                   reactor, response, [](const core::CheckInRecord& r, v1::CheckInRecord& w) {
                     w = CheckInToProto(r);
                   }));
  return reactor;
}

grpc::ServerUnaryReactor* AttendanceHandler::GetAttendanceCounts(
    grpc::CallbackServerContext* context,
    const v1::GetAttendanceCountsRequest* request,
    v1::AttendanceCounts* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return rpc::FinishNow(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::vector<std::string> days(request->days().begin(), request->days().end());
  app_.GetAttendanceCounts(
      request->event_id(), days,
      [this, reactor, response, days](absl::StatusOr<core::AttendanceCounts> c) {
        if (!c.ok()) return reactor->Finish(rpc::ToGrpcStatus(c.status()));
        absl::StatusOr<std::shared_ptr<const v1::AttendanceCounts>> asked = CountsForDays(
            std::make_shared<const v1::AttendanceCounts>(CountsToProto(*c, clock_.Now())), days,
            /*check_days=*/true);
        if (asked.ok()) *response = **asked;
        reactor->Finish(rpc::ToGrpcStatus(asked.status()));
      });
  return reactor;
}

grpc::ServerWriteReactor<v1::AttendanceCounts>*
AttendanceHandler::WatchAttendanceCounts(
    grpc::CallbackServerContext* context,
    const v1::WatchAttendanceCountsRequest* request) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return rpc::FinishStreamNow<v1::AttendanceCounts>(s);
  }
  absl::StatusOr<std::shared_ptr<void>> ticket = auth::AcquireStream(*context);
  if (!ticket.ok()) return rpc::FinishStreamNow<v1::AttendanceCounts>(ticket.status());
  auto* watcher = new CountsWatcher(
      app_, counts_hub_, clock_, request->event_id(),
      std::vector<std::string>(request->days().begin(), request->days().end()));
  watcher->stream_ticket = *std::move(ticket);
  auth::OnRevoked(watcher->stream_ticket,
                  [watcher](grpc::Status s) { watcher->End(std::move(s)); });
  watcher->Start();
  return watcher;
}

grpc::ServerUnaryReactor* AttendanceHandler::ListRegistrations(
    grpc::CallbackServerContext* context,
    const v1::ListRegistrationsRequest* request,
    v1::ListRegistrationsResponse* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return rpc::FinishNow(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  storage::RegistrationQuery q;
  q.event_id = request->event_id();
  absl::StatusOr<std::optional<core::AttendanceMode>> mode =
      ModeFromProto(request->mode(), "mode");
  if (!mode.ok()) {
    reactor->Finish(rpc::ToGrpcStatus(mode.status()));
    return reactor;
  }
  q.mode = *mode;
  switch (request->status()) {
    case v1::REGISTRATION_STATUS_CONFIRMED:
      q.status = core::RegistrationStatus::kConfirmed;
      break;
    case v1::REGISTRATION_STATUS_WAITLISTED:
      q.status = core::RegistrationStatus::kWaitlisted;
      break;
    case v1::REGISTRATION_STATUS_CANCELLED:
      q.status = core::RegistrationStatus::kCancelled;
      break;
    default:
      break;
  }
  q.city = request->city();
  if (!request->day().empty()) {
    absl::StatusOr<absl::CivilDay> day =
        core::ParseLocalDate(request->day(), "day");
    if (!day.ok()) {
      reactor->Finish(rpc::ToGrpcStatus(day.status()));
      return reactor;
    }
    q.day = *day;
  }
  q.page_size = request->page_size();
  const core::ParticipantView view = core::ParticipantViewOf(auth::CallerRole(*context));
  app_.ListRegistrations(
      std::move(q), request->page_token(),
      [reactor, response, view](absl::StatusOr<AttendanceApp::ListPage> page) {
        if (page.ok()) {
          for (core::Registration& r : page->registrations) {
            core::LimitToView(r.participant, view);
            *response->add_registrations() = RegistrationToProto(r);
          }
          response->set_next_page_token(page->next_page_token);
        }
        reactor->Finish(rpc::ToGrpcStatus(page.status()));
      });
  return reactor;
}

grpc::ServerUnaryReactor* AttendanceHandler::CheckOut(
    grpc::CallbackServerContext* context, const v1::CheckOutRequest* request,
    v1::CheckInRecord* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return rpc::FinishNow(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  storage::CheckInCommand c;
  c.event_id = request->event_id();
  c.participant_id = request->participant_id();
  c.request_id = request->request_id();
  c.session_id = request->session_id();
  c.mode = core::AttendanceMode::kOnline;
  c.source = request->source() == v1::CHECK_IN_SOURCE_ONLINE_LEAVE
                 ? core::CheckInSource::kOnlineLeave
                 : core::CheckInSource::kDesk;  // refused by the app
  if (!request->day().empty()) {
    absl::StatusOr<absl::CivilDay> day =
        core::ParseLocalDate(request->day(), "day");
    if (!day.ok()) {
      reactor->Finish(rpc::ToGrpcStatus(day.status()));
      return reactor;
    }
    c.day = *day;
  }
  std::optional<absl::Time> occurred;
  if (request->has_occurred_time()) {
    occurred = rpc::TimeFromProto(request->occurred_time());
  }
  app_.CheckOut(std::move(c), occurred,
                [reactor, response](absl::StatusOr<core::CheckInRecord> r) {
                  if (r.ok()) *response = CheckInToProto(*r);
                  reactor->Finish(rpc::ToGrpcStatus(r.status()));
                });
  return reactor;
}

grpc::ServerUnaryReactor* AttendanceHandler::ExportAttendanceReport(
    grpc::CallbackServerContext* context,
    const v1::ExportAttendanceReportRequest* request,
    v1::ExportAttendanceReportResponse* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return rpc::FinishNow(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  app_.ExportAttendanceReport(
      request->event_id(), [reactor, response, event_id = request->event_id(),
                            bom = request->utf8_bom()](
                               absl::StatusOr<AttendanceApp::Report> report) {
        if (report.ok()) {
          // The byte order mark tells spreadsheet programs the file is UTF-8.
          response->set_csv(bom ? absl::StrCat("\xEF\xBB\xBF", report->csv) : report->csv);
          response->set_rows(report->rows);
          response->set_filename(absl::StrCat("attendance-", event_id, ".csv"));
        }
        reactor->Finish(rpc::ToGrpcStatus(report.status()));
      });
  return reactor;
}

grpc::ServerUnaryReactor* AttendanceHandler::ForgetParticipant(
    grpc::CallbackServerContext* context,
    const v1::ForgetParticipantRequest* request,
    v1::ForgetParticipantResponse* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return rpc::FinishNow(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  app_.ForgetParticipant(
      request->event_id(), request->participant_id(), request->request_id(),
      request->reason(),
      [this, reactor,
       response](absl::StatusOr<AttendanceApp::ForgetOutcome> outcome) {
        if (outcome.ok()) {
          for (std::string& id : outcome->event_ids) {
            response->add_event_ids(std::move(id));
          }
          response->set_registrations_erased(outcome->erased_now);
          *response->mutable_erase_time() = rpc::TimeToProto(clock_.Now());
        }
        reactor->Finish(rpc::ToGrpcStatus(outcome.status()));
      });
  return reactor;
}

grpc::ServerUnaryReactor* AttendanceHandler::GetRegistration(
    grpc::CallbackServerContext* context,
    const v1::GetRegistrationRequest* request, v1::Registration* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return rpc::FinishNow(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  app_.GetRegistration(request->event_id(), request->participant_id(),
                       ReplyRegistrationAsSeen(reactor, response,
                                               core::ParticipantViewOf(auth::CallerRole(*context))));
  return reactor;
}

}  // namespace convene::attendance
