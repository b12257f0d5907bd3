#include "notification/webhook_worker.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/blocking_call.h"
#include "core/log.h"
#include "google/protobuf/util/json_util.h"
#include "notification/store_call.h"
#include "rpc/proto_time.h"

namespace convene::notification {

WebhookWorker::~WebhookWorker() { Stop(); }

absl::StatusOr<int> WebhookWorker::Step(absl::Duration block) {
  absl::StatusOr<std::vector<storage::OutboxEntry>> entries =
      reader_.Take(kGroup, options_.consumer, options_.lease, 20, block);
  if (!entries.ok()) return entries.status();
  if (entries->empty()) return 0;
  absl::StatusOr<std::vector<v1::Webhook>> hooks = core::BlockingCall<std::vector<v1::Webhook>>(
      [&](auto done) { app_.ListWebhooks(true, std::move(done)); }, kStoreCallTimeout);
  if (!hooks.ok()) return hooks.status();
  std::vector<storage::OutboxEntry> done;
  if (hooks->empty()) {
    if (absl::Status s = reader_.Skip(kGroup, *entries); !s.ok()) return s;
    return static_cast<int>(entries->size());
  }
  for (const storage::OutboxEntry& e : *entries) {
    absl::StatusOr<v1::Notification> n = core::BlockingCall<v1::Notification>(
        [&](auto done) { app_.GetNotification(e.notification_id, std::move(done)); },
        kStoreCallTimeout);
    if (!n.ok() && !absl::IsNotFound(n.status())) return n.status();
    std::vector<const v1::Webhook*> targets;
    if (n.ok()) {
      for (const v1::Webhook& h : *hooks) {
        const bool for_event =
            h.event_ids().empty() ||
            std::find(h.event_ids().begin(), h.event_ids().end(), n->event_id()) !=
                h.event_ids().end();
        // A webhook gets what was created after it, not the history.
        const bool after = rpc::TimeFromProto(n->create_time()) >=
                           rpc::TimeFromProto(h.create_time());
        if (for_event && after) targets.push_back(&h);
      }
    }
    if (!targets.empty()) {
      std::string body;
      google::protobuf::util::JsonPrintOptions json;
      json.preserve_proto_field_names = true;
      (void)google::protobuf::util::MessageToJsonString(*n, &body, json);
      std::vector<std::string> failures;
      int attempts = 0;
      for (const v1::Webhook* h : targets) {
        WebhookOutcome outcome =
            sender_.Deliver({h->url(), h->secret(), body, n->idempotency_key()});
        attempts += outcome.attempts;
        if (!outcome.delivered) {
          failures.push_back(absl::StrCat("webhook ", h->id(), ": ", outcome.failure_reason));
        }
      }
      const std::string reason = absl::StrJoin(failures, "; ");
      if (!failures.empty()) core::LogWarn(absl::StrCat("notification ", n->notification_id(), ": ", reason));
      absl::StatusOr<bool> recorded = core::BlockingCall<bool>([&](auto cb) {
        store_.SetDeliveryState(n->notification_id(), failures.empty() ? "sent" : "failed",
                                attempts, reason, std::move(cb));
      }, kStoreCallTimeout);
      if (!recorded.ok()) return recorded.status();
    }
    done.push_back(e);
  }
  if (absl::Status s = reader_.Skip(kGroup, done); !s.ok()) return s;
  return static_cast<int>(done.size());
}

absl::StatusOr<int> WebhookWorker::ProcessAvailable() { return loop_.Drain(); }

void WebhookWorker::Start() { loop_.Start(options_.block); }

void WebhookWorker::Stop() { loop_.Stop(); }

}  // namespace convene::notification
