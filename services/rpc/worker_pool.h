// WorkerPool: a few threads that run blocking work handed over from places
// that must not block (gRPC callback reactions). Work is queued, bounded:
// past `max_queued` Post() refuses, and the caller answers RESOURCE_EXHAUSTED
// instead of letting a backlog grow without end.
//
//   WorkerPool pool(2, 1000);
//   if (!pool.Post([=] { reactor->Finish(Slow()); })) reactor->Finish(busy);
#ifndef CONVENE_RPC_WORKER_POOL_H_
#define CONVENE_RPC_WORKER_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "rpc/status_conversion.h"

namespace convene::rpc {

class WorkerPool {
 public:
  WorkerPool(int threads, int max_queued);
  // Runs what is queued, then joins.
  ~WorkerPool();

  // Queues `work`; false when the queue is full or the pool is stopping.
  bool Post(std::function<void()> work);

 private:
  void Loop();

  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

// A unary callback handler whose work blocks: runs `work` (returning an
// absl::Status, filling the response) on `pool` and finishes the call with
// it; RESOURCE_EXHAUSTED when the pool is full.
template <typename Work>
grpc::ServerUnaryReactor* FinishOnPool(grpc::CallbackServerContext* context,
                                       WorkerPool& pool, Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!pool.Post([reactor, work = std::move(work)]() mutable {
        reactor->Finish(ToGrpcStatus(work()));
      })) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "the server is busy; retry later"));
  }
  return reactor;
}

}  // namespace convene::rpc

#endif  // CONVENE_RPC_WORKER_POOL_H_
