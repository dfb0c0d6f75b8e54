// datasync-sim: replays one simulation seed (or a range) from the command
// line. A failing seed printed by sim_tests is rerun exactly, with --trace
// showing every event.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "sim/simulation.h"

namespace {

using datasync::sim::FaultTarget;
using datasync::sim::InjectedFaults;
using datasync::sim::SimParams;

constexpr char kUsage[] =
    "usage: datasync-sim --seed N [--trace] [options]\n"
    "       datasync-sim --seeds FIRST-LAST [options]\n"
    "Runs the deterministic simulation of a datasync cluster. Every parameter\n"
    "is derived from the seed; a failing seed replays exactly.\n"
    "  --seed N              run this seed (prints a report)\n"
    "  --seeds A-B           run seeds A..B, report failures only\n"
    "  --trace               log every event of the run to stdout\n"
    "  --fault NAME          inject a replica bug: reverse_origin_tiebreak,\n"
    "                        skip_catch_up (repeatable)\n"
    "  --fault-target T      one (default) or all replicas get the bugs\n"
    "  --no-p2p-dup          never duplicate point-to-point (catch-up) messages\n"
    "  --replicas N, --ops N, --run-ms N, --drop P\n"
    "                        override a derived parameter\n"
    "Exit status: 0 all passed, 1 a seed failed, 2 usage error.\n";

struct Args {
  uint64_t first = 0;
  uint64_t last = 0;
  bool have_seed = false;
  bool single = true;
  bool trace = false;
  bool p2p_dup = true;
  InjectedFaults injected;
  // name, value: applied after the seed's derivation.
  std::vector<std::pair<std::string, std::string>> overrides;
};

bool Usage(std::string* error, std::string message) {
  *error = std::move(message);
  return false;
}

bool ParseU64(const char* s, uint64_t* out) {
  char* end = nullptr;
  errno = 0;
  *out = std::strtoull(s, &end, 10);
  return errno == 0 && end != s && *end == '\0';
}

bool ParseArgs(int argc, char** argv, Args* a, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const bool has_value = i + 1 < argc;
    const char* value = has_value ? argv[i + 1] : "";
    if (flag == "--trace") {
      a->trace = true;
      continue;
    }
    if (flag == "--no-p2p-dup") {
      a->p2p_dup = false;
      continue;
    }
    if (!has_value) return Usage(error, "unknown flag or missing value: " + flag);
    ++i;
    if (flag == "--seed") {
      if (!ParseU64(value, &a->first)) return Usage(error, "bad --seed");
      a->last = a->first;
      a->have_seed = true;
    } else if (flag == "--seeds") {
      const char* dash = std::strchr(value, '-');
      if (dash == nullptr || !ParseU64(std::string(value, dash).c_str(), &a->first) ||
          !ParseU64(dash + 1, &a->last) || a->last < a->first) {
        return Usage(error, "bad --seeds, want FIRST-LAST");
      }
      a->have_seed = true;
      a->single = false;
    } else if (flag == "--fault") {
      if (std::strcmp(value, "reverse_origin_tiebreak") == 0) {
        a->injected.faults.reverse_origin_tiebreak = true;
      } else if (std::strcmp(value, "skip_catch_up") == 0) {
        a->injected.faults.skip_catch_up = true;
      } else {
        return Usage(error, std::string("unknown fault: ") + value);
      }
      if (a->injected.target == FaultTarget::kNone) a->injected.target = FaultTarget::kOne;
    } else if (flag == "--fault-target") {
      if (std::strcmp(value, "one") != 0 && std::strcmp(value, "all") != 0) {
        return Usage(error, "--fault-target wants one or all");
      }
      a->injected.target =
          std::strcmp(value, "all") == 0 ? FaultTarget::kAll : FaultTarget::kOne;
    } else if (flag == "--replicas" || flag == "--ops" || flag == "--run-ms" ||
               flag == "--drop") {
      a->overrides.emplace_back(flag, value);
    } else {
      return Usage(error, "unknown flag: " + flag);
    }
  }
  if (!a->have_seed) return Usage(error, "--seed or --seeds is required");
  return true;
}

// Returns false when a value is out of range.
bool ApplyOverrides(const Args& a, SimParams* p) {
  for (const auto& [flag, value] : a.overrides) {
    if (flag == "--drop") {
      char* end = nullptr;
      p->drop_rate = std::strtod(value.c_str(), &end);
      if (*end != '\0' || p->drop_rate < 0 || p->drop_rate > 1) return false;
    } else {
      uint64_t v = 0;
      if (!ParseU64(value.c_str(), &v)) return false;
      if (flag == "--replicas") {
        if (v < 2 || v > 26) return false;
        p->replicas = static_cast<int>(v);
      } else if (flag == "--ops") {
        p->ops = static_cast<int>(v);
      } else if (v == 0) {
        return false;
      } else {
        p->run_ms = v;
      }
    }
    p->override_flags += " " + flag + " " + value;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (argc >= 2 && std::strcmp(argv[1], "--version") == 0) {
    std::puts("datasync-sim 0.1.0");
    return 0;
  }
  Args args;
  std::string error;
  if (!ParseArgs(argc, argv, &args, &error)) {
    std::fprintf(stderr, "datasync-sim: %s\n%s", error.c_str(), kUsage);
    return 2;
  }
  int failures = 0;
  for (uint64_t seed = args.first; seed <= args.last; ++seed) {
    SimParams params = datasync::sim::ParamsFromSeed(seed, args.injected);
    params.p2p_dup = args.p2p_dup;
    if (!ApplyOverrides(args, &params)) {
      std::fprintf(stderr, "datasync-sim: an override is out of range\n");
      return 2;
    }
    const auto result =
        datasync::sim::RunSimulation(params, args.trace ? stdout : nullptr);
    if (!result.ok) ++failures;
    if (args.single || !result.ok) {
      std::printf("%s\n", datasync::sim::DescribeResult(params, result).c_str());
    }
    if (seed == UINT64_MAX) break;
  }
  if (!args.single) {
    std::printf("%d of %llu seeds failed\n", failures,
                static_cast<unsigned long long>(args.last - args.first + 1));
  }
  return failures == 0 ? 0 : 1;
}
