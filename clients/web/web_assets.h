// The page shell, script and style sheet, compiled into the binary from
// static/ (embed_assets.cmake) so that convene-web serves everything the
// browser needs itself: no CDN, works with no internet.
//
// kIndexHtml is a template: WebApp replaces {{page}}, {{event_id}},
// {{csrf}}, {{lists_events}}, {{nav}} and {{main}}, escaping what it puts in.
#ifndef CONVENE_CLIENTS_WEB_WEB_ASSETS_H_
#define CONVENE_CLIENTS_WEB_WEB_ASSETS_H_

#include "absl/strings/string_view.h"

namespace convene::web {

extern const absl::string_view kIndexHtml;  // static/index.html
extern const absl::string_view kAppJs;      // static/app.js
extern const absl::string_view kAppCss;     // static/app.css

}  // namespace convene::web

#endif  // CONVENE_CLIENTS_WEB_WEB_ASSETS_H_
