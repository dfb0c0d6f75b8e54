// Load and checks through NodeClient, for the integration tests: pipelined
// puts that remember what each acknowledgement said, and reads that check
// every acknowledged write is present (or superseded) on a node.
//
// Each RunPuts() call makes its own NodeClient, so one call per thread.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "datasync/messages.h"
#include "datasync/version.h"

namespace datasync::testutil {

// A put the node acknowledged, with the version and seq its reply carried.
struct AckedPut {
  std::string key;
  std::string value;
  Version version;
  uint64_t seq = 0;
};

struct PutLoad {
  std::string endpoint;
  std::string collection = "kv";
  uint64_t count = 0;
  // Key and value of write number i (0-based).
  std::function<std::pair<std::string, std::string>(uint64_t)> make;
  int window = 256;  // requests in flight
  // Outstanding requests are given up after this long without any reply
  // (the node was killed or paused).
  int silence_timeout_ms = 3000;
  // Stops sending when set (optional); what is in flight is still awaited.
  const std::atomic<bool>* stop = nullptr;
  // Incremented at every acknowledgement (optional), for tests that act
  // while the load runs.
  std::atomic<uint64_t>* progress = nullptr;
};

struct PutResult {
  std::vector<AckedPut> acked;
  uint64_t sent = 0;
  uint64_t refused = 0;     // replies with an error code
  uint64_t unanswered = 0;  // given up
  uint64_t no_version = 0;  // ok replies that carried no record
  std::string first_error;
  std::chrono::steady_clock::time_point last_ack{};
};

// Runs `load` on the calling thread.
PutResult RunPuts(const PutLoad& load);
// Runs every load on its own thread at once; results in the same order.
std::vector<PutResult> RunPutsInParallel(const std::vector<PutLoad>& loads);

// Loads running on their own threads until Finish() (or destruction, so an
// early return from a failed test joins them too). Each load's `stop` and
// `progress` are replaced by this object's.
class BackgroundLoad {
 public:
  explicit BackgroundLoad(std::vector<PutLoad> loads);
  ~BackgroundLoad();
  BackgroundLoad(const BackgroundLoad&) = delete;
  BackgroundLoad& operator=(const BackgroundLoad&) = delete;

  // Acknowledgements so far of load i.
  uint64_t progress(size_t i) const { return progress_[i].load(); }
  const std::atomic<uint64_t>& progress_counter(size_t i) const { return progress_[i]; }
  // Stops sending, waits for what is in flight, returns the results.
  std::vector<PutResult> Finish();

 private:
  std::vector<PutLoad> loads_;
  std::atomic<bool> stop_{false};
  std::unique_ptr<std::atomic<uint64_t>[]> progress_;
  std::vector<PutResult> results_;
  std::vector<std::thread> threads_;
};

// The highest-versioned acknowledged write of every key.
std::map<std::string, AckedPut> HighestAcked(const std::vector<PutResult>& results);
// The latest last_ack of all results.
std::chrono::steady_clock::time_point LastAck(const std::vector<PutResult>& results);

// Reads every key of `expected` from the node at `endpoint` (pipelined kGet)
// and checks that it holds the expected version or, unless `exact`, a
// higher one. `exact` also compares values. At most `window` gets are in
// flight: keep it below half the node's transport.sndhwm, which also
// bounds its api socket.
::testing::AssertionResult NodeHolds(const std::string& endpoint,
                                     const std::string& collection,
                                     const std::map<std::string, AckedPut>& expected,
                                     bool exact, size_t window = 256);

// One call of `request` to `endpoint`; for one-off reads and writes.
::testing::AssertionResult CallOk(const std::string& endpoint, ClientRequest request,
                                  ClientReply* reply = nullptr, int timeout_ms = 3000);

// kGet through NodeClient: the record, or nothing when not found or failed.
std::optional<Record> GetRecord(const std::string& endpoint,
                                const std::string& collection, const std::string& key);

std::string VersionString(const Version& v);

}  // namespace datasync::testutil
