// DigestBuilder and StoreDigest: equal exactly when the records are equal.
// Digests are compared across nodes and versions, so the encoding is pinned
// by golden values (computed by an independent FNV-1a 128 implementation).
#include "datasync/digest.h"

#include <gtest/gtest.h>

#include <set>

#include "datasync/memory_store.h"
#include "testutil/store_testutil.h"

namespace datasync {
namespace {

using testutil::MakeRecord;

std::string DigestOf(const std::vector<Record>& records) {
  DigestBuilder builder;
  for (const Record& r : records) builder.Add(r);
  return builder.Hex();
}

TEST(DigestTest, EmptyIsTheFnvOffsetBasis) {
  EXPECT_EQ(DigestBuilder().Hex(), "6c62272e07bb014262b821756295c58d");
}

TEST(DigestTest, GoldenValuesPinTheEncoding) {
  const Record alice =
      MakeRecord("users", "alice", "A", MakeHlc(1700000000000, 3), "n1", 7);
  const Record bob =
      MakeRecord("users", "bob", "", MakeHlc(1700000000001, 0), "n2", 1, true);
  EXPECT_EQ(DigestOf({alice}), "4bc72b60aca8de825c8fb744ad7bd894");
  EXPECT_EQ(DigestOf({alice, bob}), "06963e1ceb2adebed8d715a5a61dcb68");
}

TEST(DigestTest, EveryFieldCounts) {
  const Record base = MakeRecord("c", "k", "v", 100, "n1", 5);
  std::vector<Record> variants(8, base);
  variants[1].collection = "d";
  variants[2].key = "j";
  variants[3].value = "w";
  variants[4].deleted = true;
  variants[5].version.hlc = 101;
  variants[6].version.origin = "n2";
  variants[7].seq = 6;
  std::set<std::string> digests;
  for (const Record& r : variants) digests.insert(DigestOf({r}));
  EXPECT_EQ(digests.size(), variants.size());
}

TEST(DigestTest, FieldBoundariesAreUnambiguous) {
  // The same bytes split differently between fields must not collide.
  EXPECT_NE(DigestOf({MakeRecord("ab", "c", "v", 1, "n", 1)}),
            DigestOf({MakeRecord("a", "bc", "v", 1, "n", 1)}));
  EXPECT_NE(DigestOf({MakeRecord("c", "kv", "", 1, "n", 1)}),
            DigestOf({MakeRecord("c", "k", "v", 1, "n", 1)}));
  // One record is not two.
  EXPECT_NE(DigestOf({MakeRecord("c", "k", "v", 1, "n", 1)}),
            DigestOf({MakeRecord("c", "k", "", 1, "n", 1),
                      MakeRecord("c", "", "v", 1, "n", 1)}));
}

TEST(DigestTest, OrderSensitiveAndDeterministic) {
  const Record a = MakeRecord("c", "a", "1", 1, "n", 1);
  const Record b = MakeRecord("c", "b", "2", 2, "n", 2);
  EXPECT_EQ(DigestOf({a, b}), DigestOf({a, b}));
  EXPECT_NE(DigestOf({a, b}), DigestOf({b, a}));
  const std::string hex = DigestOf({a, b});
  EXPECT_EQ(hex.size(), 32u);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(DigestTest, StoreDigestCoversAllOrOneCollection) {
  auto store = NewMemoryStore();
  const Record x1 = MakeRecord("x", "1", "a", 1, "n", 1);
  const Record x2 = MakeRecord("x", "2", "b", 2, "n", 2);
  const Record y1 = MakeRecord("y", "1", "c", 3, "n", 3);
  WriteBatch batch;
  for (const Record& r : {y1, x2, x1}) batch.writes.push_back({r, std::nullopt});
  ASSERT_TRUE(store->Commit(batch).ok());
  EXPECT_EQ(StoreDigest(*store).value(), DigestOf({x1, x2, y1}));
  EXPECT_EQ(StoreDigest(*store, "x").value(), DigestOf({x1, x2}));
  EXPECT_EQ(StoreDigest(*store, "y").value(), DigestOf({y1}));
  EXPECT_EQ(StoreDigest(*store, "none").value(), DigestBuilder().Hex());
}

}  // namespace
}  // namespace datasync
