#include "notification/registration_copies.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "convene/v1/attendance.pb.h"
#include "mapping/registration_mapping.h"
#include "storage/attendance_stream_format.h"

namespace convene::notification {
namespace {

// Days text never holds this byte (dates, mode and status names, digits).
constexpr char kSeparator = '\x1f';

const std::string* FieldOf(const std::map<std::string, std::string>& fields,
                           const std::string& name) {
  auto it = fields.find(name);
  return it == fields.end() ? nullptr : &it->second;
}

}  // namespace

std::string RegistrationCopies::Encode(const core::Registration& registration) {
  return absl::StrCat(storage::FormatStoredDays(registration.days), std::string(1, kSeparator),
                      mapping::ParticipantToProto(registration.participant).SerializeAsString());
}

absl::StatusOr<core::Registration> RegistrationCopies::Decode(const std::string& event_id,
                                                              const std::string& participant_id,
                                                              const std::string& record) {
  const size_t cut = record.find(kSeparator);
  v1::Participant who;
  if (cut == std::string::npos || !who.ParseFromString(record.substr(cut + 1))) {
    return absl::DataLossError(absl::StrCat("registration copy of ", participant_id,
                                            " for event ", event_id, " is not readable"));
  }
  absl::StatusOr<std::vector<core::RegistrationDay>> days =
      storage::ParseStoredDays(record.substr(0, cut));
  if (!days.ok()) return days.status();
  core::Registration r;
  r.event_id = event_id;
  r.participant = mapping::ParticipantFromProto(who);
  r.participant.participant_id = participant_id;
  r.days = *std::move(days);
  r.status = core::OverallStatus(r.days);
  return r;
}

void RegistrationCopies::Put(const core::Registration& registration, Done<bool> done) {
  store_.Put(registration.event_id, registration.participant.participant_id,
             registration.revision, Encode(registration), std::move(done));
}

void RegistrationCopies::Apply(std::string event_id,
                               const std::map<std::string, std::string>& fields,
                               Done<bool> done) {
  const std::string* kind = FieldOf(fields, "kind");
  const std::string* participant = FieldOf(fields, "participant");
  const std::string* days_text = FieldOf(fields, "days");
  const std::string* revision_text = FieldOf(fields, "revision");
  int64_t revision = 0;
  if (!kind || !participant || !days_text || !revision_text ||
      !absl::SimpleAtoi(*revision_text, &revision)) {
    return done(false);  // not a registration change this copy follows
  }
  absl::StatusOr<std::vector<core::RegistrationDay>> days = storage::ParseStoredDays(*days_text);
  if (!days.ok()) return done(days.status());

  core::Registration r;
  r.event_id = event_id;
  r.participant.participant_id = *participant;
  r.days = *std::move(days);
  r.revision = revision;
  if (*kind == storage::kContactKind) {
    r.participant.display_name = FieldOf(fields, "display_name") ? *FieldOf(fields, "display_name") : "";
    if (const std::string* v = FieldOf(fields, "email")) r.participant.email = *v;
    if (const std::string* v = FieldOf(fields, "time_zone")) r.participant.time_zone = *v;
    if (const std::string* v = FieldOf(fields, "language")) r.participant.language = *v;
    return Put(r, std::move(done));
  }
  // The participant_contact entry right after it carries the same state and
  // the contact; one written before contact entries existed makes no copy.
  if (*kind == "registration_created") return done(false);
  store_.Get(event_id, *participant,
             [this, r = std::move(r), done = std::move(done)](
                 absl::StatusOr<std::string> stored) mutable {
               if (absl::IsNotFound(stored.status())) return done(false);
               if (!stored.ok()) return done(stored.status());
               absl::StatusOr<core::Registration> copy =
                   Decode(r.event_id, r.participant.participant_id, *stored);
               if (!copy.ok()) return done(copy.status());
               copy->days = std::move(r.days);
               copy->revision = r.revision;
               Put(*copy, std::move(done));
             });
}

void RegistrationCopies::Get(std::string event_id, std::string participant_id,
                             Done<core::Registration> done) {
  store_.Get(event_id, participant_id,
             [event_id, participant_id, done = std::move(done)](
                 absl::StatusOr<std::string> stored) mutable {
               if (!stored.ok()) return done(stored.status());
               done(Decode(event_id, participant_id, *stored));
             });
}

void RegistrationCopies::List(std::string event_id, std::string cursor, Done<Page> done) {
  store_.List(event_id, std::move(cursor),
              [event_id, done = std::move(done)](
                  absl::StatusOr<storage::RegistrationCopyStore::Page> stored) mutable {
                if (!stored.ok()) return done(stored.status());
                Page page;
                page.next_cursor = stored->next_cursor;
                for (const auto& [pid, record] : stored->copies) {
                  absl::StatusOr<core::Registration> r = Decode(event_id, pid, record);
                  if (!r.ok()) return done(r.status());
                  page.registrations.push_back(*std::move(r));
                }
                done(std::move(page));
              });
}

}  // namespace convene::notification
