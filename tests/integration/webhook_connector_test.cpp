// The webhook sink end to end: a real sync-node POSTs to a real HTTP server
// (cpp-httplib) in this process, which answers 500 for a while, is down for
// a while, then accepts. Every change must arrive at least once, each
// recognisable by its (origin, seq), while the node keeps replicating.
#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "folder_scenario.h"
#include "testutil/mini_json.h"

namespace datasync::testutil {
namespace {

// An HTTP receiver on a loopback port, restartable on the same port.
class Receiver {
 public:
  ~Receiver() { Stop(); }

  // Listens on `port` (0: a free one); returns the port, or -1.
  int Start(int port) {
    server_ = std::make_unique<httplib::Server>();
    server_->Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      if (failing_) {
        ++refused_;
        res.status = 500;
        return;
      }
      bodies_.push_back(req.body);
      keys_.push_back(req.get_header_value("Idempotency-Key"));
      res.status = 200;
    });
    port_ = port == 0 ? server_->bind_to_any_port("127.0.0.1")
                      : (server_->bind_to_port("127.0.0.1", port) ? port : -1);
    if (port_ < 0) return -1;
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    return port_;
  }
  void Stop() {
    if (!server_) return;
    server_->stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }
  void SetFailing(bool failing) {
    std::lock_guard<std::mutex> lock(mu_);
    failing_ = failing;
  }
  int refused() {
    std::lock_guard<std::mutex> lock(mu_);
    return refused_;
  }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  std::vector<std::string> keys() {
    std::lock_guard<std::mutex> lock(mu_);
    return keys_;
  }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = -1;
  std::mutex mu_;
  bool failing_ = false;
  int refused_ = 0;
  std::vector<std::string> bodies_, keys_;
};

struct Change {
  std::string key, value;
  bool deleted = false;
  bool operator==(const Change&) const = default;
};

// Every change received, by (origin, seq); false when two deliveries of one
// (origin, seq) differ or a body is not the documented JSON.
bool Collect(const std::vector<std::string>& bodies, std::map<std::string, Change>* changes,
             size_t* deliveries, std::string* error) {
  for (const std::string& body : bodies) {
    auto json = JsonValue::Parse(body, error);
    if (!json) return false;
    for (const JsonValue& c : (*json)["changes"].items()) {
      Change change{c["key"].str(), c.Has("value_base64") ? "b64:" + c["value_base64"].str()
                                                         : c["value"].str(),
                    c["deleted"].boolean()};
      const std::string id = c["origin"].str() + ":" + c["seq"].str();
      if (c["collection"].str() != "items" || c["version"]["origin"].str() != c["origin"].str()) {
        *error = "bad change " + body.substr(0, 200);
        return false;
      }
      auto [it, fresh] = changes->emplace(id, change);
      if (!fresh && !(it->second == change)) {
        *error = "two deliveries of " + id + " differ";
        return false;
      }
      ++*deliveries;
    }
  }
  return true;
}

TEST(WebhookConnectorIt, ErrorsAndDowntimeDelayButLoseNoChange) {
  Cluster cluster;
  Receiver receiver;
  const int port = receiver.Start(0);
  ASSERT_GT(port, 0);
  receiver.SetFailing(true);
  const std::string hook = "  - { name: hook, type: webhook, target: \"http://127.0.0.1:" +
                           std::to_string(port) + "/hook\", map: [ { collection: items } ] }\n";
  cluster.AddNode({.id = "a", .use_coordinator = false, .static_peers = {"b"},
                   .extra_yaml = "connectors:\n" + hook});
  cluster.AddNode({.id = "b", .use_coordinator = false, .static_peers = {"a"}});
  ASSERT_TRUE(cluster.StartNode("a"));
  ASSERT_TRUE(cluster.StartNode("b"));
  ASSERT_TRUE(WaitPeersConnected(cluster, "a", {"b"}));

  // Answering 500: reported, retried with backoff, the node keeps working.
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(cluster.CtlAt("a", {"put", "items", "k" + std::to_string(i), "v" + std::to_string(i)}).code(), 0);
  }
  ASSERT_TRUE(WaitNamedConnector(cluster, "a", "hook", "retrying"));
  ASSERT_TRUE(WaitUntil([&] { return receiver.refused() >= 2; }, 10s));
  // Between two attempts the reopened connector shows no error for a moment
  // (it is reopened, then fails again): wait for an attempt's report.
  EXPECT_TRUE(WaitUntil(
      [&] {
        auto s = cluster.Status("a");
        return s && (*s)["info"]["connector.hook.last_error"].str().find("HTTP 500") !=
                        std::string::npos;
      },
      10s))
      << StatusDump(cluster, {"a"});
  ASSERT_TRUE(cluster.WaitConverged({"a", "b"}, 10s));

  // Down: connection refused; more changes, one of them a delete, one binary.
  receiver.Stop();
  ASSERT_EQ(cluster.CtlAt("a", {"del", "items", "k3"}).code(), 0);
  for (int i = 10; i < 20; ++i) {
    ASSERT_EQ(cluster.CtlAt("a", {"put", "items", "k" + std::to_string(i), "v" + std::to_string(i)}).code(), 0);
  }
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto s = cluster.Status("a");
        return s && (*s)["info"]["connector.hook.last_error"].str().find("HTTP 500") ==
                        std::string::npos &&
               !(*s)["info"]["connector.hook.last_error"].str().empty();
      },
      15s))
      << StatusDump(cluster, {"a"});
  ASSERT_TRUE(cluster.WaitConverged({"a", "b"}, 10s));

  // Back, accepting: everything arrives.
  ASSERT_EQ(receiver.Start(port), port);
  receiver.SetFailing(false);
  const uint64_t writes = OwnWritesOf(cluster, "a");
  ASSERT_EQ(writes, 21u);
  std::map<std::string, Change> changes;
  size_t deliveries = 0;
  std::string error;
  ASSERT_TRUE(WaitUntil(
      [&] {
        changes.clear();
        deliveries = 0;
        std::set<std::string> keys;
        if (!Collect(receiver.bodies(), &changes, &deliveries, &error)) return false;
        for (const auto& [id, c] : changes) keys.insert(c.key + (c.deleted ? "-" : "+"));
        return keys.size() >= 20 && keys.count("k3-") && keys.count("k19+");
      },
      30s))
      << error << "\n" << StatusDump(cluster, {"a"});
  ASSERT_TRUE(error.empty()) << error;
  // k3's put was superseded by its delete before it could be delivered:
  // what a receiver gets is the latest state of each key, at least once.
  for (int i = 0; i < 20; ++i) {
    const std::string key = "k" + std::to_string(i);
    bool seen = false;
    for (const auto& [id, c] : changes) {
      seen |= c.key == key && (i == 3 ? c.deleted : c.value == "v" + std::to_string(i));
    }
    EXPECT_TRUE(seen) << key;
  }
  for (const std::string& key : receiver.keys()) EXPECT_EQ(key.size(), 32u) << key;
  ASSERT_TRUE(WaitNamedConnector(cluster, "a", "hook", "running"));
  EXPECT_TRUE(cluster.NodeRunning("a"));
}

}  // namespace
}  // namespace datasync::testutil
