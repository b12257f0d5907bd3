// A participant's language: the one rule for which tags Register accepts and
// which language a reminder, notice or invitation is written in.
//
//   CheckLanguageTag("it-IT", "participant.language");  // OK
//   PrimaryLanguageOf("it-IT");                          // "it"
//
// Tags are BCP 47 as browsers and calendar clients send them ("it", "it-IT",
// "zh-Hant-TW"), case-insensitive, with the POSIX locale form "it_IT"
// accepted too because operating systems report that. Only the primary
// subtag chooses the text; the tag is stored as given.
#ifndef CONVENE_CORE_LANGUAGE_TAG_H_
#define CONVENE_CORE_LANGUAGE_TAG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace convene::core {

// RFC 5646 asks every implementation to keep tags of at least 35 characters.
inline constexpr int kMaxLanguageTagLength = 35;

// OK for an empty tag (English) or a well-formed one: a primary subtag of 2-3
// ASCII letters, then subtags of 1-8 ASCII letters or digits, separated by
// '-' or '_'. INVALID_ARGUMENT naming `field` otherwise.
absl::Status CheckLanguageTag(absl::string_view tag, absl::string_view field);

// The primary subtag in lower case ("it" for "IT_it"); empty for "".
std::string PrimaryLanguageOf(absl::string_view tag);

}  // namespace convene::core

#endif  // CONVENE_CORE_LANGUAGE_TAG_H_
