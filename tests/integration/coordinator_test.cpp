// sync-coordinator as a real process, driven by fake nodes (DEALER sockets
// in the test whose routing id is their node id): join, broadcast, ping,
// leave, failure detection, garbage, cluster shutdown, signals and flags.
#include <gtest/gtest.h>
#include <signal.h>

#include <functional>
#include <future>
#include <set>
#include <zmq_addon.hpp>

#include "datasync/client.h"
#include "datasync/codec.h"
#include "testutil/cluster.h"
#include "testutil/ports.h"

namespace datasync::testutil {
namespace {

using namespace std::chrono_literals;

class FakeNode {
 public:
  FakeNode(const std::string& coordinator, std::string id)
      : id_(std::move(id)), socket_(ProcessContext(), zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::routing_id, id_);
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(coordinator);
  }

  MemberInfo Info() const {
    return {id_, "tcp://127.0.0.1:1", "tcp://127.0.0.1:2", "tcp://127.0.0.1:3"};
  }
  void Send(const Message& m) { SendBytes({Encode(m)}); }
  void SendBytes(const std::vector<std::string>& frames) {
    for (size_t i = 0; i < frames.size(); ++i) {
      auto more =
          i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
      socket_.send(zmq::buffer(frames[i]), more);
    }
  }
  void Join() { Send(datasync::Join{Info()}); }

  // The next message of type T that satisfies `pred`, skipping others;
  // nullopt after `timeout`.
  template <typename T>
  std::optional<T> Await(std::function<bool(const T&)> pred,
                         std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, 50ms) == 0) continue;
      std::vector<zmq::message_t> frames;
      (void)zmq::recv_multipart(socket_, std::back_inserter(frames));
      Result<Message> m = Decode(frames.back().to_string_view());
      if (!m.ok()) continue;
      if (auto* t = std::get_if<T>(&m.value()); t != nullptr && pred(*t)) return *t;
    }
    return std::nullopt;
  }

 private:
  std::string id_;
  zmq::socket_t socket_;
};

std::set<std::string> Ids(const std::vector<MemberInfo>& members) {
  std::set<std::string> ids;
  for (const auto& m : members) ids.insert(m.id);
  return ids;
}

std::function<bool(const Membership&)> MembersAre(std::set<std::string> want) {
  return [want](const Membership& m) { return Ids(m.members) == want; };
}

TEST(CoordinatorTest, JoinWelcomesAndBroadcastsWithRisingEpochs) {
  Cluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator(/*failure_timeout_ms=*/5000));
  FakeNode x(cluster.coordinator_endpoint(), "x");
  FakeNode y(cluster.coordinator_endpoint(), "y");
  x.Join();
  auto wx = x.Await<Welcome>([](const Welcome&) { return true; });
  ASSERT_TRUE(wx.has_value());
  EXPECT_EQ(Ids(wx->members), (std::set<std::string>{"x"}));
  EXPECT_EQ(wx->heartbeat_ms, 100u);

  y.Join();
  auto wy = y.Await<Welcome>([](const Welcome&) { return true; });
  ASSERT_TRUE(wy.has_value());
  EXPECT_EQ(Ids(wy->members), (std::set<std::string>{"x", "y"}));
  EXPECT_GT(wy->epoch, wx->epoch);
  auto mx = x.Await<Membership>(MembersAre({"x", "y"}));
  ASSERT_TRUE(mx.has_value()) << "x was not told that y joined";
  EXPECT_EQ(mx->epoch, wy->epoch);

  // Pings are answered with the current table.
  x.Send(Ping{"x", mx->epoch});
  EXPECT_TRUE(x.Await<Membership>(MembersAre({"x", "y"})).has_value());

  y.Send(Leave{"y"});
  auto after = x.Await<Membership>(MembersAre({"x"}));
  ASSERT_TRUE(after.has_value()) << "x was not told that y left";
  EXPECT_GT(after->epoch, wy->epoch);

  // A ping from a node the coordinator does not know (it restarted): the
  // answer lacks that node, so it knows to join again.
  FakeNode z(cluster.coordinator_endpoint(), "z");
  z.Send(Ping{"z", 1});
  EXPECT_TRUE(z.Await<Membership>(MembersAre({"x"})).has_value());
}

TEST(CoordinatorTest, SilentMemberIsRemoved) {
  Cluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator(/*failure_timeout_ms=*/500, /*heartbeat_ms=*/50));
  FakeNode x(cluster.coordinator_endpoint(), "x");
  FakeNode y(cluster.coordinator_endpoint(), "y");
  auto any_welcome = [](const Welcome&) { return true; };
  x.Join();
  ASSERT_TRUE(x.Await<Welcome>(any_welcome).has_value());
  y.Join();
  ASSERT_TRUE(y.Await<Welcome>(any_welcome).has_value());
  ASSERT_TRUE(x.Await<Membership>(MembersAre({"x", "y"})).has_value());
  // x keeps pinging (and joins again should a slow machine make it look
  // silent too); y falls silent and must be removed.
  std::set<std::string> last;
  ASSERT_TRUE(WaitUntil(
      [&] {
        x.Send(Ping{"x", 0});
        auto m = x.Await<Membership>([](const Membership&) { return true; }, 50ms);
        if (!m) return false;
        last = Ids(m->members);
        if (!last.count("x")) x.Join();
        return last == std::set<std::string>{"x"};
      },
      10s, 1ms))
      << "last membership seen has " << last.size() << " members";
}

TEST(CoordinatorTest, GarbageIsAnsweredAndSurvived) {
  Cluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator(/*failure_timeout_ms=*/5000));
  FakeNode x(cluster.coordinator_endpoint(), "x");
  FakeNode liar(cluster.coordinator_endpoint(), "liar");
  x.SendBytes({"\x93\x01\xff garbage"});
  x.SendBytes({"", "", "three frames"});
  x.SendBytes({std::string(2000, '\xcc')});
  x.Send(Heartbeat{"x", 1, {}});
  liar.Send(Join{x.Info()});  // routing id "liar", node id "x"
  liar.Send(Ping{"x", 1});
  auto error = [](const ClientReply& r) { return r.code == Code::kInvalidArgument; };
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(x.Await<ClientReply>(error).has_value()) << "garbage #" << i;
  }
  EXPECT_TRUE(liar.Await<ClientReply>(error).has_value());
  // Still serving, and the liar did not get "x" in.
  CtlResult members =
      cluster.Ctl({"--coordinator", cluster.coordinator_endpoint(), "--json", "members"});
  ASSERT_EQ(members.code(), 0) << members.Describe();
  EXPECT_NE(members.out.find("\"members\":[]"), std::string::npos) << members.out;
  EXPECT_TRUE(cluster.coordinator()->Running());
}

TEST(CoordinatorTest, ClusterShutdownWaitsForLeavesThenExitsZero) {
  Cluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator(/*failure_timeout_ms=*/5000));
  FakeNode x(cluster.coordinator_endpoint(), "x");
  x.Join();
  ASSERT_TRUE(x.Await<Welcome>([](const Welcome&) { return true; }).has_value());

  // syncctl blocks until x has left, so run it beside the fake node.
  std::future<CtlResult> shutdown = std::async(std::launch::async, [&] {
    return cluster.Ctl(
        {"--coordinator", cluster.coordinator_endpoint(), "shutdown", "--cluster"});
  });
  auto order = x.Await<Shutdown>([](const Shutdown& s) { return s.cluster; });
  ASSERT_TRUE(order.has_value()) << "x was not told to shut down";
  x.Send(Leave{"x"});
  CtlResult r = shutdown.get();
  EXPECT_EQ(r.code(), 0) << r.Describe();
  EXPECT_EQ(r.out, "");
  auto status = cluster.WaitCoordinator(5s);
  ASSERT_TRUE(status.has_value()) << "coordinator still running";
  EXPECT_TRUE(status->ok()) << status->ToString();
}

TEST(CoordinatorTest, SigtermExitsZero) {
  Cluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator());
  ASSERT_TRUE(cluster.KillCoordinator(SIGTERM));
  EXPECT_TRUE(cluster.coordinator()->exit_status()->ok())
      << cluster.coordinator()->exit_status()->ToString();
}

TEST(CoordinatorTest, FlagsAndConfigErrorsExit2) {
  Cluster cluster;
  auto run = [&](std::vector<std::string> args) {
    std::string error;
    auto p = Process::Spawn({.binary = BinaryPath("sync-coordinator"),
                             .args = args,
                             .stdout_path = cluster.dir() + "/out",
                             .stderr_path = cluster.dir() + "/err"},
                            &error);
    SYNC_CHECK(p.has_value());
    auto status = p->Wait(10s);
    SYNC_CHECK(status.has_value());
    return std::make_pair(*status, p->ReadStderr());
  };
  std::string ep = FreeTcpEndpoint();
  EXPECT_TRUE(run({"--bind", ep, "--check-config"}).first.ok());
  for (const auto& args : std::vector<std::vector<std::string>>{
           {},
           {"--bind", "tcp://127.0.0.1:notaport"},
           {"--bind", ep, "--heartbeat-ms", "500", "--failure-timeout-ms", "600"},
           {"--heartbeat-ms", "5"},
           {"--config", cluster.dir() + "/missing.yaml"},
           {"--no-such-flag"}}) {
    auto [status, err] = run(args);
    EXPECT_EQ(status.code, 2) << status.ToString() << " " << err;
    EXPECT_FALSE(err.empty());
  }
}

}  // namespace
}  // namespace datasync::testutil
