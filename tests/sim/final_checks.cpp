// The checks that need a quiet cluster: ARCHITECTURE §3's convergence,
// durability and no-resurrection invariants, stated over the history the
// Checker kept during the run.
#include <sstream>

#include "datasync/digest.h"
#include "sim/checker.h"
#include "sim/trace.h"

namespace datasync::sim {

void Checker::CheckFinal(const std::vector<const Store*>& stores,
                         const std::vector<const Replica*>& replicas) {
  CheckDigests(stores);
  for (size_t i = 0; i < stores.size(); ++i) {
    CheckAgainstModel(static_cast<int>(i), *stores[i], *replicas[i]);
    CheckAcked(static_cast<int>(i), *stores[i]);
    CheckReplica(static_cast<int>(i), *replicas[i]);
  }
  if (!pending_.empty()) {
    Fail("a client write on " + ids_[pending_.begin()->second.node] +
         " was never answered, though that replica never crashed");
  }
}

void Checker::CheckDigests(const std::vector<const Store*>& stores) {
  std::vector<std::string> digests;
  for (const Store* s : stores) {
    Result<std::string> d = StoreDigest(*s);
    if (!d.ok()) {
      Fail("StoreDigest failed: " + d.status().ToString());
      return;
    }
    digests.push_back(d.value());
  }
  for (size_t i = 1; i < digests.size(); ++i) {
    if (digests[i] != digests[0]) {
      std::ostringstream os;
      os << "digests differ:";
      for (size_t j = 0; j < digests.size(); ++j) os << " " << ids_[j] << "=" << digests[j];
      Fail(os.str());
      return;
    }
  }
}

// Every replica must hold exactly the last-writer-wins merge of all writes
// committed anywhere: nothing lost, nothing invented, the right winner per
// key. Its in-memory index must agree with its store.
void Checker::CheckAgainstModel(int node, const Store& store, const Replica& replica) {
  std::map<std::string, Record> held;
  uint64_t tombstones = 0;
  Status s = store.ScanAll([&](const Record& r) {
    held.emplace(RecordKey(r.collection, r.key), r);
    if (r.deleted) ++tombstones;
    return true;
  });
  if (!s.ok()) {
    Fail(ids_[node] + " ScanAll failed: " + s.ToString());
    return;
  }
  const std::string who = ids_[node];
  for (const auto& [rk, want] : model_) {
    auto it = held.find(rk);
    if (it == held.end()) {
      Fail(who + " lacks " + FormatRecord(want));
      return;
    }
    if (!(it->second == want)) {
      Fail(who + " holds " + FormatRecord(it->second) + " instead of the winner " +
           FormatRecord(want));
      return;
    }
    std::optional<Version> mem = replica.VersionOf(want.collection, want.key);
    if (!mem || *mem != want.version) {
      Fail(who + " in memory has " + (mem ? FormatVersion(*mem) : "nothing") +
           " for " + FormatRecord(want) + " which its store holds");
      return;
    }
  }
  if (held.size() != model_.size()) {
    for (const auto& [rk, r] : held) {
      if (!model_.count(rk)) {
        Fail(who + " holds " + FormatRecord(r) + ", which nobody wrote");
        return;
      }
    }
  }
  if (replica.record_count() != held.size() || replica.tombstone_count() != tombstones) {
    std::ostringstream os;
    os << who << " counts " << replica.record_count() << " records, "
       << replica.tombstone_count() << " tombstones; its store holds " << held.size()
       << ", " << tombstones;
    Fail(os.str());
  }
}

// Acknowledged writes survive (or are superseded), and acknowledged deletes
// stay deleted unless a higher version recreated the key.
void Checker::CheckAcked(int node, const Store& store) {
  for (const AckedWrite& a : acked_) {
    const IssuedWrite& w = a.write;
    const std::string what = std::string(w.deleted ? "acknowledged delete " : "acknowledged put ") +
                             w.collection + "/" + w.key + " " + FormatVersion(a.version) +
                             " (seq " + std::to_string(a.seq) + ")";
    Result<Record> got = store.Get(w.collection, w.key);
    if (!got.ok()) {
      Fail(ids_[node] + " lost " + what + ": " + got.status().ToString());
      return;
    }
    const Record& r = got.value();
    if (r.version < a.version) {
      Fail(ids_[node] + (w.deleted ? " resurrected " : " lost ") + what + ": holds " +
           FormatRecord(r));
      return;
    }
    if (r.version == a.version &&
        (r.deleted != w.deleted || (!w.deleted && r.value != w.value))) {
      Fail(ids_[node] + " holds " + FormatRecord(r) + " under the version of " + what);
      return;
    }
    if (w.deleted && !r.deleted && !(r.version > a.version)) {
      Fail(ids_[node] + " resurrected " + what + ": holds " + FormatRecord(r));
      return;
    }
  }
}

}  // namespace datasync::sim
