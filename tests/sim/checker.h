// Checker: the invariants of ARCHITECTURE §3, watched during and after a run.
//
// It sees what an outside observer can see: the writes clients issue, the
// replies they get, every batch a replica commits, and each replica's public
// accessors. From those it keeps the history that the invariants are stated
// over: which writes were acknowledged, which were committed by their
// origin, the highest clock each replica ever committed.
//
// Runtime checks (after every commit and every reply):
// - HLC monotonic per replica, across crashes: each new local write's
//   version is above every version that replica committed before, and a
//   reopened replica's clock is not below its committed high-water mark.
// - Causality: a local write beats the version the replica held for that key
//   when the client asked for it.
// - vv[o] <= origin o's committed seq; a replica's own entry <= its own_seq.
// - vv[o] = n holds what it claims: every committed write of o with seq <= n
//   is applied or superseded in the replica's state.
// - Replicas store only records some origin committed, unchanged.
// - A reply is delivered only for a committed write.
// Final checks (after quiescence): equal digests, state equal to the
// last-writer-wins merge of every committed write, every acknowledged write
// present or superseded everywhere (deletes included), in-memory index equal
// to the store.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "datasync/replica.h"
#include "datasync/store.h"
#include "sim/event_queue.h"

namespace datasync::sim {

struct IssuedWrite {
  int node = 0;
  std::string collection;
  std::string key;
  std::string value;
  bool deleted = false;
  Version prior;  // the replica's version of the key when the client asked
};

struct AckedWrite {
  IssuedWrite write;
  Version version;
  uint64_t seq = 0;
};

struct CheckerStats {
  uint64_t issued = 0;
  uint64_t acked = 0;
  uint64_t acked_deletes = 0;
  uint64_t committed_local = 0;
};

class Checker {
 public:
  Checker(std::vector<std::string> ids, const EventQueue* queue);

  // Client side.
  void OnIssue(ClientToken token, IssuedWrite write);
  void OnReply(int node, const Reply& reply);
  // Writes waiting for a reply from `node` will never get one.
  void OnCrash(int node);

  // Replica side.
  void OnCommit(int node, const WriteBatch& batch);
  void OnOpen(int node, const Replica& replica);
  void CheckReplica(int node, const Replica& replica);

  // Everything after quiescence. REQUIRES: every replica open.
  void CheckFinal(const std::vector<const Store*>& stores,
                  const std::vector<const Replica*>& replicas);

  // The highest seq of `node`'s own writes in its store.
  uint64_t committed_seq(int node) const { return nodes_[node].committed_seq; }

  bool failed() const { return !failure_.empty(); }
  const std::string& failure() const { return failure_; }
  void Fail(const std::string& what);
  const CheckerStats& stats() const { return stats_; }

 private:
  struct NodeHistory {
    uint64_t committed_seq = 0;    // own writes in the store
    HlcTimestamp committed_hlc = 0;  // highest own version committed
    HlcTimestamp metadata_hlc = 0;   // highest Metadata::hlc committed
    HlcTimestamp clock = 0;          // last clock() seen, this incarnation
    // Per origin, how far vv coverage was verified, this incarnation.
    std::map<std::string, uint64_t> covered;
  };

  int IndexOf(const std::string& id) const;
  void CheckLocalWrites(int node, std::vector<const Record*> fresh);
  void CheckRemoteRecord(int node, const Record& r);
  void CheckMetadata(int node, const Metadata& m);
  void CheckVv(int node, const VersionVector& vv, uint64_t own_seq,
               const char* where);
  void CheckCoverage(int node, const Replica& replica);

  void CheckDigests(const std::vector<const Store*>& stores);
  void CheckAgainstModel(int node, const Store& store, const Replica& replica);
  void CheckAcked(int node, const Store& store);

  std::vector<std::string> ids_;
  const EventQueue* queue_;
  std::vector<NodeHistory> nodes_;
  std::map<ClientToken, IssuedWrite> pending_;
  std::vector<AckedWrite> acked_;
  // Every write committed by its origin, by (origin, seq).
  std::map<OriginSeq, Record> committed_;
  // RecordKey -> the highest committed write: what every replica must hold.
  std::map<std::string, Record> model_;
  std::string failure_;
  int failures_ = 0;
  CheckerStats stats_;
};

}  // namespace datasync::sim
