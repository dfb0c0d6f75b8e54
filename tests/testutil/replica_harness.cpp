#include "testutil/replica_harness.h"

#include <gtest/gtest.h>

namespace datasync::testutil {

ReplicaHarness::ReplicaHarness(std::string id, NodeMode mode)
    : store_(NewMemoryStore()) {
  options_.node_id = std::move(id);
  options_.mode = mode;
  Restart();
}

void ReplicaHarness::Restart() {
  auto r = Replica::Open(options_, store_.get());
  SYNC_CHECK(r.ok());
  replica_ = std::move(r).value();
}

ReplicaOutput ReplicaHarness::Flush() {
  ReplicaOutput out = replica_->TakeOutput();
  Status s = store_->Commit(out.batch);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

ReplicaOutput ReplicaHarness::FlushTo(const std::vector<ReplicaHarness*>& peers,
                                      uint64_t now_ms) {
  ReplicaOutput out = Flush();
  for (const Outgoing& m : out.messages) {
    for (ReplicaHarness* p : peers) {
      if (p == this) continue;
      if (m.to.empty() || m.to == p->replica().id()) p->replica().OnMessage(m.message, now_ms);
    }
  }
  return out;
}

int Exchange(const std::vector<ReplicaHarness*>& all, uint64_t now_ms) {
  for (int round = 1; round <= 1000; ++round) {
    bool any = false;
    for (ReplicaHarness* h : all) any |= !h->FlushTo(all, now_ms).messages.empty();
    if (!any) return round;
  }
  ADD_FAILURE() << "exchange did not quiesce";
  return -1;
}

}  // namespace datasync::testutil
