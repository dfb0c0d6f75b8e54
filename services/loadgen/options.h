// The command line of sync-loadgen (ARCHITECTURE §6) and its defaults.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "key_chooser.h"

namespace datasync {

// Exit codes (ARCHITECTURE §6).
constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;  // not converged, or writes failed
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;  // a node did not answer at the start

struct LoadOptions {
  std::vector<std::string> nodes;  // api endpoints, at least one
  double rate = 0;                 // writes/s over all connections; 0: closed loop
  double duration_s = 10;          // write phase; 0: until SIGINT/SIGTERM
  uint64_t max_writes = 0;         // also ends the write phase; 0: no limit
  uint64_t keys = 100000;
  size_t value_size = 100;
  std::string report_path;  // empty: no JSON report
  double delete_share = 0;  // 0..1
  KeyDistribution distribution = KeyDistribution::kUniform;
  int connections = 2;  // per writing node, one thread each
  // Write through the first `writers` nodes only (0: all); the others are
  // only watched, which measures one writer replicating to its peers.
  size_t writers = 0;
  // Writes per request (a kWriteBatch when above 1): a bulk writer's way to
  // spend one round trip and one commit on many records.
  size_t batch = 1;
  std::string collection = "load";
  double quiesce_timeout_s = 30;
  int timeout_ms = 5000;  // per request, and for the first answers
  // Closed loop: requests in flight per connection. Open loop: the bound
  // past which a connection stops sending and lets the backlog (and the
  // latency measured from intended send times) grow.
  int max_outstanding = 0;  // 0: 256 closed, 10000 open
  // Replication tracking: every Nth write of each connection; 0: every
  // write up to 20,000 writes/s, else 1 in 16.
  uint32_t sample_every = 0;
  bool watch = true;  // --no-watch: no replication latency
  // After the run, read back every acknowledged key from every node
  // (acked_check.h). Puts only: a read cannot tell a tombstone's version.
  bool check_acked = false;

  int EffectiveMaxOutstanding() const {
    if (max_outstanding > 0) return max_outstanding;
    return rate > 0 ? 10000 : 256;
  }
  uint32_t EffectiveSampleEvery() const {
    if (sample_every > 0) return sample_every;
    return rate > 0 && rate <= 20000 ? 1 : 16;
  }
};

// Parses argv. Returns the options, or nullopt with *exit_code set: 0 after
// --help / --version, 2 for a usage error (message and usage on stderr).
std::optional<LoadOptions> ParseLoadOptions(int argc, char** argv, int* exit_code);

}  // namespace datasync
