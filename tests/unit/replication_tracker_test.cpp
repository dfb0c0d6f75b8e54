// ReplicationTracker (services/loadgen/replication_tracker.h): when an
// acknowledged write counts as visible everywhere, whatever the order in
// which acknowledgements and change-feed arrivals come in.
#include "../../services/loadgen/replication_tracker.h"

#include <gtest/gtest.h>

namespace datasync {
namespace {

Version V(HlcTimestamp hlc, const char* origin) { return Version{hlc, origin}; }

LatencyHistogram Interval(ReplicationTracker& t) {
  LatencyHistogram h;
  t.TakeInterval(&h);
  return h;
}

TEST(ReplicationTrackerTest, VisibleOnceEveryOtherNodeHasIt) {
  ReplicationTracker t({true, true, true});
  t.Interest(7);
  t.Acked(7, V(100, "a"), /*writer=*/0, /*start_us=*/1000);
  EXPECT_EQ(t.pending(), 1);
  t.Seen(0, 7, V(100, "a"), 1100);  // the writer's own feed: not awaited
  t.Seen(1, 7, V(100, "a"), 1500);
  EXPECT_EQ(t.pending(), 1);
  t.Seen(2, 7, V(100, "a"), 1800);
  EXPECT_EQ(t.pending(), 0);
  LatencyHistogram h = Interval(t);
  ASSERT_EQ(h.count(), 1u);
  EXPECT_EQ(h.max(), 800u);  // last arrival - start
  EXPECT_EQ(t.Total().count(), 1u);
  EXPECT_EQ(Interval(t).count(), 0u);  // taken already
}

TEST(ReplicationTrackerTest, LastVisibleIsTheLatestCompletion) {
  ReplicationTracker t({true, true});
  EXPECT_EQ(t.last_visible_us(), 0);
  t.Interest(1);
  t.Interest(2);
  t.Acked(1, V(10, "a"), /*writer=*/0, 100);
  t.Acked(2, V(11, "a"), /*writer=*/0, 200);
  t.Seen(1, 2, V(11, "a"), 900);
  EXPECT_EQ(t.last_visible_us(), 900);
  t.Seen(1, 1, V(10, "a"), 700);  // completes later, became visible earlier
  EXPECT_EQ(t.last_visible_us(), 900);
}

TEST(ReplicationTrackerTest, ArrivalsBeforeTheAcknowledgementCount) {
  ReplicationTracker t({true, true, true});
  t.Interest(3);
  t.Seen(1, 3, V(50, "c"), 300);
  t.Seen(2, 3, V(50, "c"), 400);
  t.Acked(3, V(50, "c"), /*writer=*/0, 100);
  EXPECT_EQ(t.pending(), 0);
  EXPECT_EQ(Interval(t).max(), 300u);
}

TEST(ReplicationTrackerTest, AHigherVersionSupersedesTheWrite) {
  ReplicationTracker t({true, true});
  t.Interest(1);
  t.Acked(1, V(10, "b"), /*writer=*/1, 0);
  t.Seen(0, 1, V(9, "z"), 50);  // older: not it
  EXPECT_EQ(t.pending(), 1);
  t.Seen(0, 1, V(10, "a"), 60);  // same hlc, lower origin: still older
  EXPECT_EQ(t.pending(), 1);
  t.Seen(0, 1, V(11, "a"), 70);  // newer: ours will never be applied there
  EXPECT_EQ(t.pending(), 0);
  EXPECT_EQ(Interval(t).max(), 70u);
}

TEST(ReplicationTrackerTest, EarliestCoveringArrivalIsUsed) {
  ReplicationTracker t({true, true});
  t.Interest(5);
  t.Seen(1, 5, V(20, "a"), 200);
  t.Seen(1, 5, V(30, "b"), 900);
  t.Acked(5, V(20, "a"), /*writer=*/0, 100);
  EXPECT_EQ(Interval(t).max(), 100u);
}

TEST(ReplicationTrackerTest, NodesNotAwaitedAreSkipped) {
  ReplicationTracker t({true, true, true});
  t.SetAwaited(2, false);
  t.Interest(9);
  t.Acked(9, V(1, "a"), 0, 0);
  t.Seen(1, 9, V(1, "a"), 10);
  EXPECT_EQ(t.pending(), 0);
  EXPECT_EQ(Interval(t).count(), 1u);
}

TEST(ReplicationTrackerTest, SeveralWritesOfOneKeyInFlight) {
  ReplicationTracker t({true, true});
  t.Interest(2);
  t.Interest(2);
  t.Acked(2, V(5, "a"), 0, 0);
  t.Acked(2, V(6, "a"), 0, 10);
  EXPECT_EQ(t.pending(), 2);
  t.Seen(1, 2, V(6, "a"), 100);  // covers both
  EXPECT_EQ(t.pending(), 0);
  LatencyHistogram h = Interval(t);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.min(), 90u);
  EXPECT_EQ(h.max(), 100u);
}

TEST(ReplicationTrackerTest, AbandonedAndUninterestingKeysLeaveNothingBehind) {
  ReplicationTracker t({true, true});
  t.Seen(1, 4, V(1, "a"), 10);  // nobody waits for key 4: ignored
  t.Interest(4);
  t.Abandon(4);
  t.Seen(1, 4, V(2, "a"), 20);
  // A later write of key 4 must not see the arrivals from before its
  // Interest() as its own.
  t.Interest(4);
  t.Acked(4, V(2, "a"), 0, 30);
  EXPECT_EQ(t.pending(), 1);
  t.Seen(1, 4, V(2, "a"), 45);
  EXPECT_EQ(t.pending(), 0);
  EXPECT_EQ(Interval(t).max(), 15u);
}

TEST(ReplicationTrackerTest, SingleOtherNodeNeverSeenStaysPending) {
  ReplicationTracker t({true, true});
  t.Interest(8);
  t.Acked(8, V(3, "b"), 1, 0);
  t.Seen(1, 8, V(3, "b"), 5);  // only the writer saw it
  EXPECT_EQ(t.pending(), 1);
  EXPECT_EQ(t.Total().count(), 0u);
}

}  // namespace
}  // namespace datasync
