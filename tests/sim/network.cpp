#include "sim/network.h"

#include <memory>

namespace datasync::sim {

namespace {

constexpr uint64_t kNetworkStream = 1;
// A few deliveries are very late, so stale messages (old pages, heartbeats
// from before a crash) reach replicas long after newer ones.
constexpr double kStragglerRate = 0.01;
constexpr uint64_t kMaxStragglerDelayMs = 1500;

}  // namespace

Network::Network(const SimParams& params, std::vector<std::string> ids,
                 EventQueue* queue, const Tracer* tracer)
    : params_(params),
      ids_(std::move(ids)),
      queue_(queue),
      tracer_(tracer),
      rng_(MixSeed(params.seed, kNetworkStream)),
      side_(ids_.size(), 0) {}

int Network::IndexOf(const std::string& id) const {
  for (size_t i = 0; i < ids_.size(); ++i) {
    if (ids_[i] == id) return static_cast<int>(i);
  }
  return -1;
}

void Network::Send(int from, const Outgoing& out) {
  if (out.to.empty()) {
    for (int to = 0; to < static_cast<int>(ids_.size()); ++to) {
      if (to != from) SendOne(from, to, out.message, true);
    }
    return;
  }
  const int to = IndexOf(out.to);
  if (to < 0 || to == from) {
    ++stats_.unknown_peer;
    if (tracer_->enabled()) {
      tracer_->Log(queue_->now(), ids_[from] + " sent to unknown peer '" + out.to +
                                      "': " + DescribeMessage(out.message));
    }
    return;
  }
  SendOne(from, to, out.message, params_.p2p_dup);
}

void Network::SendOne(int from, int to, const Message& m, bool may_duplicate) {
  ++stats_.sent;
  std::uniform_real_distribution<double> unit(0, 1);
  if (faults_on_ && unit(rng_) < params_.drop_rate) {
    ++stats_.dropped;
    if (tracer_->enabled()) {
      tracer_->Log(queue_->now(), "drop " + ids_[from] + "->" + ids_[to] + " " +
                                      DescribeMessage(m));
    }
    return;
  }
  Schedule(from, to, m);
  if (faults_on_ && may_duplicate && unit(rng_) < params_.dup_rate) {
    ++stats_.duplicated;
    Schedule(from, to, m);
  }
}

uint64_t Network::DrawDelay() {
  std::uniform_real_distribution<double> unit(0, 1);
  if (faults_on_ && unit(rng_) < kStragglerRate) {
    return std::uniform_int_distribution<uint64_t>(0, kMaxStragglerDelayMs)(rng_);
  }
  return std::uniform_int_distribution<uint64_t>(params_.min_delay_ms,
                                                 params_.max_delay_ms)(rng_);
}

void Network::Schedule(int from, int to, const Message& m) {
  // Shared so a duplicate costs no second copy of a large page.
  auto msg = std::make_shared<const Message>(m);
  const uint64_t sent_ms = queue_->now();
  queue_->After(DrawDelay(), [this, from, to, msg, sent_ms] {
    if (!Connected(from, to)) {
      ++stats_.partitioned;
      if (tracer_->enabled()) {
        tracer_->Log(queue_->now(), "partitioned " + ids_[from] + "->" + ids_[to] +
                                        " " + DescribeMessage(*msg));
      }
      return;
    }
    ++stats_.delivered;
    deliver_(from, to, *msg, sent_ms);
  });
}

void Network::Partition(const std::vector<int>& side) {
  side_ = side;
  if (tracer_->enabled()) {
    std::string a, b;
    for (size_t i = 0; i < ids_.size(); ++i) (side_[i] == 0 ? a : b) += " " + ids_[i];
    tracer_->Log(queue_->now(), "partition {" + a + " } | {" + b + " }");
  }
}

void Network::Heal() {
  side_.assign(ids_.size(), 0);
  if (tracer_->enabled()) tracer_->Log(queue_->now(), "heal");
}

}  // namespace datasync::sim
