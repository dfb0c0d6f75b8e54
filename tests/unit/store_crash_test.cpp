// kill -9 in the middle of commits loses no committed batch and leaves no
// partial one (store.h: a WriteBatch is all or nothing after a crash).
//
// The writer is a fresh process (testutil/self_exec.h) running only
// StoreCrashChild.DISABLED_CommitLoop. It reports each
// committed batch number through a pipe; the parent kills it with SIGKILL
// after a random number of reports, so the kill lands wherever the child is,
// usually inside a commit.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>

#include "testutil/self_exec.h"
#include "testutil/store_testutil.h"
#include "testutil/temp_dir.h"

namespace datasync {
namespace {

constexpr char kChildEnv[] = "DATASYNC_STORE_CRASH_CHILD";  // "kind dir fd"
constexpr int kRecordsPerBatch = 50;
constexpr char kCollection[] = "crash";

Result<std::unique_ptr<Store>> OpenKind(const std::string& kind, const std::string& dir) {
  for (const auto& k : testutil::DurableStoreKinds()) {
    if (k.name == kind) return k.open(dir);
  }
  return Status::Invalid("unknown store kind " + kind);
}

std::string BatchKey(uint64_t batch, int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "b%08llu/%03d", static_cast<unsigned long long>(batch),
                i);
  return buf;
}

// Batch b: kRecordsPerBatch new keys, the shared key "last" set to b, and
// metadata own_seq = b. Seq numbers continue across batches and restarts.
WriteBatch MakeBatch(uint64_t batch) {
  WriteBatch wb;
  const uint64_t first_seq = (batch - 1) * (kRecordsPerBatch + 1) + 1;
  for (int i = 0; i <= kRecordsPerBatch; ++i) {
    Record r;
    r.collection = kCollection;
    r.key = i < kRecordsPerBatch ? BatchKey(batch, i) : "last";
    r.value = std::to_string(batch) + std::string(100, 'x');
    r.version = {MakeHlc(batch, i), "crasher"};
    r.seq = first_seq + i;
    std::optional<OriginSeq> replaces;
    if (i == kRecordsPerBatch && batch > 1) {
      replaces = OriginSeq{"crasher", first_seq - 1};  // previous batch's "last"
    }
    wb.writes.push_back({std::move(r), replaces});
  }
  wb.metadata = Metadata{batch, MakeHlc(batch, kRecordsPerBatch), {}};
  wb.metadata->vv.Set("crasher", first_seq + kRecordsPerBatch);
  return wb;
}

// The child: commits batches until killed. Not a test on its own.
TEST(StoreCrashChild, DISABLED_CommitLoop) {
  const char* spec = std::getenv(kChildEnv);
  if (spec == nullptr) GTEST_SKIP() << "only run by StoreCrashTest";
  std::istringstream in(spec);
  std::string kind, dir;
  int fd = -1;
  in >> kind >> dir >> fd;
  auto store = OpenKind(kind, dir);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto meta = (*store)->LoadMetadata();
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  for (uint64_t batch = meta->own_seq + 1;; ++batch) {
    Status s = (*store)->Commit(MakeBatch(batch));
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(write(fd, &batch, sizeof batch), static_cast<ssize_t>(sizeof batch));
  }
}

struct ChildRun {
  std::vector<uint64_t> reported;
  std::string failure;  // empty when the child was killed as planned
};

// Runs one writer child, kills it after `reports` committed batches.
ChildRun RunAndKill(const std::string& kind, const std::string& dir, size_t reports) {
  ChildRun run;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return {{}, "pipe failed"};
  const int write_fd = fcntl(fds[1], F_DUPFD, 100);  // inherited: no CLOEXEC
  close(fds[1]);
  const std::string log = dir + "/child.log";
  const pid_t pid =
      testutil::SpawnSelf("StoreCrashChild.DISABLED_CommitLoop", kChildEnv,
                          kind + " " + dir + " " + std::to_string(write_fd), log);
  close(write_fd);
  if (pid < 0) return {{}, "cannot start the child"};
  bool killed = false;
  while (true) {
    // A bound on waiting, so a hung child fails the test instead of hanging it.
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 60000) <= 0) {
      run.failure = "child reported nothing for 60 s";
      kill(pid, SIGKILL);
      break;
    }
    uint64_t batch = 0;
    if (read(fds[0], &batch, sizeof batch) != sizeof batch) break;  // child gone
    run.reported.push_back(batch);
    if (!killed && run.reported.size() >= reports) {
      kill(pid, SIGKILL);
      killed = true;  // keep reading: reports already in the pipe count too
    }
  }
  close(fds[0]);
  const testutil::SelfExit exit = testutil::WaitSelf(pid, log);
  if (run.failure.empty() && !exit.killed_by(SIGKILL)) {
    run.failure = "child ended by itself (status " + std::to_string(exit.status) +
                  "):\n" + exit.log;
  }
  return run;
}

// Checks the reopened store; returns the last batch present.
uint64_t CheckStore(const Store& store, const std::vector<uint64_t>& reported) {
  std::map<uint64_t, int> per_batch;
  Status s = store.Scan(kCollection, "b", [&](const Record& r) {
    per_batch[std::stoull(r.key.substr(1, 8))]++;
    EXPECT_EQ(std::stoull(r.value), std::stoull(r.key.substr(1, 8))) << r.key;
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  uint64_t expected = 1;
  for (const auto& [batch, count] : per_batch) {
    EXPECT_EQ(count, kRecordsPerBatch) << "partial batch " << batch;
    EXPECT_EQ(batch, expected++) << "batches must be present from 1 without gaps";
  }
  const uint64_t last = per_batch.empty() ? 0 : per_batch.rbegin()->first;
  for (uint64_t b : reported) EXPECT_LE(b, last) << "reported batch " << b << " was lost";
  auto meta = store.LoadMetadata();
  EXPECT_TRUE(meta.ok());
  if (meta.ok()) {
    EXPECT_EQ(meta->own_seq, last);
    EXPECT_EQ(meta->vv.Get("crasher"), last * (kRecordsPerBatch + 1));
  }
  if (last > 0) {
    auto shared = store.Get(kCollection, "last");
    EXPECT_TRUE(shared.ok()) << shared.status().ToString();
    EXPECT_EQ(shared.ok() ? std::stoull(shared->value) : 0, last);
  }
  return last;
}

class StoreCrashTest : public ::testing::TestWithParam<testutil::StoreKind> {};

TEST_P(StoreCrashTest, KillDuringCommitsLosesNoCommittedBatchAndLeavesNoPartialOne) {
  testutil::TempDir dir("store-crash");
  const unsigned seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  uint64_t last = 0;
  for (int round = 0; round < 3; ++round) {
    const size_t reports = std::uniform_int_distribution<size_t>(3, 60)(rng);
    ChildRun run = RunAndKill(GetParam().name, dir.path(), reports);
    ASSERT_TRUE(run.failure.empty()) << run.failure;
    ASSERT_GE(run.reported.size(), reports);
    EXPECT_EQ(run.reported.front(), last + 1) << "the child resumes after the last batch";
    auto store = GetParam().open(dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    last = CheckStore(**store, run.reported);
    ASSERT_FALSE(HasFailure()) << "round " << round;
  }
}

INSTANTIATE_TEST_SUITE_P(DurableStores, StoreCrashTest,
                         ::testing::ValuesIn(testutil::DurableStoreKinds()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace datasync
