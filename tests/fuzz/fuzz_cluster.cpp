#include "fuzz/fuzz_cluster.h"

#include <cstdio>
#include <utility>

#include "datasync/digest.h"
#include "datasync/memory_store.h"
#include "sim/trace.h"

namespace datasync::fuzz {

namespace {

std::vector<std::string> Ids(int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(std::string(1, static_cast<char>('a' + i)));
  return ids;
}

ReplicaOptions Options(const std::string& id) {
  ReplicaOptions o;
  o.node_id = id;
  // Tiny pages and batches, so short inputs already reach paging and the
  // split of a batch.
  o.catch_up_page_records = 2;
  o.publish_batch_records = 3;
  return o;
}

// Long enough for anti-entropy, a catch-up timeout and its retry, many times.
constexpr uint64_t kSettleBoundMs = 60'000;
constexpr uint64_t kSettleStepMs = 100;

}  // namespace

FuzzCluster::FuzzCluster(int nodes, bool trace)
    : checker_(Ids(nodes), &queue_), trace_(trace) {
  for (const std::string& id : Ids(nodes)) {
    Node n;
    n.id = id;
    n.store = NewMemoryStore();
    nodes_.push_back(std::move(n));
  }
  for (int i = 0; i < size(); ++i) Open(i);
}

void FuzzCluster::Trace(const std::string& line) const {
  if (!trace_) return;
  std::fprintf(stderr, "t=%llu %s\n", static_cast<unsigned long long>(now()), line.c_str());
}

void FuzzCluster::Advance(uint64_t ms) {
  queue_.At(now() + ms, [] {});
  queue_.RunNext();
}

void FuzzCluster::Open(int i) {
  Node& n = nodes_[i];
  Result<std::unique_ptr<Replica>> r = Replica::Open(Options(n.id), n.store.get());
  if (!r.ok()) {
    checker_.Fail(n.id + ": Replica::Open failed: " + r.status().ToString());
    return;
  }
  n.replica = std::move(r.value());
  std::vector<std::string> peers;
  for (const Node& other : nodes_) {
    if (other.id != n.id) peers.push_back(other.id);
  }
  n.replica->SetPeers(peers);
  checker_.OnOpen(i, *n.replica);
  n.seen_vv = VersionVector();
  CheckVector(i);
}

void FuzzCluster::CheckVector(int i) {
  Node& n = nodes_[i];
  const VersionVector& vv = n.replica->vv();
  for (const auto& [origin, seq] : n.seen_vv.entries()) {
    if (vv.Get(origin) < seq) {
      checker_.Fail(n.id + " vv went back: " + sim::FormatVv(n.seen_vv) + " -> " +
                    sim::FormatVv(vv));
    }
  }
  for (const auto& [origin, seq] : n.committed_vv.entries()) {
    if (vv.Get(origin) < seq) {
      checker_.Fail(n.id + " vv " + sim::FormatVv(vv) + " is below its committed " +
                    sim::FormatVv(n.committed_vv));
    }
  }
  n.seen_vv = vv;
}

void FuzzCluster::Write(int i, const std::string& key, const std::string* value) {
  if (!up(i)) return;
  Trace(nodes_[i].id + (value ? " put " + key + "=" + *value : " delete " + key));
  Replica& r = *nodes_[i].replica;
  const std::string collection = "c";
  const ClientToken token = next_token_++;
  checker_.OnIssue(
      token, sim::IssuedWrite{i, collection, key, value ? *value : "", value == nullptr,
                              r.VersionOf(collection, key).value_or(Version{})});
  const uint64_t wall = sim::kEpochMs + now();
  if (value) {
    r.Put(token, collection, key, *value, wall);
  } else {
    r.Delete(token, collection, key, wall);
  }
}

void FuzzCluster::Tick(int i) {
  if (up(i)) nodes_[i].replica->Tick(sim::kEpochMs + now());
}

// The node loop's order: commit, then send, then answer.
void FuzzCluster::Flush(int i) {
  Node& n = nodes_[i];
  if (!up(i)) return;
  ReplicaOutput out = n.replica->TakeOutput();
  if (trace_) {
    std::string line =
        n.id + " flush: " + std::to_string(out.batch.writes.size()) + " writes";
    for (const RecordWrite& w : out.batch.writes) line += " " + sim::FormatRecord(w.record);
    if (out.batch.metadata) line += " vv " + sim::FormatVv(out.batch.metadata->vv);
    Trace(line);
  }
  if (!out.batch.empty()) {
    Status s = n.store->Commit(out.batch);
    if (!s.ok()) {
      checker_.Fail(n.id + ": MemoryStore::Commit failed: " + s.ToString());
      return;
    }
    checker_.OnCommit(i, out.batch);
    if (out.batch.metadata) n.committed_vv = out.batch.metadata->vv;
  }
  for (Outgoing& m : out.messages) {
    for (int to = 0; to < size(); ++to) {
      if (to == i || !(m.to.empty() || m.to == nodes_[to].id)) continue;
      network_.push_back(InFlight{i, to, m.message});
    }
  }
  for (const Reply& r : out.replies) checker_.OnReply(i, r);
  checker_.CheckReplica(i, *n.replica);
  CheckVector(i);
}

void FuzzCluster::Crash(int i) {
  if (!up(i)) return;
  Trace(nodes_[i].id + " crash");
  nodes_[i].replica.reset();
  checker_.OnCrash(i);
}

void FuzzCluster::Restart(int i) {
  if (up(i)) return;
  Trace(nodes_[i].id + " restart");
  Open(i);
  Tick(i);
}

void FuzzCluster::Deliver(size_t k) {
  InFlight m = std::move(network_[k]);
  network_.erase(network_.begin() + static_cast<ptrdiff_t>(k));
  if (!up(m.to)) return;
  Trace(nodes_[m.from].id + " -> " + nodes_[m.to].id + " " + sim::DescribeMessage(m.message));
  nodes_[m.to].replica->OnMessage(m.message, sim::kEpochMs + now());
  Trace("  " + nodes_[m.to].id + " vv now " + sim::FormatVv(nodes_[m.to].replica->vv()));
  CheckVector(m.to);
}

void FuzzCluster::Drop(size_t k) {
  Trace("drop " + nodes_[network_[k].from].id + " -> " + nodes_[network_[k].to].id + " " +
        sim::DescribeMessage(network_[k].message));
  network_.erase(network_.begin() + static_cast<ptrdiff_t>(k));
}

void FuzzCluster::Duplicate(size_t k) { network_.push_back(network_[k]); }

bool FuzzCluster::Converged() {
  if (!network_.empty()) return false;
  VersionVector target;
  for (const Node& n : nodes_) target.Set(n.id, n.replica->own_seq());
  for (const Node& n : nodes_) {
    if (!(n.replica->vv() == target) || n.replica->catching_up()) return false;
  }
  std::string first;
  for (const Node& n : nodes_) {
    Result<std::string> d = StoreDigest(*n.store);
    if (!d.ok()) return false;
    if (first.empty()) first = d.value();
    if (d.value() != first) return false;
  }
  return true;
}

void FuzzCluster::Settle() {
  for (int i = 0; i < size(); ++i) Restart(i);
  if (checker_.failed()) return;
  const uint64_t deadline = now() + kSettleBoundMs;
  while (!checker_.failed()) {
    for (int i = 0; i < size(); ++i) Flush(i);
    while (!network_.empty() && !checker_.failed()) {
      Deliver(0);
      for (int i = 0; i < size(); ++i) Flush(i);
    }
    if (Converged() || now() >= deadline) break;
    Advance(kSettleStepMs);
    for (int i = 0; i < size(); ++i) Tick(i);
  }
  if (checker_.failed()) return;
  if (!Converged()) {
    checker_.Fail("no convergence " + std::to_string(kSettleBoundMs) +
                  "ms after the schedule ended with every message delivered");
  }
  std::vector<const Store*> stores;
  std::vector<const Replica*> replicas;
  for (const Node& n : nodes_) {
    stores.push_back(n.store.get());
    replicas.push_back(n.replica.get());
  }
  checker_.CheckFinal(stores, replicas);
}

}  // namespace datasync::fuzz
