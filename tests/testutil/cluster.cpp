#include "testutil/cluster.h"

#include <signal.h>
#include <stdlib.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "testutil/ports.h"

namespace datasync::testutil {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

constexpr milliseconds kStartTimeout{15000};
constexpr milliseconds kStopTimeout{15000};

// "datasync-it-<test name>", for the names of temporary directories.
std::string DirTag() {
  std::string name = "datasync-it";
  if (auto* info = ::testing::UnitTest::GetInstance()->current_test_info()) {
    name += std::string("-") + info->name();
  }
  for (char& c : name) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '-') c = '_';
  }
  return name;
}

// Copies what explains a failure (logs and configs; the data too when
// `with_data`) out of `dir`, which is about to be removed; returns where.
std::string KeepCopy(const std::string& dir, bool with_data) {
  const char* tmp = getenv("TMPDIR");
  std::string kept = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" +
                     DirTag() + "-kept-XXXXXX";
  if (mkdtemp(kept.data()) == nullptr) return "(could not keep " + dir + ")";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    bool wanted = with_data || entry.path().filename() == "logs" ||
                  entry.path().extension() == ".yaml";
    if (wanted) {
      fs::copy(entry.path(), fs::path(kept) / entry.path().filename(),
               fs::copy_options::recursive, ec);
    }
  }
  return kept;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string Tail(const std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  return "..." + text.substr(text.size() - max_bytes);
}

// `text` with its first `from` replaced by `to`.
std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

SpawnOptions ServiceSpawn(const std::string& binary, std::vector<std::string> args,
                          const std::string& log_prefix) {
  SpawnOptions options;
  options.binary = BinaryPath(binary);
  options.args = std::move(args);
  options.stdout_path = log_prefix + ".out";
  options.stderr_path = log_prefix + ".err";
  options.unset_env = {"SYNC_NODE", "SYNC_COORDINATOR"};
  return options;
}

}  // namespace

bool WaitUntil(const std::function<bool()>& predicate, milliseconds timeout,
               milliseconds interval) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (predicate()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

namespace {
std::string& BinaryDirOverride() {
  static std::string dir;
  return dir;
}
}  // namespace

void SetBinaryDir(const std::string& dir) { BinaryDirOverride() = dir; }

std::string BinaryPath(const std::string& name) {
  const char* env = getenv("DATASYNC_BIN_DIR");
  if (env != nullptr && *env != '\0') return std::string(env) + "/" + name;
  if (!BinaryDirOverride().empty()) return BinaryDirOverride() + "/" + name;
  // The test binaries are built into build/bin beside the services.
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / name).string();
}

std::chrono::milliseconds NodeDeadline(std::chrono::milliseconds stated) {
  const char* env = getenv("DATASYNC_BIN_DIR");
  return env != nullptr && *env != '\0' ? stated * 10 : stated;
}

Cluster::Cluster() : temp_(DirTag()), dir_(temp_.path()) {
  fs::create_directories(dir_ + "/logs");
}

Cluster::~Cluster() {
  // Kill everything before judging, so a failed test leaves no process.
  for (auto& [id, node] : nodes_) node->process.reset();
  coordinator_.reset();
  // temp_ removes the directory; keep a copy of what explains a failure.
  bool keep_all = getenv("DATASYNC_KEEP_TEST_DIRS") != nullptr;
  if (keep_all || ::testing::Test::HasFailure()) {
    std::string kept = KeepCopy(dir_, keep_all);
    std::fprintf(stderr, "[cluster] configs and logs kept in %s\n", kept.c_str());
  }
}

AssertionResult Cluster::StartCoordinator(uint64_t failure_timeout_ms,
                                          uint64_t heartbeat_ms) {
  if (coordinator_ && coordinator_->Running()) {
    return AssertionFailure() << "coordinator already running";
  }
  if (coordinator_ep_.empty()) coordinator_ep_ = FreeTcpEndpoint();
  std::string config = dir_ + "/coordinator.yaml";
  std::ostringstream yaml;
  yaml << "coordinator:\n"
       << "  bind: " << coordinator_ep_ << "\n"
       << "  failure_timeout_ms: " << failure_timeout_ms << "\n"
       << "  heartbeat_ms: " << heartbeat_ms << "\n";
  WriteFile(config, yaml.str());
  std::string log = dir_ + "/logs/coordinator." + std::to_string(++coordinator_starts_);
  std::string error;
  coordinator_.reset();
  coordinator_ =
      Process::Spawn(ServiceSpawn("sync-coordinator", {"--config", config}, log), &error);
  if (!coordinator_) return AssertionFailure() << error;
  CtlResult last;
  bool up = WaitUntil(
      [&] {
        if (!coordinator_->Running()) return true;
        last = Ctl({"--coordinator", coordinator_ep_, "--timeout-ms", "300", "members"});
        return last.code() == 0;
      },
      kStartTimeout, milliseconds(50));
  if (up && coordinator_->Running()) return AssertionSuccess();
  return AssertionFailure() << "coordinator did not come up ("
                            << (coordinator_->Running()
                                    ? "no answer: " + last.Describe()
                                    : coordinator_->exit_status()->ToString())
                            << ")\n"
                            << LogTail("coordinator");
}

AssertionResult Cluster::KillCoordinator(int signal) {
  if (!coordinator_ || !coordinator_->Kill(signal)) {
    return AssertionFailure() << "coordinator not running";
  }
  if (signal == SIGSTOP || signal == SIGCONT) return AssertionSuccess();
  if (!coordinator_->Wait(kStopTimeout)) {
    return AssertionFailure() << "coordinator did not end after signal " << signal;
  }
  return AssertionSuccess();
}

std::optional<ExitStatus> Cluster::WaitCoordinator(milliseconds timeout) {
  if (!coordinator_) return std::nullopt;
  return coordinator_->Wait(timeout);
}

void Cluster::AddNode(NodeOptions options) {
  auto node = std::make_unique<Node>();
  auto endpoint = [](const std::string& host) {
    return host.empty() ? FreeTcpEndpoint()
                        : "tcp://" + host + ":" + std::to_string(PickFreePort());
  };
  node->endpoints = {endpoint(options.api_host), endpoint(options.data_host),
                     endpoint(options.data_host)};
  node->config_path = dir_ + "/" + options.id + ".yaml";
  std::string id = options.id;
  node->options = std::move(options);
  fs::create_directories(dir_ + "/" + id);
  order_.push_back(id);
  nodes_[id] = std::move(node);
}

std::string Cluster::NodeYaml(const Node& node) const {
  const NodeOptions& o = node.options;
  std::ostringstream y;
  y << "node:\n  id: " << o.id << "\n  data_dir: " << dir_ << "/" << o.id
    << "/data\n  mode: " << o.mode << "\n"
    << "endpoints:\n";
  if (o.bind_any_advertise_localhost) {
    auto any = [](const std::string& ep) { return Replaced(ep, "127.0.0.1", "*"); };
    auto name = [](const std::string& ep) { return Replaced(ep, "127.0.0.1", "localhost"); };
    const NodeAddresses& e = node.endpoints;
    y << "  api: " << any(e.api) << "\n  pub: " << any(e.pub) << "\n  sync: " << any(e.sync)
      << "\n  advertise:\n    api: " << name(e.api) << "\n    pub: " << name(e.pub)
      << "\n    sync: " << name(e.sync) << "\n";
  } else {
    y << "  api: " << node.endpoints.api << "\n  pub: " << node.endpoints.pub
      << "\n  sync: " << node.endpoints.sync << "\n";
  }
  if (o.use_coordinator && !coordinator_ep_.empty()) {
    y << "coordinator: " << coordinator_ep_ << "\n";
  }
  std::vector<StaticPeer> peers = o.extra_peers;
  for (const auto& peer_id : o.static_peers) {
    const NodeAddresses& e = endpoints(peer_id);
    peers.push_back({peer_id, e.pub, e.sync});
  }
  if (!peers.empty()) y << "peers:\n";
  for (const auto& p : peers) {
    y << "  - {id: " << p.id << ", pub: \"" << p.pub << "\", sync: \"" << p.sync
      << "\"}\n";
  }
  y << "store:\n  type: " << o.store << "\n"
    << "replication:\n  heartbeat_ms: " << o.heartbeat_ms
    << "\n  anti_entropy_ms: " << o.anti_entropy_ms << "\n";
  if (o.sndhwm > 0 || o.rcvhwm > 0) {
    y << "transport:\n";
    if (o.sndhwm > 0) y << "  sndhwm: " << o.sndhwm << "\n";
    if (o.rcvhwm > 0) y << "  rcvhwm: " << o.rcvhwm << "\n";
  }
  if (o.max_message_bytes > 0) {
    y << "limits:\n  max_message_bytes: " << o.max_message_bytes << "\n";
  }
  y << "log:\n  level: " << o.log_level << "\n" << o.extra_yaml;
  return y.str();
}

AssertionResult Cluster::StartNode(const std::string& id) {
  Node& node = GetNode(id);
  if (node.process && node.process->Running()) {
    return AssertionFailure() << "node " << id << " already running";
  }
  WriteConfig(id);
  std::string log = dir_ + "/logs/" + id + "." + std::to_string(++node.starts);
  std::string error;
  node.process.reset();
  SpawnOptions spawn = ServiceSpawn("sync-node", {"--config", node.config_path}, log);
  if (!node.options.launcher.empty()) {
    std::vector<std::string> args(node.options.launcher.begin() + 1,
                                  node.options.launcher.end());
    args.push_back(spawn.binary);
    args.insert(args.end(), spawn.args.begin(), spawn.args.end());
    spawn.binary = node.options.launcher.front();
    spawn.args = std::move(args);
  }
  node.process = Process::Spawn(spawn, &error);
  if (!node.process) return AssertionFailure() << error;
  return WaitNodeAnswers(id, kStartTimeout);
}

const std::string& Cluster::WriteConfig(const std::string& id) {
  Node& node = GetNode(id);
  WriteFile(node.config_path, NodeYaml(node));
  return node.config_path;
}

AssertionResult Cluster::WaitNodeAnswers(const std::string& id, milliseconds timeout) {
  Node& node = GetNode(id);
  CtlResult last;
  bool done = WaitUntil(
      [&] {
        if (!node.process->Running()) return true;
        last = CtlAt(id, {"--timeout-ms", "300", "status"});
        return last.code() == 0;
      },
      timeout, milliseconds(50));
  if (done && node.process->Running()) return AssertionSuccess();
  std::string why = node.process->Running()
                        ? "no answer to status: " + last.Describe()
                        : "exited: " + node.process->exit_status()->ToString();
  return AssertionFailure() << "node " << id << " did not come up (" << why << ")\n"
                            << "config:\n"
                            << ReadFileOrEmpty(node.config_path) << "stderr:\n"
                            << LogTail(id);
}

AssertionResult Cluster::AddAndStartNode(NodeOptions options) {
  std::string id = options.id;
  AddNode(std::move(options));
  return StartNode(id);
}

AssertionResult Cluster::StopNode(const std::string& id) {
  Node& node = GetNode(id);
  if (!node.process || !node.process->Kill(SIGTERM)) {
    return AssertionFailure() << "node " << id << " not running";
  }
  auto status = node.process->Wait(kStopTimeout);
  if (!status) {
    return AssertionFailure() << "node " << id << " still running "
                              << kStopTimeout.count() << " ms after SIGTERM\n"
                              << LogTail(id);
  }
  if (!status->ok()) {
    return AssertionFailure() << "node " << id << " ended with " << status->ToString()
                              << " after SIGTERM, expected exit 0\n"
                              << LogTail(id);
  }
  return AssertionSuccess();
}

AssertionResult Cluster::KillNode(const std::string& id, int signal) {
  Node& node = GetNode(id);
  if (!node.process || !node.process->Kill(signal)) {
    return AssertionFailure() << "node " << id << " not running";
  }
  if (signal == SIGKILL && !node.process->Wait(kStopTimeout)) {
    return AssertionFailure() << "node " << id << " survived SIGKILL";
  }
  return AssertionSuccess();
}

std::optional<ExitStatus> Cluster::WaitNode(const std::string& id, milliseconds timeout) {
  Node& node = GetNode(id);
  if (!node.process) return std::nullopt;
  return node.process->Wait(timeout);
}

bool Cluster::NodeRunning(const std::string& id) {
  Node& node = GetNode(id);
  return node.process && node.process->Running();
}

Process* Cluster::node_process(const std::string& id) {
  Node& node = GetNode(id);
  return node.process ? &*node.process : nullptr;
}

Cluster::Node& Cluster::GetNode(const std::string& id) {
  auto it = nodes_.find(id);
  if (it == nodes_.end()) {
    std::fprintf(stderr, "Cluster: no node %s\n", id.c_str());
    std::abort();
  }
  return *it->second;
}

const Cluster::Node& Cluster::GetNode(const std::string& id) const {
  return const_cast<Cluster*>(this)->GetNode(id);
}

const NodeAddresses& Cluster::endpoints(const std::string& id) const {
  return GetNode(id).endpoints;
}

const std::string& Cluster::config_path(const std::string& id) const {
  return GetNode(id).config_path;
}

std::vector<std::string> Cluster::node_ids() const { return order_; }

std::string Cluster::LogTail(const std::string& id, size_t max_bytes) const {
  int starts = id == "coordinator" ? coordinator_starts_ : GetNode(id).starts;
  std::string path = dir_ + "/logs/" + id + "." + std::to_string(starts) + ".err";
  return Tail(ReadFileOrEmpty(path), max_bytes);
}

}  // namespace datasync::testutil
