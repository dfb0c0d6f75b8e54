// Opening refuses a store it cannot use safely (durable_store.h): damaged,
// made by something else, locked, read-only, missing with must_exist. The
// Status names the file, and a refused store's bytes are left as they were.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>

#include "datasync/durable_store.h"
#include "testutil/mounts.h"
#include "testutil/process.h"
#include "testutil/self_exec.h"
#include "testutil/store_files.h"
#include "testutil/store_testutil.h"
#include "testutil/temp_dir.h"

namespace datasync {
namespace {

namespace fs = std::filesystem;
using testutil::MakeRecord;

std::string ReadFile(const std::string& path) { return testutil::ReadFileOrEmpty(path); }

void OverwriteBytes(const std::string& path, size_t offset, size_t n, char byte) {
  ASSERT_TRUE(testutil::OverwriteBytes(path, offset, n, byte)) << path;
}

// Enough records for several pages / blocks in every structure.
void Fill(Store* store) {
  WriteBatch batch;
  for (int i = 0; i < 3000; ++i) {
    batch.writes.push_back({MakeRecord("c", "key" + std::to_string(i),
                                       std::string(100, 'v'), 1000 + i, "n1", i + 1),
                            std::nullopt});
  }
  batch.metadata = Metadata{3000, 4000, {}};
  ASSERT_TRUE(store->Commit(batch).ok());
}

void ExpectRefusedNaming(const Result<std::unique_ptr<Store>>& opened,
                         const std::string& name, Code code) {
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), code) << opened.status().ToString();
  EXPECT_NE(opened.status().message().find(name), std::string::npos)
      << "status does not name " << name << ": " << opened.status().ToString();
}

TEST(SqliteStoreOpenTest, DamagedPageIsRefusedAndLeftUnchanged) {
  testutil::TempDir dir("sqlite-open");
  const std::string path = dir.Sub("store.sqlite");
  {
    auto store = OpenSqliteStore(path, {});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Fill(store->get());
  }  // closing checkpoints the WAL into the file
  ASSERT_GT(fs::file_size(path), 20u * 4096);
  OverwriteBytes(path, 10 * 4096, 4096, '\xa5');
  const std::string before = ReadFile(path);
  ExpectRefusedNaming(OpenSqliteStore(path, {}), path, Code::kCorruption);
  EXPECT_TRUE(ReadFile(path) == before) << "a refused store was modified";
}

TEST(SqliteStoreOpenTest, DamagedHeaderIsRefusedAndLeftUnchanged) {
  testutil::TempDir dir("sqlite-open");
  const std::string path = dir.Sub("store.sqlite");
  {
    auto store = OpenSqliteStore(path, {});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Fill(store->get());
  }
  OverwriteBytes(path, 0, 100, 'Z');
  const std::string before = ReadFile(path);
  ExpectRefusedNaming(OpenSqliteStore(path, {}), path, Code::kCorruption);
  EXPECT_TRUE(ReadFile(path) == before) << "a refused store was modified";
}

TEST(SqliteStoreOpenTest, ForeignDatabaseAndMissingStoreAreRefused) {
  testutil::TempDir dir("sqlite-open");
  const std::string path = dir.Sub("app.sqlite");
  ExpectRefusedNaming(OpenSqliteStore(path, {.must_exist = true}), path, Code::kNotFound);
  EXPECT_FALSE(fs::exists(path));
  {
    auto store = OpenSqliteStore(path, {});
    ASSERT_TRUE(store.ok());
  }
  // Another program's database.
  const std::string other = dir.Sub("other.sqlite");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(other.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  ExpectRefusedNaming(OpenSqliteStore(other, {}), other, Code::kInvalidArgument);
}

class RocksDbStoreOpenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    {
      auto store = OpenRocksDbStore(db_dir_, {});
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      Fill(store->get());
    }
    ASSERT_EQ(testutil::FlushRocksDb(db_dir_), "");
  }

  // Damages `file` in the middle, then checks Open refuses it untouched.
  void DamageAndExpectRefused(const std::string& file) {
    ASSERT_FALSE(file.empty());
    OverwriteBytes(file, fs::file_size(file) / 2, 64, '\xa5');
    const std::string before = ReadFile(file);
    ExpectRefusedNaming(OpenRocksDbStore(db_dir_, {}), fs::path(file).filename(),
                        Code::kCorruption);
    EXPECT_TRUE(ReadFile(file) == before) << "a refused store was modified";
  }

  testutil::TempDir dir_{"rocksdb-open"};
  std::string db_dir_ = dir_.Sub("db");
};

TEST_F(RocksDbStoreOpenTest, DamagedManifestIsRefusedAndLeftUnchanged) {
  DamageAndExpectRefused(testutil::LargestFileWith(db_dir_, "MANIFEST-"));
}

TEST_F(RocksDbStoreOpenTest, DamagedTableFileIsRefusedAndLeftUnchanged) {
  DamageAndExpectRefused(testutil::LargestFileWith(db_dir_, ".sst"));
}

TEST_F(RocksDbStoreOpenTest, MissingCurrentWithDataIsRefused) {
  fs::remove(db_dir_ + "/CURRENT");
  ExpectRefusedNaming(OpenRocksDbStore(db_dir_, {}), db_dir_ + "/CURRENT",
                      Code::kCorruption);
  EXPECT_FALSE(fs::exists(db_dir_ + "/CURRENT")) << "no new store over the old files";
}

TEST(RocksDbStoreOpenMiscTest, ForeignDatabaseAndMissingStoreAreRefused) {
  testutil::TempDir dir("rocksdb-open");
  ExpectRefusedNaming(OpenRocksDbStore(dir.Sub("none"), {.must_exist = true}),
                      dir.Sub("none"), Code::kNotFound);
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, dir.Sub("other"), &db).ok());
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "k", "v").ok());
  delete db;
  ExpectRefusedNaming(OpenRocksDbStore(dir.Sub("other"), {}), dir.Sub("other"),
                      Code::kInvalidArgument);
}

// Read-only storage. Tests run as root, which file modes do not stop, so
// the child below sees the files through read-only bind mounts in a mount
// namespace of its own; where that is not permitted the test is skipped.
constexpr char kReadOnlyEnv[] = "DATASYNC_STORE_READONLY_CHILD";
constexpr int kNoMountExit = testutil::kNoMountsExit;

void Report(const std::string& label, const Result<std::unique_ptr<Store>>& opened) {
  std::cout << "RESULT " << label << " "
            << (opened.ok() ? "opened" : opened.status().ToString()) << std::endl;
}

// Child: prints one RESULT line per attempt, then exits 0.
TEST(StoreReadOnlyChild, DISABLED_OpenOnReadOnlyMounts) {
  const char* dir = std::getenv(kReadOnlyEnv);
  if (dir == nullptr) GTEST_SKIP() << "only run by StoreOpenTest.ReadOnly*";
  const std::string d = dir;
  std::string error = testutil::EnterPrivateMountNamespace();
  if (error.empty()) error = testutil::BindReadOnly(d + "/file-ro.sqlite");
  if (!error.empty()) {
    std::cout << "no read-only bind mount: " << error << std::endl;
    std::_Exit(kNoMountExit);
  }
  Report("sqlite-file", OpenSqliteStore(d + "/file-ro.sqlite", {}));
  if (!testutil::BindReadOnly(d).empty()) std::_Exit(kNoMountExit);
  Report("sqlite-existing", OpenSqliteStore(d + "/store.sqlite", {}));
  Report("sqlite-new", OpenSqliteStore(d + "/new.sqlite", {}));
  Report("rocksdb-existing", OpenRocksDbStore(d + "/rocksdb", {}));
  Report("rocksdb-new", OpenRocksDbStore(d + "/new-rocksdb", {}));
  std::_Exit(0);
}

TEST(StoreOpenTest, ReadOnlyStorageIsRefusedNamingThePath) {
  testutil::TempDir dir("store-readonly");
  for (const char* name : {"file-ro.sqlite", "store.sqlite"}) {
    ASSERT_TRUE(OpenSqliteStore(dir.Sub(name), {}).ok());
  }
  ASSERT_TRUE(OpenRocksDbStore(dir.Sub("rocksdb"), {}).ok());
  const std::string log = dir.Sub("child.log");
  const pid_t pid = testutil::SpawnSelf(
      "StoreReadOnlyChild.DISABLED_OpenOnReadOnlyMounts", kReadOnlyEnv, dir.path(), log);
  ASSERT_GT(pid, 0);
  const testutil::SelfExit exit = testutil::WaitSelf(pid, log);
  if (exit.exited_with(kNoMountExit)) {
    GTEST_SKIP() << "cannot make read-only bind mounts here (needs CAP_SYS_ADMIN), and "
                    "as root file modes would not stop writes: "
                 << exit.log;
  }
  ASSERT_TRUE(exit.exited_with(0)) << exit.log;
  const std::map<std::string, std::string> expected_path = {
      {"sqlite-file", dir.Sub("file-ro.sqlite")},
      {"sqlite-existing", dir.Sub("store.sqlite")},
      {"sqlite-new", dir.Sub("new.sqlite")},
      {"rocksdb-existing", dir.Sub("rocksdb")},
      {"rocksdb-new", dir.Sub("new-rocksdb")}};
  for (const auto& [label, path] : expected_path) {
    const size_t at = exit.log.find("RESULT " + label + " ");
    ASSERT_NE(at, std::string::npos) << label << " missing in:\n" << exit.log;
    const std::string line = exit.log.substr(at, exit.log.find('\n', at) - at);
    EXPECT_EQ(line.find("opened"), std::string::npos) << line;
    EXPECT_NE(line.find(path), std::string::npos) << line;
    EXPECT_NE(line.find("ead-only"), std::string::npos) << line;  // Read-only / read-only
  }
}

}  // namespace
}  // namespace datasync
