// Small helpers shared by the core unit tests.

#ifndef CONVENE_TESTS_UNIT_CORE_CORE_TEST_UTIL_H_
#define CONVENE_TESTS_UNIT_CORE_CORE_TEST_UTIL_H_

#include <cstdlib>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/zone.h"
#include "gtest/gtest.h"

namespace convene::core::testing {

// The instant written as a UTC wall-clock time.
inline absl::Time Utc(int year, int month, int day, int hour, int minute,
                      int second = 0) {
  return absl::FromCivil(
      absl::CivilSecond(year, month, day, hour, minute, second),
      absl::UTCTimeZone());
}

// A zone that must resolve. The system tz database is part of the test
// environment: without it, stop the whole binary.
inline Zone MustResolve(absl::string_view name) {
  absl::StatusOr<Zone> zone = ResolveZone(name);
  if (!zone.ok()) {
    ADD_FAILURE() << zone.status();
    std::abort();
  }
  return *zone;
}

}  // namespace convene::core::testing

#endif  // CONVENE_TESTS_UNIT_CORE_CORE_TEST_UTIL_H_
