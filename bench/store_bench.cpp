// Commit throughput of each store, beside the plainest writes through the
// same library ("raw": a rocksdb::WriteBatch of Put into one database; an
// SQLite INSERT OR REPLACE into a two-column table, in a transaction, with a
// prepared statement), with the same library settings (store/store_tuning.h).
//
// Records: 100-byte values under random keys of a key space of 10 k, 100 k
// or 1 M keys, pre-populated once, so each write replaces its key's previous
// version. Versions are tracked in memory as the Replica does, so every
// RecordWrite names the index entry it replaces. Batches of 1, 64 and 1024;
// sync off unless the name says sync. Reported: items_per_second (records
// per wall-clock second: RocksDB's background compaction counts), and, as
// the machine may be shared, cpu_items_per_s (records per second of process
// CPU, background threads included) and written_bytes_per_item.
//
//   build/bin/store_bench [--benchmark_filter=rocksdb]
#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <sqlite3.h>
#include <time.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "datasync/durable_store.h"
#include "datasync/memory_store.h"
#include "store/store_tuning.h"

namespace datasync {
namespace {

constexpr size_t kValueBytes = 100;
const std::string kValue(kValueBytes, 'v');

std::string KeyName(size_t i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "k%08zu", i);
  return buf;
}

// The replica's view of the key space: each key's current seq.
class Workload {
 public:
  explicit Workload(size_t keys) : seq_of_(keys, 0) {}

  // Records for keys [first, first + n), in key order (pre-population).
  WriteBatch Sequential(size_t first, size_t n) {
    WriteBatch batch;
    for (size_t k = first; k < first + n && k < seq_of_.size(); ++k) Add(k, &batch);
    return batch;
  }
  WriteBatch Random(size_t n) {
    WriteBatch batch;
    std::uniform_int_distribution<size_t> pick(0, seq_of_.size() - 1);
    for (size_t i = 0; i < n; ++i) Add(pick(rng_), &batch);
    return batch;
  }
  size_t keys() const { return seq_of_.size(); }

 private:
  void Add(size_t k, WriteBatch* batch) {
    const uint64_t seq = next_seq_++;
    RecordWrite w;
    w.record.collection = "bench";
    w.record.key = KeyName(k);
    w.record.value = kValue;
    w.record.version = {seq, "bench-node"};
    w.record.seq = seq;
    if (seq_of_[k] != 0) w.replaces = OriginSeq{"bench-node", seq_of_[k]};
    seq_of_[k] = seq;
    batch->writes.push_back(std::move(w));
  }

  std::vector<uint64_t> seq_of_;
  uint64_t next_seq_ = 1;
  std::mt19937_64 rng_{42};
};

// Something that commits batches: a Store, or a raw library baseline.
class Target {
 public:
  virtual ~Target() = default;
  virtual void Commit(const WriteBatch& batch) = 0;
};

class StoreTarget : public Target {
 public:
  explicit StoreTarget(std::unique_ptr<Store> store) : store_(std::move(store)) {}
  void Commit(const WriteBatch& batch) override {
    Status s = store_->Commit(batch);
    if (!s.ok()) {
      std::fprintf(stderr, "commit failed: %s\n", s.ToString().c_str());
      std::abort();
    }
  }
  Store* store() { return store_.get(); }

 private:
  std::unique_ptr<Store> store_;
};

class RawRocksDb : public Target {
 public:
  explicit RawRocksDb(const std::string& dir, bool sync) {
    rocksdb::Options options(RocksDbTunedDbOptions(),
                             RocksDbTunedCfOptions(64 << 20, true));
    options.create_if_missing = true;
    Check(rocksdb::DB::Open(options, dir, &db_));
    write_options_.sync = sync;
  }
  ~RawRocksDb() override { delete db_; }
  void Commit(const WriteBatch& batch) override {
    rocksdb::WriteBatch wb;
    for (const RecordWrite& w : batch.writes) {
      Check(wb.Put(RecordKey(w.record.collection, w.record.key), w.record.value));
    }
    Check(db_->Write(write_options_, &wb));
  }

 private:
  static void Check(const rocksdb::Status& s) {
    if (!s.ok()) {
      std::fprintf(stderr, "rocksdb: %s\n", s.ToString().c_str());
      std::abort();
    }
  }
  rocksdb::DB* db_ = nullptr;
  rocksdb::WriteOptions write_options_;
};

class RawSqlite : public Target {
 public:
  RawSqlite(const std::string& path, bool sync) {
    Check(sqlite3_open(path.c_str(), &db_));
    Exec("PRAGMA journal_mode=WAL");
    Exec(sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    Exec(kSqliteTuningPragmas);
    Exec("CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID");
    Check(sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO kv(k, v) VALUES(?1, ?2)", -1,
                             &insert_, nullptr));
  }
  ~RawSqlite() override {
    sqlite3_finalize(insert_);
    sqlite3_close(db_);
  }
  void Commit(const WriteBatch& batch) override {
    Exec("BEGIN");
    for (const RecordWrite& w : batch.writes) {
      key_ = RecordKey(w.record.collection, w.record.key);
      sqlite3_bind_blob(insert_, 1, key_.data(), static_cast<int>(key_.size()),
                        SQLITE_STATIC);
      sqlite3_bind_blob(insert_, 2, w.record.value.data(),
                        static_cast<int>(w.record.value.size()), SQLITE_STATIC);
      if (sqlite3_step(insert_) != SQLITE_DONE) Check(SQLITE_ERROR);
      sqlite3_reset(insert_);
    }
    Exec("COMMIT");
  }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK) {
      std::fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db_));
      std::abort();
    }
  }
  void Exec(const char* sql) { Check(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr)); }
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  std::string key_;
};

// A pre-populated target and its workload. Benchmarks of one key space and
// kind run one after another, so at most a few targets are alive at once.
struct Context {
  size_t keys = 0;
  bool sync = false;
  std::string dir;
  std::unique_ptr<Target> target;
  std::unique_ptr<Workload> workload;
  ~Context() {
    target.reset();  // close the database before deleting its files
    std::filesystem::remove_all(dir);
  }
};

std::unique_ptr<Target> MakeTarget(const std::string& kind, const std::string& dir,
                                   bool sync) {
  DurableStoreOptions options;
  options.sync = sync;
  Result<std::unique_ptr<Store>> store = Status::Invalid("unknown kind " + kind);
  if (kind == "rocksdb") store = OpenRocksDbStore(dir, options);
  if (kind == "sqlite") store = OpenSqliteStore(dir + "/store.sqlite", options);
  if (kind == "memory") store = NewMemoryStore();
  if (kind == "raw-rocksdb") return std::make_unique<RawRocksDb>(dir, sync);
  if (kind == "raw-sqlite") return std::make_unique<RawSqlite>(dir + "/raw.sqlite", sync);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    std::abort();
  }
  return std::make_unique<StoreTarget>(std::move(store.value()));
}

// Cleared before main returns: the databases must close before the
// libraries' own static state is destroyed.
std::map<std::string, std::unique_ptr<Context>> contexts;

Context* GetContext(const std::string& kind, size_t keys, bool sync) {
  const std::string id = kind + "/" + std::to_string(keys) + (sync ? "/sync" : "");
  auto it = contexts.find(id);
  if (it != contexts.end()) return it->second.get();
  // A new key space: drop the targets of the previous one (disk and memory).
  std::erase_if(contexts, [&](const auto& entry) {
    return entry.second->keys != keys || entry.second->sync != sync;
  });
  auto ctx = std::make_unique<Context>();
  ctx->keys = keys;
  ctx->sync = sync;
  const char* tmp = std::getenv("TMPDIR");
  ctx->dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/store_bench-" +
             std::to_string(getpid()) + "-" + std::to_string(contexts.size()) + "-" +
             kind;
  std::filesystem::remove_all(ctx->dir);
  std::filesystem::create_directories(ctx->dir);
  // Populated without sync: the sync variants measure commits, not loading.
  ctx->target = MakeTarget(kind, ctx->dir, false);
  ctx->workload = std::make_unique<Workload>(keys);
  for (size_t k = 0; k < keys; k += 1024)
    ctx->target->Commit(ctx->workload->Sequential(k, 1024));
  if (sync) {
    ctx->target.reset();
    ctx->target = MakeTarget(kind, ctx->dir, true);
  }
  return contexts.emplace(id, std::move(ctx)).first->second.get();
}

// Bytes this process caused to be written to storage so far (WAL, flushes,
// compactions, checkpoints): write amplification, whatever the machine load.
double ProcessWriteBytes() {
  std::ifstream io("/proc/self/io");
  std::string field;
  double value = 0;
  while (io >> field >> value) {
    if (field == "write_bytes:") return value;
  }
  return 0;
}

double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void BM_Commit(benchmark::State& state, std::string kind, bool sync) {
  const size_t keys = static_cast<size_t>(state.range(0));
  const size_t batch_size = static_cast<size_t>(state.range(1));
  Context* ctx = GetContext(kind, keys, sync);
  // Batches are built before timing: the store's work alone is measured.
  std::vector<WriteBatch> batches;
  batches.reserve(state.max_iterations);
  for (benchmark::IterationCount i = 0; i < state.max_iterations; ++i) {
    batches.push_back(ctx->workload->Random(batch_size));
  }
  size_t next = 0;
  const double cpu_start = ProcessCpuSeconds();
  const double written_start = ProcessWriteBytes();
  for (auto _ : state) ctx->target->Commit(batches[next++ % batches.size()]);
  const double cpu = ProcessCpuSeconds() - cpu_start;
  const double written = ProcessWriteBytes() - written_start;
  const double items = static_cast<double>(state.iterations() * batch_size);
  state.SetItemsProcessed(static_cast<int64_t>(items));
  // Records per second of CPU, background threads included: on a shared
  // machine, wall-clock rates mostly measure the other tenants.
  state.counters["cpu_items_per_s"] = cpu > 0 ? items / cpu : 0;
  state.counters["written_bytes_per_item"] = written / items;
}

// Closing and reopening a populated store: what a node restart pays for
// the checks at open (RocksDB reads every table file's checksums, SQLite
// runs quick_check).
void BM_Reopen(benchmark::State& state, std::string kind) {
  const size_t keys = static_cast<size_t>(state.range(0));
  Context* ctx = GetContext(kind, keys, false);
  for (auto _ : state) {
    ctx->target.reset();
    ctx->target = MakeTarget(kind, ctx->dir, false);
  }
}

// Batches per run: enough to reach steady state, few enough that the whole
// suite stays within minutes on two cores. RocksDB runs ~1 M records in its
// big batches: a shorter run fits in the 64 MiB memtable, and the raw
// baseline would then never pay for a flush or compaction inside its window.
int64_t IterationsFor(const std::string& kind, int64_t batch, bool sync) {
  if (sync) return batch == 1 ? 200 : 100;
  const bool rocksdb = kind.find("rocksdb") != std::string::npos;
  if (batch == 1) return 20000;
  if (batch == 64) return rocksdb ? 8000 : 1000;
  return rocksdb ? 1000 : 200;
}

void Register() {
  const std::vector<std::string> kinds = {"rocksdb", "raw-rocksdb", "sqlite",
                                          "raw-sqlite", "memory"};
  for (int64_t keys : {10000, 100000, 1000000}) {
    for (const std::string& kind : kinds) {
      for (int64_t batch : {1, 64, 1024}) {
        if (kind == "memory" && batch != 1024) continue;
        benchmark::RegisterBenchmark(("Commit/" + kind).c_str(), BM_Commit, kind, false)
            ->Args({keys, batch})
            ->ArgNames({"keys", "batch"})
            ->Iterations(IterationsFor(kind, batch, false))
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
      }
    }
    for (std::string kind : {"rocksdb", "sqlite"}) {
      benchmark::RegisterBenchmark(("Reopen/" + kind).c_str(), BM_Reopen, kind)
          ->Arg(keys)
          ->ArgName("keys")
          ->Iterations(1)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  // What store: { sync: true } costs (an fsync per commit).
  for (std::string kind : {"rocksdb", "raw-rocksdb", "sqlite", "raw-sqlite"}) {
    for (int64_t batch : {1, 1024}) {
      benchmark::RegisterBenchmark(("CommitSync/" + kind).c_str(), BM_Commit, kind, true)
          ->Args({100000, batch})
          ->ArgNames({"keys", "batch"})
          ->Iterations(IterationsFor(kind, batch, true))
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
}

}  // namespace
}  // namespace datasync

int main(int argc, char** argv) {
  datasync::Register();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  datasync::contexts.clear();
  benchmark::Shutdown();
  return 0;
}
