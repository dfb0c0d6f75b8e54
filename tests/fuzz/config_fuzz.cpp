// libFuzzer target over the config loader: the input is YAML text, parsed
// both as a node and as a coordinator config (the same entry points that
// LoadNodeConfig and LoadCoordinatorConfig call after reading the file).
//
// Asserts config.h's contract: nothing throws or crashes; an error is
// kInvalidArgument and reads `FILE:LINE: key.path: what`; an accepted config
// satisfies the cross-key checks the loader promises, so the node loop may
// rely on them.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "datasync/config.h"
#include "datasync/record.h"

namespace datasync {
namespace {

constexpr char kFile[] = "fuzz.yaml";

void Require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "config_fuzz: %s\n", what);
  std::abort();
}

void CheckError(const Status& s) {
  Require(s.code() == Code::kInvalidArgument, "error code is not kInvalidArgument");
  Require(s.message().rfind(std::string(kFile) + ":", 0) == 0,
          "error does not start with the file name");
}

void CheckNode(const NodeConfig& c) {
  Require(c.file == kFile, "file not recorded");
  Require(IsValidNodeId(c.id()), "accepted an invalid node id");
  Require(!c.data_dir.empty(), "accepted an empty data_dir");
  for (const std::string* e : {&c.endpoints.api, &c.endpoints.pub, &c.endpoints.sync}) {
    Require(CheckEndpoint(*e, EndpointUse::kBind).ok(), "accepted a bad endpoint");
  }
  if (c.coordinator) {
    Require(CheckEndpoint(*c.coordinator, EndpointUse::kConnect).ok(),
            "accepted a bad coordinator endpoint");
  }
  std::set<std::string> ids{c.id()};
  for (const PeerConfig& p : c.peers) {
    Require(IsValidNodeId(p.id), "accepted an invalid peer id");
    Require(ids.insert(p.id).second, "accepted a duplicate peer id");
  }
  Require(c.limits.max_message_bytes >= c.limits.max_key_bytes + c.limits.max_value_bytes,
          "a record of the limits does not fit a message");
  Require(c.replica.max_key_bytes == c.limits.max_key_bytes &&
              c.replica.max_value_bytes == c.limits.max_value_bytes,
          "limits not copied into the replica options");
  Require(c.replica.heartbeat_ms > 0 && c.replica.anti_entropy_ms > 0,
          "accepted a zero period");
}

void CheckCoordinator(const CoordinatorConfig& c) {
  Require(CheckEndpoint(c.bind, EndpointUse::kBind).ok(), "accepted a bad bind endpoint");
  Require(c.heartbeat_ms > 0 && c.failure_timeout_ms >= 2 * c.heartbeat_ms,
          "accepted a failure timeout under two heartbeats");
}

}  // namespace
}  // namespace datasync

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace datasync;
  const std::string text(reinterpret_cast<const char*>(data), size);
  Result<NodeConfig> node = ParseNodeConfig(text, kFile);
  if (node.ok()) {
    CheckNode(node.value());
  } else {
    CheckError(node.status());
  }
  Result<CoordinatorConfig> coordinator = ParseCoordinatorConfig(text, kFile);
  if (coordinator.ok()) {
    CheckCoordinator(coordinator.value());
  } else {
    CheckError(coordinator.status());
  }
  return 0;
}
