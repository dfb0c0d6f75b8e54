// Replica::WriteBatch: a client's bulk write is all or none.
#include <gtest/gtest.h>

#include "datasync/replica.h"
#include "testutil/replica_harness.h"

namespace datasync {
namespace {

using testutil::ReplicaHarness;

std::vector<ClientWrite> Writes(int n) {
  std::vector<ClientWrite> writes;
  for (int i = 0; i < n; ++i) writes.push_back({"c", "k" + std::to_string(i), "v", false});
  return writes;
}

TEST(ReplicaBatchTest, EveryWriteGetsTheNextSeqAndOneReplyNamesTheLast) {
  ReplicaHarness a("a");
  std::vector<ClientWrite> writes = Writes(3);
  writes.push_back({"c", "k0", "", true});  // a later write of the same key wins
  a.replica().WriteBatch(9, writes, 1000);
  ReplicaOutput out = a.Flush();
  ASSERT_EQ(out.batch.writes.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(out.batch.writes[i].record.seq, i + 1);
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_EQ(out.replies[0].token, 9u);
  EXPECT_TRUE(out.replies[0].status.ok());
  EXPECT_EQ(out.replies[0].seq, 4u);
  EXPECT_EQ(out.replies[0].version, out.batch.writes[3].record.version);
  EXPECT_EQ(a.replica().vv().Get("a"), 4u);
  EXPECT_EQ(a.store().Get("c", "k0")->deleted, true);
  EXPECT_EQ(a.store().Get("c", "k2")->value, "v");
}

TEST(ReplicaBatchTest, OneInvalidWriteRefusesTheWholeBatch) {
  for (ClientWrite bad : {ClientWrite{"", "k", "v", false}, ClientWrite{"c", "", "v", false},
                          ClientWrite{"c", "k", "v", true},
                          ClientWrite{"c", "k", std::string((1 << 20) + 1, 'v'), false}}) {
    ReplicaHarness a("a");
    std::vector<ClientWrite> writes = Writes(5);
    writes.insert(writes.begin() + 2, bad);
    a.replica().WriteBatch(1, writes, 1000);
    ReplicaOutput out = a.Flush();
    EXPECT_TRUE(out.batch.writes.empty());
    ASSERT_EQ(out.replies.size(), 1u);
    EXPECT_EQ(out.replies[0].status.code(), Code::kInvalidArgument);
    EXPECT_NE(out.replies[0].status.message().find("write 2"), std::string::npos)
        << out.replies[0].status.message();
    EXPECT_EQ(a.replica().own_seq(), 0u);
    EXPECT_FALSE(a.store().Get("c", "k0").ok());
  }
}

TEST(ReplicaBatchTest, EmptyBatchIsRefused) {
  ReplicaHarness a("a");
  a.replica().WriteBatch(1, {}, 1000);
  ReplicaOutput out = a.Flush();
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_EQ(out.replies[0].status.code(), Code::kInvalidArgument);
}

TEST(ReplicaBatchTest, ReceiveOnlyRefusesBatches) {
  ReplicaHarness d("d", NodeMode::kReceiveOnly);
  d.replica().WriteBatch(1, Writes(2), 1000);
  ReplicaOutput out = d.Flush();
  EXPECT_TRUE(out.batch.writes.empty());
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_EQ(out.replies[0].status.code(), Code::kRefused);
}

TEST(ReplicaBatchTest, PeerAppliesABatchLikeSingleWrites) {
  ReplicaHarness a("a");
  ReplicaHarness b("b");
  a.replica().WriteBatch(1, Writes(50), 1000);
  ReplicaOutput out = a.Flush();
  for (const Outgoing& m : out.messages) b.replica().OnMessage(m.message, 1000);
  b.Flush();
  EXPECT_EQ(b.replica().vv().Get("a"), 50u);
  EXPECT_EQ(b.store().Get("c", "k49")->value, "v");
}

}  // namespace
}  // namespace datasync
