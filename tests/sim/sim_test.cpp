// The deterministic simulation as a test suite (ARCHITECTURE §7).
//
// SIM_SEEDS (default 500) sets how many seeds must pass; sanitizer builds
// may lower it. The teeth tests show the simulation catches the deliberate
// replica bugs within the same budget of seeds.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/simulation.h"

namespace datasync::sim {
namespace {

constexpr uint64_t kTeethBudget = 500;

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtoull(v, nullptr, 10);
}

// Timing is reported, never asserted: the run itself uses no wall clock.
double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(SimulationTest, SeedsPass) {
  const uint64_t first = EnvOr("SIM_FIRST_SEED", 1);
  const uint64_t count = EnvOr("SIM_SEEDS", 500);
  const auto start = std::chrono::steady_clock::now();
  uint64_t failures = 0, acked = 0, crashes = 0, dropped = 0;
  for (uint64_t seed = first; seed < first + count; ++seed) {
    const SimParams params = ParamsFromSeed(seed);
    const SimResult r = RunSimulation(params);
    acked += r.checker.acked;
    crashes += r.cluster.crashes;
    dropped += r.network.dropped;
    if (!r.ok) {
      ++failures;
      ADD_FAILURE() << DescribeResult(params, r);
      if (failures >= 10) break;  // enough to debug; keep the log readable
    }
  }
  std::printf("[ sim      ] %llu seeds from %llu in %.1fs: %llu acknowledged writes, "
              "%llu crashes, %llu dropped messages, %llu failures\n",
              static_cast<unsigned long long>(count),
              static_cast<unsigned long long>(first), SecondsSince(start),
              static_cast<unsigned long long>(acked),
              static_cast<unsigned long long>(crashes),
              static_cast<unsigned long long>(dropped),
              static_cast<unsigned long long>(failures));
}

// How many seeds, from 1, until one fails with `injected`; 0 if none does.
uint64_t SeedsToCatch(const InjectedFaults& injected, SimResult* caught,
                      SimParams* caught_params) {
  for (uint64_t seed = 1; seed <= kTeethBudget; ++seed) {
    const SimParams params = ParamsFromSeed(seed, injected);
    SimResult r = RunSimulation(params);
    if (!r.ok) {
      *caught = std::move(r);
      *caught_params = params;
      return seed;
    }
  }
  return 0;
}

void ExpectCaught(const char* name, const InjectedFaults& injected) {
  const auto start = std::chrono::steady_clock::now();
  SimResult caught;
  SimParams params;
  const uint64_t n = SeedsToCatch(injected, &caught, &params);
  ASSERT_GT(n, 0u) << name << " survived " << kTeethBudget
                   << " seeds: the simulation has no teeth for it";
  std::printf("[ teeth    ] %s caught after %llu seed(s) in %.1fs\n%s\n", name,
              static_cast<unsigned long long>(n), SecondsSince(start),
              DescribeResult(params, caught).c_str());
}

TEST(SimulationTeethTest, ReverseOriginTiebreakOnOneReplica) {
  InjectedFaults f;
  f.faults.reverse_origin_tiebreak = true;
  f.target = FaultTarget::kOne;
  ExpectCaught("reverse_origin_tiebreak on one replica", f);
}

TEST(SimulationTeethTest, SkipCatchUpOnOneReplica) {
  InjectedFaults f;
  f.faults.skip_catch_up = true;
  f.target = FaultTarget::kOne;
  ExpectCaught("skip_catch_up on one replica", f);
}

TEST(SimulationTeethTest, SkipCatchUpOnAllReplicas) {
  InjectedFaults f;
  f.faults.skip_catch_up = true;
  f.target = FaultTarget::kAll;
  ExpectCaught("skip_catch_up on all replicas", f);
}

// A seed is a replay only if the same seed gives the same run, event for
// event: compare two full traces.
std::string TraceOf(uint64_t seed) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  const SimResult r = RunSimulation(ParamsFromSeed(seed), f);
  std::fclose(f);
  std::string out(buf, len);
  std::free(buf);
  return out + (r.ok ? "PASS" : r.failure);
}

TEST(SimulationTest, SameSeedSameRun) {
  for (uint64_t seed : {7u, 42u, 1234u}) {
    const std::string a = TraceOf(seed);
    const std::string b = TraceOf(seed);
    EXPECT_GT(a.size(), 1000u);
    EXPECT_TRUE(a == b) << "seed " << seed << " is not deterministic";
  }
}

}  // namespace
}  // namespace datasync::sim
