// The command groups of `convene`, one file each, and what they share.
#ifndef CONVENE_CLIENTS_CLI_COMMANDS_H_
#define CONVENE_CLIENTS_CLI_COMMANDS_H_

#include <functional>
#include <string_view>

#include "command_line.h"
#include "output.h"

namespace convene::cli {

// convene events ...: the calendar service.
Command EventsCommands();
// convene attendance ...: the attendance service.
Command AttendanceCommands();
// convene reminders ...: the notification service.
Command RemindersCommands();
Command NoticesCommands();
// convene tokens ...: the admin service (bearer tokens).
Command TokensCommands();
// convene changes ...: the change feed across services.
Command ChangesCommands();

// Keeps calling `read_page` with the next page token while `all` is set and
// a page says more follow, and returns the pages merged into the first (the
// repeated field `merge` appends). Stops at the first failure.
template <typename Response>
absl::StatusOr<Response> ReadPages(
    bool all, const std::function<absl::StatusOr<Response>(const std::string&)>& read_page) {
  absl::StatusOr<Response> first = read_page("");
  if (!first.ok() || !all) return first;
  // A page token that does not move would loop for ever; 10,000 pages is
  // far beyond any calendar of a city network.
  for (int pages = 1; !first->next_page_token().empty() && pages < 10000; ++pages) {
    absl::StatusOr<Response> next = read_page(first->next_page_token());
    if (!next.ok()) return next.status();
    std::string token = next->next_page_token();
    next->clear_next_page_token();
    // A full sync follows the change feed from the first page's token.
    if constexpr (requires { next->clear_sync_token(); }) next->clear_sync_token();
    first->MergeFrom(*next);
    first->set_next_page_token(token);
  }
  return first;
}

// What one stream of a watch did before it ended.
struct WatchStream {
  bool shown = false;    // it printed something
  bool reached = false;  // its call got through to the server
};

// Runs a watch until Ctrl-C, until `stream` stops it itself, or until an
// error retrying cannot fix. The services end a stream with UNAVAILABLE
// when they go away (a restart, a failover, Redis lost) and so does a
// connection whose keepalive pings go unanswered; once the watch is
// established (a stream showed something or reached the server), it says
// "<what> interrupted (...); reconnecting in N s" on stderr and runs
// `stream` again, 1 s, 2 s, ... up to 30 s apart (1 s again after a stream
// that showed something). `stream` resumes from its own state. A watch
// never established fails as any other call does: a wrong address is not
// retried for ever. Returns how the last stream ended.
absl::Status WatchUntilStopped(std::string_view what,
                               const std::function<absl::Status(WatchStream&)>& stream);

// Installs a Ctrl-C handler that ends the process with kExitInterrupted
// (watch commands block in a stream read that only the server or a message
// can end).
void ExitOnInterrupt();

}  // namespace convene::cli

#endif  // CONVENE_CLIENTS_CLI_COMMANDS_H_
