// NodeClient against a scripted ROUTER in the test process: timeouts, stale
// and garbage replies, pipelining, CallRaw and the watch feed. (In-process,
// not real binaries; it lives here because this target links the transport.)
#include "datasync/client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>
#include <thread>
#include <zmq_addon.hpp>

#include "datasync/codec.h"
#include "testutil/ports.h"

namespace datasync {
namespace {

using namespace std::chrono_literals;

// A ROUTER on a fresh loopback port, driven by `script` on its own thread
// (the socket is created, used and closed there). The script gets a
// FakeServer::Io to receive requests and send replies.
class FakeServer {
 public:
  struct Io {
    zmq::socket_t* socket;
    // The next request and its sender; fails the test after 5 s.
    std::pair<std::string, ClientRequest> Next() {
      std::vector<zmq::message_t> frames;
      auto got = zmq::recv_multipart(*socket, std::back_inserter(frames));
      EXPECT_TRUE(got.has_value()) << "no request within 5 s";
      if (!got || frames.size() != 2) return {};
      Result<Message> m = Decode(frames[1].to_string_view());
      EXPECT_TRUE(m.ok()) << m.status().ToString();
      if (!m.ok()) return {};
      auto* request = std::get_if<ClientRequest>(&m.value());
      EXPECT_NE(request, nullptr);
      return {frames[0].to_string(), request ? *request : ClientRequest{}};
    }
    void SendBytes(const std::string& to, const std::string& body) {
      socket->send(zmq::buffer(to), zmq::send_flags::sndmore);
      socket->send(zmq::buffer(body));
    }
    void Send(const std::string& to, const Message& m) { SendBytes(to, Encode(m)); }
  };

  explicit FakeServer(std::function<void(Io&)> script)
      : endpoint_(testutil::FreeTcpEndpoint()) {
    auto ready = bound_.get_future();
    thread_ = std::thread([this, script = std::move(script)] {
      zmq::socket_t socket(ProcessContext(), zmq::socket_type::router);
      socket.set(zmq::sockopt::rcvtimeo, 5000);
      socket.set(zmq::sockopt::linger, 0);
      socket.bind(endpoint_);
      bound_.set_value();
      Io io{&socket};
      script(io);
      // Closing the socket (linger 0) would drop replies still queued.
      finished_.get_future().wait();
    });
    ready.wait();
  }
  ~FakeServer() {
    finished_.set_value();
    thread_.join();
  }
  const std::string& endpoint() const { return endpoint_; }

 private:
  std::string endpoint_;
  std::promise<void> bound_;
  std::promise<void> finished_;
  std::thread thread_;
};

ClientReply ReplyTo(const ClientRequest& request, std::string digest = "") {
  ClientReply reply;
  reply.request_id = request.request_id;
  reply.digest = std::move(digest);
  return reply;
}

ClientRequest Request(ClientOp op, std::string key = "") {
  ClientRequest request;
  request.op = op;
  request.collection = "c";
  request.key = std::move(key);
  return request;
}

NodeClient MustConnect(const std::string& endpoint) {
  Result<NodeClient> client = NodeClient::Connect(ProcessContext(), endpoint);
  SYNC_CHECK(client.ok());
  return std::move(client).value();
}

TEST(ClientTest, NoServerIsUnavailableNamingEndpointAndTimeout) {
  std::string endpoint = testutil::FreeTcpEndpoint();
  NodeClient client = MustConnect(endpoint);
  auto start = std::chrono::steady_clock::now();
  Result<ClientReply> reply = client.Call(Request(ClientOp::kStatus), 200);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), Code::kUnavailable);
  EXPECT_EQ(reply.status().message(), "no answer from " + endpoint + " within 200 ms");
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 2s);
}

TEST(ClientTest, SilentServerTimesOutThenLateReplyIsDiscarded) {
  std::promise<void> first_timed_out;
  auto timed_out = first_timed_out.get_future();
  FakeServer server([&](FakeServer::Io& io) {
    auto [who, first] = io.Next();
    timed_out.wait();
    auto [who2, second] = io.Next();
    // The late answer to the first call arrives before the right one.
    io.Send(who, ReplyTo(first, "stale"));
    io.Send(who2, ReplyTo(second, "fresh"));
  });
  NodeClient client = MustConnect(server.endpoint());
  Result<ClientReply> first = client.Call(Request(ClientOp::kDigest), 150);
  EXPECT_EQ(first.status().code(), Code::kUnavailable);
  first_timed_out.set_value();
  Result<ClientReply> second = client.Call(Request(ClientOp::kDigest), 5000);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->digest, "fresh");
  EXPECT_EQ(client.stale_replies(), 1u);
}

TEST(ClientTest, GarbageAndErrorRepliesAreHandled) {
  FakeServer server([](FakeServer::Io& io) {
    auto [who, request] = io.Next();
    io.SendBytes(who, "\xc1 not msgpack");
    ClientReply refused = ReplyTo(request);
    refused.code = Code::kRefused;
    refused.message = "receive-only node";
    io.Send(who, refused);
  });
  NodeClient client = MustConnect(server.endpoint());
  Result<ClientReply> reply = client.Call(Request(ClientOp::kPut), 5000);
  ASSERT_TRUE(reply.ok()) << "an error reply is still an answer";
  EXPECT_EQ(reply->code, Code::kRefused);
  EXPECT_EQ(reply->message, "receive-only node");
  EXPECT_EQ(client.bad_replies(), 1u);
}

TEST(ClientTest, PipelinedSendAndReceive) {
  constexpr int kRequests = 200;
  FakeServer server([](FakeServer::Io& io) {
    for (int i = 0; i < kRequests; ++i) {
      auto [who, request] = io.Next();
      io.Send(who, ReplyTo(request, request.key));
    }
  });
  NodeClient client = MustConnect(server.endpoint());
  std::map<uint64_t, std::string> sent;
  for (int i = 0; i < kRequests; ++i) {
    std::string key = "k" + std::to_string(i);
    Result<uint64_t> id = client.Send(Request(ClientOp::kGet, key), 5000);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    sent[id.value()] = key;
  }
  size_t received = 0;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (received < sent.size() && std::chrono::steady_clock::now() < deadline) {
    Result<std::vector<ClientReply>> replies = client.Receive(1000);
    ASSERT_TRUE(replies.ok()) << replies.status().ToString();
    for (const ClientReply& r : replies.value()) {
      ASSERT_EQ(sent.count(r.request_id), 1u);
      EXPECT_EQ(sent[r.request_id], r.digest);
      ++received;
    }
  }
  EXPECT_EQ(received, sent.size());
  Result<std::vector<ClientReply>> none = client.Receive(50);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(ClientTest, CallRawReturnsOtherMessageTypes) {
  FakeServer server([](FakeServer::Io& io) {
    auto [who, request] = io.Next();
    io.Send(who, Membership{7, {MemberInfo{"a", "tcp://x:1", "tcp://x:2", "tcp://x:3"}}});
  });
  NodeClient client = MustConnect(server.endpoint());
  Result<Message> got = client.CallRaw(Request(ClientOp::kStatus), 5000);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  auto* membership = std::get_if<Membership>(&got.value());
  ASSERT_NE(membership, nullptr);
  EXPECT_EQ(membership->epoch, 7u);
  ASSERT_EQ(membership->members.size(), 1u);
  EXPECT_EQ(membership->members[0].id, "a");
}

Record Change(const std::string& key) {
  Record record;
  record.collection = "orders";
  record.key = key;
  record.value = "v-" + key;
  record.version = {1, "a"};
  record.seq = 1;
  return record;
}

TEST(ClientTest, WatchStreamsRecordsAndRenews) {
  FakeServer server([](FakeServer::Io& io) {
    auto [who, watch] = io.Next();
    EXPECT_EQ(watch.op, ClientOp::kWatch);
    EXPECT_EQ(watch.collection, "orders");
    io.Send(who, ReplyTo(watch));  // the acknowledgement
    ClientReply feed = ReplyTo(watch);
    feed.records = {Change("k1"), Change("k2")};
    io.Send(who, feed);
    auto [who2, renewal] = io.Next();
    EXPECT_EQ(renewal.op, ClientOp::kWatch);
    EXPECT_GT(renewal.request_id, watch.request_id);
    feed = ReplyTo(renewal);
    feed.records = {Change("k3")};
    io.Send(who2, feed);
  });
  NodeClient client = MustConnect(server.endpoint());
  std::vector<std::string> keys;
  std::atomic<bool> stop{false};
  // Bounds the test should the feed never come.
  std::promise<void> done;
  auto watchdog = std::async(std::launch::async, [&stop, f = done.get_future()] {
    if (f.wait_for(10s) == std::future_status::timeout) stop = true;
  });
  Status s = client.Watch(
      "orders",
      [&](const Record& r) {
        keys.push_back(r.key);
        if (keys.size() == 3) stop = true;
      },
      stop, 5000, /*renew_ms=*/100);
  done.set_value();
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(keys, (std::vector<std::string>{"k1", "k2", "k3"}));
}

TEST(ClientTest, WatchReportsRefusalAndSilence) {
  FakeServer server([](FakeServer::Io& io) {
    auto [who, watch] = io.Next();
    ClientReply busy = ReplyTo(watch);
    busy.code = Code::kBusy;
    busy.message = "too many watchers";
    io.Send(who, busy);
  });
  std::atomic<bool> stop{false};
  NodeClient client = MustConnect(server.endpoint());
  Status s = client.Watch(
      "", [](const Record&) {}, stop, 5000);
  EXPECT_EQ(s.code(), Code::kBusy);
  EXPECT_EQ(s.message(), "too many watchers");

  NodeClient nowhere = MustConnect(testutil::FreeTcpEndpoint());
  s = nowhere.Watch(
      "", [](const Record&) {}, stop, 200);
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.ToString();
}

TEST(ClientTest, MalformedEndpointIsInvalidNotThrown) {
  Result<NodeClient> client = NodeClient::Connect(ProcessContext(), "tcp://nowhere");
  EXPECT_EQ(client.status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace datasync
