// libFuzzer target over the replication core: three Replicas run a schedule
// the input chooses (client writes and deletes, and which message in flight
// is delivered, dropped, duplicated or overtaken; ticks, time, flushes,
// crashes, restarts), then every message is delivered and the timers run
// until the replicas agree. The simulator's Checker watches every commit,
// reply and vector on the way and runs its final checks (convergence, the
// last-writer-wins model, no acknowledged write lost); any failure aborts,
// which libFuzzer reports as a crash with the input that caused it.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz/fuzz_cluster.h"

namespace {

constexpr int kNodes = 3;
constexpr size_t kMaxSteps = 400;  // keeps one input fast

enum Op : uint8_t {
  kPut,
  kDelete,
  kDeliver,
  kDeliverLast,
  kDrop,
  kDuplicate,
  kTick,
  kFlush,
  kAdvance,
  kCrash,
  kRestart,
  kOpCount
};

void Step(FuzzedDataProvider& in, datasync::fuzz::FuzzCluster& c) {
  const auto op = static_cast<Op>(in.ConsumeIntegralInRange<uint8_t>(0, kOpCount - 1));
  const int node = in.ConsumeIntegralInRange<int>(0, kNodes - 1);
  const size_t flying = c.in_flight();
  switch (op) {
    case kPut:
    case kDelete: {
      // Few keys, so writes conflict.
      const std::string key(1, static_cast<char>('k' + in.ConsumeIntegralInRange(0, 3)));
      const std::string value = in.ConsumeBytesAsString(in.ConsumeIntegralInRange(0, 8));
      c.Write(node, key, op == kPut ? &value : nullptr);
      break;
    }
    case kDeliver:
    case kDrop:
    case kDuplicate: {
      if (flying == 0) break;
      const size_t k = in.ConsumeIntegralInRange<size_t>(0, flying - 1);
      if (op == kDeliver) c.Deliver(k);
      if (op == kDrop) c.Drop(k);
      if (op == kDuplicate) c.Duplicate(k);
      break;
    }
    case kDeliverLast:
      if (flying > 0) c.Deliver(flying - 1);
      break;
    case kTick:
      c.Tick(node);
      break;
    case kFlush:
      c.Flush(node);
      break;
    case kAdvance:
      c.Advance(in.ConsumeIntegralInRange<uint64_t>(0, 4000));
      break;
    case kCrash:
      c.Crash(node);
      break;
    case kRestart:
      c.Restart(node);
      break;
    case kOpCount:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  static const bool trace = std::getenv("FUZZ_TRACE") != nullptr;
  datasync::fuzz::FuzzCluster cluster(kNodes, trace);
  for (size_t step = 0; step < kMaxSteps && in.remaining_bytes() > 0; ++step) {
    Step(in, cluster);
    if (cluster.checker().failed()) break;
  }
  if (!cluster.checker().failed()) cluster.Settle();
  if (cluster.checker().failed()) {
    std::fprintf(stderr, "sequence_fuzz: %s\n", cluster.checker().failure().c_str());
    std::abort();
  }
  return 0;
}
