// Scenario 1: concurrent writers on every node of a 3-node cluster, on
// overlapping keys, converge to one state in which every key holds its
// highest-versioned acknowledged write.
#include <gtest/gtest.h>

#include "scenario.h"

namespace datasync::testutil {
namespace {

const std::vector<std::string> kNodes = {"a", "b", "c"};

class ConvergenceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ConvergenceTest, ConcurrentWritersOnEveryNodeConverge) {
  Cluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator());
  for (const auto& id : kNodes) {
    ASSERT_TRUE(cluster.AddAndStartNode({.id = id, .store = GetParam()}));
  }
  for (const auto& id : kNodes) {
    std::vector<std::string> others;
    for (const auto& o : kNodes) {
      if (o != id) others.push_back(o);
    }
    ASSERT_TRUE(WaitPeersConnected(cluster, id, others));
  }

  // 10,000 writes, three writers at once over the same 1,000 keys, each
  // walking the key space from a different offset.
  constexpr uint64_t kKeys = 1000;
  const std::vector<uint64_t> counts = {3334, 3333, 3333};
  std::vector<PutLoad> loads;
  for (size_t i = 0; i < kNodes.size(); ++i) {
    loads.push_back(OverlappingLoad(cluster, kNodes[i], counts[i], kKeys, i * 337));
  }
  auto results = RunPutsInParallel(loads);
  ASSERT_TRUE(AllAcked(results));

  auto deadline = LastAck(results) + 5s;
  auto budget = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  EXPECT_TRUE(cluster.WaitConverged(kNodes, std::max(budget, 1ms)))
      << "not converged within 5 s of the last acknowledged write";

  auto highest = HighestAcked(results);
  ASSERT_EQ(highest.size(), kKeys);
  for (const auto& id : kNodes) {
    EXPECT_TRUE(NodeHolds(cluster.api(id), kCollection, highest, /*exact=*/true));
    EXPECT_EQ(RecordCount(cluster, id), kKeys) << id;
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, ConvergenceTest, ::testing::Values("rocksdb", "sqlite"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace datasync::testutil
