// The bridge from WatchAttendanceCounts (a gRPC server stream) to a
// browser's EventSource (Server-Sent Events). Each open page holds one
// CountsWatch: a thread reads the gRPC stream and keeps only the newest
// counts (each message is a full snapshot, so a slow browser skips
// intermediate ones instead of queueing them); the HTTP handler waits on
// it and writes SSE frames.
//
//   CountsStreams streams(channel, {.max_streams = 24});
//   std::shared_ptr<CountsWatch> w = streams.Open(token, "ev_0123");
//   if (!w) ...                              // 503: too many open pages
//   CountsWatch::Update u = w->Next(absl::Milliseconds(500));
//
// A watch ends after `max_duration` (the browser reconnects by itself), when
// the gRPC stream ends, or when CountsStreams::Shutdown() cancels every one
// (SIGTERM must not wait for pages that stay open for hours).
#ifndef CONVENE_CLIENTS_WEB_COUNTS_STREAM_H_
#define CONVENE_CLIENTS_WEB_COUNTS_STREAM_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "convene/v1/attendance.grpc.pb.h"

namespace convene::web {

class CountsWatch {
 public:
  struct Update {
    enum class Kind { kNothingNew, kCounts, kEnded };
    Kind kind = Kind::kNothingNew;
    std::string counts_json;  // kCounts: AttendanceCounts as one line of JSON
    absl::Status status;      // kEnded: how the gRPC stream ended
  };

  CountsWatch(convene::v1::AttendanceService::Stub& stub,
              const std::string& token, const std::string& event_id,
              absl::Duration max_duration);
  ~CountsWatch();  // cancels the gRPC call and joins its thread
  CountsWatch(const CountsWatch&) = delete;
  CountsWatch& operator=(const CountsWatch&) = delete;

  // The newest counts not yet taken, or the end, waiting at most `timeout`.
  Update Next(absl::Duration timeout);
  void Cancel();

 private:
  void Run(std::string event_id);

  convene::v1::AttendanceService::Stub& stub_;
  grpc::ClientContext context_;
  absl::Mutex mu_;
  std::optional<std::string> latest_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> ended_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

class CountsStreams {
 public:
  struct Options {
    // Open pages at once; each holds a thread here and one of the HTTP pool.
    size_t max_streams = 24;
    // Of those, the most one token may hold, so that one caller (a shared
    // integration token, or a script reopening pages) cannot take them all.
    size_t max_streams_per_token = 6;
    absl::Duration max_duration = absl::Minutes(30);
  };

  CountsStreams(std::shared_ptr<grpc::Channel> attendance, Options options);

  // A new watch, or nullptr when max_streams are open, `token` holds
  // max_streams_per_token of them, or after Shutdown().
  std::shared_ptr<CountsWatch> Open(const std::string& token,
                                    const std::string& event_id);
  // Cancels every open watch; later Open() calls fail.
  void Shutdown();
  bool shutting_down() const;

 private:
  void Release(CountsWatch* watch);

  const Options options_;
  std::unique_ptr<convene::v1::AttendanceService::Stub> stub_;
  mutable absl::Mutex mu_;
  // Each open watch and the token it was opened with.
  absl::flat_hash_map<CountsWatch*, std::string> open_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, size_t> per_token_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace convene::web

#endif  // CONVENE_CLIENTS_WEB_COUNTS_STREAM_H_
