// Scenario 8: direction per node. A send-only source S, a normal node M and
// a receive-only destination D, with static peers: M and D listen to S, D
// listens to M, and S lists M too (send-only must ignore it). Writes at S
// reach M and D; writes at M reach D but never S; D refuses client writes
// with exit code 4.
#include <gtest/gtest.h>

#include "scenario.h"

namespace datasync::testutil {
namespace {

TEST(ModesTest, SendOnlySourceToReceiveOnlyDestination) {
  Cluster cluster;
  cluster.AddNode(
      {.id = "s", .mode = "send-only", .use_coordinator = false, .static_peers = {"m"}});
  cluster.AddNode({.id = "m", .use_coordinator = false, .static_peers = {"s"}});
  cluster.AddNode({.id = "d",
                   .mode = "receive-only",
                   .use_coordinator = false,
                   .static_peers = {"s", "m"}});
  for (const std::string id : {"s", "m", "d"}) ASSERT_TRUE(cluster.StartNode(id));
  ASSERT_TRUE(WaitPeersConnected(cluster, "d", {"s", "m"}));
  ASSERT_TRUE(WaitPeersConnected(cluster, "m", {"s"}));

  // S -> M and S -> D.
  auto from_s = RunPuts(OverlappingLoad(cluster, "s", 500, 500));
  ASSERT_TRUE(AllAcked({from_s}));
  ASSERT_TRUE(CtlPut(cluster, "s", "source-key", "from-s"));
  EXPECT_TRUE(WaitValue(cluster, "d", "source-key", "from-s"));
  EXPECT_TRUE(WaitValue(cluster, "m", "source-key", "from-s"));
  ASSERT_TRUE(cluster.WaitConverged({"s", "m", "d"}, 10s));

  // M -> D, never M -> S.
  ASSERT_TRUE(CtlPut(cluster, "m", "middle-key", "from-m"));
  ASSERT_TRUE(CtlPut(cluster, "m", "source-key", "overwritten-at-m"));
  EXPECT_TRUE(WaitValue(cluster, "d", "middle-key", "from-m"));
  EXPECT_TRUE(WaitValue(cluster, "d", "source-key", "overwritten-at-m"));
  // D has M's writes, so they were published; watch S for another second
  // (five anti-entropy rounds): M's key must never show up there.
  CtlResult s_middle;
  bool leaked = WaitUntil(
      [&] {
        s_middle = cluster.CtlAt("s", {"get", kCollection, "middle-key"});
        return s_middle.code() != 1;
      },
      1s, 100ms);
  EXPECT_FALSE(leaked) << "a write made at m reached the send-only node s: "
                       << s_middle.Describe();
  CtlResult s_source = cluster.CtlAt("s", {"get", kCollection, "source-key"});
  EXPECT_EQ(s_source.code(), 0) << s_source.Describe();
  EXPECT_EQ(s_source.out, "from-s") << "s applied m's overwrite";

  // D refuses client writes and deletes: exit 4, a message on stderr.
  CtlResult put_d = cluster.CtlAt("d", {"put", kCollection, "dest-key", "x"});
  EXPECT_EQ(put_d.code(), 4) << put_d.Describe();
  EXPECT_FALSE(put_d.err.empty()) << put_d.Describe();
  CtlResult del_d = cluster.CtlAt("d", {"del", kCollection, "source-key"});
  EXPECT_EQ(del_d.code(), 4) << del_d.Describe();
  CtlResult get_d = cluster.CtlAt("d", {"get", kCollection, "dest-key"});
  EXPECT_EQ(get_d.code(), 1) << get_d.Describe();
  EXPECT_TRUE(WaitValue(cluster, "d", "source-key", "overwritten-at-m", 1s));
}

}  // namespace
}  // namespace datasync::testutil
