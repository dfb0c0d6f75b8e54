// A replica over a MemoryStore, driven by hand: for unit tests of the
// replication core that need exact control of what is delivered when.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "datasync/memory_store.h"
#include "datasync/replica.h"

namespace datasync::testutil {

class ReplicaHarness {
 public:
  explicit ReplicaHarness(std::string id, NodeMode mode = NodeMode::kBoth);

  // Reopens the replica from its store, as after a crash of the process.
  void Restart();
  // Takes the replica's output and commits its batch; returns the output.
  ReplicaOutput Flush();
  // Commits and delivers every message of this replica's output to `peers`
  // (publications to all of them, addressed ones to their addressee).
  // Returns the output.
  ReplicaOutput FlushTo(const std::vector<ReplicaHarness*>& peers, uint64_t now_ms);

  Replica& replica() { return *replica_; }
  Store& store() { return *store_; }
  ReplicaOptions& options() { return options_; }

 private:
  ReplicaOptions options_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Replica> replica_;
};

// Flushes every harness into the others until nothing more is produced
// (bounded); returns the number of rounds it took.
int Exchange(const std::vector<ReplicaHarness*>& all, uint64_t now_ms);

}  // namespace datasync::testutil
