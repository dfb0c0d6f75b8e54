// endpoints.advertise: nodes that bind every interface and tell their peers
// a host name (here localhost, in a container its service name) find each
// other through the coordinator and converge.
#include <gtest/gtest.h>

#include "scenario.h"

namespace datasync::testutil {
namespace {

TEST(AdvertiseTest, NodesBoundOnEveryInterfaceConvergeByHostName) {
  Cluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator());
  const std::vector<std::string> ids = {"a", "b", "c"};
  for (const std::string& id : ids) {
    ASSERT_TRUE(
        cluster.AddAndStartNode({.id = id, .bind_any_advertise_localhost = true}));
  }
  for (const std::string& id : ids) {
    ASSERT_TRUE(WaitPeersConnected(cluster, id, Others(ids, id)))
        << StatusDump(cluster, ids);
  }
  // The coordinator hands out the advertised names, not the bound wildcard.
  CtlResult members =
      cluster.Ctl({"--coordinator", cluster.coordinator_endpoint(), "members"});
  ASSERT_EQ(members.code(), 0) << members.Describe();
  EXPECT_NE(members.out.find("tcp://localhost:"), std::string::npos) << members.out;
  EXPECT_EQ(members.out.find("tcp://*:"), std::string::npos) << members.out;

  EXPECT_NE(cluster.LogTail("a", 100000).find("advertises api=tcp://localhost:"),
            std::string::npos)
      << cluster.LogTail("a");

  ASSERT_TRUE(CtlPut(cluster, "a", "from-a", "1"));
  ASSERT_TRUE(CtlPut(cluster, "c", "from-c", "3"));
  for (const std::string& id : ids) {
    EXPECT_TRUE(WaitValue(cluster, id, "from-a", "1"));
    EXPECT_TRUE(WaitValue(cluster, id, "from-c", "3"));
  }
  std::string detail;
  EXPECT_TRUE(WaitUntil([&] { return cluster.DigestsEqual(ids, &detail); }, 10s))
      << detail;
}

}  // namespace
}  // namespace datasync::testutil
