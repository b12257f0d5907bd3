// Page tokens: opaque to clients, made by the list that returns them and
// bound to the filters of the request, so that a token reused with other
// filters, or one the service never issued (a bare offset, a guess), is
// refused instead of silently skipping or repeating items. One format for
// every list: URL-safe base64 of "<tag>|<position>|<filters>", where the
// tag names the list and the version of its position.
//
//   std::string next = EncodePageToken("n1", absl::StrCat(offset), filters);
//   absl::StatusOr<std::string> position =
//       DecodePageToken(request_token, "n1", filters, "ListNotifications");
//   // INVALID_ARGUMENT "page_token: not a token from ListNotifications with
//   // these filters" for anything else.
#ifndef CONVENE_CORE_PAGE_TOKEN_H_
#define CONVENE_CORE_PAGE_TOKEN_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace convene::core {

// The INVALID_ARGUMENT every refused token gets: "page_token: not a token
// from <list_name> with these filters".
absl::Status PageTokenError(absl::string_view list_name);

// The token for the page that starts at `position` (it may hold '|').
std::string EncodePageToken(absl::string_view tag, absl::string_view position,
                            absl::string_view filters);

// The position inside `token` when EncodePageToken made it with this `tag`
// and these `filters`; otherwise INVALID_ARGUMENT naming "page_token" and
// the list (`list_name`).
absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view tag,
                                            absl::string_view filters,
                                            absl::string_view list_name);

// A number inside a token (a page's position, a stream entry id's parts),
// read back only in the form the service writes it, absl::StrCat's digits
// in [min, max]: "+5", " 5", "5 ", "05" and "-0" are tokens nobody issued.
// The one rule for the numbers of every list's and feed's tokens.
bool ParseIssuedNumber(absl::string_view text, int64_t min, int64_t max, int64_t& out);
bool ParseIssuedNumber(absl::string_view text, uint64_t& out);

// The most bytes of items one page of any list or feed carries: gRPC
// refuses to send a message over 4 MiB, and a page of large events (each
// up to EventLimits::kMaxEventBytes) at the default page size would
// pass it, for every caller, at the same place every time. A page ends
// early, with more to follow, instead.
inline constexpr size_t kMaxPageBytes = size_t{3} << 20;

// Whether a page holding `items` items of `bytes` bytes takes one more of
// `item_bytes`: the first always (a page never comes back empty for its
// size), then while the page stays within kMaxPageBytes.
inline bool PageHasRoom(size_t items, size_t bytes, size_t item_bytes) {
  return items == 0 || bytes + item_bytes <= kMaxPageBytes;
}

// The most items a page may start after: no Redis collection holds more.
inline constexpr int64_t kMaxPageOffset = int64_t{1} << 32;

// DecodePageToken for a position that counts the items before the page,
// written as absl::StrCat(offset): 0 for an empty token; the same
// INVALID_ARGUMENT for anything but the digits of 0..kMaxPageOffset, so
// that offset + page size never overflows.
absl::StatusOr<int64_t> DecodeOffsetPageToken(absl::string_view token, absl::string_view tag,
                                              absl::string_view filters,
                                              absl::string_view list_name);

}  // namespace convene::core

#endif  // CONVENE_CORE_PAGE_TOKEN_H_
