// sync-node: one node of a datasync cluster (ARCHITECTURE §1, §6).
//
//   sync-node --config FILE [--check-config]
//
// Exit codes: 0 after a graceful shutdown (or a valid config with
// --check-config), 1 when the store cannot be opened or an endpoint cannot
// be bound, 2 for bad arguments or a bad config.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "../common/spdlog_level.h"
#include "datasync/config.h"
#include "node_loop.h"
#include "node_store.h"
#include "signals.h"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;


void SetUpLogging(const datasync::NodeConfig& config) {
  auto logger = spdlog::stderr_color_mt("sync-node");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e sync-node[" + config.id() + "] %l: %v");
  logger->set_level(datasync::SpdlogLevel(config.log_level));
  spdlog::set_default_logger(logger);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sync-node: one node of a datasync cluster", "sync-node"};
  std::string config_path;
  bool check_only = false;
  // Checked after parsing rather than with required(), so that an unknown
  // argument is reported as such instead of as a missing --config.
  app.add_option("--config", config_path, "node configuration file (YAML)");
  app.add_flag("--check-config", check_only, "validate the configuration and exit");
  app.set_version_flag("--version", "sync-node " DATASYNC_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "sync-node: %s (see --help)\n", e.what());
    return kExitUsage;
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "sync-node: --config FILE is required (see --help)\n");
    return kExitUsage;
  }

  datasync::Result<datasync::NodeConfig> config = datasync::LoadNodeConfig(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().message().c_str());
    return kExitUsage;
  }
  if (check_only) {
    std::fprintf(stderr, "%s: ok\n", config_path.c_str());
    return 0;
  }
  SetUpLogging(config.value());

  auto store = datasync::OpenNodeStore(config.value());
  if (!store.ok()) {
    std::fprintf(stderr, "sync-node: %s\n", store.status().message().c_str());
    return kExitFailure;
  }
  const datasync::NodeEndpoints endpoints = config->endpoints;
  const datasync::NodeEndpoints advertised = config->advertised;
  const std::string id = config->id();
  datasync::InstallStopSignals();
  datasync::NodeLoop loop(std::move(config).value(), std::move(store).value());
  datasync::Status started = loop.Start();
  if (!started.ok()) {
    std::fprintf(stderr, "sync-node: %s\n", started.message().c_str());
    return kExitFailure;
  }
  std::fprintf(stderr, "sync-node %s ready api=%s pub=%s sync=%s\n", id.c_str(),
               endpoints.api.c_str(), endpoints.pub.c_str(), endpoints.sync.c_str());
  if (!(advertised == endpoints)) {
    std::fprintf(stderr, "sync-node %s advertises api=%s pub=%s sync=%s\n", id.c_str(),
                 advertised.api.c_str(), advertised.pub.c_str(), advertised.sync.c_str());
  }
  return loop.Run().ok() ? 0 : kExitFailure;
}
