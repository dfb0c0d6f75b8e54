#include "sim/workload.h"

#include <algorithm>

namespace datasync::sim {

namespace {

constexpr uint64_t kWorkloadStream = 4;
constexpr uint64_t kMaxBackwardJumpMs = 3000;
constexpr uint64_t kQuickRestartMs = 50;
constexpr uint64_t kMaxCrashLoop = 4;
constexpr uint64_t kMaxLoopUptimeMs = 300;

}  // namespace

Workload::Workload(const SimParams& params, EventQueue* queue, Cluster* cluster,
                   Network* network, const Tracer* tracer)
    : params_(params),
      queue_(queue),
      cluster_(cluster),
      network_(network),
      tracer_(tracer),
      rng_(MixSeed(params.seed, kWorkloadStream)) {}

void Workload::Schedule() {
  ScheduleClocks();
  ScheduleJoiners();
  ScheduleWrites();
  ScheduleCrashes();
  SchedulePartitions();
}

int64_t Workload::Skew() {
  const uint64_t s = params_.max_clock_skew_ms;
  return static_cast<int64_t>(Int(0, 2 * s)) - static_cast<int64_t>(s);
}

Workload::Op Workload::DrawOp(int node, const std::string& collection,
                              const std::string& key) {
  Op op{node, collection, key, ""};
  if (!Chance(params_.delete_ratio)) op.value = "v" + std::to_string(next_value_++);
  return op;
}

// Bursts write one key on several replicas at the same simulated
// millisecond: with clocks near the wall they often get equal HLCs, and only
// the origin tiebreak decides.
void Workload::ScheduleWrites() {
  const int n = cluster_->size();
  for (int i = 0; i < params_.ops;) {
    const uint64_t t = Int(0, params_.run_ms - 1);
    const std::string c = "c" + std::to_string(Int(0, params_.collections - 1));
    const std::string k = "k" + std::to_string(Int(0, params_.keys - 1));
    std::vector<int> nodes(n);
    for (int j = 0; j < n; ++j) nodes[j] = j;
    std::shuffle(nodes.begin(), nodes.end(), rng_);
    const int writers = Chance(params_.burst_ratio) ? static_cast<int>(Int(2, n)) : 1;
    for (int j = 0; j < writers; ++j, ++i) {
      queue_->At(t, [this, op = DrawOp(nodes[j], c, k)] { RunOp(op); });
    }
  }
}

void Workload::RunOp(const Op& op) {
  if (!cluster_->up(op.node)) {
    ++stats_.writes_to_down;
    if (tracer_->enabled()) {
      tracer_->Log(queue_->now(), "client: " + cluster_->id(op.node) +
                                      " is down, write to " + op.key + " not sent");
    }
    return;
  }
  ++stats_.writes_sent;
  cluster_->Write(op.node, op.collection, op.key, op.value.empty() ? nullptr : &op.value);
}

// Half the time a crash prefers a replica in the middle of a catch-up: the
// moment where a restart leaves the most state in flight.
int Workload::CrashVictim() {
  std::vector<int> up, catching_up;
  for (int i = 0; i < cluster_->size(); ++i) {
    if (!cluster_->up(i)) continue;
    up.push_back(i);
    if (cluster_->replica(i).catching_up()) catching_up.push_back(i);
  }
  const std::vector<int>& pool = !catching_up.empty() && Chance(0.5) ? catching_up : up;
  if (pool.empty()) return -1;
  return pool[Int(0, pool.size() - 1)];
}

void Workload::ScheduleCrashes() {
  for (int i = 0; i < params_.crashes; ++i) {
    const uint64_t t = Int(0, params_.run_ms - 1);
    const int again = Chance(0.3) ? static_cast<int>(Int(1, kMaxCrashLoop)) : 0;
    queue_->At(t, [this, again] {
      const int node = CrashVictim();
      if (node >= 0) CrashAndRestart(node, again);
    });
  }
}

// Half the restarts are quick (a supervisor restarting the process), so
// messages of the previous incarnation are still in flight; the others last
// up to a third of the run, long enough to miss much. A crash loop (`again`
// > 0) kills the node again shortly after each quick restart, so several
// short-lived incarnations have messages in flight at once.
void Workload::CrashAndRestart(int node, int again) {
  cluster_->Crash(node, static_cast<CrashPoint>(Int(0, 2)));
  const bool quick = again > 0 || Chance(0.5);
  const uint64_t downtime =
      quick ? Int(1, kQuickRestartMs) : Int(1, std::max<uint64_t>(1, params_.run_ms / 3));
  // A crash pending at the next flush may strike after the restart: then the
  // node stays down until the end of the run phase.
  queue_->After(downtime, [this, node, again] {
    cluster_->Restart(node);
    if (again == 0) return;
    queue_->After(Int(1, kMaxLoopUptimeMs),
                  [this, node, again] { CrashAndRestart(node, again - 1); });
  });
}

void Workload::SchedulePartitions() {
  const int n = cluster_->size();
  for (int i = 0; i < params_.partitions; ++i) {
    const uint64_t t = Int(0, params_.run_ms - 1);
    const uint64_t duration = Int(1, std::max<uint64_t>(1, params_.run_ms / 2));
    std::vector<int> side(n);
    for (int j = 0; j < n; ++j) side[j] = static_cast<int>(Int(0, 1));
    // Both sides non-empty.
    const uint64_t a = Int(0, n - 1);
    side[a] = 0;
    side[(a + Int(1, n - 1)) % n] = 1;
    queue_->At(t, [this, side, duration] {
      const uint64_t epoch = ++partition_epoch_;
      network_->Partition(side);
      queue_->After(duration, [this, epoch] {
        if (epoch == partition_epoch_) network_->Heal();
      });
    });
  }
}

// A new node: empty store, joins a cluster that already has data and must
// catch up from its peers (ARCHITECTURE §3, "new or returning node").
void Workload::ScheduleJoiners() {
  const int n = cluster_->size();
  std::vector<int> nodes(n);
  for (int j = 0; j < n; ++j) nodes[j] = j;
  std::shuffle(nodes.begin(), nodes.end(), rng_);
  for (int i = 0; i < params_.late_joiners; ++i) {
    const int node = nodes[i];
    cluster_->JoinLater(node);
    queue_->At(Int(1, params_.run_ms - 1), [this, node] { cluster_->Restart(node); });
  }
}

// Offsets stay for the whole run (a skewed clock is not a fault to stop).
// Jumps step one clock, mostly backwards, as NTP stepping it would; the
// clock must not follow it below what it has already issued.
void Workload::ScheduleClocks() {
  const int n = cluster_->size();
  std::vector<int64_t> offsets(n, 0);
  if (params_.max_clock_skew_ms > 0) {
    for (int i = 0; i < n; ++i) {
      offsets[i] = Skew();
      cluster_->SetClockOffset(i, offsets[i]);
    }
  }
  for (int i = 0; i < params_.clock_jumps; ++i) {
    const uint64_t t = Int(0, params_.run_ms - 1);
    const int node = static_cast<int>(Int(0, n - 1));
    offsets[node] -= static_cast<int64_t>(Int(1, kMaxBackwardJumpMs));
    queue_->At(t, [this, node, offset = offsets[node]] {
      cluster_->SetClockOffset(node, offset);
    });
  }
}

}  // namespace datasync::sim
