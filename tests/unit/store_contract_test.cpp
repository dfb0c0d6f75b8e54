// The Store contract (store.h), run against every implementation: what one
// store does, all must do, so the replica and the simulator may use any.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "datasync/digest.h"
#include "datasync/memory_store.h"
#include "testutil/store_testutil.h"
#include "testutil/temp_dir.h"

namespace datasync {
namespace {

using testutil::MakeRecord;
using testutil::ReadAllSince;
using testutil::ScanAllRecords;
using testutil::ScanRecords;
using testutil::StoreKind;

std::string KindName(const ::testing::TestParamInfo<StoreKind>& info) {
  return info.param.name;
}

class StoreContractTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();  // a durable store must be closed before it is reopened
    auto opened = GetParam().open(dir_.path());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened.value());
  }

  // Commits one batch of writes, each replacing what `versions_` says the
  // key held, the way the Replica fills RecordWrite::replaces.
  void Write(const std::vector<Record>& records) {
    WriteBatch batch;
    for (const Record& r : records) {
      const std::string rkey = RecordKey(r.collection, r.key);
      std::optional<OriginSeq> replaces;
      if (auto it = current_.find(rkey); it != current_.end()) replaces = it->second;
      batch.writes.push_back({r, replaces});
      current_[rkey] = r.origin_seq();
    }
    ASSERT_TRUE(store_->Commit(batch).ok());
  }

  Record GetOk(const std::string& collection, const std::string& key) {
    auto got = store_->Get(collection, key);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? got.value() : Record();
  }

  std::unique_ptr<StoreSnapshot> Snapshot() {
    auto snap = store_->OpenSnapshot();
    EXPECT_TRUE(snap.ok()) << snap.status().ToString();
    return snap.ok() ? std::move(snap.value()) : nullptr;
  }

  testutil::TempDir dir_{"store-contract"};
  std::unique_ptr<Store> store_;
  std::map<std::string, OriginSeq> current_;
};

TEST_P(StoreContractTest, CommitThenGet) {
  const Record a = MakeRecord("users", "alice", "A", 10, "n1", 1);
  const Record b = MakeRecord("users", "bob", std::string("B\0b", 3), 11, "n1", 2);
  Write({a, b});
  EXPECT_EQ(GetOk("users", "alice"), a);
  EXPECT_EQ(GetOk("users", "bob"), b);
  EXPECT_EQ(store_->Get("users", "carol").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->Get("user", "salice").status().code(), Code::kNotFound);
  EXPECT_STREQ(store_->Name(), GetParam().name.c_str());
}

TEST_P(StoreContractTest, LaterWriteWinsWithinABatchAndAcrossBatches) {
  Write(
      {MakeRecord("c", "k", "v1", 10, "n1", 1), MakeRecord("c", "k", "v2", 11, "n1", 2)});
  EXPECT_EQ(GetOk("c", "k").value, "v2");
  Write({MakeRecord("c", "k", "v3", 12, "n2", 1)});
  EXPECT_EQ(GetOk("c", "k"), MakeRecord("c", "k", "v3", 12, "n2", 1));
  EXPECT_EQ(ScanAllRecords(*store_).size(), 1u);
}

TEST_P(StoreContractTest, ScanIsPerCollectionInKeyOrderWithPrefix) {
  Write({MakeRecord("a", "k2", "x", 1, "n1", 1), MakeRecord("a", "k10", "x", 1, "n1", 2),
         MakeRecord("a", "k1", "x", 1, "n1", 3), MakeRecord("a", "j", "x", 1, "n1", 4),
         MakeRecord("ab", "k1", "x", 1, "n1", 5),
         MakeRecord("a", "\xff\xff", "x", 1, "n1", 6),
         MakeRecord("a", "\xff\xff\x01", "x", 1, "n1", 7)});
  auto keys = [](const std::vector<Record>& records) {
    std::vector<std::string> out;
    for (const Record& r : records) out.push_back(r.key);
    return out;
  };
  using Keys = std::vector<std::string>;
  EXPECT_EQ(keys(ScanRecords(*store_, "a", "")),
            (Keys{"j", "k1", "k10", "k2", "\xff\xff", "\xff\xff\x01"}));
  EXPECT_EQ(keys(ScanRecords(*store_, "a", "k1")), (Keys{"k1", "k10"}));
  EXPECT_EQ(keys(ScanRecords(*store_, "a", "\xff")), (Keys{"\xff\xff", "\xff\xff\x01"}));
  EXPECT_EQ(keys(ScanRecords(*store_, "ab", "")), (Keys{"k1"}));
  EXPECT_TRUE(ScanRecords(*store_, "b", "").empty());
  size_t calls = 0;
  ASSERT_TRUE(store_->Scan("a", "", [&](const Record&) { return ++calls < 2; }).ok());
  EXPECT_EQ(calls, 2u);
}

TEST_P(StoreContractTest, ScanAllFollowsRecordKeyOrder) {
  Write({MakeRecord("zz", "a", "x", 1, "n1", 1), MakeRecord("b", "zzz", "x", 1, "n1", 2),
         MakeRecord("b", "a", "x", 1, "n1", 3), MakeRecord("ccc", "a", "x", 1, "n1", 4)});
  std::vector<std::string> rkeys;
  for (const Record& r : ScanAllRecords(*store_))
    rkeys.push_back(RecordKey(r.collection, r.key));
  EXPECT_EQ(rkeys.size(), 4u);
  EXPECT_TRUE(std::is_sorted(rkeys.begin(), rkeys.end()));
}

TEST_P(StoreContractTest, TombstonesAreRecords) {
  Write({MakeRecord("c", "k", "v", 10, "n1", 1),
         MakeRecord("c", "other", "v", 10, "n1", 2)});
  Write({MakeRecord("c", "k", "", 11, "n1", 3, /*deleted=*/true)});
  const Record got = GetOk("c", "k");
  EXPECT_TRUE(got.deleted);
  EXPECT_EQ(got.version.hlc, 11u);
  EXPECT_EQ(ScanRecords(*store_, "c", "").size(), 2u);
  auto counts = store_->Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->records, 2u);
  EXPECT_EQ(counts->tombstones, 1u);
}

TEST_P(StoreContractTest, MetadataRoundTrip) {
  auto empty = store_->LoadMetadata();
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty.value(), Metadata());
  Metadata m;
  m.own_seq = 42;
  m.hlc = MakeHlc(1700000000000, 7);
  m.vv.Set("n1", 42);
  m.vv.Set("n2", 9);
  WriteBatch batch;
  batch.metadata = m;
  ASSERT_TRUE(store_->Commit(batch).ok());
  EXPECT_EQ(store_->LoadMetadata().value(), m);
  // A batch without metadata leaves it as it was.
  Write({MakeRecord("c", "k", "v", 1, "n1", 43)});
  EXPECT_EQ(store_->LoadMetadata().value(), m);
}

TEST_P(StoreContractTest, AuxValuesRoundTrip) {
  EXPECT_EQ(store_->GetAux("pg.lsn").status().code(), Code::kNotFound);
  WriteBatch batch;
  batch.aux = {{"pg.lsn", std::string("0/16B\0\xff", 7)}, {"files.pos", "12"}};
  ASSERT_TRUE(store_->Commit(batch).ok());
  EXPECT_EQ(store_->GetAux("pg.lsn").value(), std::string("0/16B\0\xff", 7));
  batch.aux = {{"files.pos", "13"}};
  ASSERT_TRUE(store_->Commit(batch).ok());
  EXPECT_EQ(store_->GetAux("files.pos").value(), "13");
}

TEST_P(StoreContractTest, InvalidRecordFailsTheWholeBatch) {
  WriteBatch batch;
  batch.writes.push_back({MakeRecord("c", "good", "v", 1, "n1", 1), std::nullopt});
  batch.writes.push_back({MakeRecord("", "bad", "v", 1, "n1", 2), std::nullopt});
  batch.metadata = Metadata{2, 1, {}};
  EXPECT_EQ(store_->Commit(batch).code(), Code::kInvalidArgument);
  batch.writes[1] = {MakeRecord("c", "", "v", 1, "n1", 2), std::nullopt};
  EXPECT_EQ(store_->Commit(batch).code(), Code::kInvalidArgument);
  batch.writes[1] = {MakeRecord("c", "k", "v", 1, "bad origin", 2), std::nullopt};
  EXPECT_EQ(store_->Commit(batch).code(), Code::kInvalidArgument);
  EXPECT_TRUE(ScanAllRecords(*store_).empty());
  EXPECT_EQ(store_->LoadMetadata().value(), Metadata());
}

// Three origins, with seqs interleaved across keys and collections.
std::vector<Record> MixedOrigins() {
  std::vector<Record> records;
  for (uint64_t seq = 1; seq <= 5; ++seq) {
    for (const char* origin : {"b", "a", "c"}) {
      records.push_back(MakeRecord(seq % 2 ? "odd" : "even",
                                   std::string(origin) + std::to_string(seq),
                                   std::string(seq * 10, 'v'), 100 + seq, origin, seq));
    }
  }
  return records;
}

TEST_P(StoreContractTest, ReadSinceReturnsWhatTheVectorLacksInOriginSeqOrder) {
  Write(MixedOrigins());
  auto snap = Snapshot();
  ASSERT_NE(snap, nullptr);
  VersionVector since({{"a", 3}, {"c", 5}, {"zz", 9}});
  for (size_t page : {1, 2, 3, 1000}) {
    auto got = ReadAllSince(snap.get(), since, page);
    std::vector<OriginSeq> seqs;
    for (const Record& r : got.records) seqs.push_back(r.origin_seq());
    EXPECT_EQ(seqs,
              (std::vector<OriginSeq>{
                  {"a", 4}, {"a", 5}, {"b", 1}, {"b", 2}, {"b", 3}, {"b", 4}, {"b", 5}}))
        << "page size " << page;
    EXPECT_GE(got.pages, (7 + page - 1) / page);
    EXPECT_EQ(got.records.front(), GetOk("even", "a4"));
  }
  EXPECT_EQ(ReadAllSince(snap.get(), VersionVector()).records.size(), 15u);
  EXPECT_TRUE(ReadAllSince(snap.get(), VersionVector({{"a", 5}, {"b", 5}, {"c", 5}}))
                  .records.empty());
}

TEST_P(StoreContractTest, ReadSinceResumesFromACursor) {
  Write(MixedOrigins());
  auto snap = Snapshot();
  std::vector<Record> out;
  OriginSeq cursor{"a", 5};
  bool done = false;
  ASSERT_TRUE(snap->ReadSince(VersionVector(), &cursor, 2, 1 << 20, &out, &done).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].origin_seq(), (OriginSeq{"b", 1}));
  EXPECT_EQ(cursor, (OriginSeq{"b", 2}));
  EXPECT_FALSE(done);
}

TEST_P(StoreContractTest, ReadSinceStopsAtTheByteLimitButMakesProgress) {
  Write(MixedOrigins());  // values of 10..50 bytes, keys of 2 bytes
  auto snap = Snapshot();
  auto one_each = ReadAllSince(snap.get(), VersionVector(), 1000, 1);
  EXPECT_EQ(one_each.records.size(), 15u);
  EXPECT_GE(one_each.pages, 15u);
  auto few = ReadAllSince(snap.get(), VersionVector(), 1000, 100);
  EXPECT_EQ(few.records.size(), 15u);
  EXPECT_GE(few.pages, 4u);  // 15 records, 2 + 10..50 bytes each, 100 per page
  EXPECT_LT(few.pages, 15u);
}

TEST_P(StoreContractTest, ReadSinceNeverReturnsASupersededRecord) {
  Write({MakeRecord("c", "k", "old", 10, "a", 1), MakeRecord("c", "j", "x", 10, "a", 2)});
  Write({MakeRecord("c", "k", "newer", 20, "b", 1)});
  Write({MakeRecord("c", "j", "y", 21, "a", 3), MakeRecord("c", "j", "z", 22, "a", 4)});
  Write({MakeRecord("c", "k", "", 30, "a", 5, /*deleted=*/true)});
  auto snap = Snapshot();
  std::vector<OriginSeq> seqs;
  for (const Record& r : ReadAllSince(snap.get(), VersionVector(), 1).records) {
    seqs.push_back(r.origin_seq());
  }
  EXPECT_EQ(seqs, (std::vector<OriginSeq>{{"a", 4}, {"a", 5}}));
}

TEST_P(StoreContractTest, SnapshotDoesNotSeeLaterCommits) {
  Write({MakeRecord("c", "k", "v1", 10, "a", 1)});
  WriteBatch meta;
  meta.metadata = Metadata{1, 10, VersionVector({{"a", 1}})};
  ASSERT_TRUE(store_->Commit(meta).ok());
  auto snap = Snapshot();
  Write(
      {MakeRecord("c", "k", "v2", 20, "a", 2), MakeRecord("c", "new", "v", 21, "b", 1)});
  meta.metadata = Metadata{2, 21, VersionVector({{"a", 2}, {"b", 1}})};
  ASSERT_TRUE(store_->Commit(meta).ok());

  EXPECT_EQ(snap->metadata().own_seq, 1u);
  auto old_view = ReadAllSince(snap.get(), VersionVector());
  ASSERT_EQ(old_view.records.size(), 1u);
  EXPECT_EQ(old_view.records[0].value, "v1");
  auto now = Snapshot();
  EXPECT_EQ(now->metadata().own_seq, 2u);
  EXPECT_EQ(ReadAllSince(now.get(), VersionVector()).records.size(), 2u);
  EXPECT_EQ(GetOk("c", "k").value, "v2");
}

TEST_P(StoreContractTest, DigestEqualsAMemoryStoreWithTheSameRecords) {
  std::vector<Record> records = MixedOrigins();
  records.push_back(MakeRecord("odd", "a1", "", 500, "c", 6, /*deleted=*/true));
  Write(records);
  auto memory = NewMemoryStore();
  WriteBatch batch;
  for (const Record& r : records) batch.writes.push_back({r, std::nullopt});
  ASSERT_TRUE(memory->Commit(batch).ok());
  EXPECT_EQ(StoreDigest(*store_).value(), StoreDigest(*memory).value());
  EXPECT_EQ(StoreDigest(*store_, "odd").value(), StoreDigest(*memory, "odd").value());
  EXPECT_NE(StoreDigest(*store_, "odd").value(), StoreDigest(*store_, "even").value());

  batch.writes = {{MakeRecord("even", "b2", "changed", 102, "b", 2), std::nullopt}};
  ASSERT_TRUE(memory->Commit(batch).ok());
  EXPECT_NE(StoreDigest(*store_).value(), StoreDigest(*memory).value());
  EXPECT_EQ(StoreDigest(*store_, "odd").value(), StoreDigest(*memory, "odd").value());
}

TEST_P(StoreContractTest, CountsLiveRecordsAndTombstones) {
  EXPECT_EQ(store_->Counts()->records, 0u);
  Write(MixedOrigins());
  Write({MakeRecord("odd", "a1", "", 900, "a", 6, true),
         MakeRecord("odd", "b1", "", 901, "a", 7, true)});
  auto counts = store_->Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->records, 15u);
  EXPECT_EQ(counts->tombstones, 2u);
}

// Random writes from several origins over few keys, then ReadSince from
// random vectors and page limits, against a brute-force model: the current
// records whose seq the vector lacks, in (origin, seq) order.
TEST_P(StoreContractTest, ReadSinceMatchesAModelUnderRandomWrites) {
  std::mt19937 rng(7);
  std::map<std::string, uint64_t> next_seq;
  std::map<std::string, Record> model;  // RecordKey -> current record
  const std::vector<std::string> origins = {"a", "a-b", "b", "c"};
  for (int batch = 0; batch < 40; ++batch) {
    std::vector<Record> writes;
    for (int i = 0; i < 20; ++i) {
      const std::string& origin = origins[rng() % origins.size()];
      Record r =
          MakeRecord("c" + std::to_string(rng() % 2), "k" + std::to_string(rng() % 30),
                     std::string(rng() % 40, 'v'), batch * 100 + i, origin,
                     ++next_seq[origin], rng() % 5 == 0);
      model[RecordKey(r.collection, r.key)] = r;
      writes.push_back(std::move(r));
    }
    Write(writes);
  }
  auto snap = Snapshot();
  for (int round = 0; round < 20; ++round) {
    VersionVector since;
    for (const std::string& o : origins) {
      if (rng() % 2) since.Set(o, rng() % (next_seq[o] + 2));
    }
    std::vector<OriginSeq> expected;
    for (const auto& [rkey, r] : model) {
      if (r.seq > since.Get(r.version.origin)) expected.push_back(r.origin_seq());
    }
    std::sort(expected.begin(), expected.end());
    auto got = ReadAllSince(snap.get(), since, 1 + rng() % 7, 1 + rng() % 200);
    std::vector<OriginSeq> seqs;
    for (const Record& r : got.records) {
      seqs.push_back(r.origin_seq());
      EXPECT_EQ(r, model[RecordKey(r.collection, r.key)]);
    }
    EXPECT_EQ(seqs, expected) << "round " << round;
  }
}

// Durable stores only: what must survive closing the store.
class DurableStoreContractTest : public StoreContractTest {};

TEST_P(DurableStoreContractTest, ReopenRestoresEverything) {
  Write(MixedOrigins());
  Write({MakeRecord("odd", "a1", "", 900, "a", 6, true)});
  WriteBatch batch;
  batch.metadata = Metadata{7, 900, VersionVector({{"a", 6}, {"b", 5}, {"c", 5}})};
  batch.aux = {{"conn.pos", "77"}};
  ASSERT_TRUE(store_->Commit(batch).ok());
  const std::vector<Record> before = ScanAllRecords(*store_);
  const std::string digest = StoreDigest(*store_).value();

  Reopen();
  EXPECT_EQ(ScanAllRecords(*store_), before);
  EXPECT_EQ(StoreDigest(*store_).value(), digest);
  EXPECT_EQ(store_->LoadMetadata().value(), *batch.metadata);
  EXPECT_EQ(store_->GetAux("conn.pos").value(), "77");
  EXPECT_EQ(store_->Counts()->tombstones, 1u);
  auto snap = Snapshot();
  EXPECT_EQ(snap->metadata(), *batch.metadata);
  // The index came back too, superseded entry (a, 1) excluded.
  EXPECT_EQ(ReadAllSince(snap.get(), VersionVector({{"b", 5}, {"c", 5}})).records.size(),
            5u);
}

TEST_P(DurableStoreContractTest, SecondOpenIsRefusedWhileOpen) {
  auto second = GetParam().open(dir_.path());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find(dir_.path()), std::string::npos)
      << second.status().ToString();
  EXPECT_NE(second.status().message().find("locked"), std::string::npos)
      << second.status().ToString();
  // The refused open did not disturb the open store.
  Write({MakeRecord("c", "k", "v", 1, "a", 1)});
  Reopen();
  EXPECT_EQ(GetOk("c", "k").value, "v");
}

INSTANTIATE_TEST_SUITE_P(DurableStores, DurableStoreContractTest,
                         ::testing::ValuesIn(testutil::DurableStoreKinds()), KindName);

INSTANTIATE_TEST_SUITE_P(AllStores, StoreContractTest,
                         ::testing::ValuesIn(testutil::AllStoreKinds()), KindName);

}  // namespace
}  // namespace datasync
