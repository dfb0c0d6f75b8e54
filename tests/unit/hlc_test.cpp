#include "datasync/hlc.h"

#include <gtest/gtest.h>

namespace datasync {
namespace {

TEST(HlcTest, NowFollowsWallClock) {
  Hlc clock;
  EXPECT_EQ(clock.Now(1000), MakeHlc(1000, 0));
  EXPECT_EQ(clock.Now(1005), MakeHlc(1005, 0));
}

TEST(HlcTest, SameMillisecondUsesLogicalCounter) {
  Hlc clock;
  EXPECT_EQ(clock.Now(1000), MakeHlc(1000, 0));
  EXPECT_EQ(clock.Now(1000), MakeHlc(1000, 1));
  EXPECT_EQ(clock.Now(1000), MakeHlc(1000, 2));
}

TEST(HlcTest, MonotonicWhenWallClockGoesBackwards) {
  Hlc clock;
  const HlcTimestamp a = clock.Now(5000);
  const HlcTimestamp b = clock.Now(1000);  // clock stepped back 4 s
  const HlcTimestamp c = clock.Now(4999);
  EXPECT_GT(b, a);
  EXPECT_GT(c, b);
  EXPECT_EQ(HlcPhysicalMs(c), 5000u);
  EXPECT_EQ(clock.Now(6000), MakeHlc(6000, 0));  // wall clock catches up
}

TEST(HlcTest, LogicalOverflowBorrowsNextMillisecond) {
  Hlc clock(500, MakeHlc(1000, kHlcLogicalMask));
  const HlcTimestamp t = clock.Now(1000);
  EXPECT_EQ(t, MakeHlc(1001, 0));
  EXPECT_GT(t, MakeHlc(1000, kHlcLogicalMask));
  // Many events in one millisecond stay strictly increasing across the carry.
  HlcTimestamp prev = t;
  for (int i = 0; i < 200000; ++i) {
    const HlcTimestamp next = clock.Now(1000);
    ASSERT_GT(next, prev);
    prev = next;
  }
}

TEST(HlcTest, UpdateAdvancesPastReceived) {
  Hlc clock;
  clock.Now(1000);
  EXPECT_TRUE(clock.Update(MakeHlc(1200, 7), 1100));
  EXPECT_GT(clock.Now(1100), MakeHlc(1200, 7));  // causality
}

TEST(HlcTest, UpdateWithOlderRemoteKeepsClock) {
  Hlc clock;
  const HlcTimestamp a = clock.Now(5000);
  EXPECT_TRUE(clock.Update(MakeHlc(10, 0), 5000));
  EXPECT_EQ(clock.last(), a);
}

TEST(HlcTest, FarFutureRemoteIsReportedButHonoured) {
  Hlc clock(/*max_offset_ms=*/500);
  EXPECT_TRUE(clock.Update(MakeHlc(1500, 0), 1000));   // exactly at the limit
  EXPECT_FALSE(clock.Update(MakeHlc(1501, 0), 1000));  // beyond: reported
  EXPECT_FALSE(clock.Update(MakeHlc(1000 + 3600000, 3), 1000));
  EXPECT_GT(clock.Now(1000), MakeHlc(1000 + 3600000, 3));
}

// Found by tests/fuzz (replica_input): a heartbeat carrying the largest
// timestamp made the next Now() wrap to the wall clock.
TEST(HlcTest, LargestRemoteTimestampNeverWrapsTheClock) {
  Hlc clock;
  const HlcTimestamp max = MakeHlc(kHlcMaxPhysicalMs, kHlcLogicalMask);
  EXPECT_FALSE(clock.Update(max, 1000));
  EXPECT_EQ(clock.Now(1000), max);
  EXPECT_EQ(clock.Now(2000), max);
  EXPECT_EQ(clock.last(), max);
}

TEST(HlcTest, PackingRoundTrips) {
  const HlcTimestamp t = MakeHlc(kHlcMaxPhysicalMs, kHlcLogicalMask);
  EXPECT_EQ(HlcPhysicalMs(t), kHlcMaxPhysicalMs);
  EXPECT_EQ(HlcLogical(t), kHlcLogicalMask);
  EXPECT_LT(MakeHlc(7, kHlcLogicalMask), MakeHlc(8, 0));
}

}  // namespace
}  // namespace datasync
