#include "sim/cluster.h"

#include "datasync/memory_store.h"

namespace datasync::sim {

namespace {

constexpr uint64_t kClusterStream = 2;
constexpr uint64_t kFaultyReplicaStream = 3;

const char* CrashPointName(CrashPoint p) {
  switch (p) {
    case CrashPoint::kNow: return "now";
    case CrashPoint::kBeforeCommit: return "between TakeOutput and Commit";
    case CrashPoint::kAfterCommit: return "after Commit, before sending";
  }
  return "?";
}

}  // namespace

Cluster::Cluster(const SimParams& params, const std::vector<std::string>& ids,
                 EventQueue* queue, Network* network, Checker* checker,
                 const Tracer* tracer)
    : params_(params),
      queue_(queue),
      network_(network),
      checker_(checker),
      tracer_(tracer),
      rng_(MixSeed(params.seed, kClusterStream)) {
  const size_t faulty = MixSeed(params.seed, kFaultyReplicaStream) % ids.size();
  for (size_t i = 0; i < ids.size(); ++i) {
    Node n;
    n.id = ids[i];
    n.options = params.replica;
    n.options.node_id = ids[i];
    const FaultTarget t = params.injected.target;
    if (t == FaultTarget::kAll || (t == FaultTarget::kOne && i == faulty)) {
      n.options.faults = params.injected.faults;
    }
    n.store = NewMemoryStore();
    nodes_.push_back(std::move(n));
  }
}

void Cluster::Trace(const std::string& line) const { tracer_->Log(queue_->now(), line); }

uint64_t Cluster::Wall(int node) const {
  return static_cast<uint64_t>(static_cast<int64_t>(kEpochMs + queue_->now()) +
                               nodes_[node].clock_offset_ms);
}

void Cluster::Start() {
  for (int i = 0; i < size(); ++i) {
    if (nodes_[i].options.faults.reverse_origin_tiebreak ||
        nodes_[i].options.faults.skip_catch_up) {
      if (tracer_->enabled()) Trace(nodes_[i].id + " runs with injected faults");
    }
    if (!nodes_[i].join_later) Open(i);
    // Ticks start at a random phase, so nodes do not act in lockstep.
    const uint64_t phase =
        std::uniform_int_distribution<uint64_t>(0, params_.tick_interval_ms)(rng_);
    queue_->After(phase, [this, i] { TickLoop(i); });
  }
}

void Cluster::Open(int i) {
  Node& n = nodes_[i];
  Result<std::unique_ptr<Replica>> r = Replica::Open(n.options, n.store.get());
  if (!r.ok()) {
    checker_->Fail(n.id + ": Replica::Open failed: " + r.status().ToString());
    return;
  }
  n.replica = std::move(r.value());
  n.opened_ms = queue_->now();
  n.requests.clear();
  std::vector<std::string> peers;
  for (const Node& other : nodes_) {
    if (other.id != n.id) peers.push_back(other.id);
  }
  n.replica->SetPeers(peers);
  if (tracer_->enabled()) {
    Trace(n.id + " open: own_seq " + std::to_string(n.replica->own_seq()) + " clock " +
          FormatHlc(n.replica->clock()) + " vv " + FormatVv(n.replica->vv()));
  }
  checker_->OnOpen(i, *n.replica);
  MarkDirty(i);
}

void Cluster::TickLoop(int i) {
  if (up(i)) {
    nodes_[i].replica->Tick(Wall(i));
    MarkDirty(i);
  }
  queue_->After(params_.tick_interval_ms, [this, i] { TickLoop(i); });
}

void Cluster::Write(int i, const std::string& collection, const std::string& key,
                    const std::string* value) {
  Replica& r = *nodes_[i].replica;
  const ClientToken token = next_token_++;
  IssuedWrite w{i, collection, key, value ? *value : "", value == nullptr,
                r.VersionOf(collection, key).value_or(Version{})};
  if (tracer_->enabled()) {
    Trace("client -> " + nodes_[i].id + (value ? " put " : " del ") + collection +
          "/" + key + (value ? "=" + *value : "") + " token " + std::to_string(token) +
          " (holds " + FormatVersion(w.prior) + ")");
  }
  checker_->OnIssue(token, std::move(w));
  if (value) {
    r.Put(token, collection, key, *value, Wall(i));
  } else {
    r.Delete(token, collection, key, Wall(i));
  }
  MarkDirty(i);
}

void Cluster::Deliver(int from, int to, const Message& m, uint64_t sent_ms) {
  if (!up(to)) {
    ++stats_.delivered_to_down;
    return;
  }
  NoteStaleCatchUp(from, to, m, sent_ms);
  if (tracer_->enabled()) {
    Trace(nodes_[from].id + " -> " + nodes_[to].id + " " + DescribeMessage(m));
  }
  nodes_[to].replica->OnMessage(m, Wall(to));
  MarkDirty(to);
}

// Counts catch-up messages that cross a restart of the requester with a
// request id its new incarnation uses too: an answer for the old incarnation
// reaching the new one, or a CatchUpNext of the old one reaching the
// responder. Coverage only: whether the replica copes is for the checker.
void Cluster::NoteStaleCatchUp(int from, int to, const Message& m, uint64_t sent_ms) {
  int requester = -1, responder = -1;
  uint64_t id = 0;
  if (const auto* page = std::get_if<CatchUpPage>(&m)) {
    requester = to, responder = from, id = page->request_id;
  } else if (const auto* next = std::get_if<CatchUpNext>(&m)) {
    requester = from, responder = to, id = next->request_id;
  } else {
    return;
  }
  const Node& r = nodes_[requester];
  if (sent_ms >= r.opened_ms || !r.requests.count({nodes_[responder].id, id})) return;
  ++stats_.stale_catch_up;
  if (tracer_->enabled()) {
    Trace("stale catch-up message: sent at " + std::to_string(sent_ms) + "ms, before " +
          r.id + " restarted, with a request id (" + std::to_string(id) +
          ") its new incarnation uses too");
  }
}

void Cluster::MarkDirty(int i) {
  Node& n = nodes_[i];
  if (n.flush_scheduled) return;
  n.flush_scheduled = true;
  const uint64_t delay =
      std::uniform_int_distribution<uint64_t>(0, params_.max_flush_delay_ms)(rng_);
  queue_->After(delay, [this, i] { Flush(i); });
}

void Cluster::FlushAll() {
  for (int i = 0; i < size(); ++i) Flush(i);
}

// The loop's order, which the durability invariants depend on: commit, then
// send, then answer. A crash point set by the workload strikes between the
// steps, losing exactly what a killed process would.
void Cluster::Flush(int i) {
  Node& n = nodes_[i];
  n.flush_scheduled = false;
  if (!n.replica) return;
  ReplicaOutput out = n.replica->TakeOutput();
  if (out.empty()) return;
  if (CrashPending(i, CrashPoint::kBeforeCommit) && !out.batch.empty()) {
    ++stats_.lost_batches;
    CrashNow(i);
    return;
  }
  if (!out.batch.empty()) {
    if (tracer_->enabled()) {
      std::string line = n.id + " commit";
      for (const RecordWrite& w : out.batch.writes) line += " " + FormatRecord(w.record);
      if (out.batch.metadata) {
        line += " meta{own_seq " + std::to_string(out.batch.metadata->own_seq) +
                " hlc " + FormatHlc(out.batch.metadata->hlc) + " vv " +
                FormatVv(out.batch.metadata->vv) + "}";
      }
      Trace(line);
    }
    Status s = n.store->Commit(out.batch);
    if (!s.ok()) {
      checker_->Fail(n.id + ": MemoryStore::Commit failed: " + s.ToString());
      return;
    }
    ++stats_.commits;
    checker_->OnCommit(i, out.batch);
    if (CrashPending(i, CrashPoint::kAfterCommit)) {
      CrashNow(i);
      return;
    }
  }
  Route(i, out);
  checker_->CheckReplica(i, *n.replica);
}

void Cluster::Route(int i, ReplicaOutput& out) {
  for (const Outgoing& m : out.messages) {
    if (const auto* req = std::get_if<CatchUpRequest>(&m.message)) {
      nodes_[i].requests.emplace(m.to, req->request_id);
    }
    network_->Send(i, m);
  }
  for (const Reply& r : out.replies) {
    if (tracer_->enabled()) {
      Trace(nodes_[i].id + " reply token " + std::to_string(r.token) + " " +
            r.status.ToString() + " " + FormatVersion(r.version) + " #" +
            std::to_string(r.seq));
    }
    checker_->OnReply(i, r);
  }
  for (const std::string& w : out.warnings) {
    ++stats_.warnings;
    if (tracer_->enabled()) Trace(nodes_[i].id + " warning: " + w);
  }
}

void Cluster::CrashNow(int i) {
  Node& n = nodes_[i];
  if (tracer_->enabled()) {
    Trace(n.id + " CRASH " + CrashPointName(n.pending_crash.value_or(CrashPoint::kNow)));
  }
  n.replica.reset();
  n.pending_crash.reset();
  ++stats_.crashes;
  checker_->OnCrash(i);
}

void Cluster::Crash(int i, CrashPoint point) {
  if (!crashes_on_ || !up(i)) return;
  if (point == CrashPoint::kNow) {
    CrashNow(i);
  } else {
    nodes_[i].pending_crash = point;
  }
}

void Cluster::Restart(int i) {
  if (up(i)) return;
  ++stats_.restarts;
  if (tracer_->enabled()) Trace(nodes_[i].id + " RESTART");
  Open(i);
  if (up(i)) nodes_[i].replica->Tick(Wall(i));
}

void Cluster::SetClockOffset(int i, int64_t offset_ms) {
  if (tracer_->enabled()) {
    Trace(nodes_[i].id + " wall clock offset " +
          std::to_string(nodes_[i].clock_offset_ms) + " -> " +
          std::to_string(offset_ms) + " ms");
  }
  nodes_[i].clock_offset_ms = offset_ms;
}

void Cluster::StopCrashes() {
  crashes_on_ = false;
  for (Node& n : nodes_) n.pending_crash.reset();
}

}  // namespace datasync::sim
