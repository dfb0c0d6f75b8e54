// The SQLite table connector end to end (issue "Connectors I"): real
// sync-node processes, real application databases written by the sqlite3
// shell as a second process. Replication both ways, concurrent changes of
// one row, no loops, kill -9 while the application writes.
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>

#include "connector_scenario.h"

namespace datasync::testutil {
namespace {

const std::vector<std::string> kPair = {"a", "b"};

class SqliteConnectorIt : public ::testing::Test {
 protected:
  Cluster cluster_;
  AppDb db_a_{cluster_.dir() + "/app-a.db"};
  AppDb db_b_{cluster_.dir() + "/app-b.db"};

  uint64_t OwnWrites(const std::string& id) {
    auto status = cluster_.Status(id);
    return status ? (*status)["vv"][id].AsUint().value_or(0) : ~0ull;
  }
};

TEST_F(SqliteConnectorIt, InsertsUpdatesAndDeletesReachTheOtherApplicationBothWays) {
  ASSERT_TRUE(StartAppNodes(cluster_, kPair, {&db_a_, &db_b_}));
  ASSERT_TRUE(RunSqliteApp(db_a_.path(), InsertSql(1, 20) +
                                             "UPDATE items SET name = 'renamed', qty = 99 "
                                             "WHERE id = 3;\n"
                                             "DELETE FROM items WHERE id = 4;\n"
                                             "UPDATE items SET id = 100 WHERE id = 5;\n"));
  ASSERT_TRUE(WaitSameRows({&db_a_, &db_b_}, 19));
  EXPECT_EQ(db_b_.Scalar("SELECT name || ',' || qty FROM items WHERE id = 3"), "renamed,99");
  EXPECT_EQ(db_b_.Scalar("SELECT count(*) FROM items WHERE id IN (4, 5)"), "0");
  EXPECT_EQ(db_b_.Scalar("SELECT hex(data) FROM items WHERE id = 100"), "00FF10");
  EXPECT_EQ(db_b_.Scalar("SELECT typeof(price) FROM items WHERE id = 7"), "real");

  // The reverse: b's application writes, a's follows.
  ASSERT_TRUE(RunSqliteApp(db_b_.path(), InsertSql(1000, 10, "from-b") +
                                             "DELETE FROM items WHERE id = 1;\n"
                                             "UPDATE items SET price = NULL WHERE id = 2;\n"));
  ASSERT_TRUE(WaitSameRows({&db_a_, &db_b_}, 28));
  EXPECT_EQ(db_a_.Scalar("SELECT count(*) FROM items WHERE id = 1"), "0");
  EXPECT_EQ(db_a_.Scalar("SELECT typeof(price) FROM items WHERE id = 2"), "null");
  ASSERT_TRUE(cluster_.WaitConverged(kPair, 10s));
  // Each node made exactly the writes of its own application: 20 + 3
  // statements (the key change is two writes: the old key deleted, the
  // new one written) at a, 12 at b.
  EXPECT_EQ(OwnWrites("a"), 24u);
  EXPECT_EQ(OwnWrites("b"), 12u);
}

TEST_F(SqliteConnectorIt, OneRowChangedInBothApplicationsAtOnceEndsTheSameEverywhere) {
  ASSERT_TRUE(StartAppNodes(cluster_, kPair, {&db_a_, &db_b_}));
  ASSERT_TRUE(RunSqliteApp(db_a_.path(), InsertSql(1, 1)));
  ASSERT_TRUE(WaitSameRows({&db_a_, &db_b_}, 1));
  std::string sql_a, sql_b;
  for (int i = 0; i < 300; ++i) {
    sql_a += "UPDATE items SET name = 'a-" + std::to_string(i) + "', qty = " +
             std::to_string(i) + " WHERE id = 1;\n";
    sql_b += "UPDATE items SET name = 'b-" + std::to_string(i) + "', qty = " +
             std::to_string(i) + " WHERE id = 1;\n";
  }
  std::string error;
  auto app_a = StartSqliteApp(db_a_.path(), sql_a, &error);
  auto app_b = StartSqliteApp(db_b_.path(), sql_b, &error);
  ASSERT_TRUE(app_a && app_b) << error;
  ASSERT_TRUE(app_a->Wait(60s).value_or(ExitStatus{}).ok()) << app_a->ReadStderr();
  ASSERT_TRUE(app_b->Wait(60s).value_or(ExitStatus{}).ok()) << app_b->ReadStderr();
  ASSERT_TRUE(WaitSameRows({&db_a_, &db_b_}, 1));
  ASSERT_TRUE(cluster_.WaitConverged(kPair, 10s));
  // The value everywhere is one of the two applications' last writes
  // or a later one of them, and both nodes store exactly that row.
  const std::string final_name = db_a_.Scalar("SELECT name FROM items WHERE id = 1").value_or("");
  EXPECT_TRUE(final_name.rfind("a-", 0) == 0 || final_name.rfind("b-", 0) == 0) << final_name;
  EXPECT_EQ(OwnWrites("a"), 301u);
  EXPECT_EQ(OwnWrites("b"), 300u);
}

TEST_F(SqliteConnectorIt, NoLoopsTenThousandApplicationWritesAreTenThousandNodeWrites) {
  ASSERT_TRUE(StartAppNodes(cluster_, kPair, {&db_a_, &db_b_}));
  ASSERT_TRUE(RunSqliteApp(db_a_.path(), InsertSql(1, 10000)));
  ASSERT_TRUE(WaitSameRows({&db_a_, &db_b_}, 10000, 60s));
  ASSERT_TRUE(cluster_.WaitConverged(kPair, 20s));
  EXPECT_EQ(OwnWrites("a"), 10000u);
  EXPECT_EQ(OwnWrites("b"), 0u);  // b applied them; its triggers stayed quiet
  EXPECT_EQ(db_b_.Count("_datasync_changes"), 0);
  // The connectors report their counters a few times a second.
  ASSERT_TRUE(WaitUntil(
      [&] {
        return ConnectorCounter(cluster_, "a", "captured") == 10000u &&
               ConnectorCounter(cluster_, "b", "applied") >= 10000u &&
               ConnectorCounter(cluster_, "a", "lag") == 0u;
      },
      10s))
      << StatusDump(cluster_, kPair);
  // Traffic stops when writes stop: over a few heartbeats nothing moves.
  const uint64_t applied = ConnectorCounter(cluster_, "b", "applied");
  const uint64_t captured = ConnectorCounter(cluster_, "a", "captured");
  const bool moved = WaitUntil(
      [&] {
        return OwnWrites("a") != 10000u || OwnWrites("b") != 0u ||
               ConnectorCounter(cluster_, "b", "applied") != applied ||
               ConnectorCounter(cluster_, "a", "captured") != captured ||
               ConnectorCounter(cluster_, "a", "applied") != 0u;
      },
      1500ms);
  EXPECT_FALSE(moved) << StatusDump(cluster_, kPair);
}

TEST_F(SqliteConnectorIt, KillNineWhileTheApplicationWritesMissesAndRepeatsNothing) {
  ASSERT_TRUE(StartAppNodes(cluster_, kPair, {&db_a_, &db_b_}));
  constexpr int64_t kBefore = 20000;  // written across the kill
  constexpr int64_t kDuring = 1000;   // written while the node is down
  constexpr int64_t kRows = kBefore + kDuring;
  std::string error;
  auto app = StartSqliteApp(db_a_.path(), InsertSql(1, kBefore), &error);
  ASSERT_TRUE(app) << error;
  // Kill at the first captured write, so that the application is still
  // writing even where the node is slow (under ThreadSanitizer, say).
  ASSERT_TRUE(WaitUntil([&] { return OwnWrites("a") >= 1 && OwnWrites("a") != ~0ull; }, 60s));
  ASSERT_TRUE(cluster_.KillNode("a", SIGKILL));
  EXPECT_TRUE(app->Running()) << "the application finished before the kill";
  ASSERT_TRUE(RunSqliteApp(db_a_.path(), InsertSql(kBefore + 1, kDuring)));
  ASSERT_TRUE(app->Wait(120s).value_or(ExitStatus{}).ok()) << app->ReadStderr();
  ASSERT_TRUE(cluster_.StartNode("a"));
  ASSERT_TRUE(WaitSameRows({&db_a_, &db_b_}, kRows, 60s));
  ASSERT_TRUE(cluster_.WaitConverged(kPair, 20s));
  // One node write per application write: none missed, none twice.
  EXPECT_EQ(OwnWrites("a"), static_cast<uint64_t>(kRows));
  EXPECT_EQ(RecordCount(cluster_, "a"), static_cast<uint64_t>(kRows));
  EXPECT_EQ(RecordCount(cluster_, "b"), static_cast<uint64_t>(kRows));
  EXPECT_EQ(db_a_.Count("_datasync_changes"), 0);
  // Versions: every record of a's application is a's write, numbered
  // 1..kRows exactly once.
  CtlResult scan = cluster_.CtlAt("b", {"--json", "scan", "items"});
  ASSERT_EQ(scan.code(), 0) << scan.Describe();
  std::string err;
  auto json = JsonValue::Parse(scan.out, &err);
  ASSERT_TRUE(json) << err;
  std::vector<bool> seen(kRows + 1, false);
  for (const JsonValue& r : (*json)["records"].items()) {
    const uint64_t seq = r["seq"].AsUint().value_or(0);
    ASSERT_TRUE(seq >= 1 && seq <= kRows && !seen[seq]) << seq;
    EXPECT_EQ(r["origin"].str(), "a");
    seen[seq] = true;
  }
}

TEST_F(SqliteConnectorIt, KillNineOfTheApplyingNodeCatchesItsApplicationUp) {
  ASSERT_TRUE(StartAppNodes(cluster_, kPair, {&db_a_, &db_b_}));
  constexpr int64_t kRows = 20000;
  std::string error;
  auto app = StartSqliteApp(db_a_.path(), InsertSql(1, kRows), &error);
  ASSERT_TRUE(app) << error;
  ASSERT_TRUE(WaitUntil([&] { return db_b_.Count().value_or(0) >= 500; }, 60s));
  ASSERT_TRUE(cluster_.KillNode("b", SIGKILL));
  ASSERT_TRUE(app->Wait(120s).value_or(ExitStatus{}).ok()) << app->ReadStderr();
  ASSERT_TRUE(cluster_.StartNode("b"));
  ASSERT_TRUE(WaitSameRows({&db_a_, &db_b_}, kRows, 60s));
  ASSERT_TRUE(cluster_.WaitConverged(kPair, 20s));
  EXPECT_EQ(OwnWrites("a"), static_cast<uint64_t>(kRows));
  EXPECT_EQ(OwnWrites("b"), 0u);  // what b applied, before or after, is not captured
  EXPECT_EQ(db_b_.Count("_datasync_changes"), 0);
}

}  // namespace
}  // namespace datasync::testutil
