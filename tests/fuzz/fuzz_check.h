// What the fuzz targets share: a check that turns a broken promise into a
// crash libFuzzer saves, and the zones the targets pick from.
//
//   FUZZ_CHECK(again.ok() && *again == *local,
//              "FormatLocalDateTime() does not read back: ", formatted);
//
// A failed check prints the condition, the message and the place, then
// aborts: libFuzzer reports a deadly signal and writes the input to
// crash-<sha1> (see tests/fuzz/run_fuzzers.sh and README "Fuzzing").

#ifndef CONVENE_TESTS_FUZZ_FUZZ_CHECK_H_
#define CONVENE_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace convene::fuzz {

[[noreturn]] inline void Fail(const char* file, int line, const char* condition,
                              const std::string& message) {
  std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: %s\n", file, line,
               condition, message.c_str());
  std::abort();
}

// IANA zones with the awkward cases: DST both ways of the year, negative DST
// (Dublin, Casablanca), 30-minute DST (Lord Howe), 45-minute offsets, a skipped
// day (Apia, 2011-12-30), offsets beyond +/-12h, a zone without DST, and UTC.
// Characters of a text a validator accepted, counted here on their own
// terms: bytes that start a UTF-8 sequence (accepted texts are valid UTF-8,
// so this is their code points), and never more than 4 bytes per character.
inline bool WithinChars(absl::string_view text, size_t max_chars) {
  size_t chars = 0;
  for (char c : text) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return chars <= max_chars && text.size() <= 4 * max_chars;
}

inline constexpr absl::string_view kZones[] = {
    "Europe/Brussels",     "Europe/Athens",     "Europe/Dublin",
    "Europe/Lisbon",       "America/New_York",  "America/St_Johns",
    "America/Sao_Paulo",   "Africa/Casablanca", "Asia/Kathmandu",
    "Australia/Lord_Howe", "Pacific/Apia",      "Pacific/Kiritimati",
    "Antarctica/Troll",    "Asia/Tokyo",        "UTC",
};

}  // namespace convene::fuzz

// Aborts with a message (the StrCat of the remaining arguments) unless
// `condition` holds.
#define FUZZ_CHECK(condition, ...)                          \
  do {                                                      \
    if (!(condition)) {                                     \
      ::convene::fuzz::Fail(__FILE__, __LINE__, #condition, \
                            ::absl::StrCat(__VA_ARGS__));   \
    }                                                       \
  } while (false)

#endif  // CONVENE_TESTS_FUZZ_FUZZ_CHECK_H_
