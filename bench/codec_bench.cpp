// Codec throughput on the replication hot path: a ChangeBatch of 1024
// records with 16-byte keys and 100-byte values, one thread. items_per_second
// counts records. Target (issue 3): >= 2 M records/s encode+decode.
//
//   build/bin/codec_bench --benchmark_min_time=2 --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <string>

#include "datasync/codec.h"
#include "datasync/hlc.h"

namespace datasync {
namespace {

constexpr int kRecords = 1024;

Message MakeBatch() {
  ChangeBatch batch{"node-a", {}};
  batch.records.reserve(kRecords);
  for (int i = 0; i < kRecords; ++i) {
    Record r;
    r.collection = "orders";
    r.key = "key-" + std::to_string(1'000'000'000 + i) + "xx";  // 16 bytes
    r.value = std::string(100, static_cast<char>('a' + i % 26));
    r.version = {MakeHlc(1'790'000'000'000 + i, i % 3), "node-a"};
    r.seq = 5'000'000 + i;
    batch.records.push_back(std::move(r));
  }
  return batch;
}

void Report(benchmark::State& state, size_t bytes) {
  state.SetItemsProcessed(state.iterations() * kRecords);
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["msg_bytes"] = static_cast<double>(bytes);
}

void BM_EncodeDecodeBatch(benchmark::State& state) {
  const Message batch = MakeBatch();
  std::string buffer;
  for (auto _ : state) {
    buffer.clear();  // keeps capacity, as the node's publisher does
    EncodeTo(batch, &buffer);
    Result<Message> decoded = Decode(buffer);
    if (!decoded.ok()) state.SkipWithError(decoded.status().message().c_str());
    benchmark::DoNotOptimize(decoded);
  }
  Report(state, buffer.size());
}
BENCHMARK(BM_EncodeDecodeBatch);

void BM_EncodeBatch(benchmark::State& state) {
  const Message batch = MakeBatch();
  std::string buffer;
  for (auto _ : state) {
    buffer.clear();
    EncodeTo(batch, &buffer);
    benchmark::DoNotOptimize(buffer.data());
  }
  Report(state, buffer.size());
}
BENCHMARK(BM_EncodeBatch);

void BM_DecodeBatch(benchmark::State& state) {
  const std::string bytes = Encode(MakeBatch());
  for (auto _ : state) {
    Result<Message> decoded = Decode(bytes);
    if (!decoded.ok()) state.SkipWithError(decoded.status().message().c_str());
    benchmark::DoNotOptimize(decoded);
  }
  Report(state, bytes.size());
}
BENCHMARK(BM_DecodeBatch);

}  // namespace
}  // namespace datasync

BENCHMARK_MAIN();
