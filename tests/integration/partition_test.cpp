// A real network partition between node processes: each node lives in its
// own network namespace, its pub and sync sockets on a bridge that joins
// them, its api on a separate link to the test. Cutting a's link to the
// bridge splits the cluster into {a} and {b, c} while writers keep writing
// to all three: both sides go on acknowledging, and after healing every
// node converges and holds every acknowledged write.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "scenario.h"
#include "testutil/netns.h"

namespace datasync::testutil {
namespace {

const std::vector<std::string> kNodes = {"a", "b", "c"};
constexpr uint64_t kKeys = 2000;

::testing::AssertionResult WaitProgress(const BackgroundLoad& load, size_t i,
                                        uint64_t more) {
  uint64_t target = load.progress(i) + more;
  if (WaitUntil([&] { return load.progress(i) >= target; }, 30s)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "writer " << kNodes[i] << " stalled at " << load.progress(i)
         << " acks, waiting for " << target;
}

// vv[origin] as `id` reports it; nullopt when it does not answer.
std::optional<uint64_t> VectorEntry(Cluster& cluster, const std::string& id,
                                    const std::string& origin) {
  auto status = cluster.Status(id);
  if (!status) return std::nullopt;
  return (*status)["vv"][origin].AsUint().value_or(0);
}

// Waits until `id` reports peer `peer` connected (or not).
::testing::AssertionResult WaitPeerState(Cluster& cluster, const std::string& id,
                                         const std::string& peer, bool connected) {
  bool done = WaitUntil(
      [&] {
        auto status = cluster.Status(id);
        if (!status) return false;
        for (const JsonValue& p : (*status)["peers"].items()) {
          if (p["id"].str() == peer) return p["connected"].boolean() == connected;
        }
        return false;
      },
      20s, 50ms);
  if (done) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << id << " never saw " << peer << (connected ? " connected" : " disconnected")
         << "\n"
         << StatusDump(cluster, kNodes);
}

TEST(PartitionTest, BothSidesWriteThroughACutAndConvergeAfterHealing) {
  std::string why;
  // Declared before the cluster: its nodes end before their namespaces go.
  std::unique_ptr<NetLab> lab = NetLab::Create(kNodes, &why);
  if (!lab) GTEST_SKIP() << "no network namespaces here: " << why;
  Cluster cluster;
  for (const auto& id : kNodes) {
    cluster.AddNode({.id = id,
                     .use_coordinator = false,
                     .static_peers = Others(kNodes, id),
                     .launcher = lab->Launcher(id),
                     .api_host = lab->client_address(id),
                     .data_host = lab->data_address(id)});
  }
  for (const auto& id : kNodes) ASSERT_TRUE(cluster.StartNode(id));
  for (const auto& id : kNodes)
    ASSERT_TRUE(WaitPeersConnected(cluster, id, Others(kNodes, id)));

  std::vector<PutLoad> loads;
  for (size_t i = 0; i < kNodes.size(); ++i) {
    loads.push_back(OverlappingLoad(cluster, kNodes[i], 1'000'000, kKeys, i * 500));
  }
  BackgroundLoad load(loads);
  for (size_t i = 0; i < kNodes.size(); ++i) ASSERT_TRUE(WaitProgress(load, i, 500));

  ASSERT_TRUE(lab->Cut("a"));
  // Both sides notice, and both keep acknowledging writes.
  ASSERT_TRUE(WaitPeerState(cluster, "a", "b", false));
  ASSERT_TRUE(WaitPeerState(cluster, "b", "a", false));
  for (size_t i = 0; i < kNodes.size(); ++i) ASSERT_TRUE(WaitProgress(load, i, 2000));
  // The split is real: a's writes since the cut have not reached b, nor b's
  // reached a; b and c, on the same side, still replicate to each other.
  auto a_own = VectorEntry(cluster, "a", "a");
  auto b_own = VectorEntry(cluster, "b", "b");
  auto b_sees_a = VectorEntry(cluster, "b", "a");
  auto a_sees_b = VectorEntry(cluster, "a", "b");
  ASSERT_TRUE(a_own && b_own && b_sees_a && a_sees_b) << StatusDump(cluster, kNodes);
  EXPECT_LT(*b_sees_a + 1000, *a_own) << StatusDump(cluster, kNodes);
  EXPECT_LT(*a_sees_b + 1000, *b_own) << StatusDump(cluster, kNodes);
  EXPECT_TRUE(WaitPeerState(cluster, "c", "b", true));
  std::printf(
      "[partition] during the cut: a wrote up to seq %llu, b holds a's up to %llu; "
      "b wrote up to %llu, a holds b's up to %llu\n",
      static_cast<unsigned long long>(*a_own), static_cast<unsigned long long>(*b_sees_a),
      static_cast<unsigned long long>(*b_own),
      static_cast<unsigned long long>(*a_sees_b));

  ASSERT_TRUE(lab->Heal("a"));
  ASSERT_TRUE(WaitPeerState(cluster, "b", "a", true));
  ASSERT_TRUE(WaitPeerState(cluster, "a", "b", true));
  for (size_t i = 0; i < kNodes.size(); ++i) ASSERT_TRUE(WaitProgress(load, i, 1000));
  auto results = load.Finish();
  ASSERT_TRUE(AllAcked(results)) << StatusDump(cluster, kNodes);

  ASSERT_TRUE(cluster.WaitConverged(kNodes, 60s)) << StatusDump(cluster, kNodes);
  auto highest = HighestAcked(results);
  for (const auto& id : kNodes) {
    EXPECT_TRUE(NodeHolds(cluster.api(id), kCollection, highest, /*exact=*/true)) << id;
  }
}

}  // namespace
}  // namespace datasync::testutil
