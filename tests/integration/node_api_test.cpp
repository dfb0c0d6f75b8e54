// sync-node's api socket, as a client sees it on the wire: envelopes of
// DEALER and REQ clients, a reply to undecodable requests, reads that see
// the writes pipelined before them, kBusy beyond max_pending_requests, and
// the change feed of kWatch.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "datasync/client.h"
#include "datasync/codec.h"
#include "testutil/cluster.h"

namespace datasync::testutil {
namespace {

using namespace std::chrono_literals;

zmq::socket_t Connect(const std::string& endpoint, zmq::socket_type type) {
  zmq::socket_t socket(ProcessContext(), type);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::rcvtimeo, 5000);
  socket.connect(endpoint);
  return socket;
}

void SendBody(zmq::socket_t& socket, const std::string& body) {
  ASSERT_TRUE(socket.send(zmq::buffer(body), zmq::send_flags::none));
}

void SendRequest(zmq::socket_t& socket, const ClientRequest& request) {
  SendBody(socket, Encode(request));
}

// The next ClientReply on a DEALER or REQ socket (no envelope left by then),
// or nullopt after the socket's receive timeout.
std::optional<ClientReply> NextReply(zmq::socket_t& socket) {
  zmq::message_t frame;
  if (!socket.recv(frame)) return std::nullopt;
  Result<Message> m = Decode(frame.to_string_view());
  if (!m.ok() || !std::holds_alternative<ClientReply>(m.value())) return std::nullopt;
  return std::get<ClientReply>(m.value());
}

ClientRequest Op(ClientOp op, uint64_t id, std::string collection = "c",
                 std::string key = "", std::string value = "") {
  ClientRequest r;
  r.op = op;
  r.request_id = id;
  r.collection = std::move(collection);
  r.key = std::move(key);
  r.value = std::move(value);
  return r;
}

class NodeApiTest : public ::testing::Test {
 protected:
  void Start(const std::string& extra_yaml = "") {
    ASSERT_TRUE(cluster_.AddAndStartNode({.id = "n",
                                          .store = "memory",
                                          .use_coordinator = false,
                                          .extra_yaml = extra_yaml}));
  }
  Cluster cluster_;
};

TEST_F(NodeApiTest, ReqClientGetsRepliesAndGarbageGetsInvalidArgument) {
  Start();
  zmq::socket_t req = Connect(cluster_.api("n"), zmq::socket_type::req);
  SendBody(req, "\x93garbage");
  std::optional<ClientReply> bad = NextReply(req);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->request_id, 0u);
  EXPECT_EQ(bad->code, Code::kInvalidArgument);
  EXPECT_FALSE(bad->message.empty());

  SendRequest(req, Op(ClientOp::kPut, 7, "c", "k", "v"));
  std::optional<ClientReply> put = NextReply(req);
  ASSERT_TRUE(put.has_value());
  EXPECT_EQ(put->request_id, 7u);
  EXPECT_EQ(put->code, Code::kOk) << put->message;
  ASSERT_EQ(put->records.size(), 1u);
  EXPECT_EQ(put->records[0].version.origin, "n");
  EXPECT_EQ(put->records[0].seq, 1u);
  EXPECT_EQ(cluster_.Counter("n", "bad_input.api"), 1u);
}

TEST_F(NodeApiTest, PipelinedGetSeesThePutBeforeIt) {
  Start();
  zmq::socket_t dealer = Connect(cluster_.api("n"), zmq::socket_type::dealer);
  constexpr uint64_t kPairs = 200;
  for (uint64_t i = 0; i < kPairs; ++i) {
    const std::string key = "k" + std::to_string(i);
    SendRequest(dealer, Op(ClientOp::kPut, 2 * i + 1, "c", key, "v" + std::to_string(i)));
    SendRequest(dealer, Op(ClientOp::kGet, 2 * i + 2, "c", key));
  }
  for (uint64_t n = 0; n < 2 * kPairs; ++n) {
    std::optional<ClientReply> reply = NextReply(dealer);
    ASSERT_TRUE(reply.has_value()) << "after " << n << " replies";
    ASSERT_EQ(reply->code, Code::kOk) << reply->message;
    if (reply->request_id % 2 == 0) {
      const uint64_t i = reply->request_id / 2 - 1;
      ASSERT_EQ(reply->records.size(), 1u);
      EXPECT_EQ(reply->records[0].value, "v" + std::to_string(i));
    }
  }
}

TEST_F(NodeApiTest, RequestsBeyondThePendingBoundAreBusy) {
  Start("limits:\n  max_pending_requests: 5\n");
  zmq::socket_t dealer = Connect(cluster_.api("n"), zmq::socket_type::dealer);
  constexpr uint64_t kRequests = 2000;
  for (uint64_t i = 1; i <= kRequests; ++i) {
    SendRequest(dealer, Op(ClientOp::kPut, i, "c", "k" + std::to_string(i), "v"));
  }
  uint64_t ok = 0;
  uint64_t busy = 0;
  for (uint64_t n = 0; n < kRequests; ++n) {
    std::optional<ClientReply> reply = NextReply(dealer);
    ASSERT_TRUE(reply.has_value()) << "after " << n << " replies";
    if (reply->code == Code::kOk) ++ok;
    if (reply->code == Code::kBusy) ++busy;
  }
  EXPECT_EQ(ok + busy, kRequests);
  EXPECT_GE(ok, 5u);
  EXPECT_GE(busy, 1u);
  EXPECT_EQ(cluster_.Counter("n", "busy_replies"), busy);
}

TEST_F(NodeApiTest, WatchStreamsMatchingChangesAndEndsWithItsClient) {
  Start();
  zmq::socket_t watcher = Connect(cluster_.api("n"), zmq::socket_type::dealer);
  SendRequest(watcher, Op(ClientOp::kWatch, 42, "w"));
  std::optional<ClientReply> ack = NextReply(watcher);
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->request_id, 42u);
  EXPECT_EQ(ack->code, Code::kOk);
  EXPECT_TRUE(ack->records.empty());

  ASSERT_EQ(cluster_.CtlAt("n", {"put", "other", "x", "1"}).code(), 0);
  ASSERT_EQ(cluster_.CtlAt("n", {"put", "w", "k", "v"}).code(), 0);
  ASSERT_EQ(cluster_.CtlAt("n", {"del", "w", "k"}).code(), 0);
  std::vector<Record> seen;
  while (seen.size() < 2) {
    std::optional<ClientReply> change = NextReply(watcher);
    ASSERT_TRUE(change.has_value()) << "saw " << seen.size() << " changes";
    EXPECT_EQ(change->request_id, 42u);
    seen.insert(seen.end(), change->records.begin(), change->records.end());
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].key, "k");
  EXPECT_FALSE(seen[0].deleted);
  EXPECT_TRUE(seen[1].deleted);
  EXPECT_EQ(cluster_.Counter("n", "watchers"), 1u);

  // A departed client is noticed at the next change sent to it.
  watcher.close();
  EXPECT_TRUE(WaitUntil(
      [&] {
        return cluster_.CtlAt("n", {"put", "w", "again", "v"}).code() == 0 &&
               cluster_.Counter("n", "watchers") == 0u;
      },
      5s, 100ms));
}

TEST_F(NodeApiTest, WriteBatchIsAllOrNoneAndAnsweredWithItsLastWrite) {
  Start();
  zmq::socket_t dealer = Connect(cluster_.api("n"), zmq::socket_type::dealer);
  ClientRequest batch = Op(ClientOp::kWriteBatch, 1, "");
  for (int i = 0; i < 500; ++i) {
    batch.writes.push_back({"c", "k" + std::to_string(i), "v" + std::to_string(i), false});
  }
  batch.writes.push_back({"c", "k7", "", true});
  SendRequest(dealer, batch);
  std::optional<ClientReply> reply = NextReply(dealer);
  ASSERT_TRUE(reply.has_value());
  ASSERT_EQ(reply->code, Code::kOk) << reply->message;
  ASSERT_EQ(reply->records.size(), 1u);
  EXPECT_EQ(reply->records[0].key, "k7");
  EXPECT_TRUE(reply->records[0].deleted);
  EXPECT_EQ(reply->records[0].seq, 501u);

  // One bad write refuses the batch: none of its other writes lands.
  ClientRequest bad = Op(ClientOp::kWriteBatch, 2, "");
  bad.writes = {{"c", "fresh", "x", false}, {"c", "", "x", false}};
  SendRequest(dealer, bad);
  SendRequest(dealer, Op(ClientOp::kGet, 3, "c", "fresh"));
  SendRequest(dealer, Op(ClientOp::kGet, 4, "c", "k499"));
  SendRequest(dealer, Op(ClientOp::kGet, 5, "c", "k7"));
  std::map<uint64_t, ClientReply> replies;
  for (int i = 0; i < 4; ++i) {
    std::optional<ClientReply> r = NextReply(dealer);
    ASSERT_TRUE(r.has_value()) << "after " << i << " replies";
    replies[r->request_id] = *r;
  }
  EXPECT_EQ(replies[2].code, Code::kInvalidArgument);
  EXPECT_NE(replies[2].message.find("write 1"), std::string::npos) << replies[2].message;
  EXPECT_EQ(replies[3].code, Code::kNotFound);
  ASSERT_EQ(replies[4].code, Code::kOk);
  EXPECT_EQ(replies[4].records.at(0).value, "v499");
  EXPECT_EQ(replies[5].code, Code::kNotFound);
}

}  // namespace
}  // namespace datasync::testutil
