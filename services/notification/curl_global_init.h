// CurlGlobalInitOnce: libcurl's global set-up, once per process, for every
// sink that uses curl (webhooks, e-mail). curl_global_init is not safe to
// race with itself or with other threads' curl use on older libcurls, so it
// runs exactly once, before any handle (a function-local static: the one
// instance of this inline function in the program initialises it once).
#ifndef CONVENE_NOTIFICATION_CURL_GLOBAL_INIT_H_
#define CONVENE_NOTIFICATION_CURL_GLOBAL_INIT_H_

#include <curl/curl.h>

namespace convene::notification {

inline CURLcode CurlGlobalInitOnce() {
  static const CURLcode result = curl_global_init(CURL_GLOBAL_DEFAULT);
  return result;
}

}  // namespace convene::notification

#endif  // CONVENE_NOTIFICATION_CURL_GLOBAL_INIT_H_
