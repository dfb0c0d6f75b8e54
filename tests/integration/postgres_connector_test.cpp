// The PostgreSQL connector end to end (issue 9): a real PostgreSQL 15
// server (initdb in a temporary folder), psql as the application, node a
// tied to a database by the postgres connector, node b to an SQLite
// application file. Both ways, composite keys, no loops, kill -9 of the
// node, the server restarted under load, uninstall.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <memory>

#include "connector_scenario.h"
#include "testutil/postgres_server.h"

namespace datasync::testutil {
namespace {

const std::vector<std::string> kPair = {"a", "b"};

const std::string kPgSchema =
    std::string(kPgItemsSchema) +
    "CREATE TABLE stock(region text, id integer, qty integer, PRIMARY KEY (region, "
    "id));\n";
const std::string kSqliteSchema =
    std::string(kItemsSchema) +
    "CREATE TABLE IF NOT EXISTS stock(region TEXT, id INTEGER, "
    "qty INTEGER, PRIMARY KEY (region, id));";

// n statements inserting ids first..first+n-1 (each its own transaction).
std::string PgInserts(int64_t first, int64_t n, const std::string& tag = "row") {
  std::string sql;
  for (int64_t id = first; id < first + n; ++id) {
    sql += "INSERT INTO items(id, name, qty, price, data) VALUES (" + std::to_string(id) +
           ", '" + tag + "-" + std::to_string(id) + "', " + std::to_string(id % 100) +
           ", " + std::to_string(id) + ".25, '\\x00ff" + (id % 2 ? "10" : "20") + "');\n";
  }
  return sql;
}

class PostgresConnectorIt : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!PostgresServer::Unavailable().empty()) return;
    server_ = new PostgresServer();
    auto init = server_->Init();
    if (init) init = server_->Start();
    if (!init) {
      init_error_ = new std::string(init.message());
      delete server_;
      server_ = nullptr;
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    const std::string why = PostgresServer::Unavailable();
    if (!why.empty()) GTEST_SKIP() << "PostgreSQL is not installed: " << why;
    ASSERT_NE(server_, nullptr) << (init_error_ ? *init_error_ : "");
    ASSERT_TRUE(server_->Start());  // a test before may have stopped it
    db_ = "t" + std::to_string(++databases_);
    PgClient admin(server_->Conninfo());
    ASSERT_TRUE(admin.Query("CREATE DATABASE " + db_)) << "cannot create " << db_;
    ASSERT_TRUE(server_->Psql(db_, kPgSchema));
    pg_ = std::make_unique<PgClient>(server_->Conninfo(db_));
    ASSERT_TRUE(pg_->ok());
  }

  void TearDown() override {
    // Slots keep WAL for the whole server: none may outlive its test.
    cluster_.reset();
    if (server_ != nullptr && pg_) {
      // The stopped node's server process may still hold its slot for a
      // moment, and an active slot cannot be dropped: end it, then drop,
      // until none is left (slot names are per server, so a slot left here
      // would be taken by the next test's connector of the same name).
      PgClient admin(server_->Conninfo());
      const std::string of_db = " FROM pg_replication_slots WHERE database = '" + db_ + "'";
      EXPECT_TRUE(WaitUntil(
          [&] {
            (void)admin.Query("SELECT pg_terminate_backend(active_pid)" + of_db +
                              " AND active_pid IS NOT NULL");
            (void)admin.Query("SELECT pg_drop_replication_slot(slot_name)" + of_db +
                              " AND NOT active");
            return admin.Int("SELECT count(*)" + of_db) == 0;
          },
          10s))
          << "a replication slot of " << db_ << " outlived its test";
    }
  }

  // `extra_a`: more connectors of node a, as YAML list entries.
  ::testing::AssertionResult StartNodes(const std::string& extra_a = "") {
    const std::string pg_yaml =
        "connectors:\n  - name: app\n    type: postgres\n    target: \"" +
        (pg_target_.empty() ? server_->Conninfo(db_) : pg_target_) +
        "\"\n    map:\n      - { table: items, collection: items }\n"
        "      - { table: public.stock, collection: stock }\n" +
        extra_a;
    const std::string sqlite_yaml =
        "connectors:\n  - name: app\n    type: sqlite\n    target: \"" + app_.path() +
        "\"\n    map:\n      - { table: items, collection: items }\n"
        "      - { table: stock, collection: stock }\n";
    cluster_->AddNode({.id = "a",
                       .use_coordinator = false,
                       .static_peers = {"b"},
                       .extra_yaml = pg_yaml});
    cluster_->AddNode({.id = "b",
                       .use_coordinator = false,
                       .static_peers = {"a"},
                       .extra_yaml = sqlite_yaml});
    for (const auto& id : kPair) {
      if (auto started = cluster_->StartNode(id); !started) return started;
    }
    for (const auto& id : kPair) {
      if (auto up = WaitPeersConnected(*cluster_, id, Others(kPair, id)); !up) return up;
      if (auto running = WaitConnectorState(*cluster_, id, "running"); !running)
        return running;
    }
    return ::testing::AssertionSuccess();
  }

  // items as "id|name|qty|price|hex(data)" lines, from either side.
  std::string PgItems() {
    return pg_
        ->Query(
            "SELECT string_agg(id || '|' || coalesce(name, '') || '|' || "
            "coalesce(qty::text, '') || '|' || coalesce(price::text, '') || '|' || "
            "coalesce(encode(data, 'hex'), ''), E'\\n' ORDER BY id) FROM items")
        .value_or("error");
  }
  std::string SqliteItems() {
    return app_
        .Scalar(
            "SELECT group_concat(line, char(10)) FROM (SELECT id || '|' || "
            "coalesce(name, '') || '|' || coalesce(qty, '') || '|' || "
            "coalesce(price, '') || '|' || coalesce(lower(hex(data)), '') AS line "
            "FROM items ORDER BY id)")
        .value_or("");
  }
  std::string PgStock() {
    return pg_
        ->Query(
            "SELECT string_agg(region || '|' || id || '|' || coalesce(qty::text, ''), "
            "',' ORDER BY region, id) FROM stock")
        .value_or("error");
  }
  std::string SqliteStock() {
    return app_
        .Scalar(
            "SELECT group_concat(line, ',') FROM (SELECT region || '|' || id || '|' "
            "|| coalesce(qty, '') AS line FROM stock ORDER BY region, id)")
        .value_or("");
  }
  ::testing::AssertionResult WaitSame(int64_t rows,
                                      std::chrono::milliseconds timeout = 20s) {
    std::string pg, lite;
    if (WaitUntil(
            [&] {
              pg = PgItems();
              lite = SqliteItems();
              return pg == lite && app_.Count().value_or(-1) == rows;
            },
            timeout)) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "postgres:\n"
                                         << pg.substr(0, 500) << "\nsqlite ("
                                         << app_.Count().value_or(-1) << " rows):\n"
                                         << lite.substr(0, 500) << "\n"
                                         << StatusDump(*cluster_, kPair);
  }
  uint64_t OwnWrites(const std::string& id) {
    auto status = cluster_->Status(id);
    return status ? (*status)["vv"][id].AsUint().value_or(0) : ~0ull;
  }
  // WAL the slot holds back: from its restart point, and from what it confirmed.
  int64_t SlotRetained() {
    return pg_->Int(
        "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint FROM "
        "pg_replication_slots WHERE slot_name = 'datasync_app' AND database = '" +
        db_ + "'");
  }
  int64_t SlotLag() {
    return pg_->Int(
        "SELECT pg_wal_lsn_diff(pg_current_wal_flush_lsn(), confirmed_flush_lsn)"
        "::bigint FROM pg_replication_slots WHERE slot_name = 'datasync_app' AND "
        "database = '" +
        db_ + "'");
  }

  static PostgresServer* server_;
  static std::string* init_error_;
  static int databases_;
  std::string db_;
  std::string pg_target_;  // node a's target; empty: Conninfo(db_)
  std::unique_ptr<PgClient> pg_;
  std::unique_ptr<Cluster> cluster_ = std::make_unique<Cluster>();
  AppDb app_{cluster_->dir() + "/app-b.db", kSqliteSchema};
};

PostgresServer* PostgresConnectorIt::server_ = nullptr;
std::string* PostgresConnectorIt::init_error_ = nullptr;
int PostgresConnectorIt::databases_ = 0;

TEST_F(PostgresConnectorIt, RowsReachAnSqliteApplicationAndBackWithCompositeKeys) {
  ASSERT_TRUE(StartNodes());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      server_->Psql(db_, PgInserts(1, 20) +
                             "UPDATE items SET name = 'renamed', qty = 99 WHERE id = 3;\n"
                             "DELETE FROM items WHERE id = 4;\n"
                             "UPDATE items SET id = 100 WHERE id = 5;\n"
                             "UPDATE items SET price = NULL WHERE id = 6;\n"
                             "INSERT INTO stock VALUES ('eu', 42, 7), ('us', 42, 8);\n"));
  ASSERT_TRUE(WaitSame(19, NodeDeadline(1s))) << "not within one second";
  std::printf(
      "[ measured ] postgres -> sqlite on another node: %lld ms after psql ended\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - start)
                                 .count()));
  EXPECT_EQ(app_.Scalar("SELECT name || ',' || qty FROM items WHERE id = 3"),
            "renamed,99");
  EXPECT_EQ(app_.Scalar("SELECT hex(data) FROM items WHERE id = 100"), "00FF10");
  EXPECT_EQ(app_.Scalar("SELECT typeof(price) FROM items WHERE id = 7"), "real");
  ASSERT_TRUE(WaitUntil([&] { return SqliteStock() == "eu|42|7,us|42|8"; }, 5s))
      << SqliteStock();
  // Composite keys are JSON arrays in key order, as SQLite's json_array().
  CtlResult get = cluster_->CtlAt("b", {"get", "stock", "[\"eu\",42]"});
  EXPECT_EQ(get.code(), 0) << get.Describe();

  // The reverse: the SQLite application writes, PostgreSQL follows.
  ASSERT_TRUE(
      RunSqliteApp(app_.path(), InsertSql(1000, 10, "from-b") +
                                    "DELETE FROM items WHERE id = 1;\n"
                                    "UPDATE items SET qty = NULL WHERE id = 2;\n"
                                    "UPDATE stock SET qty = 70 WHERE region = 'eu';\n"
                                    "DELETE FROM stock WHERE region = 'us';\n"
                                    "INSERT INTO stock VALUES ('asia', 1, 3);\n"));
  ASSERT_TRUE(WaitSame(28, NodeDeadline(1s))) << "not within one second";
  EXPECT_EQ(pg_->Query("SELECT count(*) FROM items WHERE id = 1"), "0");
  EXPECT_EQ(pg_->Query("SELECT coalesce(qty::text, 'null') FROM items WHERE id = 2"),
            "null");
  EXPECT_EQ(pg_->Query("SELECT encode(data, 'hex') FROM items WHERE id = 1001"),
            "00ff10");
  ASSERT_TRUE(WaitUntil([&] { return PgStock() == SqliteStock(); }, 5s))
      << PgStock() << " vs " << SqliteStock();
  EXPECT_EQ(PgStock(), "asia|1|3,eu|42|70");
  ASSERT_TRUE(cluster_->WaitConverged(kPair, 10s));
  // 20 + 4 statements (the key change is two writes) + 2 stock rows at a;
  // b's 15 changes; nothing applied came back as a write.
  EXPECT_EQ(OwnWrites("a"), 27u);
  EXPECT_EQ(OwnWrites("b"), 15u);
}

// pgoutput streams a TRUNCATE without its rows; the connector's trigger
// turns it into the deletes of those rows, which sync like any other.
TEST_F(PostgresConnectorIt, TruncateSyncsAsTheDeletesOfItsRows) {
  ASSERT_TRUE(StartNodes());
  ASSERT_TRUE(server_->Psql(db_, PgInserts(1, 50) +
                                     "INSERT INTO stock VALUES ('eu', 1, 7), ('us', 2, 8);\n"));
  ASSERT_TRUE(WaitSame(50));
  ASSERT_TRUE(WaitUntil([&] { return SqliteStock() == "eu|1|7,us|2|8"; }, 5s))
      << SqliteStock();
  ASSERT_TRUE(server_->Psql(db_, "TRUNCATE items, stock;\n" + PgInserts(7, 1, "after")));
  ASSERT_TRUE(WaitSame(1));
  ASSERT_TRUE(WaitUntil([&] { return SqliteStock().empty(); }, 5s)) << SqliteStock();
  EXPECT_EQ(app_.Scalar("SELECT name FROM items"), "after-7");
  ASSERT_TRUE(cluster_->WaitConverged(kPair, 10s));
  // 52 rows, their 52 deletes, one insert; nothing came back from b.
  EXPECT_EQ(OwnWrites("a"), 105u);
  EXPECT_EQ(OwnWrites("b"), 0u);
  CtlResult gone = cluster_->CtlAt("b", {"get", "items", "1"});
  EXPECT_EQ(gone.code(), 1) << gone.Describe();
}

TEST_F(PostgresConnectorIt, OneRowChangedOnBothSidesAtOnceEndsTheSameEverywhere) {
  ASSERT_TRUE(StartNodes());
  ASSERT_TRUE(server_->Psql(db_, PgInserts(1, 1)));
  ASSERT_TRUE(WaitSame(1));
  std::string sql_pg, sql_lite;
  for (int i = 0; i < 300; ++i) {
    const std::string n = std::to_string(i);
    sql_pg += "UPDATE items SET name = 'pg-" + n + "', qty = " + n + " WHERE id = 1;\n";
    sql_lite +=
        "UPDATE items SET name = 'lite-" + n + "', qty = " + n + " WHERE id = 1;\n";
  }
  std::string error;
  auto pg_app = server_->StartPsql(db_, sql_pg, &error);
  auto lite_app = StartSqliteApp(app_.path(), sql_lite, &error);
  ASSERT_TRUE(pg_app && lite_app) << error;
  ASSERT_TRUE(pg_app->Wait(60s).value_or(ExitStatus{}).ok()) << pg_app->ReadStderr();
  ASSERT_TRUE(lite_app->Wait(60s).value_or(ExitStatus{}).ok()) << lite_app->ReadStderr();
  ASSERT_TRUE(WaitSame(1));
  ASSERT_TRUE(cluster_->WaitConverged(kPair, 10s));
  const std::string name = pg_->Query("SELECT name FROM items WHERE id = 1").value_or("");
  EXPECT_TRUE(name.rfind("pg-", 0) == 0 || name.rfind("lite-", 0) == 0) << name;
  // Every application write is one node write; nothing applied came back.
  EXPECT_EQ(OwnWrites("a"), 301u);
  EXPECT_EQ(OwnWrites("b"), 300u);
}

TEST_F(PostgresConnectorIt, NoLoopsTenThousandWritesAreTenThousandNodeWrites) {
  ASSERT_TRUE(StartNodes());
  ASSERT_TRUE(server_->Psql(db_, PgInserts(1, 10000)));
  ASSERT_TRUE(WaitSame(10000, 60s));
  ASSERT_TRUE(cluster_->WaitConverged(kPair, 20s));
  EXPECT_EQ(OwnWrites("a"), 10000u);
  EXPECT_EQ(OwnWrites("b"), 0u);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return ConnectorCounter(*cluster_, "a", "captured") == 10000u &&
               ConnectorCounter(*cluster_, "b", "applied") >= 10000u &&
               ConnectorCounter(*cluster_, "a", "lag") == 0u && SlotLag() == 0;
      },
      10s))
      << "slot lag " << SlotLag() << "\n"
      << StatusDump(*cluster_, kPair);
  // b's writes into the SQLite file are applied at a with a's origin: the
  // slot skips them. Nothing moves once the writes stop.
  ASSERT_TRUE(RunSqliteApp(app_.path(), "UPDATE items SET qty = 0 WHERE id <= 100;\n"));
  ASSERT_TRUE(WaitUntil(
      [&] {
        return pg_->Int("SELECT count(*) FROM items WHERE qty = 0 AND id <= 100") == 100;
      },
      10s));
  ASSERT_TRUE(cluster_->WaitConverged(kPair, 10s));
  const bool moved = WaitUntil(
      [&] {
        return OwnWrites("a") != 10000u || OwnWrites("b") != 100u ||
               ConnectorCounter(*cluster_, "a", "captured") != 10000u;
      },
      1500ms);
  EXPECT_FALSE(moved) << StatusDump(*cluster_, kPair);
}

TEST_F(PostgresConnectorIt, KillNineOfTheNodeDuringABurstCapturesEveryRowOnce) {
  ASSERT_TRUE(StartNodes());
  // The application writes until it is stopped, so that the node is killed
  // mid-burst however slow it is (under a sanitizer, say); what counts is
  // what PostgreSQL committed.
  std::string error;
  auto app = server_->StartPsql(db_, PgInserts(1, 100000), &error);
  ASSERT_TRUE(app) << error;
  ASSERT_TRUE(
      WaitUntil([&] { return OwnWrites("a") >= 1 && OwnWrites("a") != ~0ull; }, 60s));
  ASSERT_TRUE(cluster_->KillNode("a", SIGKILL));
  const int64_t at_kill = pg_->Int("SELECT count(*) FROM items");
  ASSERT_TRUE(WaitUntil(
      [&] { return pg_->Int("SELECT count(*) FROM items") > at_kill + 500; }, 60s));
  ASSERT_TRUE(app->Running()) << "the application finished before the kill";
  app->Kill(SIGKILL);
  (void)app->Wait(10s);
  ASSERT_TRUE(server_->Psql(db_, PgInserts(200001, 500)));
  const int64_t rows = pg_->Int("SELECT count(*) FROM items");
  ASSERT_GT(rows, 1000);
  const int64_t retained = SlotRetained();
  ASSERT_TRUE(cluster_->StartNode("a"));
  ASSERT_TRUE(WaitSame(rows, 60s));
  ASSERT_TRUE(cluster_->WaitConverged(kPair, 20s));
  EXPECT_EQ(OwnWrites("a"), static_cast<uint64_t>(rows));
  EXPECT_EQ(RecordCount(*cluster_, "b"), static_cast<uint64_t>(rows));
  // Every record is a's write, numbered 1..rows exactly once.
  CtlResult scan = cluster_->CtlAt("b", {"--json", "scan", "items"});
  ASSERT_EQ(scan.code(), 0) << scan.Describe();
  std::string err;
  auto json = JsonValue::Parse(scan.out, &err);
  ASSERT_TRUE(json) << err;
  std::vector<bool> seen(static_cast<size_t>(rows) + 1, false);
  for (const JsonValue& r : (*json)["records"].items()) {
    const uint64_t seq = r["seq"].AsUint().value_or(0);
    ASSERT_TRUE(seq >= 1 && seq <= static_cast<uint64_t>(rows) && !seen[seq]) << seq;
    EXPECT_EQ(r["origin"].str(), "a");
    seen[seq] = true;
  }
  // The slot let go of the WAL the node has now committed. Its restart
  // point moves at the server's snapshots of running transactions, which a
  // checkpoint writes (else every 15 s).
  ASSERT_TRUE(pg_->Query("CHECKPOINT"));
  EXPECT_TRUE(WaitUntil([&] { return SlotLag() == 0 && SlotRetained() < retained; }, 10s))
      << "retained " << SlotRetained() << " bytes, " << retained
      << " before catch-up; lag " << SlotLag();
}

TEST_F(PostgresConnectorIt, ServerRestartedUnderLoadResumesCaptureWithoutLoss) {
  ASSERT_TRUE(StartNodes());
  int64_t next = 1;
  for (const bool kill : {false, true}) {
    std::string error;
    auto app = server_->StartPsql(db_, PgInserts(next, 3000), &error);
    ASSERT_TRUE(app) << error;
    next += 3000;
    const uint64_t before = OwnWrites("a");
    ASSERT_TRUE(WaitUntil([&] { return OwnWrites("a") > before + 50; }, 60s));
    ASSERT_TRUE(kill ? server_->Kill() : server_->Stop());
    (void)app->Wait(60s);  // it fails with its server gone: fine
    // Meanwhile the node serves: its connector retries, other writes go on.
    ASSERT_TRUE(WaitConnectorState(*cluster_, "a", "retrying"));
    ASSERT_TRUE(CtlPut(*cluster_, "a", "while-down-" + std::to_string(kill), "v"));
    ASSERT_TRUE(server_->Start());
    ASSERT_TRUE(WaitConnectorState(*cluster_, "a", "running", 20s));
  }
  ASSERT_TRUE(server_->Psql(db_, PgInserts(next, 200)));
  const int64_t rows = pg_->Int("SELECT count(*) FROM items");
  ASSERT_GT(rows, 200);
  ASSERT_TRUE(WaitSame(rows, 60s));
  ASSERT_TRUE(cluster_->WaitConverged(kPair, 20s));
  // Each committed row captured exactly once, plus the two puts.
  EXPECT_EQ(OwnWrites("a"), static_cast<uint64_t>(rows) + 2);
}

TEST_F(PostgresConnectorIt, UninstallRemovesSlotOriginPublicationAndBookkeeping) {
  // A target may be a URI too.
  pg_target_ =
      "postgresql://postgres@127.0.0.1:" + std::to_string(server_->port()) + "/" + db_;
  ASSERT_TRUE(StartNodes());
  ASSERT_TRUE(RunSqliteApp(app_.path(), InsertSql(1, 3)));
  ASSERT_TRUE(WaitSame(3));
  const std::string installed =
      "SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name = "
      "'datasync_app') || "
      "',' || (SELECT count(*) FROM pg_replication_origin WHERE roname = 'datasync_app') "
      "|| "
      "',' || (SELECT count(*) FROM pg_publication WHERE pubname = 'datasync_app') || "
      "',' || "
      "(SELECT count(*) FROM pg_namespace WHERE nspname = '_datasync') || ',' || "
      "(SELECT count(*) FROM pg_trigger WHERE tgname = 'datasync_app_truncate')";
  EXPECT_EQ(pg_->Query(installed), "1,1,1,1,2");
  CtlResult uninstall = cluster_->CtlAt("a", {"connector", "uninstall", "app"});
  ASSERT_EQ(uninstall.code(), 0) << uninstall.Describe();
  EXPECT_EQ(pg_->Query(installed), "0,0,0,0,0");
  ASSERT_TRUE(WaitConnectorState(*cluster_, "a", "uninstalled"));
  // The application's rows stay.
  EXPECT_EQ(pg_->Int("SELECT count(*) FROM items"), 3);
}

TEST_F(PostgresConnectorIt, BadTablesAndValuesAreReportedByNameWhileTheRestSyncs) {
  ASSERT_TRUE(server_->Psql(db_,
                            "CREATE TABLE nokey(a integer);\n"
                            "CREATE TABLE shapes(id integer PRIMARY KEY, p point);\n"));
  auto entry = [&](const std::string& name, const std::string& target,
                   const std::string& table) {
    return "  - name: " + name + "\n    type: postgres\n    target: \"" + target +
           " application_name=" + name + "\"\n    map: [ { table: " + table +
           ", collection: " + name + " } ]\n";
  };
  const std::string conninfo = server_->Conninfo(db_);
  ASSERT_TRUE(StartNodes(entry("nokey", conninfo, "nokey") +
                         entry("shapes", conninfo, "shapes") +
                         entry("ghost", conninfo, "ghost") +
                         entry("creds",
                               "host=127.0.0.1 port=" + std::to_string(server_->port()) +
                                   " user=nosuchuser dbname=" + db_,
                               "items")));
  const std::map<std::string, std::string> expected = {
      {"nokey", "table nokey has no primary key"},
      {"shapes", "table shapes column p: type point has no mapping"},
      {"ghost", "table ghost does not exist"},
      {"creds", "role \"nosuchuser\" does not exist"}};
  for (const auto& [name, message] : expected) {
    std::string last;
    EXPECT_TRUE(WaitUntil(
        [&] {
          auto status = cluster_->Status("a");
          if (!status) return false;
          last = (*status)["info"]["connector." + name + ".last_error"].str();
          return (*status)["info"]["connector." + name].str() == "retrying" &&
                 last.find(message) != std::string::npos;
        },
        10s))
        << name << ": " << last;
  }
  // A value PostgreSQL refuses (text in an integer column, which SQLite
  // lets an application store) is counted with its key; the rest applies.
  // Two in one transaction: the batch is written again twice.
  ASSERT_TRUE(RunSqliteApp(app_.path(),
                           "BEGIN;\n"
                           "INSERT INTO items(id, name, qty) VALUES (1, 'ok', 1);\n"
                           "INSERT INTO items(id, name, qty) VALUES (2, 'bad', 'lots');\n"
                           "INSERT INTO items(id, name, qty) VALUES (3, 'ok', 3);\n"
                           "INSERT INTO items(id, name, qty) VALUES (4, 'bad', 'many');\n"
                           "INSERT INTO items(id, name, qty) VALUES (5, 'ok', 5);\n"
                           "COMMIT;\n"));
  ASSERT_TRUE(
      WaitUntil([&] { return pg_->Int("SELECT count(*) FROM items") == 3; }, 10s));
  ASSERT_TRUE(
      WaitUntil([&] { return ConnectorCounter(*cluster_, "a", "failed") == 2; }, 10s))
      << StatusDump(*cluster_, kPair);
  EXPECT_EQ(pg_->Query("SELECT string_agg(id::text, ',' ORDER BY id) FROM items"),
            "1,3,5");
  EXPECT_NE(cluster_->LogTail("a", 20000).find("invalid input syntax for type integer"),
            std::string::npos)
      << cluster_->LogTail("a");
  // And PostgreSQL's own changes still flow.
  ASSERT_TRUE(server_->Psql(db_, PgInserts(10, 1)));
  ASSERT_TRUE(WaitUntil([&] { return app_.Count().value_or(0) == 6; }, 10s));
}

TEST_F(PostgresConnectorIt, ServerWithoutLogicalWalLevelIsReportedByTheSettingsName) {
  PostgresServer replica_level;
  ASSERT_TRUE(replica_level.Init());
  ASSERT_TRUE(replica_level.Start({"wal_level=replica"}));
  ASSERT_TRUE(cluster_->AddAndStartNode(
      {.id = "a",
       .use_coordinator = false,
       .extra_yaml = "connectors:\n  - name: app\n    type: postgres\n    target: \"" +
                     replica_level.Conninfo() +
                     "\"\n    map: [ { table: t, collection: t } ]\n"}));
  std::string last;
  EXPECT_TRUE(WaitUntil(
      [&] {
        auto status = cluster_->Status("a");
        last = status ? (*status)["info"]["connector.app.last_error"].str() : "";
        return last.find("wal_level is replica; capture needs wal_level = logical") !=
               std::string::npos;
      },
      10s))
      << last;
  EXPECT_TRUE(CtlPut(*cluster_, "a", "still", "serving"));
}

}  // namespace
}  // namespace datasync::testutil
