// The gRPC face of convene.v1.NotificationService: checks wire input, maps proto to
// domain, calls the app layer, maps the result back. No Redis and no
// time-zone arithmetic here.
//
//   convene::notification::NotificationHandler handler;
//   builder.RegisterService(&handler);
//
// RPCs not built yet answer UNIMPLEMENTED (the generated base class does so
// for every method that is not overridden).
#ifndef CONVENE_NOTIFICATION_NOTIFICATION_HANDLER_H_
#define CONVENE_NOTIFICATION_NOTIFICATION_HANDLER_H_

#include "convene/v1/notification.grpc.pb.h"

namespace convene::notification {

// Serves convene.v1.NotificationService on gRPC's callback API.
class NotificationHandler final : public convene::v1::NotificationService::CallbackService {
 public:
  // The fully qualified service name, as health checks and reflection use it.
  static constexpr char kServiceName[] = "convene.v1.NotificationService";
};

}  // namespace convene::notification

#endif  // CONVENE_NOTIFICATION_NOTIFICATION_HANDLER_H_
