#include "rpc/metrics.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "rpc/status_conversion.h"

namespace convene::rpc {
namespace {

// A label value as the exposition format wants it.
std::string LabelValue(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
}

std::string Number(double v) {
  // Integers without a fraction; others with enough digits for latency.
  if (v == static_cast<double>(static_cast<int64_t>(v)) && std::abs(v) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  return absl::StrFormat("%.9g", v);
}

void Header(std::string& out, absl::string_view name, absl::string_view help,
            absl::string_view type) {
  absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

}  // namespace

void Metrics::RecordRpc(absl::string_view method, grpc::StatusCode code,
                        absl::Duration latency) {
  const double seconds = absl::ToDoubleSeconds(latency);
  const size_t bucket =
      std::lower_bound(kBuckets.begin(), kBuckets.end(), seconds) - kBuckets.begin();
  absl::MutexLock lock(&mu_);
  MethodStats& s = rpcs_[method];
  ++s.by_code[code];
  if (bucket < kBuckets.size()) ++s.buckets[bucket];
  ++s.count;
  s.sum_seconds += seconds;
}

void Metrics::AddGauge(Gauge gauge) {
  absl::MutexLock lock(&mu_);
  gauges_.push_back(std::move(gauge));
}

void Metrics::SetServing(const std::string& name, bool serving) {
  absl::MutexLock lock(&mu_);
  serving_[name] = serving;
}

std::string Metrics::Render() const {
  std::vector<std::pair<std::string, MethodStats>> rpcs;
  std::map<std::string, bool> serving;
  std::vector<Gauge> gauges;
  {
    absl::MutexLock lock(&mu_);
    rpcs.assign(rpcs_.begin(), rpcs_.end());
    serving = serving_;
    gauges = gauges_;
  }
  std::sort(rpcs.begin(), rpcs.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  Header(out, "convene_rpc_requests_total", "RPCs finished, by method and status code.",
         "counter");
  for (const auto& [method, s] : rpcs) {
    for (const auto& [code, n] : s.by_code) {
      absl::StrAppend(&out, "convene_rpc_requests_total{method=\"", LabelValue(method),
                      "\",code=\"", absl::StatusCodeToString(FromGrpcCode(code)), "\"} ", n,
                      "\n");
    }
  }
  Header(out, "convene_rpc_duration_seconds",
         "Time from an RPC's arrival to its status being sent.", "histogram");
  for (const auto& [method, s] : rpcs) {
    const std::string label = absl::StrCat("method=\"", LabelValue(method), "\"");
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += s.buckets[i];
      absl::StrAppend(&out, "convene_rpc_duration_seconds_bucket{", label, ",le=\"",
                      Number(kBuckets[i]), "\"} ", cumulative, "\n");
    }
    absl::StrAppend(&out, "convene_rpc_duration_seconds_bucket{", label, ",le=\"+Inf\"} ",
                    s.count, "\n");
    absl::StrAppend(&out, "convene_rpc_duration_seconds_sum{", label, "} ",
                    Number(s.sum_seconds), "\n");
    absl::StrAppend(&out, "convene_rpc_duration_seconds_count{", label, "} ", s.count, "\n");
  }
  Header(out, "convene_health_serving",
         "1 while the named health service reads SERVING, else 0.", "gauge");
  for (const auto& [name, ok] : serving) {
    absl::StrAppend(&out, "convene_health_serving{service=\"", LabelValue(name), "\"} ",
                    ok ? 1 : 0, "\n");
  }
  for (const Gauge& g : gauges) {
    std::optional<double> value = g.read ? g.read() : std::nullopt;
    Header(out, g.name, g.help, "gauge");
    if (value) absl::StrAppend(&out, g.name, " ", Number(*value), "\n");
  }
  return out;
}

}  // namespace convene::rpc
