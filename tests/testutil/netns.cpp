#include "testutil/netns.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "testutil/process.h"

namespace datasync::testutil {
namespace {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

constexpr const char* kPrefix = "dsit";
constexpr const char* kBridge = "br0";
constexpr size_t kMaxMembers = 4;  // one /28 of client addresses per lab
constexpr auto kIpTimeout = std::chrono::seconds(20);

std::string FindIp() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "";
}

// Client links get addresses in 198.18.0.0/15, the range RFC 2544 sets
// aside for network tests, so they do not shadow a network the machine
// uses. Each lab takes a /28 chosen by pid (a /30 per member): two labs
// alive at once never share one.
std::string ClientAddress(int index, int host) {
  uint32_t offset = (static_cast<uint32_t>(getpid()) % 8192) * 16 + index * 4 + host;
  std::ostringstream s;
  s << "198." << (18 + (offset >> 16)) << "." << ((offset >> 8) & 255) << "."
    << (offset & 255);
  return s.str();
}

// The pid in "dsit<pid>-...", or 0.
pid_t OwnerPid(const std::string& ns) {
  std::string p(kPrefix);
  if (ns.compare(0, p.size(), p) != 0) return 0;
  size_t dash = ns.find('-', p.size());
  if (dash == std::string::npos || dash == p.size()) return 0;
  try {
    return static_cast<pid_t>(std::stol(ns.substr(p.size(), dash - p.size())));
  } catch (...) {
    return 0;
  }
}

}  // namespace

AssertionResult NetLab::Ip(const std::vector<std::string>& args) {
  std::string base = temp_.Sub("ip." + std::to_string(++runs_));
  SpawnOptions options;
  options.binary = ip_;
  options.args = args;
  options.stdout_path = base + ".out";
  options.stderr_path = base + ".err";
  std::string command = "ip";
  for (const auto& a : args) command += " " + a;
  std::string error;
  auto process = Process::Spawn(options, &error);
  if (!process) return AssertionFailure() << command << ": " << error;
  auto status = process->Wait(kIpTimeout);
  if (!status) return AssertionFailure() << command << ": no exit within 20 s";
  if (!status->ok()) {
    return AssertionFailure() << command << ": " << status->ToString() << ": "
                              << process->ReadStderr();
  }
  return AssertionSuccess();
}

std::unique_ptr<NetLab> NetLab::Create(const std::vector<std::string>& ids,
                                       std::string* why, bool* unsupported) {
  *unsupported = true;
  std::string ip = FindIp();
  if (ip.empty()) {
    *why = "no `ip` command (Debian package iproute2): cannot build network namespaces";
    return nullptr;
  }
  if (ids.empty() || ids.size() > kMaxMembers) {
    *unsupported = false;
    *why = "NetLab takes 1 to 4 members";
    return nullptr;
  }
  std::unique_ptr<NetLab> lab(new NetLab(ip));
  lab->prefix_ = kPrefix + std::to_string(getpid());
  // A run that died (abort, SIGKILL) could not delete its namespaces.
  std::error_code ec;  // no /run/netns: no namespace at all yet
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    std::string name = entry.path().filename();
    pid_t owner = OwnerPid(name);
    if (owner > 0 && kill(owner, 0) != 0 && errno == ESRCH) {
      (void)lab->Ip({"netns", "del", name});
    }
  }
  lab->hub_ = lab->prefix_ + "-hub";
  if (auto made = lab->Ip({"netns", "add", lab->hub_}); !made) {
    *why = std::string(
               "cannot create a network namespace (needs root: CAP_SYS_ADMIN "
               "and CAP_NET_ADMIN): ") +
           made.message();
    return nullptr;
  }
  lab->namespaces_.push_back(lab->hub_);
  *unsupported = false;
  AssertionResult ok =
      lab->Ip({"-n", lab->hub_, "link", "add", kBridge, "type", "bridge"});
  if (ok) ok = lab->Ip({"-n", lab->hub_, "link", "set", kBridge, "up"});
  if (ok) {
    ok = lab->Ip({"-n", lab->hub_, "addr", "add", hub_address() + "/24", "dev", kBridge});
  }
  for (size_t i = 0; ok && i < ids.size(); ++i) {
    ok = lab->AddMember(ids[i], static_cast<int>(i));
  }
  if (!ok) {
    *why = std::string("building the namespaces failed: ") + ok.message();
    return nullptr;
  }
  return lab;
}

AssertionResult NetLab::AddMember(const std::string& id, int index) {
  Member m;
  m.ns = prefix_ + "-" + id;
  m.hub_port = "p" + std::to_string(index);
  m.data_address = "10.77.0." + std::to_string(index + 1);
  m.client_address = ClientAddress(index, 2);
  const std::string root_end = prefix_ + "c" + std::to_string(index);
  const std::string root_address = ClientAddress(index, 1);
  if (auto made = Ip({"netns", "add", m.ns}); !made) return made;
  namespaces_.push_back(m.ns);
  const std::vector<std::vector<std::string>> steps = {
      {"-n", m.ns, "link", "set", "lo", "up"},
      {"-n", m.ns, "link", "add", "data", "type", "veth", "peer", "name", m.hub_port,
       "netns", hub_},
      {"-n", hub_, "link", "set", m.hub_port, "master", kBridge},
      {"-n", hub_, "link", "set", m.hub_port, "up"},
      {"-n", m.ns, "addr", "add", m.data_address + "/24", "dev", "data"},
      {"-n", m.ns, "link", "set", "data", "up"},
      {"link", "add", root_end, "type", "veth", "peer", "name", "client", "netns", m.ns},
      {"addr", "add", root_address + "/30", "dev", root_end},
      {"link", "set", root_end, "up"},
      {"-n", m.ns, "addr", "add", m.client_address + "/30", "dev", "client"},
      {"-n", m.ns, "link", "set", "client", "up"},
  };
  for (const auto& step : steps) {
    if (auto done = Ip(step); !done) return done;
    if (step[0] == "link" && step[1] == "add") root_links_.push_back(root_end);
  }
  members_[id] = m;
  return AssertionSuccess();
}

NetLab::~NetLab() {
  // The kernel destroys a deleted namespace's links in the background;
  // the ends in the test's namespace are deleted here and now.
  for (const auto& link : root_links_) {
    if (auto deleted = Ip({"link", "del", link}); !deleted) {
      std::fprintf(stderr, "[netlab] %s\n", deleted.message());
    }
  }
  for (auto it = namespaces_.rbegin(); it != namespaces_.rend(); ++it) {
    if (auto deleted = Ip({"netns", "del", *it}); !deleted) {
      std::fprintf(stderr, "[netlab] %s\n", deleted.message());
    }
  }
}

const NetLab::Member& NetLab::Get(const std::string& id) const {
  auto it = members_.find(id);
  if (it == members_.end()) {
    std::fprintf(stderr, "NetLab: no member %s\n", id.c_str());
    std::abort();
  }
  return it->second;
}

std::vector<std::string> NetLab::Launcher(const std::string& id) const {
  return {ip_, "netns", "exec", Get(id).ns};
}

std::vector<std::string> NetLab::HubLauncher() const {
  return {ip_, "netns", "exec", hub_};
}

const std::string& NetLab::client_address(const std::string& id) const {
  return Get(id).client_address;
}

const std::string& NetLab::data_address(const std::string& id) const {
  return Get(id).data_address;
}

AssertionResult NetLab::Cut(const std::string& id) {
  return Ip({"-n", hub_, "link", "set", Get(id).hub_port, "down"});
}

AssertionResult NetLab::Heal(const std::string& id) {
  return Ip({"-n", hub_, "link", "set", Get(id).hub_port, "up"});
}

}  // namespace datasync::testutil
