// What every `convene` command shares: the connected client, the viewer's
// zone, table or JSON output, the one-line error report and exit codes, and
// the formatting of times in the viewer's and the venue's zones.
//
//   int Show(Context& ctx, Args& args) {
//     return ctx.Reply(ctx.client().GetEvent(args.Positional(0)),
//                      [&](const v1::Event& e) { PrintEvent(ctx, e); });
//   }
//   // stderr on failure: "convene: NOT_FOUND: event_id: no event \"ev_x\"", exit 1
#ifndef CONVENE_CLIENTS_CLI_OUTPUT_H_
#define CONVENE_CLIENTS_CLI_OUTPUT_H_

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "command_line.h"
#include "convene_client.h"
#include "core/zone.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"

namespace convene::cli {

namespace v1 = ::convene::v1;

// Exit codes (documented in `convene --help`).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;        // the call failed (the server said why)
inline constexpr int kExitUsage = 2;          // the command line was wrong
inline constexpr int kExitInterrupted = 130;  // Ctrl-C in a watch

// A text table: columns as wide as their widest cell, numbers right-aligned,
// columns empty in every row left out, shrunk to a width by cutting the
// widest cells with "…".
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  // A second header line (under the first): sub-headings of the columns.
  void AddHeader(std::vector<std::string> row) { headers_.push_back(std::move(row)); }
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // Never cut this column's cells (ids, times): others give way instead.
  void KeepWhole(size_t column) { whole_.push_back(column); }
  bool empty() const { return rows_.empty(); }
  // Lines of at most `width` columns (when that can be done by cutting the
  // cuttable columns down to their headers), each ending "\n",
  // every line indented by `indent` spaces.
  std::string Render(int width, int indent = 0) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> headers_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<size_t> whole_;
};

// Columns a UTF-8 string takes on a terminal (one per code point).
size_t DisplayWidth(absl::string_view text);
// `text` cut to `width` columns, ending in "…" when cut.
std::string Truncate(absl::string_view text, size_t width);

absl::Time FromProto(const google::protobuf::Timestamp& ts);
// Whether a Timestamp names an instant (the zero value means "unset", also
// when the server sends it explicitly).
inline bool IsSet(const google::protobuf::Timestamp& ts) { return ts.seconds() || ts.nanos(); }
google::protobuf::Timestamp ToProto(absl::Time t);
absl::Duration FromProto(const google::protobuf::Duration& d);
google::protobuf::Duration ToProto(absl::Duration d);
// "7d", "1d2h", "1h30m", "45s", "-1h".
std::string ShortDuration(absl::Duration d);
// Reads "P7D"/"PT1H" (ISO 8601) or "7d", "1h30m", "90s"; a sign is allowed.
absl::StatusOr<absl::Duration> ParseDurationArg(absl::string_view text);

// The state of one run: made in main.cc, passed to every command.
class Context {
 public:
  Context(std::unique_ptr<client::ConveneClient> client, core::Zone viewer, bool json, int width)
      : client_(std::move(client)), viewer_(std::move(viewer)), json_(json), width_(width) {}

  client::ConveneClient& client() { return *client_; }
  const core::Zone& viewer() const { return viewer_; }
  bool json() const { return json_; }
  // Width tables are fitted to (80-120).
  int width() const { return width_; }
  std::ostream& out() { return std::cout; }

  // "convene: CODE: message" on stderr; returns kExitFailure.
  int Fail(const absl::Status& status);
  // The collected usage errors of `args` on stderr; returns kExitUsage.
  int Usage(const Args& args);
  int Usage(const Args& args, std::string message);
  // The message as one line of JSON with proto field names.
  int PrintJson(const google::protobuf::Message& message);

  // `text` to stdout when `path` is empty, else to the file `path` with a
  // line "wrote <what> to <path>".
  int Save(const std::string& path, const std::string& text, const std::string& what);

  // Failure: Fail(); JSON output: the message; else `print(message)`.
  template <typename M, typename Print>
  int Reply(const absl::StatusOr<M>& result, Print&& print) {
    if (!result.ok()) return Fail(result.status());
    if (json_) return PrintJson(*result);
    print(*result);
    out().flush();
    return kExitOk;
  }

  // `zone_name` resolved, or the viewer's zone when it cannot be (an empty
  // name, a zone this machine does not know).
  core::Zone ZoneOr(absl::string_view zone_name) const;

  // An instant in the viewer's zone with the venue's alongside:
  // "2022-03-15 03:00 America/New_York = 09:00 Europe/Athens"; the venue's
  // date appears when it differs; one side only when both zones are the same.
  std::string Both(absl::Time instant, absl::string_view venue_zone) const;
  // An instant in the viewer's zone: "2022-03-15 03:00".
  std::string InViewer(absl::Time instant) const;
  // Reads a time given on the command line: RFC 3339 ("2022-03-15T09:00Z",
  // "...+02:00"), or a local "2022-03-15T09:00" / "2022-03-15" in the viewer's
  // zone.
  absl::StatusOr<absl::Time> ParseTimeArg(absl::string_view text) const;

 private:
  std::unique_ptr<client::ConveneClient> client_;
  core::Zone viewer_;
  bool json_;
  int width_;
};

// "2022-03-15 09:00" of `instant` on `zone`'s wall clock.
std::string LocalMinute(const core::Zone& zone, absl::Time instant);
// A local time string "2022-03-15T09:00" as "2022-03-15 09:00"; with
// `same_day_as` equal to its date, only "09:00".
std::string ShowLocal(absl::string_view local, absl::string_view same_day_as = "");

// "09:00-13:00" from two local times ("2022-03-15T09:00" or "2022-03-15
// 09:00"), with the start's date in front when it is not `ref_date` and
// "(+1d)" when the end falls on a later date than the start.
std::string TimeRange(absl::string_view start, absl::string_view end, absl::string_view ref_date);

}  // namespace convene::cli

#endif  // CONVENE_CLIENTS_CLI_OUTPUT_H_
