// The coordinator config file.

#include "config/yaml_reader.h"
#include "datasync/config.h"

namespace datasync {
namespace {

using config::Need;
using config::Quote;
using config::YamlMap;

constexpr uint64_t kMaxPeriodMs = 24 * 3600 * 1000;

void ReadCoordinatorSection(YamlMap& root, CoordinatorConfig* c) {
  YamlMap section = root.GetMap("coordinator", Need::kRequired);
  section.AllowKeys({"bind", "failure_timeout_ms", "heartbeat_ms"});
  section.GetEndpoint("bind", Need::kRequired, EndpointUse::kBind, "tcp://127.0.0.1:7000",
                      &c->bind);
  section.GetDurationMs("failure_timeout_ms", 1, kMaxPeriodMs, &c->failure_timeout_ms);
  section.GetDurationMs("heartbeat_ms", 1, kMaxPeriodMs, &c->heartbeat_ms);
  // With less than two pings per timeout, one ping lost or late on a busy
  // node would remove a healthy node from the membership.
  if (section.ok() && c->failure_timeout_ms < 2 * c->heartbeat_ms) {
    section.Fail("failure_timeout_ms", "must be at least twice heartbeat_ms (" +
                                           std::to_string(2 * c->heartbeat_ms) +
                                           "), got " +
                                           Quote(std::to_string(c->failure_timeout_ms)));
  }
}

}  // namespace

Result<CoordinatorConfig> ParseCoordinatorConfig(const std::string& yaml_text,
                                                 const std::string& file_name) {
  CoordinatorConfig c;
  c.file = file_name;
  Status status = config::WalkYaml(yaml_text, file_name, [&c](YamlMap& root) {
    root.AllowKeys({"coordinator", "log"});
    ReadCoordinatorSection(root, &c);
    config::ReadLogSection(root, &c.log_level);
  });
  if (!status.ok()) return status;
  return c;
}

Result<CoordinatorConfig> LoadCoordinatorConfig(const std::string& path) {
  Result<std::string> text = config::ReadConfigFile(path);
  if (!text.ok()) return text.status();
  return ParseCoordinatorConfig(text.value(), path);
}

}  // namespace datasync
