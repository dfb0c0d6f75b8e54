// NetLab: network namespaces joined by veth links, so that integration
// tests can cut the network between real node processes and heal it.
//
// Every node gets its own namespace with two links:
//   - "data", a veth into a hub namespace whose bridge joins every node's
//     data link (pub and sync endpoints bind here): cutting it partitions
//     the node from all the others;
//   - "client", a point-to-point veth to the test's own (root) namespace
//     (the api endpoint binds here), so the test keeps writing to and
//     reading from every node while the data links are cut.
// Processes enter a namespace through `ip netns exec` (Launcher()), which
// execs the program itself: the pid the test spawned is the node's.
//
// Needs iproute2's `ip` and CAP_SYS_ADMIN + CAP_NET_ADMIN (root). Names
// carry the test process's pid, so concurrent runs do not meet, and
// namespaces left by a run that died are removed by the next one. The
// destructor deletes every namespace, which deletes their links too.
// Use from one thread.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "testutil/temp_dir.h"

namespace datasync::testutil {

class NetLab {
 public:
  // Builds the namespaces and links for `ids` (at most 4). Returns null
  // with *why set when it cannot, and *unsupported true when that is
  // because this machine lacks the means (no `ip`, no privilege: callers
  // skip), false when building failed (callers fail).
  static std::unique_ptr<NetLab> Create(const std::vector<std::string>& ids,
                                        std::string* why, bool* unsupported);
  ~NetLab();
  NetLab(const NetLab&) = delete;
  NetLab& operator=(const NetLab&) = delete;

  // The command prefix that runs a program inside `id`'s namespace.
  std::vector<std::string> Launcher(const std::string& id) const;
  // `id`'s address on its client link, reachable from the test.
  const std::string& client_address(const std::string& id) const;
  // `id`'s address on the data bridge, reachable only from other nodes.
  const std::string& data_address(const std::string& id) const;

  // The hub namespace, whose bridge has an address of its own: a process
  // run there (a coordinator) is reachable from every node over its data
  // link, and is cut off from a node with it.
  std::vector<std::string> HubLauncher() const;
  static std::string hub_address() { return "10.77.0.254"; }

  // Takes `id`'s data link down at the hub (as if its cable were pulled
  // from the switch) / brings it back up.
  ::testing::AssertionResult Cut(const std::string& id);
  ::testing::AssertionResult Heal(const std::string& id);

 private:
  struct Member {
    std::string ns;
    std::string hub_port;  // its data link's end on the hub's bridge
    std::string client_address;
    std::string data_address;
  };

  explicit NetLab(std::string ip) : ip_(std::move(ip)) {}
  // Runs `ip ARGS...`; fails with its stderr.
  ::testing::AssertionResult Ip(const std::vector<std::string>& args);
  ::testing::AssertionResult AddMember(const std::string& id, int index);
  const Member& Get(const std::string& id) const;

  std::string ip_;  // path of the ip binary
  TempDir temp_{"datasync-netlab"};
  std::string prefix_;  // "dsit<pid>": every name of this lab starts so
  std::string hub_;
  std::vector<std::string> namespaces_;  // created so far, deleted at the end
  std::vector<std::string> root_links_;  // idem, in the test's namespace
  std::map<std::string, Member> members_;
  int runs_ = 0;
};

}  // namespace datasync::testutil
