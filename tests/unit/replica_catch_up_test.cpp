#include <gtest/gtest.h>

#include "datasync/digest.h"
#include "datasync/replica.h"
#include "testutil/replica_harness.h"

namespace datasync {
namespace {

using testutil::Exchange;
using testutil::ReplicaHarness;

void Connect(const std::vector<ReplicaHarness*>& all) {
  for (ReplicaHarness* h : all) {
    std::vector<std::string> ids;
    for (ReplicaHarness* p : all) ids.push_back(p->replica().id());
    h->replica().SetPeers(ids);
  }
}

std::string Digest(ReplicaHarness& h) {
  auto d = StoreDigest(h.store());
  EXPECT_TRUE(d.ok());
  return d.ok() ? d.value() : "";
}

template <typename T>
int Count(const ReplicaOutput& out) {
  int n = 0;
  for (const Outgoing& m : out.messages) n += std::holds_alternative<T>(m.message);
  return n;
}

TEST(CatchUpTest, GapInSequenceTriggersCatchUpFromOrigin) {
  ReplicaHarness a("a"), b("b");
  Connect({&a, &b});
  std::vector<ReplicaOutput> outs;
  for (int i = 1; i <= 3; ++i) {
    a.replica().Put(i, "c", "k" + std::to_string(i), "v", 1000 + i);
    outs.push_back(a.Flush());
  }
  b.replica().OnMessage(outs[0].messages[0].message, 1010);
  b.replica().OnMessage(outs[2].messages[0].message, 1010);  // seq 2 lost
  EXPECT_EQ(b.replica().vv().Get("a"), 1u);
  ReplicaOutput req = b.FlushTo({&a}, 1010);
  EXPECT_EQ(Count<CatchUpRequest>(req), 1);
  EXPECT_EQ(b.replica().counters().gaps_detected, 1u);
  Exchange({&a, &b}, 1010);
  EXPECT_EQ(b.replica().vv().Get("a"), 3u);
  EXPECT_FALSE(b.replica().catching_up());
  EXPECT_EQ(Digest(a), Digest(b));
}

TEST(CatchUpTest, TailLossRepairedByHeartbeatInPages) {
  ReplicaHarness a("a"), b("b");
  b.options().catch_up_page_records = 10;
  b.Restart();
  a.options().catch_up_page_records = 10;
  a.Restart();
  Connect({&a, &b});
  for (int i = 0; i < 95; ++i) a.replica().Put(i, "c", "k" + std::to_string(i), "v", 1000);
  a.Flush();  // every publication lost
  a.replica().Tick(1001);
  a.FlushTo({&b}, 1001);  // the heartbeat arrives
  Exchange({&a, &b}, 1002);
  EXPECT_EQ(a.replica().counters().catch_up_pages_served, 10u);
  EXPECT_EQ(b.replica().vv().Get("a"), 95u);
  EXPECT_EQ(b.replica().record_count(), 95u);
  EXPECT_EQ(Digest(a), Digest(b));
}

TEST(CatchUpTest, PagesComeFromOneSnapshotWhileResponderKeepsWriting) {
  ReplicaHarness a("a"), b("b");
  a.options().catch_up_page_records = 5;
  a.Restart();
  Connect({&a, &b});
  for (int i = 0; i < 40; ++i) a.replica().Put(i, "c", "k" + std::to_string(i % 20), "v1", 1000);
  a.Flush();
  a.replica().Tick(1001);
  a.FlushTo({&b}, 1001);
  // Interleave: every round a overwrites keys the pages have not reached yet.
  for (int round = 0; round < 20 && (b.replica().catching_up() || round == 0); ++round) {
    b.FlushTo({&a}, 1002);
    a.replica().Put(100 + round, "c", "k" + std::to_string(19 - round % 20), "v2", 1002);
    ReplicaOutput out = a.Flush();
    for (const Outgoing& m : out.messages) {
      if (!m.to.empty()) b.replica().OnMessage(m.message, 1002);  // live writes lost
    }
  }
  b.Flush();
  // b's vector may claim only what the snapshot held: seq 40, not beyond.
  EXPECT_EQ(b.replica().vv().Get("a"), 40u);
  a.replica().Tick(2000);
  a.FlushTo({&b}, 2000);
  Exchange({&a, &b}, 2001);
  EXPECT_EQ(b.replica().vv(), a.replica().vv());
  EXPECT_EQ(Digest(a), Digest(b));
}

TEST(CatchUpTest, AntiEntropyFetchesAnOriginsWritesFromAnotherPeer) {
  ReplicaHarness a("a"), b("b"), c("c");
  Connect({&a, &b, &c});
  for (int i = 0; i < 10; ++i) a.replica().Put(i, "c", "k" + std::to_string(i), "v", 1000);
  a.FlushTo({&c}, 1000);  // b never hears from a: a is now down
  c.Flush();
  c.replica().Tick(1000);
  c.FlushTo({&b}, 1000);  // c's heartbeat shows a:10
  b.Flush();
  EXPECT_EQ(b.replica().counters().catch_up_requests, 0u);  // may be in flight
  b.replica().Tick(1000);   // first round remembers c's vector
  b.replica().Tick(2000);   // a round later it is still missing: ask c
  b.FlushTo({&c}, 2000);
  Exchange({&b, &c}, 2000);
  EXPECT_EQ(b.replica().vv().Get("a"), 10u);
  EXPECT_EQ(Digest(b), Digest(c));
}

TEST(CatchUpTest, StalePageIgnoredAndTimeoutAllowsRetry) {
  ReplicaHarness a("a"), b("b");
  Connect({&a, &b});
  a.replica().Put(1, "c", "k", "v", 1000);
  a.Flush();
  a.replica().Tick(1000);
  a.FlushTo({&b}, 1000);
  ReplicaOutput req = b.Flush();  // request lost
  ASSERT_EQ(Count<CatchUpRequest>(req), 1);
  EXPECT_TRUE(b.replica().catching_up());
  b.replica().Tick(1000 + b.options().catch_up_timeout_ms);
  EXPECT_FALSE(b.replica().catching_up());
  EXPECT_EQ(b.replica().counters().catch_up_timeouts, 1u);
  // The answer to the abandoned request arrives late: ignored.
  a.replica().OnMessage(req.messages[0].message, 5000);
  ReplicaOutput late = a.Flush();
  b.Flush();
  for (const Outgoing& m : late.messages) b.replica().OnMessage(m.message, 5000);
  EXPECT_EQ(b.replica().vv().Get("a"), 0u);
  EXPECT_GE(b.replica().counters().ignored_messages, 1u);
}

const Message* Find(const ReplicaOutput& out, size_t index) {
  return index < out.messages.size() ? &out.messages[index].message : nullptr;
}

// Found by tests/fuzz (sequence): the responder crashed mid-session, then
// answered a duplicate of the request from a new snapshot. The requester's
// CatchUpNext for the old session's first page fetched the new session's
// second page, and its vector vouched for a first page never received.
// Page numbers are unique across incarnations now, so that Next is stale.
TEST(CatchUpTest, NextForAPageOfTheResponderBeforeItsRestartIsIgnored) {
  ReplicaHarness a("a"), b("b");
  a.options().catch_up_page_records = 2;
  a.Restart();
  Connect({&a, &b});
  for (int i = 0; i < 6; ++i) a.replica().Put(i, "c", "k" + std::to_string(i), "v1", 1000);
  a.Flush();  // every publication lost
  a.replica().Tick(1000);
  a.FlushTo({&b}, 1000);
  ReplicaOutput request = b.Flush();
  ASSERT_EQ(Count<CatchUpRequest>(request), 1);
  const Message req = *Find(request, 0);

  a.replica().OnMessage(req, 1001);
  ReplicaOutput first = a.Flush();
  ASSERT_EQ(Count<CatchUpPage>(first), 1);
  b.replica().OnMessage(*Find(first, 0), 1001);
  ReplicaOutput next = b.Flush();
  ASSERT_EQ(Count<CatchUpNext>(next), 1);

  // a changes a key and crashes; the duplicate request opens a new session.
  a.replica().Put(10, "c", "k0", "v2", 1002);
  a.Flush();
  a.Restart();
  Connect({&a, &b});
  a.replica().OnMessage(req, 1003);
  ReplicaOutput fresh = a.Flush();
  ASSERT_EQ(Count<CatchUpPage>(fresh), 1);  // in flight, not yet at b
  const uint64_t ignored = a.replica().counters().ignored_messages;
  a.replica().OnMessage(*Find(next, 0), 1003);
  EXPECT_EQ(Count<CatchUpPage>(a.Flush()), 0) << "served the new session's next page";
  EXPECT_EQ(a.replica().counters().ignored_messages, ignored + 1);

  // The new session's first page goes on from where b is: all converge.
  b.replica().OnMessage(*Find(fresh, 0), 1003);
  Exchange({&a, &b}, 1004);
  EXPECT_EQ(b.replica().vv().Get("a"), 7u);
  EXPECT_EQ(Digest(a), Digest(b));
}

TEST(CatchUpTest, ResponderRefusesBeyondSessionLimit) {
  ReplicaHarness a("a");
  a.options().max_catch_up_sessions = 1;
  a.options().catch_up_page_records = 1;
  a.Restart();
  a.replica().SetPeers({"b", "c"});
  for (int i = 0; i < 3; ++i) a.replica().Put(i, "c", "k" + std::to_string(i), "v", 1000);
  a.Flush();
  a.replica().OnMessage(CatchUpRequest{"b", 1, {}}, 1000);
  a.replica().OnMessage(CatchUpRequest{"c", 1, {}}, 1000);
  ReplicaOutput out = a.Flush();
  ASSERT_EQ(out.messages.size(), 2u);
  const auto& busy = std::get<CatchUpPage>(out.messages[1].message);
  EXPECT_EQ(out.messages[1].to, "c");
  EXPECT_EQ(busy.error, Code::kBusy);
  a.replica().OnMessage(CatchUpNext{"c", 9, 0}, 1000);
  out = a.Flush();
  EXPECT_EQ(std::get<CatchUpPage>(out.messages[0].message).error, Code::kNotFound);
}

TEST(CatchUpTest, LostStoreContinuesAboveSeqsPeersHold) {
  ReplicaHarness a("a"), b("b");
  Connect({&a, &b});
  for (int i = 0; i < 5; ++i) a.replica().Put(i, "c", "k", "v", 1000);
  a.FlushTo({&b}, 1000);
  b.Flush();
  ReplicaHarness a2("a");  // same id, empty data directory
  Connect({&a2, &b});
  b.replica().Tick(1000);
  b.FlushTo({&a2}, 1000);
  a2.replica().Put(1, "c", "k2", "v", 1000);
  ReplicaOutput out = a2.Flush();
  EXPECT_EQ(out.replies[0].seq, 6u);
}

}  // namespace
}  // namespace datasync
