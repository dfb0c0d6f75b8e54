#include "sim/checker.h"

#include <algorithm>
#include <sstream>

#include "sim/trace.h"

namespace datasync::sim {

Checker::Checker(std::vector<std::string> ids, const EventQueue* queue)
    : ids_(std::move(ids)), queue_(queue), nodes_(ids_.size()) {}

void Checker::Fail(const std::string& what) {
  // The first failure is the one to debug; a few more help to see its extent.
  constexpr int kMaxFailures = 6;
  if (failures_ >= kMaxFailures) return;
  failure_ += (failures_++ == 0 ? "" : "\n  also ");
  failure_ += "at t=" + std::to_string(queue_->now()) + "ms: " + what;
}

int Checker::IndexOf(const std::string& id) const {
  for (size_t i = 0; i < ids_.size(); ++i) {
    if (ids_[i] == id) return static_cast<int>(i);
  }
  return -1;
}

void Checker::OnIssue(ClientToken token, IssuedWrite write) {
  ++stats_.issued;
  pending_.emplace(token, std::move(write));
}

void Checker::OnCrash(int node) {
  std::erase_if(pending_, [node](const auto& p) { return p.second.node == node; });
}

void Checker::OnReply(int node, const Reply& reply) {
  auto it = pending_.find(reply.token);
  if (it == pending_.end() || it->second.node != node) {
    Fail(ids_[node] + " replied to token " + std::to_string(reply.token) +
         " it was never given (or twice)");
    return;
  }
  IssuedWrite w = std::move(it->second);
  pending_.erase(it);
  const std::string what = ids_[node] + " write " + w.collection + "/" + w.key;
  if (!reply.status.ok()) {
    Fail(what + " refused: " + reply.status.ToString());
    return;
  }
  const Version& v = reply.version;
  if (v.origin != ids_[node] || reply.seq == 0) {
    Fail(what + " acknowledged with version " + FormatVersion(v) + " seq " +
         std::to_string(reply.seq));
    return;
  }
  if (!(v > w.prior)) {
    Fail("causality: " + what + " got version " + FormatVersion(v) +
         ", not above " + FormatVersion(w.prior) + " which it held when asked");
  }
  Record r{w.collection, w.key, w.deleted ? "" : w.value, w.deleted, v, reply.seq};
  auto [c, inserted] = committed_.emplace(r.origin_seq(), r);
  if (inserted) {
    // Coalesced away inside its batch: committed, and superseded at once.
    if (reply.seq > nodes_[node].committed_seq) {
      Fail(what + " acknowledged as seq " + std::to_string(reply.seq) +
           " before anything up to it was committed");
    }
  } else if (!(c->second == r)) {
    Fail(what + " acknowledged as " + FormatRecord(r) + " but committed as " +
         FormatRecord(c->second));
  }
  ++stats_.acked;
  if (w.deleted) ++stats_.acked_deletes;
  acked_.push_back(AckedWrite{std::move(w), v, reply.seq});
}

void Checker::OnCommit(int node, const WriteBatch& batch) {
  std::vector<const Record*> fresh;
  for (const RecordWrite& rw : batch.writes) {
    const Record& r = rw.record;
    if (r.version.origin == ids_[node] && r.seq > nodes_[node].committed_seq) {
      fresh.push_back(&r);
    } else {
      CheckRemoteRecord(node, r);
    }
  }
  CheckLocalWrites(node, std::move(fresh));
  if (batch.metadata) CheckMetadata(node, *batch.metadata);
}

// New local writes: seqs and versions must rise together, above everything
// this replica committed before, whatever crashes happened in between.
void Checker::CheckLocalWrites(int node, std::vector<const Record*> fresh) {
  std::sort(fresh.begin(), fresh.end(),
            [](const Record* a, const Record* b) { return a->seq < b->seq; });
  NodeHistory& h = nodes_[node];
  for (const Record* r : fresh) {
    if (r->seq == h.committed_seq || r->version.hlc <= h.committed_hlc) {
      std::ostringstream os;
      os << "HLC not monotonic: " << ids_[node] << " committed local write "
         << FormatRecord(*r) << " after seq " << h.committed_seq << " with hlc "
         << FormatHlc(h.committed_hlc);
      Fail(os.str());
    }
    h.committed_seq = r->seq;
    h.committed_hlc = std::max(h.committed_hlc, r->version.hlc);
    ++stats_.committed_local;
    committed_[r->origin_seq()] = *r;
    const std::string rk = RecordKey(r->collection, r->key);
    auto it = model_.find(rk);
    if (it == model_.end() || r->version > it->second.version) model_[rk] = *r;
  }
}

void Checker::CheckRemoteRecord(int node, const Record& r) {
  auto it = committed_.find(r.origin_seq());
  if (it == committed_.end()) {
    Fail(ids_[node] + " committed " + FormatRecord(r) +
         ", a write its origin never committed");
  } else if (!(it->second == r)) {
    Fail(ids_[node] + " committed " + FormatRecord(r) + " but its origin wrote " +
         FormatRecord(it->second));
  }
}

void Checker::CheckMetadata(int node, const Metadata& m) {
  NodeHistory& h = nodes_[node];
  if (m.own_seq < h.committed_seq) {
    Fail(ids_[node] + " committed metadata own_seq " + std::to_string(m.own_seq) +
         " below its committed seq " + std::to_string(h.committed_seq));
  }
  h.committed_seq = std::max(h.committed_seq, m.own_seq);
  if (m.hlc < h.metadata_hlc) {
    Fail("HLC not monotonic: " + ids_[node] + " committed metadata hlc " +
         FormatHlc(m.hlc) + " below the earlier " +
         FormatHlc(h.metadata_hlc));
  }
  h.metadata_hlc = std::max(h.metadata_hlc, m.hlc);
  CheckVv(node, m.vv, m.own_seq, "committed metadata");
}

void Checker::CheckVv(int node, const VersionVector& vv, uint64_t own_seq,
                      const char* where) {
  for (const auto& [origin, seq] : vv.entries()) {
    const int o = IndexOf(origin);
    const uint64_t bound = o == node ? own_seq : o < 0 ? 0 : nodes_[o].committed_seq;
    if (seq > bound) {
      std::ostringstream os;
      os << ids_[node] << " " << where << " vv " << FormatVv(vv) << ": " << origin
         << ":" << seq << " is beyond what " << origin << " committed (" << bound
         << ")";
      Fail(os.str());
    }
  }
}

void Checker::OnOpen(int node, const Replica& replica) {
  NodeHistory& h = nodes_[node];
  if (replica.own_seq() < h.committed_seq) {
    Fail(ids_[node] + " reopened with own_seq " + std::to_string(replica.own_seq()) +
         " below its committed seq " + std::to_string(h.committed_seq));
  }
  const HlcTimestamp floor = std::max(h.committed_hlc, h.metadata_hlc);
  if (replica.clock() < floor) {
    Fail("HLC not monotonic: " + ids_[node] + " reopened with clock " +
         FormatHlc(replica.clock()) + " below its committed " +
         FormatHlc(floor));
  }
  h.clock = replica.clock();
  h.covered.clear();  // the loaded vector is verified afresh
  CheckReplica(node, replica);
}

void Checker::CheckReplica(int node, const Replica& replica) {
  NodeHistory& h = nodes_[node];
  if (replica.clock() < h.clock) {
    Fail("HLC not monotonic: " + ids_[node] + " clock went from " +
         FormatHlc(h.clock) + " back to " +
         FormatHlc(replica.clock()));
  }
  h.clock = replica.clock();
  CheckVv(node, replica.vv(), replica.own_seq(), "in-memory");
  CheckCoverage(node, replica);
}

// Incremental: versions per key only rise within an incarnation, so a write
// once covered stays covered and each (replica, write) is checked once.
// Writes missing from committed_ (coalesced in their batch and never
// acknowledged) cannot be checked and are skipped.
void Checker::CheckCoverage(int node, const Replica& replica) {
  NodeHistory& h = nodes_[node];
  for (const auto& [origin, seq] : replica.vv().entries()) {
    uint64_t& done = h.covered[origin];
    for (uint64_t s = done + 1; s <= seq; ++s) {
      auto it = committed_.find(OriginSeq{origin, s});
      if (it == committed_.end()) continue;
      const Record& w = it->second;
      std::optional<Version> have = replica.VersionOf(w.collection, w.key);
      if (!have || *have < w.version) {
        Fail(ids_[node] + " vv " + FormatVv(replica.vv()) + " covers " + origin + ":" +
             std::to_string(s) + " = " + FormatRecord(w) +
             ", but holds only " + (have ? FormatVersion(*have) : "nothing") +
             " for that key");
        return;
      }
    }
    done = std::max(done, seq);
  }
}

}  // namespace datasync::sim
