// RedisReply: an owning copy of one Redis (RESP2) reply, so that callers
// never see hiredis types or lifetimes.
//
// A reply is one of: nil, integer, (bulk) string, status ("OK"), error, or an
// array of replies. RedisClient turns a top-level error reply into a Status
// (see redis_error.h); errors only appear as values inside arrays (EXEC).
//
// Example:
//   client.Command({"HGET", key, "seats"},
//                  [](absl::StatusOr<RedisReply> reply) {
//     if (!reply.ok()) return Fail(reply.status());
//     if (reply->is_nil()) return Missing();
//     absl::StatusOr<int64_t> seats = reply->as_integer();  // "42" -> 42
//   });
#ifndef CONVENE_STORAGE_REDIS_REPLY_H_
#define CONVENE_STORAGE_REDIS_REPLY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace convene::storage {

class RedisReply {
 public:
  enum class Type { kNil, kInteger, kString, kStatus, kError, kArray };

  // A nil reply.
  RedisReply() = default;

  static RedisReply Nil() { return RedisReply(); }
  static RedisReply Integer(int64_t value);
  static RedisReply String(std::string value);
  static RedisReply Status(std::string value);
  static RedisReply Error(std::string message);
  static RedisReply Array(std::vector<RedisReply> elements);

  Type type() const { return type_; }
  bool is_nil() const { return type_ == Type::kNil; }
  bool is_integer() const { return type_ == Type::kInteger; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_status() const { return type_ == Type::kStatus; }
  bool is_error() const { return type_ == Type::kError; }
  bool is_array() const { return type_ == Type::kArray; }

  // The bytes of a string or status reply (binary safe); INTERNAL naming the
  // actual type otherwise. The view lives as long as this reply.
  absl::StatusOr<absl::string_view> as_string() const;
  // An integer reply, or a string reply holding a base-10 int64 (Redis returns
  // stored numbers as strings: GET, HGET); INTERNAL otherwise.
  absl::StatusOr<int64_t> as_integer() const;
  // The elements of an array reply; empty for every other type.
  absl::Span<const RedisReply> elements() const { return elements_; }
  // The raw payload of a string, status or error reply; empty otherwise.
  const std::string& text() const { return text_; }

  // A short human-readable rendering, for messages and test failures.
  std::string DebugString() const;

  friend bool operator==(const RedisReply&, const RedisReply&) = default;

 private:
  Type type_ = Type::kNil;
  int64_t integer_ = 0;
  std::string text_;
  std::vector<RedisReply> elements_;
};

// Names a type in messages: "nil", "integer", "string", ...
absl::string_view RedisReplyTypeName(RedisReply::Type type);

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_REDIS_REPLY_H_
