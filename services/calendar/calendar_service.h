// The calendar service's wiring: what it builds on the host's Redis client
// (store, app, change-feed relay, tailers, handler) and what it stops at
// shutdown. convene-calendar serves it alone; convened beside the others.
//
//   host::RunServiceHost(argc, argv, options, {calendar::CalendarServiceFactory()});
#ifndef CONVENE_CALENDAR_CALENDAR_SERVICE_H_
#define CONVENE_CALENDAR_CALENDAR_SERVICE_H_

#include "host/service_host.h"

namespace convene::calendar {

host::ServiceFactory CalendarServiceFactory();

}  // namespace convene::calendar

#endif  // CONVENE_CALENDAR_CALENDAR_SERVICE_H_
