#include "sim/sim_params.h"

#include <random>
#include <sstream>

namespace datasync::sim {

uint64_t MixSeed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

namespace {

class Draw {
 public:
  explicit Draw(uint64_t seed) : rng_(seed) {}
  uint64_t Int(uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
  }
  double Real(double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng_);
  }
  bool Chance(double p) { return Real(0, 1) < p; }

 private:
  std::mt19937_64 rng_;
};

// Replica tuning far from the defaults on purpose: tiny pages and batches
// make multi-page catch-up and many-batch fan-out the common case, and few
// sessions make refusals happen.
ReplicaOptions DrawReplicaOptions(Draw& d) {
  ReplicaOptions o;
  o.heartbeat_ms = d.Int(20, 400);
  o.anti_entropy_ms = d.Int(100, 2000);
  o.catch_up_timeout_ms = d.Int(200, 3000);
  o.catch_up_session_idle_ms = d.Int(500, 10000);
  o.max_catch_up_sessions = d.Int(1, 16);
  o.catch_up_page_records = d.Chance(0.7) ? d.Int(1, 8) : d.Int(9, 1024);
  o.catch_up_page_bytes = d.Chance(0.3) ? d.Int(1, 256) : (1 << 20);
  o.publish_batch_records = d.Int(1, 16);
  o.max_clock_offset_ms = d.Int(50, 1000);
  o.publish_batch_bytes = d.Chance(0.3) ? d.Int(1, 256) : (1 << 20);
  return o;
}

}  // namespace

SimParams ParamsFromSeed(uint64_t seed, const InjectedFaults& injected) {
  Draw d(MixSeed(seed, 0));
  SimParams p;
  p.seed = seed;
  p.replicas = static_cast<int>(d.Int(2, 7));
  p.collections = static_cast<int>(d.Int(1, 3));
  p.keys = static_cast<int>(d.Chance(0.3) ? d.Int(1, 3) : d.Int(1, 20));
  p.run_ms = d.Int(500, 20000);
  // Rates scale with the run's length, so long runs are busier, not sparser.
  const uint64_t run_s = p.run_ms / 1000 + 1;
  p.ops = static_cast<int>(d.Int(5, 300) * run_s);
  p.delete_ratio = d.Real(0.05, 0.5);
  p.burst_ratio = d.Real(0.0, 0.5);

  // A fifth of the runs have a perfect network, so faults elsewhere (crashes,
  // skew) are not always masked by drop repair.
  const bool lossy = d.Chance(0.8);
  p.drop_rate = lossy ? d.Real(0.0, 0.4) : 0.0;
  p.dup_rate = lossy ? d.Real(0.0, 0.2) : 0.0;
  p.min_delay_ms = d.Int(0, 5);
  p.max_delay_ms = p.min_delay_ms + d.Int(0, 60);

  p.partitions = static_cast<int>(d.Int(0, run_s));
  p.crashes = static_cast<int>(d.Int(0, 2 * run_s));
  p.late_joiners = d.Chance(0.25) ? static_cast<int>(d.Int(1, p.replicas - 1)) : 0;
  p.clock_jumps = static_cast<int>(d.Int(0, run_s / 2 + 1));
  p.max_clock_skew_ms = d.Chance(0.5) ? 0 : d.Int(1, 2000);

  p.tick_interval_ms = d.Int(1, 25);
  p.max_flush_delay_ms = d.Int(0, 5);
  p.replica = DrawReplicaOptions(d);
  p.injected = injected;
  return p;
}

std::string ReplayCommand(const SimParams& p) {
  std::ostringstream os;
  os << "build/bin/datasync-sim --seed " << p.seed;
  if (p.injected.target != FaultTarget::kNone) {
    if (p.injected.faults.reverse_origin_tiebreak) {
      os << " --fault reverse_origin_tiebreak";
    }
    if (p.injected.faults.skip_catch_up) os << " --fault skip_catch_up";
    os << " --fault-target " << (p.injected.target == FaultTarget::kAll ? "all" : "one");
  }
  if (!p.p2p_dup) os << " --no-p2p-dup";
  os << p.override_flags << " --trace";
  return os.str();
}

std::string DescribeParams(const SimParams& p) {
  std::ostringstream os;
  os << "seed=" << p.seed << " replicas=" << p.replicas
     << " collections=" << p.collections << " keys=" << p.keys << " ops=" << p.ops
     << " run_ms=" << p.run_ms << " drop=" << p.drop_rate << " dup=" << p.dup_rate << (p.p2p_dup ? "(p2p too)" : "")
     << " delay=" << p.min_delay_ms << ".." << p.max_delay_ms
     << " partitions=" << p.partitions << " crashes=" << p.crashes
     << " late_joiners=" << p.late_joiners
     << " clock_jumps=" << p.clock_jumps << " skew=" << p.max_clock_skew_ms
     << " tick=" << p.tick_interval_ms << " flush_delay<=" << p.max_flush_delay_ms
     << " heartbeat=" << p.replica.heartbeat_ms
     << " anti_entropy=" << p.replica.anti_entropy_ms
     << " catch_up_timeout=" << p.replica.catch_up_timeout_ms
     << " sessions=" << p.replica.max_catch_up_sessions
     << " page=" << p.replica.catch_up_page_records << "/"
     << p.replica.catch_up_page_bytes << "B"
     << " publish_batch=" << p.replica.publish_batch_records << "/"
     << p.replica.publish_batch_bytes << "B";
  return os.str();
}

}  // namespace datasync::sim
