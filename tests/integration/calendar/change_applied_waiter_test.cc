// ChangeAppliedWaiter against a real, private redis-server: the calendar
// answers a write once attendance has announced it applied the change,
// after the bound at the latest, and at once when no follower is heard.
#include "calendar/change_applied_waiter.h"

#include <atomic>
#include <memory>
#include <string>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "storage/keys.h"
#include "storage/redis_address.h"
#include "storage/redis_client.h"
#include "storage/redis_sync_client.h"
#include "testing_util/redis_test.h"

namespace convene::calendar {
namespace {

class ChangeAppliedWaiterTest : public testing_util::RedisTest {
 protected:
  void SetUp() override {
    RedisTest::SetUp();
    options_.address = *storage::RedisAddress::Parse(redis_address());
    redis_ = *storage::RedisClient::Start(options_);
    sync_ = std::make_unique<storage::RedisSyncClient>(*redis_);
    waiter_ = *ChangeAppliedWaiter::Start(options_, {.bound = absl::Seconds(2),
                                                     .silence = absl::Seconds(3)});
  }
  // What attendance's sheet follower publishes.
  void Announce(const std::string& applied) {
    ASSERT_TRUE(sync_->Command({"PUBLISH", storage::keys::AttendanceSheetsApplied(), applied}).ok());
  }
  // Announces until the waiter has heard (its subscription is made in the
  // background).
  void AnnounceUntilHeard(const std::string& applied) {
    for (int i = 0; i < 200; ++i) {
      Announce(applied);
      // Shared: a probe that waits outlives this call (until the bound).
      auto probe = std::make_shared<absl::Notification>();
      waiter_->After("999999999999999-0", [probe] { probe->Notify(); });
      // Heard: the probe waits (for the bound); not heard: it ran at once.
      if (!probe->HasBeenNotified()) return;
      absl::SleepFor(absl::Milliseconds(10));
    }
    FAIL() << "the waiter never heard the announcement";
  }

  storage::RedisClientOptions options_;
  std::unique_ptr<storage::RedisClient> redis_;
  std::unique_ptr<storage::RedisSyncClient> sync_;
  std::unique_ptr<ChangeAppliedWaiter> waiter_;
};

TEST_F(ChangeAppliedWaiterTest, WithoutAFollowerAWriteIsAnsweredAtOnce) {
  bool ran = false;
  waiter_->After("1700000000000-0", [&] { ran = true; });
  EXPECT_TRUE(ran);
}

TEST_F(ChangeAppliedWaiterTest, AnswersOnceAttendanceAppliedTheChange) {
  AnnounceUntilHeard("100-0");
  absl::Notification answered;
  const absl::Time asked = absl::Now();
  waiter_->After("200-0", [&] { answered.Notify(); });
  EXPECT_FALSE(answered.HasBeenNotified());
  Announce("150-0");  // not yet
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(answered.HasBeenNotified());
  Announce("200-0");
  ASSERT_TRUE(answered.WaitForNotificationWithTimeout(absl::Seconds(1)));
  EXPECT_LT(absl::Now() - asked, absl::Seconds(2));  // before the bound
  // A change attendance already follows is answered at once.
  bool ran = false;
  waiter_->After("180-0", [&] { ran = true; });
  EXPECT_TRUE(ran);
}

TEST_F(ChangeAppliedWaiterTest, AFollowerThatFallsBehindDelaysAnAnswerOnlyByTheBound) {
  AnnounceUntilHeard("100-0");
  absl::Notification answered;
  const absl::Time asked = absl::Now();
  waiter_->After("300-0", [&] { answered.Notify(); });
  ASSERT_TRUE(answered.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_GE(absl::Now() - asked, absl::Seconds(2) - absl::Milliseconds(10));
}

TEST_F(ChangeAppliedWaiterTest, StoppingAnswersEveryWaitingWrite) {
  AnnounceUntilHeard("100-0");
  std::atomic<int> answered = 0;
  for (int i = 0; i < 3; ++i) waiter_->After("400-0", [&] { ++answered; });
  EXPECT_EQ(answered.load(), 0);
  waiter_.reset();
  EXPECT_EQ(answered.load(), 3);
}

}  // namespace
}  // namespace convene::calendar
