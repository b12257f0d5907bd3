#include "rpc/request_fields.h"

#include "absl/status/status.h"
#include "convene/v1/attendance.pb.h"
#include "convene/v1/notification.pb.h"
#include "gtest/gtest.h"

namespace convene::rpc {
namespace {

using ::convene::v1::AttendanceMode;
using ::convene::v1::CheckInRequest;
using ::convene::v1::NotificationKind;
using ::convene::v1::RegisterRequest;
using ::convene::v1::SetReminderPolicyRequest;

TEST(CheckRequestFields, PassesAWellFormedRequest) {
  SetReminderPolicyRequest r;
  r.mutable_policy()->set_event_id("ev_1");
  r.mutable_policy()->add_before_event()->set_seconds(86400);
  r.mutable_policy()->add_muted_notices(v1::NOTIFICATION_KIND_WAITLISTED);
  EXPECT_TRUE(CheckRequestFields(r).ok());
  EXPECT_TRUE(CheckRequestFields(CheckInRequest()).ok());
}

TEST(CheckRequestFields, NamesAnUnknownEnumByItsPath) {
  SetReminderPolicyRequest r;
  r.mutable_policy()->add_muted_notices(v1::NOTIFICATION_KIND_WAITLISTED);
  r.mutable_policy()->add_muted_notices(static_cast<NotificationKind>(99));
  absl::Status s = CheckRequestFields(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "policy.muted_notices[1]: unknown value 99");

  RegisterRequest reg;
  reg.add_days()->set_date("2027-03-15");
  reg.add_days()->set_mode(static_cast<AttendanceMode>(-3));
  EXPECT_EQ(CheckRequestFields(reg).message(), "days[1].mode: unknown value -3");
}

TEST(CheckRequestFields, NamesATimeOutOfRangeByItsPath) {
  CheckInRequest c;
  c.mutable_occurred_time()->set_seconds(1700000000);
  c.mutable_occurred_time()->set_nanos(1000000000);
  EXPECT_EQ(CheckRequestFields(c).message(), "occurred_time.nanos: 1000000000 is outside 0..999999999");
  c.mutable_occurred_time()->set_nanos(0);
  c.mutable_occurred_time()->set_seconds(253402300800);  // 10000-01-01T00:00:00Z
  EXPECT_EQ(CheckRequestFields(c).message(),
            "occurred_time.seconds: 253402300800 is outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z");

  SetReminderPolicyRequest r;
  r.mutable_policy()->add_before_event()->set_seconds(3600);
  auto* d = r.mutable_policy()->add_before_each_day();
  d->set_seconds(-1);
  d->set_nanos(5);
  EXPECT_EQ(CheckRequestFields(r).message(),
            "policy.before_each_day[0]: seconds and nanos must have the same sign");
}

}  // namespace
}  // namespace convene::rpc
