#include "datasync/version_vector.h"

#include <gtest/gtest.h>

#include "datasync/record.h"
#include "datasync/version.h"

namespace datasync {
namespace {

TEST(VersionTest, OrderedByHlcThenOrigin) {
  EXPECT_LT((Version{1, "z"}), (Version{2, "a"}));
  EXPECT_LT((Version{5, "a"}), (Version{5, "b"}));
  EXPECT_TRUE(Supersedes(Version{5, "b"}, Version{5, "a"}));
  EXPECT_FALSE(Supersedes(Version{5, "a"}, Version{5, "a"}));  // idempotent
  EXPECT_FALSE(Supersedes(Version{4, "z"}, Version{5, "a"}));
  EXPECT_TRUE(Version{}.empty());
}

TEST(VersionVectorTest, GetSetAndZeroMeansAbsent) {
  VersionVector vv;
  EXPECT_EQ(vv.Get("a"), 0u);
  vv.Set("a", 3);
  EXPECT_EQ(vv.Get("a"), 3u);
  vv.Set("a", 0);
  EXPECT_EQ(vv.size(), 0u);
  EXPECT_EQ(VersionVector({{"a", 0}, {"b", 2}}).size(), 1u);
}

TEST(VersionVectorTest, MergeIsPointwiseMax) {
  VersionVector a({{"x", 5}, {"y", 1}});
  a.MergeFrom(VersionVector({{"x", 3}, {"y", 4}, {"z", 2}}));
  EXPECT_EQ(a, VersionVector({{"x", 5}, {"y", 4}, {"z", 2}}));
}

TEST(VersionVectorTest, BehindAndLag) {
  VersionVector mine({{"x", 5}, {"y", 1}});
  VersionVector theirs({{"x", 3}, {"y", 4}, {"z", 2}});
  EXPECT_TRUE(mine.IsBehind(theirs));
  EXPECT_EQ(mine.LagBehind(theirs), 3u + 2u);
  EXPECT_FALSE(theirs.IsBehind(VersionVector({{"x", 3}})));
  EXPECT_EQ(theirs.LagBehind(VersionVector()), 0u);
}

TEST(VersionVectorTest, TextRoundTripsAndIsReadStrictly) {
  const VersionVector vv({{"b", 7}, {"a", 3}, {"node-9", 18446744073709551615u}});
  EXPECT_EQ(vv.ToText(), "a=3,b=7,node-9=18446744073709551615");
  VersionVector back({{"stale", 1}});
  ASSERT_TRUE(VersionVector::FromText(vv.ToText(), &back));
  EXPECT_EQ(back, vv);
  EXPECT_EQ(VersionVector().ToText(), "");
  ASSERT_TRUE(VersionVector::FromText("", &back));
  EXPECT_EQ(back, VersionVector());
  // Each is refused, and leaves the output as it was.
  for (const char* bad : {"a", "=3", "a=", "a=x", "a=3,", ",a=3", "a=3,,b=1", "a=-1", "a=0",
                          "a=3,a=4", "a=18446744073709551616", "a=3 "}) {
    VersionVector out({{"kept", 1}});
    EXPECT_FALSE(VersionVector::FromText(bad, &out)) << bad;
    EXPECT_EQ(out, VersionVector({{"kept", 1}})) << bad;
  }
}

TEST(RecordTest, NodeIdAndCollectionRules) {
  EXPECT_TRUE(IsValidNodeId("node-1_A"));
  EXPECT_FALSE(IsValidNodeId(""));
  EXPECT_FALSE(IsValidNodeId("a b"));
  EXPECT_FALSE(IsValidNodeId(std::string(65, 'a')));
  EXPECT_TRUE(IsValidNodeId(std::string(64, 'a')));
  EXPECT_TRUE(IsValidCollection("orders"));
  EXPECT_FALSE(IsValidCollection(""));
  EXPECT_FALSE(IsValidCollection(std::string("a\0b", 3)));
  EXPECT_FALSE(IsValidCollection(std::string(256, 'c')));
}

TEST(RecordTest, RecordKeyIsUnambiguousAndRoundTrips) {
  EXPECT_NE(RecordKey("ab", "c"), RecordKey("a", "bc"));
  const std::string key("k\0\xff", 3);
  std::string c, k;
  ASSERT_TRUE(SplitRecordKey(RecordKey("coll", key), &c, &k));
  EXPECT_EQ(c, "coll");
  EXPECT_EQ(k, key);
  EXPECT_FALSE(SplitRecordKey("", &c, &k));
  EXPECT_FALSE(SplitRecordKey(std::string("\x05" "ab", 3), &c, &k));
  // All keys of one collection sort together.
  EXPECT_LT(RecordKey("a", "zzz"), RecordKey("b", ""));
}

}  // namespace
}  // namespace datasync
