// Metrics: what a Convene server reports for Prometheus to scrape, in the
// text exposition format (version 0.0.4):
//
//   convene_rpc_requests_total{method="/convene.v1.AttendanceService/CheckIn",code="OK"} 1234
//   convene_rpc_duration_seconds_bucket{method="...",le="0.005"} 1200   (and _sum, _count)
//   convene_health_serving{service="convene.attendance.sheets"} 1
//   convene_attendance_sheet_lag_seconds 0.002                          (a service's gauge)
//
// ServerRunner records every RPC (the same interceptor as the RPC log) and
// serves Render() on GET /metrics of --metrics_listen; services add gauges
// (rpc::Gauge in ServerOptions). Recording is one short critical section per
// RPC; gauges are read only when scraped.
#ifndef CONVENE_RPC_METRICS_H_
#define CONVENE_RPC_METRICS_H_

#include <grpcpp/support/status.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace convene::rpc {

// A value read when the metrics are scraped. `read` runs on the metrics
// server's thread and must return within a bounded time; nullopt leaves the
// sample out (the value could not be read now).
struct Gauge {
  std::string name;  // convene_<service>_<what>_<unit>
  std::string help;
  std::function<std::optional<double>()> read;
};

class Metrics {
 public:
  // Upper bounds of the latency histogram's buckets, in seconds.
  static constexpr std::array<double, 10> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                      0.025,  0.05,  0.1,    0.5,   2.5};

  void RecordRpc(absl::string_view method, grpc::StatusCode code, absl::Duration latency);
  // Thread-safe; gauges added later appear from the next scrape on.
  void AddGauge(Gauge gauge);
  // Sets convene_health_serving{service=name}.
  void SetServing(const std::string& name, bool serving);

  // Every metric in the text exposition format.
  std::string Render() const;

 private:
  struct MethodStats {
    std::map<grpc::StatusCode, uint64_t> by_code;
    std::array<uint64_t, kBuckets.size()> buckets{};  // not cumulative
    uint64_t count = 0;
    double sum_seconds = 0;
  };

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, MethodStats> rpcs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, bool> serving_ ABSL_GUARDED_BY(mu_);
  std::vector<Gauge> gauges_ ABSL_GUARDED_BY(mu_);
};

}  // namespace convene::rpc

#endif  // CONVENE_RPC_METRICS_H_
