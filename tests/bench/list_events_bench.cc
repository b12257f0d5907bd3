// list_events_bench: ListEvents latency for a 50-event page with 1k and with
// 100k events stored, through CalendarApp against a private redis-server.
// Prints figures; asserts nothing (speed is shown, not tested).
//
//   build/tests/bench/list_events_bench [--events=1000,100000] [--queries=2000]
//
// The 1k figure is the baseline measured in the same run: the index query is
// O(log N + page), so the 100k figure should stay within 2x of it.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "calendar/calendar_app.h"
#include "core/clock.h"
#include "core/log.h"
#include "calendar/calendar_store.h"
#include "storage/redis_address.h"
#include "storage/redis_client.h"
#include "storage/redis_sync_client.h"
#include "testing_util/await.h"
#include "testing_util/connection_calendar.h"
#include "testing_util/redis_server.h"

ABSL_FLAG(std::string, events, "1000,100000", "comma-separated store sizes");
ABSL_FLAG(int, queries, 2000, "ListEvents calls measured per size");
ABSL_FLAG(int, page_size, 50, "events per page");

namespace convene {
namespace {

using testing_util::Await;

// Creates `count` events spread over ten years, up to 256 in flight.
bool Fill(calendar::CalendarApp& app, int count) {
  const std::vector<core::Event> templates = testing_util::ConnectionCalendar();
  absl::Mutex mu;
  int in_flight = 0, failed = 0;
  absl::BitGen rng;
  for (int i = 0; i < count; ++i) {
    core::Event e = templates[i % templates.size()];
    const int shift_days = absl::Uniform(rng, 0, 3650);
    const absl::CivilSecond start(2020, 1, 1 + shift_days, e.start_local.hour(),
                                  e.start_local.minute(), 0);
    const auto length = e.end_local - e.start_local;
    const auto offset = start - e.start_local;
    e.start_local = start;
    e.end_local = start + length;
    for (core::Session& s : e.sessions) {
      s.start_local += offset;
      s.end_local += offset;
    }
    // Days that fall in a DST gap are not the point here.
    e.local_time_policy = core::LocalTimePolicy::kRfc5545;
    {
      absl::MutexLock lock(&mu);
      mu.Await(absl::Condition(
          +[](int* n) { return *n < 256; }, &in_flight));
      ++in_flight;
    }
    app.CreateEvent("bench-" + std::to_string(i), std::move(e),
                    [&](absl::StatusOr<core::Event> r) {
                      absl::MutexLock lock(&mu);
                      --in_flight;
                      if (!r.ok()) ++failed;
                    });
  }
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(+[](int* n) { return *n == 0; }, &in_flight));
  return failed == 0;
}

struct Figures {
  double p50_us, p99_us, mean_us;
  int events_per_page;
};

Figures Measure(calendar::CalendarApp& app, int queries, int page_size) {
  absl::BitGen rng;
  std::vector<double> micros;
  micros.reserve(queries);
  int returned = 0;
  for (int i = 0; i < queries; ++i) {
    calendar::EventQuery q;
    // A window from a random day onwards: always a full page to read.
    q.from = absl::FromCivil(absl::CivilDay(2020, 1, 1 + absl::Uniform(rng, 0, 3000)),
                             absl::UTCTimeZone());
    q.page_size = page_size;
    const absl::Time start = absl::Now();
    absl::StatusOr<calendar::EventPage> page = Await<calendar::EventPage>(
        [&](auto done) { app.ListEvents(q, std::move(done)); });
    micros.push_back(absl::ToDoubleMicroseconds(absl::Now() - start));
    if (page.ok()) returned += static_cast<int>(page->events.size());
  }
  std::sort(micros.begin(), micros.end());
  double sum = 0;
  for (double m : micros) sum += m;
  return {micros[micros.size() / 2], micros[micros.size() * 99 / 100],
          sum / micros.size(), returned / queries};
}

int Run() {
  core::SetMinLogLevel(core::LogLevel::kWarn);
  std::vector<int> sizes;
  for (absl::string_view part : absl::StrSplit(absl::GetFlag(FLAGS_events), ',')) {
    int n;
    if (absl::SimpleAtoi(part, &n) && n > 0) sizes.push_back(n);
  }
  std::printf("ListEvents, %d-event pages, %d queries per size, via CalendarApp "
              "(one EVALSHA per page) on a private redis-server\n",
              absl::GetFlag(FLAGS_page_size), absl::GetFlag(FLAGS_queries));
  std::printf("%10s %10s %10s %10s %12s %10s\n", "events", "p50 us", "p99 us",
              "mean us", "events/page", "vs first");
  double baseline_p50 = 0;
  for (int size : sizes) {
    absl::StatusOr<std::unique_ptr<testing_util::RedisServer>> server =
        testing_util::RedisServer::Start();
    if (!server.ok()) {
      std::fprintf(stderr, "redis-server: %s\n", server.status().ToString().c_str());
      return 1;
    }
    storage::RedisClientOptions options;
    options.address = *storage::RedisAddress::Parse((*server)->address());
    auto redis = *storage::RedisClient::Start(options);
    storage::CalendarStore store(*redis);
    core::SystemClock clock;
    calendar::CalendarApp app(store, clock);
    const absl::Time fill_start = absl::Now();
    if (!Fill(app, size)) {
      std::fprintf(stderr, "filling %d events failed\n", size);
      return 1;
    }
    const double fill_s = absl::ToDoubleSeconds(absl::Now() - fill_start);
    Measure(app, 100, absl::GetFlag(FLAGS_page_size));  // warm up
    Figures f = Measure(app, absl::GetFlag(FLAGS_queries), absl::GetFlag(FLAGS_page_size));
    if (baseline_p50 == 0) baseline_p50 = f.p50_us;
    std::printf("%10d %10.0f %10.0f %10.0f %12d %9.2fx   (filled in %.1f s)\n", size,
                f.p50_us, f.p99_us, f.mean_us, f.events_per_page,
                f.p50_us / baseline_p50, fill_s);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace
}  // namespace convene

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return convene::Run();
}
