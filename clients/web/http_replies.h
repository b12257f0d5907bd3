// How convene-web answers: JSON bodies (protobuf messages and errors), HTML,
// redirects, and the mapping from a service's status to an HTTP status, in
// one place so that every endpoint answers errors the same way:
//
//   {"error": {"code": "PERMISSION_DENIED", "message": "..."}}
//
//   SetStatusError(res, status);   // 403 for PERMISSION_DENIED, 503 for
//   UNAVAILABLE, ... SetJson(res, 200, ToJson(counts));
#ifndef CONVENE_CLIENTS_WEB_HTTP_REPLIES_H_
#define CONVENE_CLIENTS_WEB_HTTP_REPLIES_H_

#include <httplib.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace convene::web {

// The value of cookie `name` in the request ("" if absent or the header is
// unreasonably long).
std::string CookieValue(const httplib::Request& req, absl::string_view name);

// `s` as a JSON string literal, quotes included; < > & escaped as \u00XX.
std::string JsonString(absl::string_view s);

// A message as one line of JSON (proto field names, defaults included).
std::string ToJson(const google::protobuf::Message& m);

// The HTTP status for a service's status code: 401, 403, 404, 400, 409,
// 429, 503, 504, else 502.
int HttpStatusOf(absl::StatusCode code);

void SetJson(httplib::Response& res, int status, const std::string& body);
void SetError(httplib::Response& res, int status, absl::string_view code,
              absl::string_view message);
void SetStatusError(httplib::Response& res, const absl::Status& s);
void SetHtml(httplib::Response& res, int status, std::string html);
// 303 See Other to `to` (a path of this server).
void Redirect(httplib::Response& res, const std::string& to);

}  // namespace convene::web

#endif  // CONVENE_CLIENTS_WEB_HTTP_REPLIES_H_
