#include "sim/simulation.h"

#include <algorithm>
#include <sstream>

#include "datasync/digest.h"
#include "sim/crash_report.h"

namespace datasync::sim {

namespace {

constexpr uint64_t kConvergenceCheckMs = 50;

std::vector<std::string> NodeIds(int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back("r" + std::to_string(i));
  return ids;
}

class Simulation {
 public:
  Simulation(const SimParams& params, std::FILE* trace)
      : params_(params),
        tracer_(trace),
        checker_(NodeIds(params.replicas), &queue_),
        network_(params, NodeIds(params.replicas), &queue_, &tracer_),
        cluster_(params, NodeIds(params.replicas), &queue_, &network_, &checker_,
                 &tracer_),
        workload_(params, &queue_, &cluster_, &network_, &tracer_) {}

  SimResult Run();

 private:
  void EndRunPhase();
  void CheckConvergence();
  void FinalChecks();
  SimResult MakeResult() const;
  // True when every vector equals every origin's own seq and every store
  // has the same digest (returned in *digest).
  bool Converged(std::string* digest);
  std::string DescribeState();

  const SimParams& params_;
  EventQueue queue_;
  Tracer tracer_;
  Checker checker_;
  Network network_;
  Cluster cluster_;
  Workload workload_;
  bool done_ = false;
  uint64_t converged_at_ = 0;
  std::string converged_digest_;
};

SimResult Simulation::Run() {
  if (tracer_.enabled()) tracer_.Log(0, DescribeParams(params_));
  network_.set_deliver([this](int from, int to, const Message& m, uint64_t sent_ms) {
    cluster_.Deliver(from, to, m, sent_ms);
  });
  workload_.Schedule();  // first: it sets the clock skew the replicas open with
  cluster_.Start();
  queue_.At(params_.run_ms, [this] { EndRunPhase(); });
  const uint64_t deadline = params_.run_ms + params_.quiesce_bound_ms;
  while (!done_ && !checker_.failed() && !queue_.empty() &&
         queue_.next_time() <= deadline) {
    queue_.RunNext();
  }
  const bool timed_out = !done_ && !checker_.failed();
  if (timed_out) {
    checker_.Fail("no convergence " + std::to_string(params_.quiesce_bound_ms) +
                  "ms after faults stopped: " + DescribeState());
  }
  // Also after a timeout: the final checks say which records are wrong.
  if (done_ || timed_out) FinalChecks();
  if (network_.stats().unknown_peer > 0) {
    checker_.Fail("a replica sent a message to a peer that does not exist");
  }
  if (tracer_.enabled()) {
    tracer_.Log(queue_.now(), checker_.failed() ? "FAIL " + checker_.failure() : "PASS");
  }
  return MakeResult();
}

void Simulation::FinalChecks() {
  std::vector<const Store*> stores;
  std::vector<const Replica*> replicas;
  for (int i = 0; i < cluster_.size(); ++i) {
    if (!cluster_.up(i)) return;  // Replica::Open failed: already reported
    stores.push_back(&cluster_.store(i));
    replicas.push_back(&cluster_.replica(i));
  }
  checker_.CheckFinal(stores, replicas);
}

SimResult Simulation::MakeResult() const {
  SimResult r;
  r.ok = !checker_.failed();
  r.failure = checker_.failure();
  r.replay = ReplayCommand(params_);
  r.end_ms = queue_.now();
  r.converged_ms = converged_at_;
  r.checker = checker_.stats();
  r.network = network_.stats();
  r.cluster = cluster_.stats();
  r.workload = workload_.stats();
  return r;
}

void Simulation::EndRunPhase() {
  if (tracer_.enabled()) tracer_.Log(queue_.now(), "END OF RUN PHASE: faults stop");
  cluster_.StopCrashes();
  network_.Heal();
  network_.StopFaults();
  for (int i = 0; i < cluster_.size(); ++i) cluster_.Restart(i);
  queue_.After(kConvergenceCheckMs, [this] { CheckConvergence(); });
}

// Convergence must also hold a while later: a replica that is still moving
// (a late page, a stray catch-up) must not change a converged state.
void Simulation::CheckConvergence() {
  cluster_.FlushAll();
  if (checker_.failed()) return;
  std::string digest;
  const bool converged = Converged(&digest);
  const uint64_t settle_ms = std::max<uint64_t>(500, 2 * params_.replica.anti_entropy_ms);
  if (converged_at_ == 0) {
    if (converged) {
      converged_at_ = queue_.now();
      converged_digest_ = digest;
      if (tracer_.enabled()) tracer_.Log(queue_.now(), "converged, digest " + digest);
      queue_.After(settle_ms, [this] { CheckConvergence(); });
      return;
    }
    queue_.After(kConvergenceCheckMs, [this] { CheckConvergence(); });
    return;
  }
  if (!converged || digest != converged_digest_) {
    checker_.Fail("diverged after converging at t=" + std::to_string(converged_at_) +
                  "ms: " + DescribeState());
    return;
  }
  done_ = true;
}

bool Simulation::Converged(std::string* digest) {
  VersionVector target;
  for (int i = 0; i < cluster_.size(); ++i) {
    if (!cluster_.up(i)) return false;
    target.Set(cluster_.id(i), cluster_.replica(i).own_seq());
  }
  for (int i = 0; i < cluster_.size(); ++i) {
    if (!(cluster_.replica(i).vv() == target)) return false;
  }
  for (int i = 0; i < cluster_.size(); ++i) {
    Result<std::string> d = StoreDigest(cluster_.store(i));
    if (!d.ok()) {
      checker_.Fail("StoreDigest failed: " + d.status().ToString());
      return false;
    }
    if (i == 0) {
      *digest = d.value();
    } else if (d.value() != *digest) {
      return false;
    }
  }
  return true;
}

std::string Simulation::DescribeState() {
  std::ostringstream os;
  for (int i = 0; i < cluster_.size(); ++i) {
    os << "\n  " << cluster_.id(i) << ": ";
    if (!cluster_.up(i)) {
      os << "down";
      continue;
    }
    const Replica& r = cluster_.replica(i);
    const ReplicaCounters& c = r.counters();
    Result<std::string> d = StoreDigest(cluster_.store(i));
    os << "own_seq " << r.own_seq() << " vv " << FormatVv(r.vv()) << " digest "
       << (d.ok() ? d.value() : d.status().ToString()) << " records "
       << r.record_count() << " catching_up " << r.catching_up()
       << " gaps " << c.gaps_detected << " catch_up req/done/timeout/refused "
       << c.catch_up_requests << "/" << c.catch_up_completed << "/"
       << c.catch_up_timeouts << "/" << c.catch_up_refused;
  }
  return os.str();
}

}  // namespace

SimResult RunSimulation(const SimParams& params, std::FILE* trace) {
  // If the replica aborts (SYNC_CHECK) the seed must still be printed.
  CrashReportScope scope(ReplayCommand(params));
  Simulation sim(params, trace);
  return sim.Run();
}

std::string DescribeResult(const SimParams& params, const SimResult& r) {
  std::ostringstream os;
  os << (r.ok ? "PASS" : "FAIL") << " seed " << params.seed;
  if (!r.ok) os << ": " << r.failure << "\n  replay: " << r.replay;
  os << "\n  params: " << DescribeParams(params);
  os << "\n  writes issued " << r.checker.issued << ", acknowledged " << r.checker.acked
     << " (" << r.checker.acked_deletes << " deletes), to down replicas "
     << r.workload.writes_to_down << "; commits " << r.cluster.commits
     << "; crashes " << r.cluster.crashes << " (lost batches "
     << r.cluster.lost_batches << ", stale catch-up messages " << r.cluster.stale_catch_up
     << "); messages " << r.network.sent << " dropped "
     << r.network.dropped << " duplicated " << r.network.duplicated
     << " partitioned " << r.network.partitioned << "; converged at "
     << r.converged_ms << "ms, verdict at " << r.end_ms << "ms";
  return os.str();
}

}  // namespace datasync::sim
