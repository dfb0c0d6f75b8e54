// A real network partition between node processes: each node lives in its
// own network namespace, its pub and sync sockets on a bridge that joins
// them, its api on a separate link to the test. Cutting a's link to the
// bridge splits the cluster into {a} and {b, c} while writers keep writing
// to all three: both sides go on acknowledging, and after healing every
// node converges and holds every acknowledged write. A second run puts the
// coordinator on the hub, so the cut node also loses it and is expired.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>

#include "scenario.h"
#include "testutil/netns.h"
#include "testutil/ports.h"
#include "testutil/process.h"

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
        return !connected;  // not even a peer (any more)
      },
      20s, 50ms);
  if (done) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << id << " never saw " << peer << (connected ? " connected" : " disconnected")
         << "\n"
         << StatusDump(cluster, kNodes);
}

// An info field of `id`'s status ("" when it does not answer).
std::string Info(Cluster& cluster, const std::string& id, const std::string& name) {
  auto status = cluster.Status(id);
  return status ? (*status)["info"][name].str() : "";
}

::testing::AssertionResult WaitInfo(Cluster& cluster, const std::string& id,
                                    const std::string& name,
                                    const std::function<bool(const std::string&)>& good) {
  std::string last;
  if (WaitUntil([&] { return good(last = Info(cluster, id, name)); }, 20s, 50ms)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << id << ": info." << name << " stayed \"" << last << "\"\n"
         << StatusDump(cluster, kNodes);
}

// The nodes of kNodes, each in its namespace of `lab`; with static peers
// unless `coordinator` is given.
void AddNodes(Cluster& cluster, const NetLab& lab, const std::string& coordinator) {
  for (const auto& id : kNodes) {
    NodeOptions options{.id = id,
                        .use_coordinator = false,
                        .launcher = lab.Launcher(id),
                        .api_host = lab.client_address(id),
                        .data_host = lab.data_address(id)};
    if (coordinator.empty()) {
      options.static_peers = Others(kNodes, id);
    } else {
      options.extra_yaml = "coordinator: " + coordinator + "\n";
    }
    cluster.AddNode(options);
  }
}

// The scenario: writers on all three nodes; a is cut off from b and c
// (`during_cut` runs once both sides have noticed), both sides keep
// acknowledging, then the link is healed (`after_heal` runs once a and b
// see each other again); every node converges and holds every
// acknowledged write.
void CutWriteHealAndCheck(Cluster& cluster, NetLab& lab,
                          const std::function<void()>& during_cut,
                          const std::function<void()>& after_heal) {
  std::vector<PutLoad> loads;
  for (size_t i = 0; i < kNodes.size(); ++i) {
    loads.push_back(OverlappingLoad(cluster, kNodes[i], 1'000'000, kKeys, i * 500));
  }
  BackgroundLoad load(loads);
  for (size_t i = 0; i < kNodes.size(); ++i) ASSERT_TRUE(WaitProgress(load, i, 500));

  ASSERT_TRUE(lab.Cut("a"));
  ASSERT_TRUE(WaitPeerState(cluster, "a", "b", false));
  ASSERT_TRUE(WaitPeerState(cluster, "b", "a", false));
  during_cut();
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

  ASSERT_TRUE(lab.Heal("a"));
  ASSERT_TRUE(WaitPeerState(cluster, "b", "a", true));
  ASSERT_TRUE(WaitPeerState(cluster, "a", "b", true));
  after_heal();
  for (size_t i = 0; i < kNodes.size(); ++i) ASSERT_TRUE(WaitProgress(load, i, 1000));
  auto results = load.Finish();
  ASSERT_TRUE(AllAcked(results)) << StatusDump(cluster, kNodes);

  ASSERT_TRUE(cluster.WaitConverged(kNodes, 60s)) << StatusDump(cluster, kNodes);
  auto highest = HighestAcked(results);
  for (const auto& id : kNodes) {
    EXPECT_TRUE(NodeHolds(cluster.api(id), kCollection, highest, /*exact=*/true)) << id;
  }
}

TEST(PartitionTest, BothSidesWriteThroughACutAndConvergeAfterHealing) {
  std::string why;
  bool unsupported = false;
  // Declared before the cluster: its nodes end before their namespaces go.
  std::unique_ptr<NetLab> lab = NetLab::Create(kNodes, &why, &unsupported);
  if (!lab && unsupported) GTEST_SKIP() << "no network namespaces here: " << why;
  ASSERT_TRUE(lab) << why;
  Cluster cluster;
  AddNodes(cluster, *lab, "");
  for (const auto& id : kNodes) ASSERT_TRUE(cluster.StartNode(id));
  for (const auto& id : kNodes) {
    ASSERT_TRUE(WaitPeersConnected(cluster, id, Others(kNodes, id)));
  }
  CutWriteHealAndCheck(
      cluster, *lab, [] {}, [] {});
}

// The coordinator runs on the hub, so the cut takes a away from it as well:
// it expires a, b and c carry on as a two-node cluster, a keeps its last
// membership and writes alone; after healing a rejoins.
TEST(PartitionTest, CutNodeIsExpiredByTheCoordinatorAndRejoinsAfterHealing) {
  std::string why;
  bool unsupported = false;
  std::unique_ptr<NetLab> lab = NetLab::Create(kNodes, &why, &unsupported);
  if (!lab && unsupported) GTEST_SKIP() << "no network namespaces here: " << why;
  ASSERT_TRUE(lab) << why;
  std::optional<Process> coordinator;  // ends after the nodes, before the lab
  Cluster cluster;
  const std::string endpoint =
      "tcp://" + NetLab::hub_address() + ":" + std::to_string(PickFreePort());
  const std::string config = cluster.dir() + "/hub-coordinator.yaml";
  {
    std::ofstream out(config);
    out << "coordinator:\n  bind: " << endpoint
        << "\n  failure_timeout_ms: 1000\n  heartbeat_ms: 100\n";
  }
  std::vector<std::string> args = lab->HubLauncher();
  args.insert(args.end(), {BinaryPath("sync-coordinator"), "--config", config});
  SpawnOptions spawn{.binary = args.front(),
                     .args = {args.begin() + 1, args.end()},
                     .stdout_path = cluster.dir() + "/logs/coordinator.0.out",
                     .stderr_path = cluster.dir() + "/logs/coordinator.0.err"};
  coordinator = Process::Spawn(spawn, &why);
  ASSERT_TRUE(coordinator) << why;

  AddNodes(cluster, *lab, endpoint);
  for (const auto& id : kNodes) ASSERT_TRUE(cluster.StartNode(id));
  auto joined = [](const std::string& state) { return state == "joined"; };
  for (const auto& id : kNodes) {
    ASSERT_TRUE(WaitInfo(cluster, id, "coordinator_state", joined))
        << cluster.LogTail("coordinator");
    ASSERT_TRUE(WaitPeersConnected(cluster, id, Others(kNodes, id)));
  }
  const std::string epoch = Info(cluster, "b", "epoch");
  CutWriteHealAndCheck(
      cluster, *lab,
      [&] {
        EXPECT_TRUE(WaitInfo(cluster, "a", "coordinator_state",
                             [](const std::string& s) { return s == "silent"; }));
        // A new epoch at b: the coordinator expired a.
        EXPECT_TRUE(WaitInfo(cluster, "b", "epoch", [&](const std::string& e) {
          return !e.empty() && e != epoch;
        }));
      },
      [&] {
        EXPECT_TRUE(WaitInfo(cluster, "a", "coordinator_state", joined));
        const std::string now = Info(cluster, "b", "epoch");
        EXPECT_TRUE(WaitInfo(
            cluster, "a", "epoch",
            [&](const std::string& e) { return e == Info(cluster, "b", "epoch"); }))
            << "b is at epoch " << now;
      });
}

}  // namespace
}  // namespace datasync::testutil
