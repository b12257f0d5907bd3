#include "storage/redis_address.h"

#include <sys/un.h>

#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace convene::storage {
namespace {

constexpr absl::string_view kTcpScheme = "redis://";
constexpr absl::string_view kUnixScheme = "unix://";
constexpr absl::string_view kSentinelScheme = "redis-sentinel://";
constexpr absl::string_view kClusterScheme = "redis-cluster://";

// The text to quote in error messages: anything that looks like credentials
// (user:password@) is cut out so a typo never leaks a password into logs.
std::string Redacted(absl::string_view uri) {
  size_t scheme_end = uri.find("://");
  size_t at = uri.find('@');
  if (scheme_end == absl::string_view::npos || at == absl::string_view::npos ||
      at < scheme_end) {
    return std::string(uri);
  }
  return absl::StrCat(uri.substr(0, scheme_end + 3), "<redacted>",
                      uri.substr(at));
}

absl::Status Invalid(absl::string_view uri, absl::string_view reason) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid redis address \"", Redacted(uri), "\": ", reason));
}

bool IsHostChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '.' || c == '_';
}

// Parses "host", "host:port", "[v6]" or "[v6]:port".
absl::StatusOr<RedisAddress::HostPort> ParseHostPort(absl::string_view uri,
                                                     absl::string_view text,
                                                     int default_port) {
  RedisAddress::HostPort result;
  absl::string_view port_text;
  if (absl::StartsWith(text, "[")) {
    size_t close = text.find(']');
    if (close == absl::string_view::npos) {
      return Invalid(uri, "unterminated '[' in IPv6 host");
    }
    absl::string_view host = text.substr(1, close - 1);
    if (host.empty()) return Invalid(uri, "empty IPv6 host");
    for (char c : host) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != ':' &&
          c != '.') {
        return Invalid(uri, absl::StrCat("bad character '", std::string(1, c),
                                         "' in IPv6 host"));
      }
    }
    result.host = std::string(host);
    absl::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (!absl::ConsumePrefix(&rest, ":")) {
        return Invalid(uri, "expected ':port' after ']'");
      }
      port_text = rest;
      if (port_text.empty()) return Invalid(uri, "empty port");
    }
  } else {
    size_t colon = text.rfind(':');
    absl::string_view host = text.substr(0, colon);
    if (colon != absl::string_view::npos) {
      port_text = text.substr(colon + 1);
      if (port_text.empty()) return Invalid(uri, "empty port");
    }
    if (host.empty()) return Invalid(uri, "missing host");
    for (char c : host) {
      if (!IsHostChar(c)) {
        return Invalid(uri, absl::StrCat("bad character '", std::string(1, c),
                                         "' in host (IPv6 needs [brackets])"));
      }
    }
    result.host = std::string(host);
  }
  result.port = default_port;
  if (!port_text.empty()) {
    uint32_t port = 0;
    bool digits_only = true;
    for (char c : port_text) {
      digits_only = digits_only && absl::ascii_isdigit(static_cast<unsigned char>(c));
    }
    if (!digits_only || port_text.size() > 5 ||
        !absl::SimpleAtoi(port_text, &port) || port == 0 || port > 65535) {
      return Invalid(uri, absl::StrCat("port \"", port_text,
                                       "\" is not a number in 1..65535"));
    }
    result.port = static_cast<int>(port);
  }
  return result;
}

std::string HostPortString(const RedisAddress::HostPort& hp) {
  if (absl::StrContains(hp.host, ':')) {
    return absl::StrCat("[", hp.host, "]:", hp.port);
  }
  return absl::StrCat(hp.host, ":", hp.port);
}

absl::Status CheckAuthority(absl::string_view uri, absl::string_view authority) {
  if (absl::StrContains(authority, '@')) {
    return Invalid(uri,
                   "credentials do not belong in the address; set "
                   "RedisClientOptions::username/password instead");
  }
  if (absl::StrContains(authority, '?') || absl::StrContains(authority, '#')) {
    return Invalid(uri, "query strings and fragments are not supported");
  }
  return absl::OkStatus();
}

}  // namespace

RedisAddress::RedisAddress() : servers_{{"localhost", kDefaultPort}} {}

RedisAddress RedisAddress::Tcp(HostPort node) {
  RedisAddress address;
  address.servers_ = {std::move(node)};
  return address;
}

absl::StatusOr<RedisAddress> RedisAddress::Parse(absl::string_view uri) {
  absl::string_view rest = uri;
  RedisAddress address;
  if (absl::ConsumePrefix(&rest, kTcpScheme)) {
    if (absl::Status s = CheckAuthority(uri, rest); !s.ok()) return s;
    // Allow one trailing '/', refuse a path: "redis://host/2" would select a
    // database, which Convene does not use (keys carry their own prefixes).
    absl::ConsumeSuffix(&rest, "/");
    if (absl::StrContains(rest, '/')) {
      return Invalid(uri, "a path (database number) is not supported");
    }
    if (rest.empty()) return Invalid(uri, "missing host");
    absl::StatusOr<HostPort> hp = ParseHostPort(uri, rest, kDefaultPort);
    if (!hp.ok()) return hp.status();
    address.kind_ = Kind::kTcp;
    address.servers_ = {*std::move(hp)};
    return address;
  }
  if (absl::ConsumePrefix(&rest, kUnixScheme)) {
    if (!absl::StartsWith(rest, "/")) {
      return Invalid(uri,
                     "the socket path must be absolute (unix:///path/to/sock)");
    }
    if (rest.size() < 2 || absl::EndsWith(rest, "/")) {
      return Invalid(uri, "the socket path must name a file");
    }
    if (absl::StrContains(rest, '?') || absl::StrContains(rest, '#')) {
      return Invalid(uri, "query strings and fragments are not supported");
    }
    if (absl::StrContains(rest, absl::string_view("\0", 1))) {
      return Invalid(uri, "the socket path contains a NUL byte");
    }
    constexpr size_t kMaxPath = sizeof(sockaddr_un::sun_path) - 1;
    if (rest.size() > kMaxPath) {
      return Invalid(uri, absl::StrCat("the socket path is longer than ",
                                       kMaxPath, " bytes"));
    }
    address.kind_ = Kind::kUnix;
    address.servers_.clear();
    address.unix_path_ = std::string(rest);
    return address;
  }
  if (absl::ConsumePrefix(&rest, kSentinelScheme)) {
    if (absl::Status s = CheckAuthority(uri, rest); !s.ok()) return s;
    size_t slash = rest.find('/');
    if (slash == absl::string_view::npos) {
      return Invalid(uri,
                     "missing master name (redis-sentinel://host:port/master)");
    }
    absl::string_view master = rest.substr(slash + 1);
    absl::string_view hosts = rest.substr(0, slash);
    if (master.empty()) return Invalid(uri, "empty master name");
    for (char c : master) {
      if (!IsHostChar(c)) {
        return Invalid(uri, absl::StrCat("bad character '", std::string(1, c),
                                         "' in master name"));
      }
    }
    if (hosts.empty()) return Invalid(uri, "no sentinel listed");
    address.kind_ = Kind::kSentinel;
    address.servers_.clear();
    for (absl::string_view one : absl::StrSplit(hosts, ',')) {
      if (one.empty()) return Invalid(uri, "empty entry in the sentinel list");
      absl::StatusOr<HostPort> hp =
          ParseHostPort(uri, one, kDefaultSentinelPort);
      if (!hp.ok()) return hp.status();
      address.servers_.push_back(*std::move(hp));
    }
    address.master_name_ = std::string(master);
    return address;
  }
  if (absl::ConsumePrefix(&rest, kClusterScheme)) {
    if (absl::Status s = CheckAuthority(uri, rest); !s.ok()) return s;
    absl::ConsumeSuffix(&rest, "/");
    if (absl::StrContains(rest, '/')) {
      return Invalid(uri, "a path is not supported (a cluster has one database)");
    }
    if (rest.empty()) return Invalid(uri, "no seed node listed");
    address.kind_ = Kind::kCluster;
    address.servers_.clear();
    for (absl::string_view one : absl::StrSplit(rest, ',')) {
      if (one.empty()) return Invalid(uri, "empty entry in the seed node list");
      absl::StatusOr<HostPort> hp = ParseHostPort(uri, one, kDefaultPort);
      if (!hp.ok()) return hp.status();
      address.servers_.push_back(*std::move(hp));
    }
    return address;
  }
  if (uri.empty()) return Invalid(uri, "empty address");
  return Invalid(uri,
                 "unknown scheme; expected redis://, unix://, "
                 "redis-sentinel:// or redis-cluster://");
}

const std::string& RedisAddress::host() const {
  static const std::string* const kNone = new std::string();
  return kind_ == Kind::kTcp ? servers_.front().host : *kNone;
}

int RedisAddress::port() const {
  return kind_ == Kind::kTcp ? servers_.front().port : 0;
}

std::string RedisAddress::ToString() const {
  switch (kind_) {
    case Kind::kTcp:
      return absl::StrCat(kTcpScheme, HostPortString(servers_.front()));
    case Kind::kUnix:
      return absl::StrCat(kUnixScheme, unix_path_);
    case Kind::kSentinel:
      return absl::StrCat(
          kSentinelScheme,
          absl::StrJoin(servers_, ",",
                        [](std::string* out, const HostPort& hp) {
                          out->append(HostPortString(hp));
                        }),
          "/", master_name_);
    case Kind::kCluster:
      return absl::StrCat(kClusterScheme,
                          absl::StrJoin(servers_, ",",
                                        [](std::string* out, const HostPort& hp) {
                                          out->append(HostPortString(hp));
                                        }));
  }
  return "";
}

}  // namespace convene::storage
