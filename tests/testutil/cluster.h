// A datasync cluster of real processes on loopback, for integration tests.
//
// Cluster owns a temporary directory holding every node's YAML config, data
// directory and logs, picks free ports at run time, and starts, stops, kills
// and restarts sync-node and sync-coordinator processes from build/bin. It
// runs syncctl and captures its stdout, stderr and exit code. Every process
// is killed and reaped when the Cluster goes away, also when a test fails
// half-way, and the directory is removed; when the test failed, its logs
// and configs are copied out first and the copy's path printed
// (DATASYNC_KEEP_TEST_DIRS=1 keeps everything, data included, always).
//
// Use from the test's main thread, except Ctl()/CtlAt()/Digest()/Status(),
// which only read the cluster's layout and may run from any thread while
// no node is being added.
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
#include <vector>

#include "testutil/mini_json.h"
#include "testutil/process.h"
#include "testutil/temp_dir.h"

namespace datasync::testutil {

// A peer the node knows statically (a fake one can live in the test).
struct StaticPeer {
  std::string id;
  std::string pub;
  std::string sync;
};

struct NodeOptions {
  std::string id{};
  std::string mode = "both";      // both | send-only | receive-only
  std::string store = "rocksdb";  // rocksdb | sqlite | memory
  // Join the cluster's coordinator (StartCoordinator() first).
  bool use_coordinator = true;
  // Ids of other nodes of this Cluster to list as static peers; they must
  // have been added before this one.
  std::vector<std::string> static_peers{};
  std::vector<StaticPeer> extra_peers{};  // endpoints outside the Cluster
  // Fast timers so that tests converge quickly.
  uint64_t heartbeat_ms = 50;
  uint64_t anti_entropy_ms = 200;
  int sndhwm = 0;                  // 0: the node's default
  int rcvhwm = 0;                  // 0: the node's default
  uint64_t max_message_bytes = 0;  // 0: the node's default
  std::string log_level = "info";
  // Bind every interface (tcp://*:PORT) and advertise tcp://localhost:PORT,
  // as a node in a container binds and is reached by its service name.
  bool bind_any_advertise_localhost = false;
  std::string extra_yaml{};  // appended verbatim to the config file
  // Run the node under this command prefix (NetLab::Launcher: inside a
  // network namespace) and bind its api on api_host, its pub and sync on
  // data_host, instead of 127.0.0.1.
  std::vector<std::string> launcher{};
  std::string api_host{};
  std::string data_host{};
};

struct NodeAddresses {
  std::string api;
  std::string pub;
  std::string sync;
};

// What one syncctl run did.
struct CtlResult {
  ExitStatus status;
  bool timed_out = false;
  std::string out;
  std::string err;
  std::string command;  // for failure messages
  // The exit code, or -1 when it did not exit normally.
  int code() const { return status.exited ? status.code : -1; }
  std::string Describe() const;
};

// Polls `predicate` every `interval` until it is true or `timeout` passes;
// returns its last value. Awaiting a condition: never a bare sleep.
bool WaitUntil(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval = std::chrono::milliseconds(20));

// The path of a binary of build/bin: in the directory named by the
// environment variable DATASYNC_BIN_DIR when set, else the one given to
// SetBinaryDir(), else the directory of the running test executable.
std::string BinaryPath(const std::string& name);
void SetBinaryDir(const std::string& dir);

// A deadline the issue states for real nodes ("within one second"): as is,
// or ten times longer when the nodes are other builds (DATASYNC_BIN_DIR:
// CI's ASan and TSan phases), which run several times slower.
std::chrono::milliseconds NodeDeadline(std::chrono::milliseconds stated);

class Cluster {
 public:
  Cluster();
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  const std::string& dir() const { return dir_; }

  // --- coordinator ---
  // Starts (or restarts, on the same port) sync-coordinator and waits until
  // it answers `members`.
  ::testing::AssertionResult StartCoordinator(uint64_t failure_timeout_ms = 1000,
                                              uint64_t heartbeat_ms = 100);
  // Sends `signal`; for a terminating signal, waits for the process to end.
  ::testing::AssertionResult KillCoordinator(int signal);
  const std::string& coordinator_endpoint() const { return coordinator_ep_; }
  Process* coordinator() { return coordinator_ ? &*coordinator_ : nullptr; }

  // --- nodes ---
  // Picks the node's ports; does not start it. Its config is written when
  // it starts, so static peers may name nodes added later.
  void AddNode(NodeOptions options);
  // Writes the node's config file now; returns its path.
  const std::string& WriteConfig(const std::string& id);
  // Writes its config, starts the node and waits (up to 15 s) until it
  // answers `status`.
  ::testing::AssertionResult StartNode(const std::string& id);
  // AddNode() + StartNode().
  ::testing::AssertionResult AddAndStartNode(NodeOptions options);
  // SIGTERM, then expects exit 0 within 15 s.
  ::testing::AssertionResult StopNode(const std::string& id);
  // Sends `signal`. SIGKILL waits until the process is reaped.
  ::testing::AssertionResult KillNode(const std::string& id, int signal);
  // Waits for an already signalled (or shut down) node to end.
  std::optional<ExitStatus> WaitNode(const std::string& id,
                                     std::chrono::milliseconds timeout);
  std::optional<ExitStatus> WaitCoordinator(std::chrono::milliseconds timeout);
  bool NodeRunning(const std::string& id);
  Process* node_process(const std::string& id);

  const NodeAddresses& endpoints(const std::string& id) const;
  const std::string& api(const std::string& id) const { return endpoints(id).api; }
  const std::string& config_path(const std::string& id) const;
  std::vector<std::string> node_ids() const;

  // --- syncctl ---
  // Runs syncctl with exactly `args`, SYNC_NODE / SYNC_COORDINATOR unset
  // unless given in `env`; kills it after `timeout`.
  CtlResult Ctl(const std::vector<std::string>& args,
                std::chrono::milliseconds timeout = std::chrono::seconds(15),
                const std::vector<std::pair<std::string, std::string>>& env = {});
  // syncctl --node API(id) ARGS...
  CtlResult CtlAt(const std::string& id, const std::vector<std::string>& args,
                  std::chrono::milliseconds timeout = std::chrono::seconds(15));

  // `syncctl digest`, trimmed; nullopt (and *error) when it fails.
  std::optional<std::string> Digest(const std::string& id, std::string* error = nullptr);
  // `syncctl --json status`, parsed; nullopt (and *error) on failure.
  std::optional<JsonValue> Status(const std::string& id, std::string* error = nullptr);
  // A counter of `syncctl --json status` (0 when absent), nullopt on failure.
  std::optional<uint64_t> Counter(const std::string& id, const std::string& name);
  // True when every node of `ids` answers with the same digest; *detail
  // says what each answered.
  bool DigestsEqual(const std::vector<std::string>& ids, std::string* detail = nullptr);
  // WaitUntil(DigestsEqual(ids)) with a message listing the digests.
  ::testing::AssertionResult WaitConverged(const std::vector<std::string>& ids,
                                           std::chrono::milliseconds timeout);

  // The last lines of the node's (or "coordinator"'s) current stderr log.
  std::string LogTail(const std::string& id, size_t max_bytes = 2000) const;

 private:
  struct Node {
    NodeOptions options;
    NodeAddresses endpoints;
    std::string config_path;
    std::optional<Process> process;
    int starts = 0;
  };

  Node& GetNode(const std::string& id);
  const Node& GetNode(const std::string& id) const;
  std::string NodeYaml(const Node& node) const;
  ::testing::AssertionResult WaitNodeAnswers(const std::string& id,
                                             std::chrono::milliseconds timeout);

  TempDir temp_;
  std::string dir_;  // temp_.path()
  std::map<std::string, std::unique_ptr<Node>> nodes_;
  std::vector<std::string> order_;  // ids in AddNode order
  std::string coordinator_ep_;
  std::optional<Process> coordinator_;
  int coordinator_starts_ = 0;
  std::atomic<uint64_t> ctl_runs_{0};
};

}  // namespace datasync::testutil
