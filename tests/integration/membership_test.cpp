// Scenarios 4 and 5: a node joining a cluster that already holds 100,000
// records receives all of them; with the coordinator killed, data keeps
// flowing, and a restarted coordinator rebuilds the membership.
#include <gtest/gtest.h>
#include <signal.h>

#include <set>

#include "scenario.h"

namespace datasync::testutil {
namespace {

// The member ids `syncctl --json members` printed: an object with a
// "members" array, or the array itself; each member an object with "id".
std::set<std::string> MemberIds(const JsonValue& json) {
  const JsonValue& list = json.is_array() ? json : json["members"];
  std::set<std::string> ids;
  for (const JsonValue& m : list.items()) ids.insert(m["id"].str());
  return ids;
}

::testing::AssertionResult WaitMembers(Cluster& cluster,
                                       const std::set<std::string>& want,
                                       std::chrono::milliseconds timeout) {
  CtlResult last;
  std::set<std::string> seen;
  bool done = WaitUntil(
      [&] {
        last = cluster.Ctl({"--coordinator", cluster.coordinator_endpoint(),
                            "--timeout-ms", "500", "--json", "members"});
        std::string error;
        auto json = JsonValue::Parse(last.out, &error);
        if (last.code() != 0 || !json) return false;
        seen = MemberIds(*json);
        return seen == want;
      },
      timeout, 50ms);
  if (done) return ::testing::AssertionSuccess();
  std::string listed;
  for (const auto& id : seen) listed += id + " ";
  return ::testing::AssertionFailure()
         << "members are {" << listed << "}; last " << last.Describe();
}

TEST(MembershipTest, JoiningNodeReceivesAllExistingRecords) {
  constexpr uint64_t kRecords = 100'000;
  Cluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator());
  ASSERT_TRUE(cluster.AddAndStartNode({.id = "a"}));
  ASSERT_TRUE(cluster.AddAndStartNode({.id = "b"}));
  ASSERT_TRUE(WaitPeersConnected(cluster, "a", {"b"}));

  // Distinct keys, half written at each node.
  std::vector<PutLoad> loads = {
      OverlappingLoad(cluster, "a", kRecords / 2, kRecords, 0),
      OverlappingLoad(cluster, "b", kRecords / 2, kRecords, kRecords / 2)};
  for (auto& load : loads) load.window = 1024;
  auto results = RunPutsInParallel(loads);
  ASSERT_TRUE(AllAcked(results));
  ASSERT_TRUE(cluster.WaitConverged({"a", "b"}, 30s));
  ASSERT_EQ(RecordCount(cluster, "a"), kRecords);

  ASSERT_TRUE(cluster.AddAndStartNode({.id = "c"}));
  ASSERT_TRUE(cluster.WaitConverged({"a", "b", "c"}, 60s));
  EXPECT_EQ(RecordCount(cluster, "c"), kRecords);
  EXPECT_TRUE(NodeHolds(cluster.api("c"), kCollection, HighestAcked(results), true));
}

TEST(MembershipTest, DataFlowsWithoutCoordinatorAndMembershipIsRebuilt) {
  const std::vector<std::string> nodes = {"a", "b", "c"};
  Cluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator(/*failure_timeout_ms=*/1000));
  for (const auto& id : nodes) ASSERT_TRUE(cluster.AddAndStartNode({.id = id}));
  for (const auto& id : nodes) {
    ASSERT_TRUE(WaitPeersConnected(cluster, id, Others(nodes, id)));
  }
  ASSERT_TRUE(WaitMembers(cluster, {"a", "b", "c"}, 5s));

  ASSERT_TRUE(cluster.KillCoordinator(SIGKILL));
  // Writes at every node still reach every other node.
  for (const auto& id : nodes) {
    ASSERT_TRUE(CtlPut(cluster, id, "from-" + id, "while-coordinator-down"));
  }
  for (const auto& id : nodes) {
    for (const auto& writer : nodes) {
      EXPECT_TRUE(WaitValue(cluster, id, "from-" + writer, "while-coordinator-down"));
    }
  }
  auto results = RunPutsInParallel({OverlappingLoad(cluster, "a", 2000, 500, 0),
                                    OverlappingLoad(cluster, "b", 2000, 500, 250)});
  ASSERT_TRUE(AllAcked(results));
  EXPECT_TRUE(cluster.WaitConverged(nodes, 10s));

  ASSERT_TRUE(cluster.StartCoordinator(/*failure_timeout_ms=*/1000));
  EXPECT_TRUE(WaitMembers(cluster, {"a", "b", "c"}, 10s));
  ASSERT_TRUE(CtlPut(cluster, "c", "after-coordinator", "back"));
  for (const auto& id : nodes) {
    EXPECT_TRUE(cluster.NodeRunning(id)) << id;
    EXPECT_TRUE(WaitValue(cluster, id, "after-coordinator", "back"));
  }
}

}  // namespace
}  // namespace datasync::testutil
