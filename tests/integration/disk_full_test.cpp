// Issue 7, the disk filling up while a node runs. The node's data directory
// is a size-limited tmpfs (a real file system that answers ENOSPC, and one
// that can be grown in place) in the child's own mount namespace. Writes
// are refused with an error to the client, the node stays up and keeps
// every acknowledged write, and once there is room again it accepts writes
// without a restart; a restart afterwards finds everything acknowledged.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "scenario.h"
#include "testutil/mounts.h"

namespace datasync::testutil {
namespace {

constexpr size_t kSmallFs = 16 << 20;
constexpr size_t kLargeFs = 256 << 20;
constexpr size_t kValueBytes = 4096;

// Puts `count` fresh keys "<tag>-<i>" (values name the key, padded),
// `window` at a time.
PutResult PutFresh(const Cluster& cluster, const std::string& tag, uint64_t count,
                   int window = 64) {
  PutLoad load;
  load.endpoint = cluster.api("a");
  load.count = count;
  load.window = window;
  load.make = [tag](uint64_t i) {
    std::string key = tag + "-" + KeyName(i);
    std::string value = key;
    value.resize(kValueBytes, '.');
    return std::make_pair(std::move(key), std::move(value));
  };
  return RunPuts(load);
}

bool SaysNoSpace(const std::string& message) {
  static const std::regex kNoSpace("no space|disk is full", std::regex::icase);
  return std::regex_search(message, kNoSpace);
}

TEST(DiskFullChild, DISABLED_WritesRefusedThenRecover) {
  const std::optional<std::string> store = EnterMountChild();
  if (!store) GTEST_SKIP() << "run by DiskFullTest";
  Cluster cluster;
  cluster.AddNode({.id = "a", .store = *store, .use_coordinator = false});
  const std::string data = cluster.dir() + "/a/data";
  ASSERT_EQ(MountTmpfs(data, kSmallFs), "");
  ASSERT_TRUE(cluster.StartNode("a"));
  const pid_t pid = cluster.node_process("a")->pid();

  // Fill in rounds until the node refuses writes; then one write per
  // commit, so that the last bytes fill up too and the next write of the
  // same size cannot fit either (a failed SQLite transaction gives back
  // what it had taken).
  std::vector<PutResult> acked;
  PutResult full;
  for (int window : {64, 1}) {
    full = PutResult();
    for (int round = 0; round < 40 && full.refused == 0; ++round) {
      const std::string tag =
          "fill" + std::to_string(window) + "-" + std::to_string(round);
      PutResult r = PutFresh(cluster, tag, window == 1 ? 50 : 500, window);
      ASSERT_EQ(r.unanswered, 0u)
          << "the node stopped answering: " << cluster.LogTail("a");
      if (r.refused > 0) full = r;
      acked.push_back(std::move(r));
    }
    ASSERT_GT(full.refused, 0u) << "the disk never filled up";
    EXPECT_TRUE(SaysNoSpace(full.first_error)) << full.first_error;
  }
  // Room can come back by itself (after an SQLite checkpoint the WAL is
  // reused from its start), so one more write may still fit: write until
  // one is refused, and hold the ones that fitted to the same promise.
  const std::string big(kValueBytes, 'x');
  std::vector<std::string> fitted;
  CtlResult put;
  for (int i = 0; i < 200; ++i) {
    const std::string key = "while-full-" + std::to_string(i);
    put = cluster.CtlAt("a", {"put", kCollection, key, big});
    if (put.code() != 0) break;
    fitted.push_back(key);
  }
  EXPECT_EQ(put.code(), 4) << put.Describe();
  EXPECT_TRUE(SaysNoSpace(put.err)) << put.Describe();
  std::cout << "CASE disk full (" << *store << "): syncctl put exit " << put.code()
            << ": " << put.err << std::endl;
  ASSERT_TRUE(cluster.NodeRunning("a"));
  const auto highest = HighestAcked(acked);
  ASSERT_GT(highest.size(), 100u);
  EXPECT_TRUE(NodeHolds(cluster.api("a"), kCollection, highest, /*exact=*/true));

  // Room again: the same process accepts writes.
  ASSERT_EQ(ResizeTmpfs(data, kLargeFs), "");
  EXPECT_TRUE(WaitUntil(
      [&] {
        return cluster.CtlAt("a", {"put", kCollection, "after", "y"}).code() == 0;
      },
      15s))
      << cluster.LogTail("a");
  PutResult after = PutFresh(cluster, "after", 2000);
  EXPECT_TRUE(AllAcked({after})) << after.first_error;
  acked.push_back(std::move(after));
  EXPECT_EQ(cluster.node_process("a")->pid(), pid) << "the node was restarted";
  ASSERT_TRUE(cluster.NodeRunning("a"));

  ASSERT_TRUE(cluster.StopNode("a"));
  ASSERT_TRUE(cluster.StartNode("a"));
  EXPECT_TRUE(NodeHolds(cluster.api("a"), kCollection, HighestAcked(acked), true));
  EXPECT_TRUE(WaitValue(cluster, "a", "after", "y"));
  for (const std::string& key : fitted) EXPECT_TRUE(WaitValue(cluster, "a", key, big)) << key;
}

class DiskFullTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DiskFullTest, WritesAreRefusedNothingAckedIsLostAndTheNodeRecovers) {
  std::string skip;
  ASSERT_TRUE(RunMountChild("DiskFullChild.DISABLED_WritesRefusedThenRecover", GetParam(),
                            &skip));
  if (!skip.empty()) GTEST_SKIP() << skip;
}

INSTANTIATE_TEST_SUITE_P(Stores, DiskFullTest, ::testing::Values("rocksdb", "sqlite"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace datasync::testutil
