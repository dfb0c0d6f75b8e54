// PostgreSQL, Redis and SQLite kept equal through one cluster (issue 9):
// node p ties a real PostgreSQL 15 database to collection items, node r a
// real redis-server (hashes item:<id>), node s an SQLite application file.
// Changes made in any of the three reach the other two within a second;
// the same keys written in PostgreSQL and Redis at once settle on one value
// in every system and every node.
#include <gtest/gtest.h>

#include <barrier>
#include <cstdio>
#include <map>
#include <memory>
#include <thread>

#include "connector_scenario.h"
#include "testutil/postgres_server.h"
#include "testutil/redis_server.h"

namespace datasync::testutil {
namespace {

const std::vector<std::string> kNodes = {"p", "r", "s"};

std::string Hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

long long MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now() - start)
      .count();
}

class CrossSystemIt : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!PostgresServer::Unavailable().empty() || RedisServerBinary().empty()) return;
    pg_server_ = new PostgresServer();
    auto init = pg_server_->Init();
    if (init) init = pg_server_->Start();
    if (!init) {
      init_error_ = new std::string(init.message());
      delete pg_server_;
      pg_server_ = nullptr;
    }
  }
  static void TearDownTestSuite() {
    delete pg_server_;
    pg_server_ = nullptr;
  }

  void SetUp() override {
    const std::string why = PostgresServer::Unavailable();
    if (!why.empty()) GTEST_SKIP() << "PostgreSQL is not installed: " << why;
    if (RedisServerBinary().empty()) GTEST_SKIP() << "redis-server is not installed";
    ASSERT_NE(pg_server_, nullptr) << (init_error_ ? *init_error_ : "");
    db_ = "x" + std::to_string(++databases_);
    PgClient admin(pg_server_->Conninfo());
    ASSERT_TRUE(admin.Query("CREATE DATABASE " + db_)) << "cannot create " << db_;
    ASSERT_TRUE(pg_server_->Psql(db_, kPgItemsSchema));
    pg_ = std::make_unique<PgClient>(pg_server_->Conninfo(db_));
    ASSERT_TRUE(pg_->ok());
    redis_ = std::make_unique<RedisServer>(cluster_->dir() + "/redis");
    ASSERT_TRUE(redis_->Start());
  }

  void TearDown() override {
    // A slot keeps WAL for the whole server: none may outlive its test.
    cluster_.reset();
    if (pg_server_ != nullptr && pg_) {
      PgClient admin(pg_server_->Conninfo());
      (void)admin.Query(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE "
          "database = '" +
          db_ + "'");
    }
  }

  ::testing::AssertionResult StartNodes() {
    const std::map<std::string, std::string> connectors = {
        {"p", "connectors:\n  - name: app\n    type: postgres\n    target: \"" +
                  pg_server_->Conninfo(db_) +
                  "\"\n    map:\n      - { table: items, collection: items }\n"},
        {"r",
         "connectors:\n  - name: app\n    type: redis\n    target: " + redis_->url() +
             "\n    map: [ { prefix: \"item:\", collection: items, type: hash } ]\n"},
        {"s", SqliteConnectorYaml(app_.path())}};
    for (const auto& id : kNodes) {
      cluster_->AddNode({.id = id,
                         .use_coordinator = false,
                         .static_peers = Others(kNodes, id),
                         .extra_yaml = connectors.at(id)});
    }
    for (const auto& id : kNodes) {
      if (auto started = cluster_->StartNode(id); !started) return started;
    }
    for (const auto& id : kNodes) {
      if (auto up = WaitPeersConnected(*cluster_, id, Others(kNodes, id)); !up) return up;
      if (auto running = WaitConnectorState(*cluster_, id, "running"); !running)
        return running;
    }
    return ::testing::AssertionSuccess();
  }

  // Every row as "id|name|qty|price|hex(data)\n", ordered by id, NULL as
  // empty: the same text from each of the three systems.
  std::string PgRows() {
    return pg_
        ->Dump(
            "SELECT id, coalesce(name, ''), coalesce(qty::text, ''), "
            "coalesce(price::text, ''), coalesce(encode(data, 'hex'), '') FROM items "
            "ORDER BY id")
        .value_or("error");
  }
  std::string SqliteRows() {
    return app_
        .Scalar(
            "SELECT group_concat(line, '') FROM (SELECT id || '|' || coalesce(name, '') "
            "|| '|' || coalesce(qty, '') || '|' || coalesce(price, '') || '|' || "
            "coalesce(lower(hex(data)), '') || char(10) AS line FROM items ORDER BY id)")
        .value_or("");
  }
  // A hash also names its key in its id field; a mismatch shows as "id?".
  std::string RedisRows() {
    std::map<int64_t, std::string> rows;
    for (const std::string& key : redis_->Keys("item:*")) {
      auto hash = redis_->HGetAll(key);
      const std::string id = key.substr(5);
      rows[std::stoll(id)] = (hash["id"] == id ? id : id + "?") + "|" + hash["name"] +
                             "|" + hash["qty"] + "|" + hash["price"] + "|" +
                             Hex(hash["data"]) + "\n";
    }
    std::string out;
    for (const auto& [id, row] : rows) out += row;
    return out;
  }

  // Waits until all three systems hold `expected` (as PgRows() prints it).
  ::testing::AssertionResult WaitRows(const std::string& expected,
                                      std::chrono::milliseconds timeout) {
    std::string pg, redis, lite;
    if (WaitUntil(
            [&] {
              pg = PgRows();
              redis = RedisRows();
              lite = SqliteRows();
              return pg == expected && redis == expected && lite == expected;
            },
            timeout, std::chrono::milliseconds(5))) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "expected:\n"
                                         << expected << "postgres:\n"
                                         << pg << "redis:\n"
                                         << redis << "sqlite:\n"
                                         << lite << StatusDump(*cluster_, kNodes);
  }

  // `syncctl --json get items KEY` at each node, identical everywhere.
  ::testing::AssertionResult SameRecordEverywhere(const std::string& key) {
    std::string first;
    for (const auto& id : kNodes) {
      CtlResult get = cluster_->CtlAt(id, {"--json", "get", "items", key});
      if (get.code() != 0) return ::testing::AssertionFailure() << get.Describe();
      if (id == kNodes[0]) first = get.out;
      if (get.out != first) {
        return ::testing::AssertionFailure()
               << "key " << key << ": " << kNodes[0] << " has " << first << id << " has "
               << get.out;
      }
    }
    return ::testing::AssertionSuccess();
  }

  uint64_t OwnWrites(const std::string& id) {
    auto status = cluster_->Status(id);
    return status ? (*status)["vv"][id].AsUint().value_or(0) : ~0ull;
  }

  static PostgresServer* pg_server_;
  static std::string* init_error_;
  static int databases_;
  std::string db_;
  std::unique_ptr<PgClient> pg_;
  std::unique_ptr<Cluster> cluster_ = std::make_unique<Cluster>();
  AppDb app_{cluster_->dir() + "/app-s.db"};
  std::unique_ptr<RedisServer> redis_;
};

PostgresServer* CrossSystemIt::pg_server_ = nullptr;
std::string* CrossSystemIt::init_error_ = nullptr;
int CrossSystemIt::databases_ = 0;

TEST_F(CrossSystemIt, ChangesInAnyOfTheThreeSystemsReachTheOtherTwoWithinOneSecond) {
  ASSERT_TRUE(StartNodes());
  const auto deadline = NodeDeadline(1s);

  // PostgreSQL's application: inserts, then updates and deletes, each a
  // transaction of its own connection (libpq); timed from before its commit.
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(pg_->Query(
      "INSERT INTO items VALUES (1, 'pg-1', 1, 1.25, '\\x00ff10'), "
      "(2, 'pg-2', 2, 2.5, NULL), (3, 'pg-3', 3, NULL, '\\x'), (4, 'pg-4', NULL, 4.75, "
      "'\\x20'), (5, 'pg-5', 5, 5.5, NULL)"));
  ASSERT_TRUE(WaitRows(
      "1|pg-1|1|1.25|00ff10\n2|pg-2|2|2.5|\n3|pg-3|3||\n4|pg-4||4.75|20\n5|pg-5|5|5.5|\n",
      deadline));
  std::printf("[ measured ] postgres insert -> redis and sqlite: %lld ms\n",
              MsSince(start));
  start = std::chrono::steady_clock::now();
  ASSERT_TRUE(pg_->Query(
      "BEGIN; UPDATE items SET name = 'pg-two', qty = 22 WHERE id = 2; "
      "UPDATE items SET price = NULL WHERE id = 1; DELETE FROM items WHERE id = 3; "
      "COMMIT"));
  ASSERT_TRUE(WaitRows(
      "1|pg-1|1||00ff10\n2|pg-two|22|2.5|\n4|pg-4||4.75|20\n5|pg-5|5|5.5|\n", deadline));
  std::printf("[ measured ] postgres update, delete -> redis and sqlite: %lld ms\n",
              MsSince(start));

  // Redis's application: a new hash, a field changed, a key deleted.
  start = std::chrono::steady_clock::now();
  redis_->Run({"HSET", "item:100", "id", "100", "name", "redis-100", "qty", "7"});
  redis_->Run({"HSET", "item:1", "name", "redis-one"});
  redis_->Run({"DEL", "item:2"});
  ASSERT_TRUE(WaitRows(
      "1|redis-one|1||00ff10\n4|pg-4||4.75|20\n5|pg-5|5|5.5|\n100|redis-100|7||\n",
      deadline));
  std::printf("[ measured ] redis -> postgres and sqlite: %lld ms\n", MsSince(start));

  // SQLite's application, a process of its own.
  start = std::chrono::steady_clock::now();
  ASSERT_TRUE(RunSqliteApp(
      app_.path(), InsertSql(200, 2, "lite") +
                       "UPDATE items SET qty = 40, name = 'lite-4' WHERE id = 4;\n"
                       "DELETE FROM items WHERE id = 5;\n"
                       "UPDATE items SET price = 0.5 WHERE id = 100;\n"));
  ASSERT_TRUE(
      WaitRows("1|redis-one|1||00ff10\n4|lite-4|40|4.75|20\n100|redis-100|7|0.5|\n"
               "200|lite-200|0|200.25|00ff20\n201|lite-201|1|201.25|00ff10\n",
               deadline));
  std::printf("[ measured ] sqlite -> postgres and redis: %lld ms\n", MsSince(start));

  ASSERT_TRUE(cluster_->WaitConverged(kNodes, 10s));
  for (const std::string key : {"1", "4", "100", "200", "201"}) {
    EXPECT_TRUE(SameRecordEverywhere(key));
  }
  // Each node wrote exactly its own application's changes (5 + 3 rows in
  // PostgreSQL, 3 Redis commands, 5 SQLite rows): nothing applied came back.
  EXPECT_EQ(OwnWrites("p"), 8u);
  EXPECT_EQ(OwnWrites("r"), 3u);
  EXPECT_EQ(OwnWrites("s"), 5u);
}

TEST_F(CrossSystemIt, SameKeysWrittenInPostgresAndRedisAtOnceEndEqualEverywhere) {
  ASSERT_TRUE(StartNodes());
  ASSERT_TRUE(
      pg_->Query("INSERT INTO items(id, name, qty) VALUES (1, 'a', 0), "
                 "(2, 'b', 0), (3, 'c', 0)"));
  ASSERT_TRUE(WaitRows("1|a|0||\n2|b|0||\n3|c|0||\n", 10s));

  // Each round both applications write the same key, released together.
  constexpr int kRounds = 300;
  std::barrier together(2);
  std::string pg_error, redis_error;
  std::thread pg_app([&] {
    PgClient app(pg_server_->Conninfo(db_));
    for (int i = 0; i < kRounds; ++i) {
      const std::string n = std::to_string(i);
      together.arrive_and_wait();
      if (pg_error.empty() &&
          !app.Query("UPDATE items SET name = 'pg-" + n + "', qty = " + n +
                         " WHERE id = " + std::to_string(1 + i % 3),
                     &pg_error)) {
        pg_error = "round " + n + ": " + pg_error;
      }
    }
  });
  std::thread redis_app([&] {
    redisContext* c = redisConnect("127.0.0.1", redis_->port());
    for (int i = 0; i < kRounds; ++i) {
      const std::string n = std::to_string(i);
      const std::string key = "item:" + std::to_string(1 + i % 3);
      const std::string name = "redis-" + n;
      together.arrive_and_wait();
      if (c == nullptr || c->err != 0) {
        redis_error = "cannot connect";
        continue;
      }
      auto* reply = static_cast<redisReply*>(
          redisCommand(c, "HSET %s name %s qty %d", key.c_str(), name.c_str(), i));
      if (reply == nullptr || reply->type == REDIS_REPLY_ERROR)
        redis_error = "round " + n;
      if (reply != nullptr) freeReplyObject(reply);
    }
    if (c != nullptr) redisFree(c);
  });
  pg_app.join();
  redis_app.join();
  ASSERT_EQ(pg_error, "");
  ASSERT_EQ(redis_error, "");

  // One value per key everywhere: whichever write won, in all three systems
  // and in every node's record.
  std::string detail;
  const bool settled = WaitUntil(
      [&] {
        const std::string pg = PgRows();
        detail =
            "postgres:\n" + pg + "redis:\n" + RedisRows() + "sqlite:\n" + SqliteRows();
        return pg == RedisRows() && pg == SqliteRows() && cluster_->DigestsEqual(kNodes);
      },
      NodeDeadline(10s), 50ms);
  ASSERT_TRUE(settled) << detail << StatusDump(*cluster_, kNodes);
  std::printf("[ measured ] final rows:\n%s", PgRows().c_str());
  for (int id = 1; id <= 3; ++id) {
    EXPECT_TRUE(SameRecordEverywhere(std::to_string(id)));
    // The winner is one of the writes of the race, not an older value.
    const std::string name =
        pg_->Query("SELECT name FROM items WHERE id = " + std::to_string(id))
            .value_or("");
    EXPECT_TRUE(name.rfind("pg-", 0) == 0 || name.rfind("redis-", 0) == 0) << name;
  }
  // Every PostgreSQL change was captured once and no applied value came
  // back as a write (Redis may fold a key's quick changes into one read).
  const uint64_t p_writes = OwnWrites("p"), r_writes = OwnWrites("r");
  EXPECT_EQ(p_writes, 3u + kRounds);
  EXPECT_TRUE(r_writes >= 1 && r_writes <= kRounds) << r_writes;
  EXPECT_EQ(OwnWrites("s"), 0u);
  // Settled means settled: the losers of the race do not come back.
  const bool moved = WaitUntil(
      [&] {
        return OwnWrites("p") != p_writes || OwnWrites("r") != r_writes ||
               !cluster_->DigestsEqual(kNodes);
      },
      1s);
  EXPECT_FALSE(moved) << StatusDump(*cluster_, kNodes);
}

}  // namespace
}  // namespace datasync::testutil
