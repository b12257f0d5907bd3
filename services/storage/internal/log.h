// The storage library's only logging hook: one line to stderr per event.
// Internal; swap for core/log.h once services/core has it.
#ifndef CONVENE_STORAGE_INTERNAL_LOG_H_
#define CONVENE_STORAGE_INTERNAL_LOG_H_

#include "absl/strings/string_view.h"

namespace convene::storage::internal {

// Writes "convene storage [INFO] <message>" to stderr.
void LogInfo(absl::string_view message);
// Writes "convene storage [WARNING] <message>" to stderr.
void LogWarning(absl::string_view message);

}  // namespace convene::storage::internal

#endif  // CONVENE_STORAGE_INTERNAL_LOG_H_
