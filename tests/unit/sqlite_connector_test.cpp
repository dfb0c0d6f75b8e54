// The SQLite connector's backend against real database files, written by a
// second connection as an application would: capture, loop prevention,
// ordered and idempotent apply, uninstall, and clear errors.
#include <gtest/gtest.h>

#include <fstream>
#include <msgpack.hpp>

#include "connectors/connector_backend.h"
#include "testutil/app_db.h"
#include "testutil/temp_dir.h"

namespace datasync {
namespace {

using testutil::AppDb;
using testutil::TempDir;

ConnectorConfig Config(const std::string& path,
                       ConnectorDirection direction = ConnectorDirection::kBoth) {
  ConnectorConfig c;
  c.name = "app";
  c.target = path;
  c.direction = direction;
  c.map = {{"items", "items"}};
  return c;
}

std::string Row(int64_t id, const std::string& name, int64_t qty) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> p(buffer);
  p.pack_map(3);
  p.pack(std::string("id"));
  p.pack(id);
  p.pack(std::string("name"));
  p.pack(name);
  p.pack(std::string("qty"));
  p.pack(qty);
  return std::string(buffer.data(), buffer.size());
}

Record Put(const std::string& key, std::string value, uint64_t hlc) {
  Record r;
  r.collection = "items";
  r.key = key;
  r.value = std::move(value);
  r.version = Version{hlc, "remote"};
  r.seq = hlc;
  return r;
}

struct Captured {
  ConnectorCaptured batch;
  std::vector<ConnectorFailure> failures;
};

Captured Read(ConnectorBackend& b, const std::string& after) {
  Captured c;
  c.batch.position = after;
  Status s = b.ReadChanges(after, 1000, &c.batch, &c.failures);
  EXPECT_TRUE(s.ok()) << s.message();
  return c;
}

class SqliteConnectorTest : public ::testing::Test {
 protected:
  TempDir dir_{"sqlite-connector"};
  std::string path_ = dir_.Sub("app.db");
  AppDb app_{path_};
};

TEST_F(SqliteConnectorTest, CapturesInsertsUpdatesAndDeletesOfAnotherConnection) {
  auto backend = MakeSqliteBackend(Config(path_));
  ASSERT_TRUE(backend->Open().ok());
  ASSERT_EQ(app_.Exec("INSERT INTO items(id, name, qty) VALUES (1, 'pen', 3);"
                      "INSERT INTO items(id, name, qty) VALUES (2, 'ink', 1);"
                      "UPDATE items SET qty = 4 WHERE id = 1;"
                      "DELETE FROM items WHERE id = 2;"
                      "UPDATE items SET id = 10 WHERE id = 1;"),
            "");
  Result<bool> changed = backend->Poll();
  ASSERT_TRUE(changed.ok() && changed.value());
  Captured c = Read(*backend, "");
  EXPECT_TRUE(c.failures.empty());
  // insert 1, insert 2, update 1, delete 2, and the key change 1 -> 10
  // (the old key deleted, the new one written).
  ASSERT_EQ(c.batch.changes.size(), 6u);
  EXPECT_EQ(c.batch.changes[0].key, "1");
  EXPECT_TRUE(c.batch.changes[0].deleted);  // row 1 is gone by now: its key moved
  EXPECT_EQ(c.batch.changes[3].key, "2");
  EXPECT_TRUE(c.batch.changes[3].deleted);
  EXPECT_EQ(c.batch.changes[5].key, "10");
  EXPECT_FALSE(c.batch.changes[5].deleted);
  EXPECT_EQ(c.batch.changes[5].value, [] {
    msgpack::sbuffer b;
    msgpack::packer<msgpack::sbuffer> p(b);
    p.pack_map(5);
    p.pack(std::string("id")); p.pack(10);
    p.pack(std::string("name")); p.pack(std::string("pen"));
    p.pack(std::string("qty")); p.pack(4);
    p.pack(std::string("price")); p.pack_nil();
    p.pack(std::string("data")); p.pack_nil();
    return std::string(b.data(), b.size());
  }());
  EXPECT_EQ(c.batch.position.substr(c.batch.position.find(':')), ":6");
  EXPECT_EQ(backend->Backlog("").value(), 6u);
  // Nothing after the position; consumed rows are gone.
  EXPECT_TRUE(Read(*backend, c.batch.position).batch.changes.empty());
  ASSERT_TRUE(backend->Consumed(c.batch.position).ok());
  EXPECT_EQ(app_.Count("_datasync_changes"), 0);
}

TEST_F(SqliteConnectorTest, AppliedWritesAreNotCapturedButLaterAppWritesAre) {
  auto backend = MakeSqliteBackend(Config(path_));
  ASSERT_TRUE(backend->Open().ok());
  ConnectorBackend::ApplyResult result;
  ConnectorApply apply{{Put("5", Row(5, "cup", 2), 100)}, VersionVector({{"remote", 100}}),
                       true};
  ASSERT_TRUE(backend->Apply(apply, "", &result).ok());
  EXPECT_EQ(result.applied, 1u);
  EXPECT_EQ(app_.Dump(), "i:5|t:cup|i:2|null|null\n");
  EXPECT_EQ(app_.Count("_datasync_changes"), 0);  // muted
  EXPECT_EQ(app_.Scalar("SELECT applying FROM _datasync_control"), "0");
  EXPECT_EQ(backend->AppliedVector().value(), VersionVector({{"remote", 100}}));
  // The application's own write right after is captured as usual.
  ASSERT_EQ(app_.Exec("UPDATE items SET qty = 7 WHERE id = 5"), "");
  Captured c = Read(*backend, "");
  ASSERT_EQ(c.batch.changes.size(), 1u);
  EXPECT_EQ(c.batch.changes[0].key, "5");
}

TEST_F(SqliteConnectorTest, ApplyIsIdempotentOrderedAndLeavesPendingKeysAlone) {
  auto backend = MakeSqliteBackend(Config(path_));
  ASSERT_TRUE(backend->Open().ok());
  ConnectorBackend::ApplyResult r1, r2, r3, r4;
  ASSERT_TRUE(backend->Apply({{Put("1", Row(1, "new", 1), 200)}, {}, false}, "", &r1).ok());
  // The same version again, then an older one: both change nothing.
  ASSERT_TRUE(backend->Apply({{Put("1", Row(1, "new", 1), 200)}, {}, false}, "", &r2).ok());
  ASSERT_TRUE(backend->Apply({{Put("1", Row(1, "old", 9), 150)}, {}, false}, "", &r3).ok());
  EXPECT_EQ(r2.skipped, 1u);
  EXPECT_EQ(r3.skipped, 1u);
  EXPECT_EQ(app_.Dump(), "i:1|t:new|i:1|null|null\n");
  // The application changes key 1; until that change is captured, a
  // replicated value does not overwrite it (the captured one will win).
  ASSERT_EQ(app_.Exec("UPDATE items SET name = 'mine' WHERE id = 1"), "");
  ASSERT_TRUE(backend->Apply({{Put("1", Row(1, "theirs", 1), 300)}, {}, false}, "", &r4).ok());
  EXPECT_EQ(r4.skipped, 1u);
  EXPECT_EQ(app_.Dump(), "i:1|t:mine|i:1|null|null\n");
  // A tombstone deletes; a bad value is a failure naming table and column,
  // and the rest of the batch still applies.
  Record del = Put("1", "", 400);
  del.deleted = true;
  ConnectorBackend::ApplyResult r5;
  Captured c = Read(*backend, "");
  ASSERT_TRUE(backend->Consumed(c.batch.position).ok());
  ASSERT_TRUE(backend->Apply({{Put("2", "\x81\xa6" "colour\x01", 400), del}, {}, false},
                             c.batch.position, &r5)
                  .ok());
  ASSERT_EQ(r5.failures.size(), 1u);
  EXPECT_EQ(r5.failures[0].key, "2");
  EXPECT_EQ(r5.failures[0].message, "table items has no column colour");
  EXPECT_EQ(r5.applied, 1u);
  EXPECT_EQ(app_.Count(), 0);
}

TEST_F(SqliteConnectorTest, ApplyOnlyInstallsNoTriggersAndCaptureOnlyApplies) {
  auto apply_only = MakeSqliteBackend(Config(path_, ConnectorDirection::kApplyOnly));
  ASSERT_TRUE(apply_only->Open().ok());
  EXPECT_EQ(app_.Scalar("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"), "0");
  EXPECT_FALSE(app_.Count("_datasync_changes").has_value());
  ConnectorBackend::ApplyResult result;
  ASSERT_TRUE(apply_only->Apply({{Put("1", Row(1, "x", 1), 10)}, {}, false}, "", &result).ok());
  EXPECT_EQ(result.applied, 1u);
  apply_only->Close();

  auto capture_only = MakeSqliteBackend(Config(path_, ConnectorDirection::kCaptureOnly));
  ASSERT_TRUE(capture_only->Open().ok());
  EXPECT_EQ(app_.Scalar("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"), "3");
  ASSERT_EQ(app_.Exec("INSERT INTO items(id) VALUES (2)"), "");
  EXPECT_EQ(Read(*capture_only, "").batch.changes.size(), 1u);
}

TEST_F(SqliteConnectorTest, CompositeKeysAreJsonArraysBothWays) {
  ASSERT_EQ(app_.Exec("CREATE TABLE lines(line TEXT, order_id INTEGER, qty INTEGER, "
                      "PRIMARY KEY (order_id, line))"),
            "");
  ConnectorConfig config = Config(path_);
  config.map = {{"lines", "lines"}};
  auto backend = MakeSqliteBackend(config);
  ASSERT_TRUE(backend->Open().ok());
  ASSERT_EQ(app_.Exec("INSERT INTO lines VALUES ('a\"b', 7, 1)"), "");
  Captured c = Read(*backend, "");
  ASSERT_EQ(c.batch.changes.size(), 1u);
  EXPECT_EQ(c.batch.changes[0].key, "[7,\"a\\\"b\"]");  // primary-key order
  ASSERT_TRUE(backend->Consumed(c.batch.position).ok());

  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> p(buffer);
  p.pack_map(3);
  p.pack(std::string("order_id")); p.pack(8);
  p.pack(std::string("line")); p.pack(std::string("x"));
  p.pack(std::string("qty")); p.pack(5);
  Record put = Put("[8,\"x\"]", std::string(buffer.data(), buffer.size()), 10);
  put.collection = "lines";
  Record del = Put("[7,\"a\\\"b\"]", "", 11);
  del.collection = "lines";
  del.deleted = true;
  ConnectorBackend::ApplyResult result;
  ASSERT_TRUE(backend->Apply({{put, del}, {}, false}, c.batch.position, &result).ok());
  EXPECT_EQ(result.applied, 2u);
  EXPECT_TRUE(result.failures.empty());
  EXPECT_EQ(app_.Dump("lines"), "t:x|i:8|i:5\n");
}

TEST_F(SqliteConnectorTest, UninstallRemovesEverythingItInstalled) {
  auto backend = MakeSqliteBackend(Config(path_));
  ASSERT_TRUE(backend->Open().ok());
  EXPECT_EQ(app_.Scalar("SELECT count(*) FROM sqlite_schema WHERE name LIKE '_datasync%'"),
            "8");  // 4 tables, 1 index, 3 triggers
  ASSERT_TRUE(backend->Uninstall().ok());
  EXPECT_EQ(app_.Scalar("SELECT count(*) FROM sqlite_schema WHERE name LIKE '_datasync%'"),
            "0");
  EXPECT_EQ(app_.Exec("INSERT INTO items(id) VALUES (1)"), "");  // still writable
}

TEST_F(SqliteConnectorTest, OpenFailsClearly) {
  ConnectorConfig missing_table = Config(path_);
  missing_table.map = {{"orders", "orders"}};
  Status s = MakeSqliteBackend(missing_table)->Open();
  EXPECT_EQ(s.message(), path_ + ": table orders not found in the database");

  ASSERT_EQ(app_.Exec("CREATE TABLE log(line TEXT)"), "");
  ConnectorConfig no_key = Config(path_);
  no_key.map = {{"log", "log"}};
  s = MakeSqliteBackend(no_key)->Open();
  EXPECT_NE(s.message().find("table log has no declared primary key"), std::string::npos)
      << s.message();

  s = MakeSqliteBackend(Config(dir_.Sub("absent.db")))->Open();
  EXPECT_EQ(s.message(), dir_.Sub("absent.db") + ": database file does not exist");

  const std::string junk = dir_.Sub("junk.db");
  std::ofstream(junk) << std::string(4096, 'x');
  s = MakeSqliteBackend(Config(junk))->Open();
  EXPECT_NE(s.message().find("not an SQLite database"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace datasync
