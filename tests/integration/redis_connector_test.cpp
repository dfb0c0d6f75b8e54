// The Redis connector end to end (issue "Connectors II"): a real
// redis-server, real sync-node processes. Node a ties Redis to collections
// items (hashes item:<id>) and kv (strings kv:<path>); node b ties the same
// collections to an SQLite application file and a folder. Both ways, no
// loops, reconnection and reconciliation, kill -9, uninstall.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "connector_scenario.h"
#include "testutil/redis_server.h"

namespace datasync::testutil {
namespace {

const std::vector<std::string> kPair = {"a", "b"};

class RedisConnectorIt : public ::testing::Test {
 protected:
  void SetUp() override {
    if (RedisServerBinary().empty()) {
      GTEST_SKIP() << "redis-server is not installed (apt-get install redis-server): the "
                      "Redis connector tests need a real server";
    }
    redis_ = std::make_unique<RedisServer>(cluster_.dir() + "/redis");
    ASSERT_TRUE(redis_->Start());
    ::mkdir(folder_.c_str(), 0755);
  }

  ::testing::AssertionResult StartNodes() {
    cluster_.AddNode({.id = "a",
                      .use_coordinator = false,
                      .static_peers = {"b"},
                      .extra_yaml = "connectors:\n  - name: app\n    type: redis\n"
                                    "    target: " + redis_->url() + "\n    map:\n"
                                    "      - { prefix: \"item:\", collection: items, type: hash }\n"
                                    "      - { prefix: \"kv:\", collection: kv, type: string }\n"});
    cluster_.AddNode({.id = "b",
                      .use_coordinator = false,
                      .static_peers = {"a"},
                      .extra_yaml = SqliteConnectorYaml(db_b_.path()) +
                                    "  - name: files\n    type: files\n    target: \"" + folder_ +
                                    "\"\n    map:\n      - { collection: kv }\n"});
    for (const auto& id : kPair) {
      if (auto started = cluster_.StartNode(id); !started) return started;
    }
    for (const auto& id : kPair) {
      if (auto up = WaitPeersConnected(cluster_, id, Others(kPair, id)); !up) return up;
      if (auto running = WaitConnectorState(cluster_, id, "running"); !running) return running;
    }
    return ::testing::AssertionSuccess();
  }

  uint64_t OwnWrites(const std::string& id) {
    auto status = cluster_.Status(id);
    return status ? (*status)["vv"][id].AsUint().value_or(0) : ~0ull;
  }

  // "id=name,..." of every item, from Redis and from b's SQLite file.
  std::string RedisItems() {
    std::map<int64_t, std::string> rows;
    for (const std::string& key : redis_->Keys("item:*")) {
      rows[std::stoll(key.substr(5))] = redis_->HGetAll(key)["name"];
    }
    std::string out;
    for (const auto& [id, name] : rows) out += std::to_string(id) + "=" + name + ",";
    return out;
  }
  std::string SqliteItems() {
    return db_b_.Scalar("SELECT group_concat(id || '=' || name || ',', '') FROM "
                        "(SELECT id, name FROM items ORDER BY id)")
        .value_or("");
  }
  ::testing::AssertionResult WaitItemsEqual(size_t min_rows, std::chrono::milliseconds timeout) {
    std::string r, s;
    if (WaitUntil(
            [&] {
              r = RedisItems();
              s = SqliteItems();
              return r == s && db_b_.Count().value_or(0) >= static_cast<int64_t>(min_rows);
            },
            timeout, std::chrono::milliseconds(20))) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "Redis and SQLite differ:\nredis:  " << r.substr(0, 400)
                                         << "\nsqlite: " << s.substr(0, 400) << "\n"
                                         << StatusDump(cluster_, kPair);
  }
  std::string FileAt(const std::string& rel) { return ReadFileOrEmpty(folder_ + "/" + rel); }

  Cluster cluster_;
  AppDb db_b_{cluster_.dir() + "/app-b.db"};
  std::string folder_ = cluster_.dir() + "/folder-b";
  std::unique_ptr<RedisServer> redis_;
};

// Writes item:<first>..item:<first+n-1> (HSET id/name/qty: a row needs its
// primary key) pipelined on a connection of its own: another application
// of the Redis server.
void WriteItems(int port, int64_t first, int64_t n, const std::string& tag) {
  redisContext* c = redisConnect("127.0.0.1", port);
  ASSERT_TRUE(c != nullptr && c->err == 0);
  constexpr int64_t kChunk = 200;
  for (int64_t start = first; start < first + n; start += kChunk) {
    const int64_t end = std::min(first + n, start + kChunk);
    for (int64_t id = start; id < end; ++id) {
      const std::string key = "item:" + std::to_string(id);
      const std::string name = tag + "-" + std::to_string(id);
      redisAppendCommand(c, "HSET %s id %lld name %s qty %d", key.c_str(),
                         static_cast<long long>(id), name.c_str(), static_cast<int>(id % 100));
    }
    for (int64_t id = start; id < end; ++id) {
      void* reply = nullptr;
      ASSERT_EQ(redisGetReply(c, &reply), REDIS_OK);
      freeReplyObject(reply);
    }
  }
  redisFree(c);
}

TEST_F(RedisConnectorIt, StringsAndHashesReachSqliteAndAFolderAndBack) {
  ASSERT_TRUE(StartNodes());
  redis_->Run({"SET", "kv:greeting", "hello"});
  redis_->Run({"SET", "kv:dir/bin", std::string("\x00\xff", 2)});
  redis_->Run({"HSET", "item:1", "id", "1", "name", "one", "qty", "3", "price", "1.5"});
  redis_->Run({"HSET", "item:2", "id", "2", "name", "two"});
  // Within one second of the writes.
  ASSERT_TRUE(WaitUntil(
      [&] {
        return FileAt("greeting") == "hello" && FileAt("dir/bin") == std::string("\x00\xff", 2) &&
               SqliteItems() == "1=one,2=two,";
      },
      1s))
      << SqliteItems() << "\n" << StatusDump(cluster_, kPair);
  EXPECT_EQ(db_b_.Scalar("SELECT typeof(qty) || ':' || qty || ',' || price FROM items WHERE id = 1"),
            "integer:3,1.5");

  redis_->Run({"HSET", "item:1", "qty", "4"});
  redis_->Run({"DEL", "item:2"});
  redis_->Run({"SET", "kv:greeting", "changed"});
  redis_->Run({"DEL", "kv:dir/bin"});
  ASSERT_TRUE(WaitUntil(
      [&] {
        struct stat st;
        return FileAt("greeting") == "changed" &&
               ::stat((folder_ + "/dir/bin").c_str(), &st) != 0 && SqliteItems() == "1=one," &&
               db_b_.Scalar("SELECT qty FROM items WHERE id = 1") == "4";
      },
      1s))
      << SqliteItems() << "\n" << StatusDump(cluster_, kPair);

  // The reverse: SQLite rows become hashes (numbers as decimal text, NULL
  // fields left out), files become strings.
  ASSERT_TRUE(RunSqliteApp(db_b_.path(),
                           "INSERT INTO items(id, name, qty, price, data) VALUES "
                           "(10, 'ten', 10, 2.5, NULL);\n"
                           "UPDATE items SET name = 'uno' WHERE id = 1;\n"
                           "INSERT INTO items(id, name) VALUES (11, 'eleven');\n"
                           "DELETE FROM items WHERE id = 11;\n"));
  { std::ofstream(folder_ + "/from-b") << "folder bytes"; }
  ASSERT_TRUE(WaitUntil(
      [&] {
        return redis_->Get("kv:from-b") == "folder bytes" && RedisItems() == "1=uno,10=ten,";
      },
      1s))
      << RedisItems() << "\n" << StatusDump(cluster_, kPair);
  const std::map<std::string, std::string> ten = {
      {"id", "10"}, {"name", "ten"}, {"price", "2.5"}, {"qty", "10"}};
  EXPECT_EQ(redis_->HGetAll("item:10"), ten);
  ASSERT_TRUE(cluster_.WaitConverged(kPair, 10s));
  // Each node made exactly the writes of its own applications: 8 Redis
  // commands at a; 4 statements and 1 file at b. Nothing echoed.
  EXPECT_EQ(OwnWrites("a"), 8u);
  EXPECT_EQ(OwnWrites("b"), 5u);

  // A key of another type under a mapped prefix: reported with its key,
  // everything else goes on.
  redis_->Run({"LPUSH", "item:50", "x"});
  redis_->Run({"SET", "kv:after", "ok"});
  ASSERT_TRUE(WaitUntil([&] { return FileAt("after") == "ok"; }, 5s));
  ASSERT_TRUE(WaitUntil([&] { return ConnectorCounter(cluster_, "a", "failed") == 1u; }, 5s))
      << StatusDump(cluster_, {"a"});
  EXPECT_EQ(OwnWrites("a"), 9u);
}

TEST_F(RedisConnectorIt, NoLoopsTenThousandWritesEachWayAreTenThousandNodeWrites) {
  ASSERT_TRUE(StartNodes());
  WriteItems(redis_->port(), 1, 10000, "redis");
  ASSERT_TRUE(WaitItemsEqual(10000, 30s));
  ASSERT_TRUE(RunSqliteApp(db_b_.path(), InsertSql(10001, 10000, "sqlite")));
  ASSERT_TRUE(WaitItemsEqual(20000, 30s));
  ASSERT_TRUE(cluster_.WaitConverged(kPair, 20s));
  EXPECT_EQ(OwnWrites("a"), 10000u);  // what a applied into Redis was not captured
  EXPECT_EQ(OwnWrites("b"), 10000u);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return ConnectorCounter(cluster_, "a", "captured") == 10000u &&
               ConnectorCounter(cluster_, "a", "applied") >= 10000u &&
               ConnectorCounter(cluster_, "a", "lag") == 0u;
      },
      10s))
      << StatusDump(cluster_, kPair);
  // Traffic stops when writes stop: over a few heartbeats nothing moves.
  const uint64_t applied = ConnectorCounter(cluster_, "a", "applied");
  const bool moved = WaitUntil(
      [&] {
        return OwnWrites("a") != 10000u || OwnWrites("b") != 10000u ||
               ConnectorCounter(cluster_, "a", "applied") != applied ||
               ConnectorCounter(cluster_, "a", "captured") != 10000u;
      },
      1s);
  EXPECT_FALSE(moved) << StatusDump(cluster_, kPair);
}

TEST_F(RedisConnectorIt, DroppedConnectionsAndRestartsAreReconciled) {
  ASSERT_TRUE(StartNodes());
  WriteItems(redis_->port(), 1, 100, "first");
  ASSERT_TRUE(WaitItemsEqual(100, 10s));

  // The connector's connections dropped while it is stopped: what changes
  // meanwhile is never notified to it, the SCAN at reconnection finds it.
  ASSERT_TRUE(cluster_.KillNode("a", SIGSTOP));
  redis_->Run({"CLIENT", "KILL", "TYPE", "pubsub"});
  redis_->Run({"CLIENT", "KILL", "TYPE", "normal"});  // not the test's own (SKIPME)
  redis_->Run({"HSET", "item:1", "name", "while-away"});
  redis_->Run({"DEL", "item:2"});
  WriteItems(redis_->port(), 101, 5, "away");
  ASSERT_TRUE(cluster_.KillNode("a", SIGCONT));
  ASSERT_TRUE(WaitItemsEqual(104, 10s));
  EXPECT_EQ(db_b_.Scalar("SELECT name FROM items WHERE id = 1"), "while-away");

  // kill -9 of Redis: its data is gone. What b's application writes while
  // it is down, and everything before, is written again once it is back.
  ASSERT_TRUE(redis_->Kill());
  ASSERT_TRUE(WaitConnectorState(cluster_, "a", "retrying"));
  ASSERT_TRUE(RunSqliteApp(db_b_.path(), InsertSql(1000, 10, "down") +
                                             "DELETE FROM items WHERE id = 3;\n"));
  // Meanwhile node a keeps serving: it receives b's writes.
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto status = cluster_.Status("a");
        return status && (*status)["vv"]["b"].AsUint().value_or(0) == 11u;
      },
      10s))
      << StatusDump(cluster_, kPair);
  ASSERT_TRUE(redis_->Start());
  ASSERT_TRUE(WaitItemsEqual(113, 15s));
  ASSERT_TRUE(WaitConnectorState(cluster_, "a", "running"));

  // Restarted with its data kept, changed on both sides while down.
  ASSERT_TRUE(redis_->Stop(/*save=*/true));
  ASSERT_TRUE(RunSqliteApp(db_b_.path(), "UPDATE items SET name = 'sqlite-down' WHERE id = 4;\n"));
  ASSERT_TRUE(redis_->Start());
  redis_->Run({"HSET", "item:5", "name", "redis-back"});
  ASSERT_TRUE(WaitItemsEqual(113, 15s));
  EXPECT_EQ(redis_->HGetAll("item:4")["name"], "sqlite-down");
  EXPECT_EQ(db_b_.Scalar("SELECT name FROM items WHERE id = 5"), "redis-back");
  ASSERT_TRUE(cluster_.WaitConverged(kPair, 10s));
  // a wrote 100 + 3 changes made away + 1 after the restart; what came back
  // from the node after the data loss was not captured again.
  EXPECT_EQ(OwnWrites("a"), 108u);

  // FLUSHALL notifies no key: the connector finds its own keys gone, like
  // a data loss, and the node's data comes back.
  redis_->Run({"FLUSHALL"});
  ASSERT_TRUE(WaitUntil([&] { return redis_->Keys("item:*").size() == 113u; }, 10s))
      << StatusDump(cluster_, kPair);
  ASSERT_TRUE(WaitItemsEqual(113, 10s));
  ASSERT_TRUE(cluster_.WaitConverged(kPair, 10s));
  EXPECT_EQ(OwnWrites("a"), 108u);
}

TEST_F(RedisConnectorIt, KillNineOfTheRedisNodeDuringABurstCapturesEveryChangeOnce) {
  ASSERT_TRUE(StartNodes());
  // The burst goes on until after the kill, however slow the node is to
  // capture its first write (under a sanitizer, say); a node that slow
  // finds up to kBefore writes waiting, and is killed while capturing them.
  constexpr int64_t kChunk = 100;
  constexpr int64_t kBefore = 20000;    // at most, before the kill
  constexpr int64_t kAfterKill = 2000;  // written after the kill by the burst
  constexpr int64_t kDuring = 1000;     // then, while the node is down
  std::atomic<bool> killed{false};
  int64_t written = 0;
  std::thread writer([&] {
    while (written < kBefore && !killed) {
      WriteItems(redis_->port(), written + 1, kChunk, "burst");
      written += kChunk;
    }
    // Until the kill (which the main thread makes, or gives up on, within
    // its deadline): a flag, polled.
    while (!killed) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    WriteItems(redis_->port(), written + 1, kAfterKill, "burst");
    written += kAfterKill;
  });
  const bool started = WaitUntil([&] { return OwnWrites("a") >= 1 && OwnWrites("a") != ~0ull; },
                                 60s, std::chrono::milliseconds(2));
  const bool was_killed = started && cluster_.KillNode("a", SIGKILL);
  killed = true;
  writer.join();
  ASSERT_TRUE(started && was_killed);
  WriteItems(redis_->port(), written + 1, kDuring, "down");
  const int64_t rows = written + kDuring;
  ASSERT_TRUE(cluster_.StartNode("a"));
  ASSERT_TRUE(WaitItemsEqual(rows, 60s));
  ASSERT_TRUE(cluster_.WaitConverged(kPair, 20s));
  // One node write per Redis write: none missed, none twice.
  EXPECT_EQ(OwnWrites("a"), static_cast<uint64_t>(rows));
  EXPECT_EQ(RecordCount(cluster_, "b"), static_cast<uint64_t>(rows));
}

TEST_F(RedisConnectorIt, UninstallRemovesItsKeysAndRestoresTheConfig) {
  ASSERT_TRUE(StartNodes());
  redis_->Run({"SET", "kv:x", "1"});
  ASSERT_TRUE(WaitUntil([&] { return FileAt("x") == "1"; }, 5s));
  ASSERT_TRUE(RunSqliteApp(db_b_.path(), InsertSql(1, 3)));
  ASSERT_TRUE(WaitItemsEqual(3, 5s));
  EXPECT_FALSE(redis_->Keys("_datasync:app:*").empty());
  CtlResult uninstall = cluster_.CtlAt("a", {"connector", "uninstall", "app"});
  ASSERT_EQ(uninstall.code(), 0) << uninstall.Describe();
  ASSERT_TRUE(WaitConnectorState(cluster_, "a", "uninstalled"));
  EXPECT_EQ(redis_->Keys("_datasync:*"), std::vector<std::string>{});
  RedisReply config = redis_->Run({"CONFIG", "GET", "notify-keyspace-events"});
  ASSERT_TRUE(config && config->type == REDIS_REPLY_ARRAY && config->elements == 2);
  EXPECT_EQ(std::string(config->element[1]->str, config->element[1]->len), "");
  // The application's data stays.
  EXPECT_EQ(redis_->Get("kv:x"), "1");
  EXPECT_EQ(redis_->Keys("item:*").size(), 3u);
}

}  // namespace
}  // namespace datasync::testutil
