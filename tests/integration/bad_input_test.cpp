// Scenario 7: garbage sent to every socket (api and sync ROUTERs of the
// nodes, the coordinator's ROUTER) and published by a fake peer: every
// process stays up, counts the bad input, and keeps syncing.
#include <gtest/gtest.h>

#include <zmq.hpp>

#include "datasync/client.h"
#include "garbage.h"
#include "scenario.h"
#include "testutil/ports.h"

namespace datasync::testutil {
namespace {

constexpr size_t kMaxMessageBytes = 4 << 20;

// The fake peer: a PUB the node subscribes to and a ROUTER it asks for
// catch-up, both answering only garbage.
struct FakePeer {
  std::string pub_ep = FreeTcpEndpoint();
  std::string sync_ep = FreeTcpEndpoint();
  zmq::socket_t pub{ProcessContext(), zmq::socket_type::pub};
  zmq::socket_t sync{ProcessContext(), zmq::socket_type::router};
  size_t catch_up_requests = 0;

  FakePeer() {
    for (auto* s : {&pub, &sync}) s->set(zmq::sockopt::linger, 0);
    pub.bind(pub_ep);
    sync.bind(sync_ep);
  }

  // Publishes every garbage message once and answers whatever reached the
  // sync socket with garbage pages.
  void Round(const std::vector<Multipart>& garbage) {
    for (const auto& message : garbage) SendMultipart(pub, message, 100);
    zmq::message_t frame;
    std::vector<std::string> request;
    while (sync.recv(frame, zmq::recv_flags::dontwait)) {
      request.push_back(frame.to_string());
      if (frame.more()) continue;
      ++catch_up_requests;
      const std::string& routing_id = request.front();
      for (size_t i = 0; i < garbage.size(); i += 97) {
        SendMultipart(sync, {routing_id, garbage[i].back()}, 100);
        SendMultipart(sync, {routing_id, "", garbage[i].back()}, 100);
      }
      request.clear();
    }
  }
};

// Sends every message of `garbage` to the ROUTER at `endpoint` through a
// DEALER, discarding the answers.
void Flood(const std::string& endpoint, const std::vector<Multipart>& garbage) {
  zmq::socket_t dealer(ProcessContext(), zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(endpoint);
  for (const auto& message : garbage) {
    SendMultipart(dealer, message, 1000);
    DrainSocket(dealer);
  }
  DrainSocket(dealer);
}

::testing::AssertionResult WaitCounterAbove(Cluster& cluster, const std::string& id,
                                            uint64_t floor, std::chrono::milliseconds t,
                                            const std::function<void()>& poke = {}) {
  std::optional<uint64_t> seen;
  bool done = WaitUntil(
      [&] {
        if (poke) poke();
        seen = cluster.Counter(id, "bad_input");
        return seen && *seen > floor;
      },
      t, 100ms);
  if (done) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << id << " bad_input is " << (seen ? std::to_string(*seen) : "<no status>")
         << ", expected above " << floor << "\n"
         << cluster.LogTail(id);
}

TEST(BadInputTest, GarbageOnEverySocketIsCountedAndSyncContinues) {
  Cluster cluster;
  FakePeer fake;
  ASSERT_TRUE(cluster.StartCoordinator());
  cluster.AddNode({.id = "a",
                   .extra_peers = {{"fake", fake.pub_ep, fake.sync_ep}},
                   .max_message_bytes = kMaxMessageBytes});
  cluster.AddNode({.id = "b", .max_message_bytes = kMaxMessageBytes});
  ASSERT_TRUE(cluster.StartNode("a"));
  ASSERT_TRUE(cluster.StartNode("b"));
  ASSERT_TRUE(WaitPeersConnected(cluster, "a", {"b"}));
  ASSERT_TRUE(WaitPeersConnected(cluster, "b", {"a"}));
  ASSERT_TRUE(CtlPut(cluster, "a", "before", "1"));
  ASSERT_TRUE(WaitValue(cluster, "b", "before", "1"));

  // The fake peer publishes until a has counted some of it (the node's SUB
  // connects in the background, so the first rounds may go nowhere).
  auto pub_garbage = PubGarbage(/*seed=*/1, "fake");
  ASSERT_TRUE(WaitCounterAbove(cluster, "a", 0, 15s, [&] { fake.Round(pub_garbage); }));
  fake.Round(pub_garbage);

  auto router_garbage = RouterGarbage(/*seed=*/2, kMaxMessageBytes);
  std::map<std::string, uint64_t> before;
  for (const std::string id : {"a", "b"}) {
    auto counter = cluster.Counter(id, "bad_input");
    ASSERT_TRUE(counter.has_value()) << id << " does not answer status";
    before[id] = *counter;
    Flood(cluster.endpoints(id).api, router_garbage);
    Flood(cluster.endpoints(id).sync, router_garbage);
  }
  Flood(cluster.coordinator_endpoint(), router_garbage);

  for (const std::string id : {"a", "b"}) {
    ASSERT_TRUE(cluster.NodeRunning(id)) << id << " died:\n" << cluster.LogTail(id);
    EXPECT_TRUE(WaitCounterAbove(cluster, id, before[id], 10s));
  }
  ASSERT_TRUE(cluster.coordinator()->Running()) << cluster.LogTail("coordinator");
  CtlResult human = cluster.CtlAt("a", {"status"});
  EXPECT_EQ(human.code(), 0) << human.Describe();
  EXPECT_NE(human.out.find("bad_input"), std::string::npos) << human.Describe();

  // Still syncing, both ways, and the coordinator still answers.
  ASSERT_TRUE(CtlPut(cluster, "a", "after-a", "2"));
  ASSERT_TRUE(CtlPut(cluster, "b", "after-b", "3"));
  EXPECT_TRUE(WaitValue(cluster, "b", "after-a", "2"));
  EXPECT_TRUE(WaitValue(cluster, "a", "after-b", "3"));
  EXPECT_TRUE(cluster.WaitConverged({"a", "b"}, 10s));
  CtlResult members = cluster.Ctl({"--coordinator", cluster.coordinator_endpoint(),
                                   "--timeout-ms", "2000", "members"});
  EXPECT_EQ(members.code(), 0) << members.Describe();
  for (const std::string id : {"a", "b"}) EXPECT_TRUE(cluster.NodeRunning(id)) << id;
  EXPECT_TRUE(cluster.coordinator()->Running());
}

}  // namespace
}  // namespace datasync::testutil
