// FilesBackend on a real folder, driven the way ConnectorDriver drives it:
// what a crash at each point leaves behind, own writes not captured, and
// an inotify queue overflow recovered by a rescan.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "connectors/files/files_backend.h"
#include "testutil/temp_dir.h"

namespace datasync::files_connector {
namespace {

class FilesBackendTest : public ::testing::Test {
 protected:
  testutil::TempDir dir_{"files-backend"};

  ConnectorConfig Config() const {
    ConnectorConfig c;
    c.name = "f";
    c.type = ConnectorType::kFiles;
    c.target = dir_.path();
    c.map = {{"", "items"}};
    c.max_file_size = 1 << 20;
    return c;
  }
  std::unique_ptr<FilesBackend> OpenBackend() {
    auto b = std::make_unique<FilesBackend>(Config());
    EXPECT_TRUE(b->Open().ok());
    return b;
  }
  void Write(const std::string& rel, const std::string& content) {
    std::ofstream(dir_.Sub(rel), std::ios::binary | std::ios::trunc) << content;
  }
  // Every change readable after `after`, as one batch; out->position set.
  std::vector<CapturedChange> Read(FilesBackend& b, const std::string& after,
                                   std::string* position) {
    EXPECT_TRUE(b.Poll().ok());
    ConnectorCaptured out;
    out.position = after;
    std::vector<ConnectorFailure> failures;
    EXPECT_TRUE(b.ReadChanges(after, 1 << 20, &out, &failures).ok());
    EXPECT_TRUE(failures.empty());
    *position = out.position;
    return out.changes;
  }
};

TEST_F(FilesBackendTest, ABatchCountsOnlyOnceTheNodeHoldsItsPosition) {
  Write("a", "1");
  std::string p1;
  {
    auto b = OpenBackend();
    ASSERT_EQ(Read(*b, "", &p1).size(), 1u);
  }  // died before the node committed p1
  std::string p2;
  {
    auto b = OpenBackend();
    ASSERT_EQ(Read(*b, "", &p2).size(), 1u) << "not committed: read again";
    EXPECT_NE(p1, p2);
  }  // the node committed p2, then died before telling the connector
  auto b = OpenBackend();
  std::string p3;
  EXPECT_TRUE(Read(*b, p2, &p3).empty()) << "committed: never twice";
  Write("a", "2");
  ASSERT_EQ(Read(*b, p2, &p3).size(), 1u);
  ASSERT_TRUE(b->Consumed(p3).ok());
  b.reset();
  // A later restart still counts p2's batch: the journal marked it.
  auto again = OpenBackend();
  std::string p4;
  EXPECT_TRUE(Read(*again, p3, &p4).empty());
}

TEST_F(FilesBackendTest, AppliedFilesAreNotCapturedAndAnInterruptedApplyIsRecognised) {
  auto b = OpenBackend();
  ConnectorApply batch;
  Record r;
  r.collection = "items";
  r.key = "dir/x";
  r.value = "applied";
  r.version = Version{100, "peer"};
  r.seq = 1;
  batch.records = {r};
  ConnectorBackend::ApplyResult result;
  ASSERT_TRUE(b->Apply(batch, "", &result).ok());
  EXPECT_EQ(result.applied, 1u);
  std::string position;
  EXPECT_TRUE(Read(*b, "", &position).empty()) << "own write captured";
  // Applying the same version again changes nothing.
  ConnectorBackend::ApplyResult again;
  ASSERT_TRUE(b->Apply(batch, "", &again).ok());
  EXPECT_EQ(again.skipped, 1u);
  b.reset();
  // A newer version journaled but never renamed into place (the process
  // died in between): the file is still "applied", which is no change.
  std::ofstream(dir_.Sub(".datasync/f.journal"), std::ios::app)
      << "A dir/x 200 peer " << HashOf("newer") << " 5 1 1 1\n";
  auto reopened = OpenBackend();
  EXPECT_TRUE(Read(*reopened, "", &position).empty());
  // And the newer version is applied when it comes again.
  batch.records[0].value = "newer";
  batch.records[0].version = Version{200, "peer"};
  ConnectorBackend::ApplyResult third;
  ASSERT_TRUE(reopened->Apply(batch, "", &third).ok());
  EXPECT_EQ(third.applied, 1u);
  std::ifstream in(dir_.Sub("dir/x"));
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "newer");
}

TEST_F(FilesBackendTest, QueueOverflowIsRecoveredByARescan) {
  auto b = OpenBackend();
  std::string position;
  ASSERT_TRUE(Read(*b, "", &position).empty());
  // Each plain write queues three events (create, modify, close): more
  // than the kernel's queue holds, unread.
  int max_queued = 16384;
  std::ifstream("/proc/sys/fs/inotify/max_queued_events") >> max_queued;
  const int files = max_queued / 2 + 100;
  for (int i = 0; i < files; ++i) Write("f" + std::to_string(i), std::to_string(i));
  size_t captured = 0;
  for (int round = 0; round < 100; ++round) {
    std::string next;
    const size_t n = Read(*b, position, &next).size();
    if (n == 0) break;
    ASSERT_TRUE(b->Consumed(next).ok());
    position = next;
    captured += n;
  }
  EXPECT_EQ(captured, static_cast<size_t>(files));
}

TEST_F(FilesBackendTest, TheJournalIsCompactedAndKeepsWhatItKnows) {
  auto b = OpenBackend();
  // 1000 files applied, then changed 4 times: 5000 journal lines, five
  // times the state.
  for (int round = 0; round < 5; ++round) {
    ConnectorApply batch;
    for (int i = 0; i < 1000; ++i) {
      Record r;
      r.collection = "items";
      r.key = "k" + std::to_string(i);
      r.value = "v" + std::to_string(round);
      r.version = Version{static_cast<uint64_t>(100 + round), "peer"};
      r.seq = static_cast<uint64_t>(round * 1000 + i + 1);
      batch.records.push_back(r);
    }
    batch.vv = VersionVector({{"peer", static_cast<uint64_t>((round + 1) * 1000)}});
    batch.has_vv = true;
    ConnectorBackend::ApplyResult result;
    ASSERT_TRUE(b->Apply(batch, "", &result).ok());
    ASSERT_EQ(result.applied, 1000u);
  }
  b.reset();
  std::ifstream journal(dir_.Sub(".datasync/f.journal"));
  size_t lines = 0;
  for (std::string line; std::getline(journal, line);) ++lines;
  EXPECT_LT(lines, 2000u);
  auto reopened = OpenBackend();
  Result<VersionVector> vv = reopened->AppliedVector();
  ASSERT_TRUE(vv.ok());
  EXPECT_EQ(vv->Get("peer"), 5000u);
  std::string position;
  auto changes = Read(*reopened, "", &position);
  EXPECT_TRUE(changes.empty()) << changes.size() << " captured, the first " << changes[0].key;
}

}  // namespace
}  // namespace datasync::files_connector
