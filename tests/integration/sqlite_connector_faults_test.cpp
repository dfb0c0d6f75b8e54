// The SQLite connector when the application's database misbehaves: locked
// for seconds, deleted, replaced by a file that is not a database; values
// that cannot be mapped; and `syncctl connector list / uninstall`.
// Throughout, the node stays up and keeps syncing everything else.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "connector_scenario.h"

namespace datasync::testutil {
namespace {

namespace fs = std::filesystem;
const std::vector<std::string> kPair = {"a", "b"};

class SqliteConnectorFaults : public ::testing::Test {
 protected:
  Cluster cluster_;
  std::unique_ptr<AppDb> db_a_ = std::make_unique<AppDb>(cluster_.dir() + "/app-a.db");
  std::unique_ptr<AppDb> db_b_ = std::make_unique<AppDb>(cluster_.dir() + "/app-b.db");

  // A put and get of another collection through b: the node serves it.
  ::testing::AssertionResult OtherDataFlows(const std::string& key) {
    if (auto put = CtlPut(cluster_, "a", key, "v-" + key); !put) return put;
    return WaitValue(cluster_, "b", key, "v-" + key);
  }
  // Waits until the connector of `id` reports an error containing one of
  // `what` (the message moves on as retries meet the next state of things).
  ::testing::AssertionResult WaitErrors(const std::string& id,
                                        const std::vector<std::string>& what) {
    std::string last;
    if (WaitUntil(
            [&] {
              auto s = cluster_.Status(id);
              if (!s) return false;
              last = (*s)["info"]["connector.app.last_error"].str();
              if ((*s)["counters"]["connector.app.errors"].AsUint().value_or(0) == 0) {
                return false;
              }
              for (const std::string& w : what) {
                if (last.find(w) != std::string::npos) return true;
              }
              return false;
            },
            15s)) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "last error of " << id << ": " << last;
  }
};

TEST_F(SqliteConnectorFaults, LockedDatabaseWaitsAndLosesNothing) {
  ASSERT_TRUE(StartAppNodes(cluster_, kPair, {db_a_.get(), db_b_.get()}));
  // b's application holds a write lock for as long as the test says.
  ASSERT_EQ(db_b_->Exec("BEGIN EXCLUSIVE"), "");
  ASSERT_TRUE(RunSqliteApp(db_a_->path(), InsertSql(1, 200)));
  ASSERT_TRUE(WaitErrors("b", {"locked"}));
  EXPECT_TRUE(OtherDataFlows("while-locked"));
  EXPECT_EQ(db_b_->Count(), 0);
  ASSERT_EQ(db_b_->Exec("COMMIT"), "");
  ASSERT_TRUE(WaitSameRows({db_a_.get(), db_b_.get()}, 200));
  ASSERT_TRUE(WaitConnectorState(cluster_, "b", "running"));
}

TEST_F(SqliteConnectorFaults, DeletedOrReplacedDatabaseIsReportedThenCaughtUp) {
  ASSERT_TRUE(StartAppNodes(cluster_, kPair, {db_a_.get(), db_b_.get()}));
  ASSERT_TRUE(RunSqliteApp(db_a_->path(), InsertSql(1, 50)));
  ASSERT_TRUE(WaitSameRows({db_a_.get(), db_b_.get()}, 50));

  const std::string path_b = db_b_->path();
  db_b_.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_b + suffix);
  ASSERT_TRUE(WaitErrors("b", {"database file was deleted", "database file does not exist"}));
  ASSERT_TRUE(RunSqliteApp(db_a_->path(), InsertSql(51, 50)));
  EXPECT_TRUE(OtherDataFlows("while-deleted"));

  // Something that is not a database takes its place.
  std::ofstream(path_b) << std::string(8192, 'x');
  ASSERT_TRUE(WaitErrors("b", {"not an SQLite database"}));
  EXPECT_TRUE(OtherDataFlows("while-garbage"));

  // A fresh, empty application database: the connector installs itself
  // and receives everything it lacks, nothing of it dropped.
  fs::remove(path_b);
  db_b_ = std::make_unique<AppDb>(path_b);
  ASSERT_TRUE(WaitSameRows({db_a_.get(), db_b_.get()}, 100));
  ASSERT_TRUE(WaitConnectorState(cluster_, "b", "running"));
  // And capture works on the new file.
  ASSERT_TRUE(RunSqliteApp(path_b, InsertSql(500, 5, "new-b")));
  ASSERT_TRUE(WaitSameRows({db_a_.get(), db_b_.get()}, 105));
}

TEST_F(SqliteConnectorFaults, UnmappableValueIsCountedAndLoggedWithItsKey) {
  ASSERT_TRUE(StartAppNodes(cluster_, kPair, {db_a_.get(), db_b_.get()}));
  // A plain put into the mapped collection: not a map of columns.
  CtlResult put = cluster_.CtlAt("a", {"put", "items", "77", "plain bytes"});
  ASSERT_EQ(put.code(), 0) << put.Describe();
  ASSERT_TRUE(WaitUntil([&] { return ConnectorCounter(cluster_, "b", "failed") >= 1; }, 10s))
      << StatusDump(cluster_, kPair);
  EXPECT_GE(ConnectorCounter(cluster_, "a", "failed"), 1u);
  EXPECT_TRUE(WaitUntil(
      [&] {
        return cluster_.LogTail("b", 20000).find("items key \"77\": table items: value is "
                                                 "not msgpack") != std::string::npos;
      },
      5s))
      << cluster_.LogTail("b");
  // Everything else goes on.
  ASSERT_TRUE(RunSqliteApp(db_a_->path(), InsertSql(1, 10)));
  ASSERT_TRUE(WaitSameRows({db_a_.get(), db_b_.get()}, 10));
}

TEST_F(SqliteConnectorFaults, ListAndUninstall) {
  ASSERT_TRUE(StartAppNodes(cluster_, kPair, {db_a_.get(), db_b_.get()}));
  CtlResult list = cluster_.CtlAt("a", {"connector", "list"});
  ASSERT_EQ(list.code(), 0) << list.Describe();
  EXPECT_EQ(list.out.rfind("app\tsqlite running position=", 0), 0u) << list.out;
  CtlResult json = cluster_.CtlAt("a", {"--json", "connector", "list"});
  EXPECT_NE(json.out.find("{\"name\":\"app\",\"state\":\"sqlite running"), std::string::npos)
      << json.out;
  CtlResult status = cluster_.CtlAt("a", {"status"});
  EXPECT_NE(status.out.find("connector.app "), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("connector.app.lag"), std::string::npos) << status.out;

  CtlResult ghost = cluster_.CtlAt("a", {"connector", "uninstall", "ghost"});
  EXPECT_EQ(ghost.code(), 1) << ghost.Describe();
  CtlResult uninstall = cluster_.CtlAt("a", {"connector", "uninstall", "app"});
  ASSERT_EQ(uninstall.code(), 0) << uninstall.Describe();
  EXPECT_EQ(db_a_->Scalar("SELECT count(*) FROM sqlite_schema WHERE name LIKE '\\_datasync%' "
                          "ESCAPE '\\'"),
            "0");
  ASSERT_TRUE(WaitConnectorState(cluster_, "a", "uninstalled"));
  // The application goes on without triggers; nothing is captured.
  ASSERT_TRUE(RunSqliteApp(db_a_->path(), InsertSql(1, 5)));
  EXPECT_EQ(db_a_->Count(), 5);
  EXPECT_TRUE(OtherDataFlows("after-uninstall"));
  auto s = cluster_.Status("a");
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)["vv"]["a"].AsUint().value_or(0), 1u);  // only the put above
}

}  // namespace
}  // namespace datasync::testutil
