#include "counts_stream.h"

#include <chrono>
#include <utility>

#include "google/protobuf/util/json_util.h"

namespace convene::web {

namespace v1 = ::convene::v1;

CountsWatch::CountsWatch(v1::AttendanceService::Stub& stub,
                         const std::string& token, const std::string& event_id,
                         absl::Duration max_duration)
    : stub_(stub) {
  context_.set_deadline(std::chrono::system_clock::now() +
                        absl::ToChronoMilliseconds(max_duration));
  // The token goes into the call's metadata only; it is never logged.
  context_.AddMetadata("authorization", "Bearer " + token);
  thread_ = std::thread([this, event_id] { Run(event_id); });
}

CountsWatch::~CountsWatch() {
  Cancel();
  if (thread_.joinable()) thread_.join();
}

void CountsWatch::Cancel() { context_.TryCancel(); }

void CountsWatch::Run(std::string event_id) {
  v1::WatchAttendanceCountsRequest request;
  request.set_event_id(std::move(event_id));
  std::unique_ptr<grpc::ClientReader<v1::AttendanceCounts>> reader =
      stub_.WatchAttendanceCounts(&context_, request);
  v1::AttendanceCounts counts;
  google::protobuf::util::JsonPrintOptions json;
  json.preserve_proto_field_names = true;
  json.always_print_primitive_fields = true;
  while (reader->Read(&counts)) {
    std::string line;
    if (!google::protobuf::util::MessageToJsonString(counts, &line, json).ok())
      continue;
    absl::MutexLock lock(&mu_);
    latest_ = std::move(line);
  }
  grpc::Status s = reader->Finish();
  absl::MutexLock lock(&mu_);
  ended_ = absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                        s.error_message());
}

CountsWatch::Update CountsWatch::Next(absl::Duration timeout) {
  Update u;
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return latest_.has_value() || ended_.has_value();
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  // Counts that arrived just before the end still go out first.
  if (latest_) {
    u.kind = Update::Kind::kCounts;
    u.counts_json = std::move(*latest_);
    latest_.reset();
  } else if (ended_) {
    u.kind = Update::Kind::kEnded;
    u.status = *ended_;
  }
  return u;
}

CountsStreams::CountsStreams(std::shared_ptr<grpc::Channel> attendance,
                             Options options)
    : options_(options),
      stub_(v1::AttendanceService::NewStub(std::move(attendance))) {}

std::shared_ptr<CountsWatch> CountsStreams::Open(const std::string& token,
                                                 const std::string& event_id) {
  absl::MutexLock lock(&mu_);
  if (shutting_down_ || open_.size() >= options_.max_streams) return nullptr;
  if (auto it = per_token_.find(token);
      it != per_token_.end() && it->second >= options_.max_streams_per_token) {
    return nullptr;
  }
  auto* watch = new CountsWatch(*stub_, token, event_id, options_.max_duration);
  open_.emplace(watch, token);
  ++per_token_[token];
  // The deleter unregisters before the watch (and its thread) goes away.
  return std::shared_ptr<CountsWatch>(watch, [this](CountsWatch* w) {
    Release(w);
    delete w;
  });
}

void CountsStreams::Release(CountsWatch* watch) {
  absl::MutexLock lock(&mu_);
  auto it = open_.find(watch);
  if (it == open_.end()) return;
  if (auto held = per_token_.find(it->second); held != per_token_.end() && --held->second == 0) {
    per_token_.erase(held);
  }
  open_.erase(it);
}

void CountsStreams::Shutdown() {
  absl::MutexLock lock(&mu_);
  shutting_down_ = true;
  for (const auto& entry : open_) entry.first->Cancel();
}

bool CountsStreams::shutting_down() const {
  absl::MutexLock lock(&mu_);
  return shutting_down_;
}

}  // namespace convene::web
