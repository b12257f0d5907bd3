#include "attendance/attendance_script_frame.h"

#include <algorithm>
#include <string>
#include <vector>

#include "storage/request_fingerprint.h"

namespace convene::storage {

// The frame's arguments before the script's own (attendance_lib.lua).
constexpr size_t kFrameArgs = 7;

void BindRequest(AttendanceScriptFrame& frame, std::initializer_list<size_t> server_filled) {
  std::vector<std::string> chosen;
  // Script argument 1 is the request id itself.
  for (size_t i = kFrameArgs + 1; i < frame.args.size(); ++i) {
    const size_t number = i - kFrameArgs + 1;
    if (std::find(server_filled.begin(), server_filled.end(), number) == server_filled.end()) {
      chosen.push_back(frame.args[i]);
    }
  }
  frame.args[kFrameArgs - 1] = RequestFingerprint(chosen);
}

}  // namespace convene::storage
