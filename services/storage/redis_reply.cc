#include "storage/redis_reply.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace convene::storage {
namespace {

absl::Status WrongType(absl::string_view wanted, const RedisReply& reply) {
  return absl::InternalError(absl::StrCat("expected a redis ", wanted,
                                          " reply, got ",
                                          reply.DebugString()));
}

}  // namespace

RedisReply RedisReply::Integer(int64_t value) {
  RedisReply r;
  r.type_ = Type::kInteger;
  r.integer_ = value;
  return r;
}

RedisReply RedisReply::String(std::string value) {
  RedisReply r;
  r.type_ = Type::kString;
  r.text_ = std::move(value);
  return r;
}

RedisReply RedisReply::Status(std::string value) {
  RedisReply r;
  r.type_ = Type::kStatus;
  r.text_ = std::move(value);
  return r;
}

RedisReply RedisReply::Error(std::string message) {
  RedisReply r;
  r.type_ = Type::kError;
  r.text_ = std::move(message);
  return r;
}

RedisReply RedisReply::Array(std::vector<RedisReply> elements) {
  RedisReply r;
  r.type_ = Type::kArray;
  r.elements_ = std::move(elements);
  return r;
}

absl::StatusOr<absl::string_view> RedisReply::as_string() const {
  if (type_ == Type::kString || type_ == Type::kStatus) return text_;
  return WrongType("string", *this);
}

absl::StatusOr<int64_t> RedisReply::as_integer() const {
  if (type_ == Type::kInteger) return integer_;
  int64_t value = 0;
  if (type_ == Type::kString && absl::SimpleAtoi(text_, &value)) return value;
  return WrongType("integer", *this);
}

std::string RedisReply::DebugString() const {
  constexpr size_t kMaxText = 64;
  auto quoted = [&] {
    std::string shown = text_.size() > kMaxText
                            ? absl::StrCat(text_.substr(0, kMaxText), "...")
                            : text_;
    return absl::StrCat("\"", absl::CEscape(shown), "\"");
  };
  switch (type_) {
    case Type::kNil:
      return "nil";
    case Type::kInteger:
      return absl::StrCat("integer ", integer_);
    case Type::kString:
      return absl::StrCat("string ", quoted());
    case Type::kStatus:
      return absl::StrCat("status ", quoted());
    case Type::kError:
      return absl::StrCat("error ", quoted());
    case Type::kArray:
      return absl::StrCat(
          "[", absl::StrJoin(elements_, ", ",
                             [](std::string* out, const RedisReply& r) {
                               out->append(r.DebugString());
                             }),
          "]");
  }
  return "?";
}

absl::string_view RedisReplyTypeName(RedisReply::Type type) {
  switch (type) {
    case RedisReply::Type::kNil:
      return "nil";
    case RedisReply::Type::kInteger:
      return "integer";
    case RedisReply::Type::kString:
      return "string";
    case RedisReply::Type::kStatus:
      return "status";
    case RedisReply::Type::kError:
      return "error";
    case RedisReply::Type::kArray:
      return "array";
  }
  return "?";
}

}  // namespace convene::storage
