// HTML escaping for the few strings the server writes into HTML itself (the
// page shell's meta values, error pages). Everything the API returns reaches
// the browser as JSON and is put into the DOM with textContent by app.js,
// so this is the only escaping the server needs.
//
//   std::string safe = EscapeHtml("<img src=x onerror=alert(1)>");
//   // "&lt;img src=x onerror=alert(1)&gt;"
#ifndef CONVENE_CLIENTS_WEB_HTML_ESCAPE_H_
#define CONVENE_CLIENTS_WEB_HTML_ESCAPE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace convene::web {

// `text` with & < > " ' replaced by entities: safe inside element content
// and inside single- or double-quoted attribute values.
std::string EscapeHtml(absl::string_view text);

}  // namespace convene::web

#endif  // CONVENE_CLIENTS_WEB_HTML_ESCAPE_H_
