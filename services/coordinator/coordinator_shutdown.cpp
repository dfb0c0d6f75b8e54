// Cluster shutdown: tell every member to stop, wait for their Leave
// messages (or kShutdownWait), answer whoever asked, then end the loop.

#include <spdlog/spdlog.h>

#include "coordinator_loop.h"

namespace datasync {
namespace {

// A member that missed the Shutdown (queue full, reconnecting) is told again.
constexpr auto kResendPeriod = std::chrono::seconds(1);

}  // namespace

void CoordinatorLoop::OnShutdownRequest(const Envelope& from, bool cluster,
                                        std::optional<uint64_t> request_id) {
  if (!shutdown_) {
    shutdown_.emplace();
    shutdown_->deadline = Clock::now() + kShutdownWait;
    if (cluster) {
      for (const std::string& id : table_.Ids()) shutdown_->waiting.insert(id);
      spdlog::info("cluster shutdown requested: stopping {} members",
                   shutdown_->waiting.size());
    } else {
      spdlog::info("shutdown requested");
    }
    shutdown_->next_resend = Clock::now();
  }
  shutdown_->requesters.push_back({from, request_id});
  AdvanceShutdown();
}

void CoordinatorLoop::AdvanceShutdown() {
  Clock::time_point now = Clock::now();
  if (shutdown_->waiting.empty() || now >= shutdown_->deadline) {
    FinishShutdown();
    return;
  }
  if (now >= shutdown_->next_resend) {
    for (const std::string& id : shutdown_->waiting) {
      SendToMember(id, Shutdown{true});
    }
    shutdown_->next_resend = now + kResendPeriod;
  }
}

void CoordinatorLoop::FinishShutdown() {
  ClientReply reply;
  if (!shutdown_->waiting.empty()) {
    std::string ids;
    for (const std::string& id : shutdown_->waiting) {
      ids += (ids.empty() ? "" : ", ") + id;
    }
    reply.code = Code::kUnavailable;
    reply.message =
        "no leave within " + std::to_string(kShutdownWait.count()) + " ms from: " + ids;
    spdlog::warn("cluster shutdown: {}", reply.message);
  } else {
    spdlog::info("shutdown complete");
  }
  for (const ShutdownRequester& requester : shutdown_->requesters) {
    reply.request_id = requester.request_id.value_or(0);
    Send(requester.envelope, reply);
  }
  finished_ = true;
}

}  // namespace datasync
