// Scenario 6: `syncctl shutdown --cluster` stops every node and the
// coordinator with exit 0, and after a restart nothing is lost.
#include <gtest/gtest.h>

#include "scenario.h"

namespace datasync::testutil {
namespace {

const std::vector<std::string> kNodes = {"a", "b", "c"};

TEST(ShutdownTest, ClusterShutdownExitsCleanlyAndLosesNothing) {
  Cluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator());
  for (const auto& id : kNodes) ASSERT_TRUE(cluster.AddAndStartNode({.id = id}));
  for (const auto& id : kNodes) {
    ASSERT_TRUE(WaitPeersConnected(cluster, id, Others(kNodes, id)));
  }
  std::vector<PutLoad> loads;
  for (size_t i = 0; i < kNodes.size(); ++i) {
    loads.push_back(OverlappingLoad(cluster, kNodes[i], 2000, 3000, i * 1000));
  }
  auto results = RunPutsInParallel(loads);
  ASSERT_TRUE(AllAcked(results));
  ASSERT_TRUE(CtlPut(cluster, "b", "last-before-shutdown", "kept"));
  ASSERT_TRUE(cluster.WaitConverged(kNodes, 10s));
  auto digest = cluster.Digest("a");
  auto records = RecordCount(cluster, "a");
  ASSERT_TRUE(digest && records);

  CtlResult shutdown = cluster.CtlAt("a", {"shutdown", "--cluster"});
  ASSERT_EQ(shutdown.code(), 0) << shutdown.Describe();
  for (const auto& id : kNodes) {
    auto status = cluster.WaitNode(id, 15s);
    ASSERT_TRUE(status.has_value()) << id << " still running after shutdown --cluster";
    EXPECT_TRUE(status->ok()) << id << ": " << status->ToString() << "\n"
                              << cluster.LogTail(id);
  }
  auto coordinator = cluster.WaitCoordinator(15s);
  ASSERT_TRUE(coordinator.has_value()) << "coordinator still running";
  EXPECT_TRUE(coordinator->ok()) << coordinator->ToString() << "\n"
                                 << cluster.LogTail("coordinator");

  ASSERT_TRUE(cluster.StartCoordinator());
  for (const auto& id : kNodes) ASSERT_TRUE(cluster.StartNode(id));
  for (const auto& id : kNodes) {
    EXPECT_EQ(cluster.Digest(id), digest) << id;
    EXPECT_EQ(RecordCount(cluster, id), records) << id;
    EXPECT_TRUE(NodeHolds(cluster.api(id), kCollection, HighestAcked(results), true));
  }
}

}  // namespace
}  // namespace datasync::testutil
