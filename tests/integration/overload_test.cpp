// Issue 7, overload: clients that write faster than the node commits, and
// readers that stop reading (a peer's SUB, a watcher), meet bounded queues
// (a kBusy reply, a wait for room, or a dropped message that catch-up
// repairs), never a node whose memory keeps growing. Memory is the node's
// resident set, sampled from /proc while the load runs: it must level off.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "scenario.h"

namespace datasync::testutil {
namespace {

// VmRSS of `pid` in bytes, 0 when unreadable.
uint64_t RssBytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

// Resident memory of a process sampled while a load runs. The node's
// memory rises while its queues fill and must then stay level: the peak of
// the last third of the run may exceed that of the middle third by little.
struct RssSamples {
  std::vector<uint64_t> bytes;

  void SampleFor(pid_t pid, std::chrono::milliseconds duration) {
    const auto end = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < end) {
      bytes.push_back(RssBytes(pid));
      // A sampling period, not a wait for a condition.
      std::this_thread::sleep_for(100ms);
    }
  }
  uint64_t PeakOf(size_t third) const {
    const size_t n = bytes.size() / 3;
    return *std::max_element(bytes.begin() + third * n, bytes.begin() + (third + 1) * n);
  }
  std::string Describe() const {
    std::string s = "RSS MiB by third (peak): ";
    for (size_t t = 0; t < 3; ++t) s += std::to_string(PeakOf(t) >> 20) + " ";
    return s + "(" + std::to_string(bytes.size()) + " samples)";
  }
};

::testing::AssertionResult LevelsOff(const RssSamples& rss, uint64_t ceiling) {
  if (rss.bytes.size() < 30) return ::testing::AssertionFailure() << rss.Describe();
  const uint64_t middle = rss.PeakOf(1), last = rss.PeakOf(2);
  // Allocator noise and ZeroMQ's chunked queues move RSS by a few MiB.
  if (last > middle + middle / 10 + (8 << 20) || last > ceiling) {
    return ::testing::AssertionFailure() << "memory keeps growing: " << rss.Describe()
                                         << ", ceiling " << (ceiling >> 20) << " MiB";
  }
  return ::testing::AssertionSuccess() << rss.Describe();
}

PutLoad Writer(const Cluster& cluster, const std::string& tag, int window,
               size_t value_bytes) {
  PutLoad load;
  load.endpoint = cluster.api("a");
  load.count = 100'000'000;
  load.window = window;
  load.make = [tag, value_bytes](uint64_t i) {
    // A small key space keeps the store's own memory (index, page cache)
    // level, so that what the sampled memory shows is the queues.
    std::string key = tag + "-" + KeyName(i % 2000);
    std::string value = key + "-" + std::to_string(i);
    value.resize(std::max(value.size(), value_bytes), '.');
    return std::make_pair(std::move(key), std::move(value));
  };
  return load;
}

// 32000 requests in flight against one node: they wait in the api socket's
// bounded queues (the loop takes at most a drain budget per pass and
// commits every pass) or are answered busy beyond max_pending_requests.
TEST(OverloadTest, ClientsFasterThanCommitsWaitAndMemoryLevelsOff) {
  Cluster cluster;
  cluster.AddNode({.id = "a",
                   .store = "sqlite",
                   .use_coordinator = false,
                   .extra_yaml = "limits:\n  max_pending_requests: 1000\n"});
  ASSERT_TRUE(cluster.StartNode("a"));
  std::vector<PutLoad> loads;
  for (int i = 0; i < 8; ++i)
    loads.push_back(Writer(cluster, "w" + std::to_string(i), 4000, 1024));
  BackgroundLoad load(loads);
  RssSamples rss;
  rss.SampleFor(cluster.node_process("a")->pid(), 9s);
  const std::vector<PutResult> results = load.Finish();
  uint64_t acked = 0, busy = 0;
  for (const PutResult& r : results) {
    acked += r.acked.size();
    busy += r.refused;
    EXPECT_EQ(r.unanswered, 0u) << r.first_error;
    EXPECT_EQ(r.no_version, 0u);
    if (r.refused > 0) {
      EXPECT_NE(r.first_error.find("retry later"), std::string::npos) << r.first_error;
    }
  }
  ASSERT_TRUE(cluster.NodeRunning("a"));
  EXPECT_TRUE(LevelsOff(rss, 1ull << 30));
  std::cout << "CASE clients faster than commits: " << acked << " acked, " << busy
            << " busy replies; " << rss.Describe() << std::endl;
  EXPECT_TRUE(NodeHolds(cluster.api("a"), kCollection, HighestAcked(results), false));
}

TEST(OverloadTest, StoppedPeerAndWatcherDoNotGrowThePublisher) {
  Cluster cluster;
  // Bounds small enough to be reached within the test: 32 MiB queued for
  // the stopped peer, 8 MiB for the stopped watcher.
  for (const std::string id : {"a", "b"}) {
    cluster.AddNode({.id = id,
                     .store = "sqlite",
                     .use_coordinator = false,
                     .static_peers = {id == "a" ? "b" : "a"},
                     .extra_yaml = "transport:\n  pub_queue_bytes: 33554432\n"
                                   "limits:\n  max_watch_bytes: 8388608\n"});
  }
  ASSERT_TRUE(cluster.StartNode("a"));
  ASSERT_TRUE(cluster.StartNode("b"));
  ASSERT_TRUE(WaitPeersConnected(cluster, "a", {"b"}));
  ASSERT_TRUE(WaitPeersConnected(cluster, "b", {"a"}));
  std::string error;
  auto watcher =
      Process::Spawn({.binary = BinaryPath("syncctl"),
                      .args = {"--node", cluster.api("a"), "watch", kCollection},
                      .stdout_path = cluster.dir() + "/watch.out",
                      .stderr_path = cluster.dir() + "/watch.err"},
                     &error);
  ASSERT_TRUE(watcher) << error;
  ASSERT_TRUE(WaitUntil([&] { return cluster.Counter("a", "watchers") == 1u; }, 10s));
  ASSERT_TRUE(cluster.KillNode("b", SIGSTOP));
  ASSERT_TRUE(watcher->Kill(SIGSTOP));

  std::vector<PutLoad> loads;
  for (int i = 0; i < 4; ++i)
    loads.push_back(Writer(cluster, "w" + std::to_string(i), 1000, 1024));
  BackgroundLoad load(loads);
  RssSamples rss;
  rss.SampleFor(cluster.node_process("a")->pid(), 9s);
  const std::vector<PutResult> results = load.Finish();
  EXPECT_TRUE(LevelsOff(rss, 1ull << 30));
  EXPECT_TRUE(AllAcked(results));
  const auto dropped = cluster.Counter("a", "watch_replies_dropped");
  std::cout << "CASE stopped peer and watcher: " << rss.Describe()
            << ", watch replies dropped " << dropped.value_or(0) << std::endl;
  EXPECT_GT(dropped.value_or(0), 0u) << "the watcher's queue never filled";

  // What b missed while stopped reaches it by catch-up.
  ASSERT_TRUE(cluster.KillNode("b", SIGCONT));
  ASSERT_TRUE(watcher->Kill(SIGCONT));
  EXPECT_TRUE(cluster.WaitConverged({"a", "b"}, 60s));
  EXPECT_TRUE(NodeHolds(cluster.api("b"), kCollection, HighestAcked(results), false));
}

}  // namespace
}  // namespace datasync::testutil
