#include "testutil/store_testutil.h"

#include <gtest/gtest.h>

#include "datasync/durable_store.h"
#include "datasync/memory_store.h"

namespace datasync::testutil {

std::vector<StoreKind> AllStoreKinds() {
  std::vector<StoreKind> kinds = {
      {"memory", false, [](const std::string&) -> Result<std::unique_ptr<Store>> {
         return NewMemoryStore();
       }}};
  for (StoreKind& kind : DurableStoreKinds()) kinds.push_back(std::move(kind));
  return kinds;
}

std::vector<StoreKind> DurableStoreKinds() {
  return {{"rocksdb", true,
           [](const std::string& dir) { return OpenRocksDbStore(dir + "/rocksdb", {}); }},
          {"sqlite", true, [](const std::string& dir) {
             return OpenSqliteStore(dir + "/store.sqlite", {});
           }}};
}

Record MakeRecord(const std::string& collection, const std::string& key,
                  const std::string& value, HlcTimestamp hlc, const std::string& origin,
                  uint64_t seq, bool deleted) {
  Record r;
  r.collection = collection;
  r.key = key;
  r.value = deleted ? "" : value;
  r.deleted = deleted;
  r.version = {hlc, origin};
  r.seq = seq;
  return r;
}

std::vector<Record> ScanAllRecords(const Store& store) {
  std::vector<Record> out;
  Status s = store.ScanAll([&](const Record& r) {
    out.push_back(r);
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::vector<Record> ScanRecords(const Store& store, const std::string& collection,
                                const std::string& prefix) {
  std::vector<Record> out;
  Status s = store.Scan(collection, prefix, [&](const Record& r) {
    out.push_back(r);
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

ReadSinceResult ReadAllSince(StoreSnapshot* snapshot, const VersionVector& since,
                             size_t max_records, size_t max_bytes) {
  ReadSinceResult result;
  OriginSeq cursor;
  bool done = false;
  // A page must make progress; the bound only stops a broken store looping.
  for (size_t guard = 0; !done && guard < 1000000; ++guard) {
    const size_t before = result.records.size();
    Status s = snapshot->ReadSince(since, &cursor, max_records, max_bytes,
                                   &result.records, &done);
    if (!s.ok()) {
      ADD_FAILURE() << s.ToString();
      break;
    }
    ++result.pages;
    const size_t got = result.records.size() - before;
    EXPECT_LE(got, std::max<size_t>(max_records, 1));
    if (got > 0) {
      EXPECT_EQ(cursor, result.records.back().origin_seq());
    }
    if (!done && got == 0) {
      ADD_FAILURE() << "ReadSince returned an empty page without being done";
      break;
    }
  }
  return result;
}

}  // namespace datasync::testutil
