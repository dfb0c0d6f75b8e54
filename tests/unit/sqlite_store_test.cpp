// SqliteStore specifics beyond the contract: superseded index entries are
// deleted later, in generations (sqlite_store.cpp), and until then never
// returned by ReadSince.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "datasync/durable_store.h"
#include "testutil/store_testutil.h"
#include "testutil/temp_dir.h"

namespace datasync {
namespace {

using testutil::MakeRecord;

int64_t CountRows(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  int64_t n = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    n = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

TEST(SqliteStoreTest, SupersededIndexEntriesAreDeletedInGenerations) {
  testutil::TempDir dir("sqlite-index");
  const std::string path = dir.Sub("store.sqlite");
  constexpr uint64_t kKeys = 1000;
  constexpr uint64_t kBatches = 110;  // 112 k writes: one generation (64 Ki) and more
  {
    auto store = OpenSqliteStore(path, {});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    std::vector<uint64_t> seq_of(kKeys, 0);
    uint64_t seq = 0;
    for (uint64_t b = 0; b < kBatches; ++b) {
      WriteBatch batch;
      for (uint64_t i = 0; i < 1024; ++i) {
        const uint64_t k = (b * 1024 + i) * 7919 % kKeys;
        ++seq;
        RecordWrite w{MakeRecord("c", std::to_string(k), "v", seq, "n1", seq), {}};
        if (seq_of[k] != 0) w.replaces = OriginSeq{"n1", seq_of[k]};
        seq_of[k] = seq;
        batch.writes.push_back(std::move(w));
      }
      ASSERT_TRUE((*store)->Commit(batch).ok());
    }
    auto snap = (*store)->OpenSnapshot();
    ASSERT_TRUE(snap.ok());
    auto all = testutil::ReadAllSince(snap->get(), VersionVector(), 4096);
    ASSERT_EQ(all.records.size(), kKeys);
    for (const Record& r : all.records) EXPECT_EQ(r.seq, seq_of[std::stoull(r.key)]);
  }
  const int64_t writes = kBatches * 1024;
  const int64_t entries = CountRows(path, "SELECT count(*) FROM by_origin");
  // Every entry superseded is stale; the first generation (>= 64 Ki of them)
  // must be gone.
  EXPECT_LE(entries, writes - 65536) << "the first generation was not deleted";
  EXPECT_GE(entries, static_cast<int64_t>(kKeys));
  EXPECT_EQ(CountRows(path,
                      "SELECT count(*) FROM by_origin b JOIN records r ON "
                      "r.rkey = b.rkey AND r.origin = b.origin AND r.seq = b.seq"),
            static_cast<int64_t>(kKeys))
      << "every current record keeps its entry";
  EXPECT_LE(CountRows(path, "SELECT coalesce(sum(n), 0) FROM superseded"),
            writes - 65536);
}

}  // namespace
}  // namespace datasync
