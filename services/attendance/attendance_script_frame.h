// AttendanceScriptFrame: the keys and leading arguments of every script
// joined with attendance_lib.lua (attendance_*.lua, sheet_put.lua), built
// from keys.h in one place. The script's own arguments are appended to
// `args`.
//
//   AttendanceScriptFrame f = MakeAttendanceScriptFrame(event_id, now, 100000);
//   f.args.push_back(request_id);
//   redis.Eval(scripts::AttendanceRegister(), f.keys, f.args, done);
#ifndef CONVENE_STORAGE_ATTENDANCE_SCRIPT_FRAME_H_
#define CONVENE_STORAGE_ATTENDANCE_SCRIPT_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/keys.h"

namespace convene::storage {

struct AttendanceScriptFrame {
  std::vector<std::string> keys;
  std::vector<std::string> args;
};

// KEYS: sheet, registration index, counters, check-ins, requests, changes.
// ARGV: registration key prefix, waitlist key prefix, presence set prefix,
// counts channel, stream max length, now (ms), the request's fingerprint
// ("" until BindRequest()).
inline AttendanceScriptFrame MakeAttendanceScriptFrame(absl::string_view event_id,
                                                       absl::Time now,
                                                       int64_t max_changes) {
  return {{keys::EventSheet(event_id), keys::Registrations(event_id),
           keys::Counters(event_id), keys::CheckIns(event_id),
           keys::AttendanceRequests(event_id), keys::AttendanceChanges(event_id)},
          {keys::RegistrationPrefix(event_id), keys::WaitlistPrefix(event_id),
           keys::PresencePrefix(event_id), keys::CountsChannel(event_id),
           absl::StrCat(max_changes), absl::StrCat(absl::ToUnixMillis(now)), ""}};
}

// Puts the fingerprint of the script's own arguments into the frame, once
// they are all appended: every argument after the request id (the first)
// except those at `server_filled` (1-based script argument numbers, such as
// an occurred time that defaults to the server clock). The script keeps it
// with the request id, so that the id reused for a different request is
// refused while a retry gets the first answer. Computed here rather than in
// Lua: the hash costs the service a microsecond and Redis nothing.
void BindRequest(AttendanceScriptFrame& frame, std::initializer_list<size_t> server_filled = {});

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_ATTENDANCE_SCRIPT_FRAME_H_
