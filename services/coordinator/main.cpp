// sync-coordinator: membership, failure detection and cluster shutdown
// (ARCHITECTURE §1). Parses flags, loads the config, runs CoordinatorLoop.
//
// Exit codes: 0 after SIGTERM/SIGINT or a finished shutdown, 1 when the
// endpoint cannot be bound, 2 for bad arguments or a bad config.

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <iostream>
#include <optional>
#include <string>

#include "coordinator_loop.h"
#include "../common/spdlog_level.h"
#include "datasync/config.h"

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

void InstallSignalHandlers() {
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  // No SA_RESTART: a signal interrupts the poll, so we stop at once.
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}


struct Flags {
  std::string config_file;
  std::string bind;
  uint64_t failure_timeout_ms = datasync::CoordinatorConfig{}.failure_timeout_ms;
  uint64_t heartbeat_ms = datasync::CoordinatorConfig{}.heartbeat_ms;
  bool check_config = false;
};

// The config from --config FILE, or from --bind and its companions.
datasync::Result<datasync::CoordinatorConfig> BuildConfig(const Flags& flags) {
  if (!flags.config_file.empty()) {
    return datasync::LoadCoordinatorConfig(flags.config_file);
  }
  datasync::Status s = datasync::CheckEndpoint(flags.bind, datasync::EndpointUse::kBind);
  if (!s.ok()) return datasync::Status::Invalid("--bind: " + s.message());
  if (flags.failure_timeout_ms < 2 * flags.heartbeat_ms) {
    return datasync::Status::Invalid(
        "--failure-timeout-ms: must be at least twice --heartbeat-ms (" +
        std::to_string(2 * flags.heartbeat_ms) + ")");
  }
  datasync::CoordinatorConfig config;
  config.bind = flags.bind;
  config.failure_timeout_ms = flags.failure_timeout_ms;
  config.heartbeat_ms = flags.heartbeat_ms;
  return config;
}

int Serve(const datasync::CoordinatorConfig& config) {
  auto logger = spdlog::stderr_color_mt("sync-coordinator");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ sync-coordinator: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(datasync::SpdlogLevel(config.log_level));
  InstallSignalHandlers();

  // Declared first so it is destroyed last: closing it waits (the socket's
  // linger) for the final replies to leave.
  zmq::context_t context(1);
  datasync::CoordinatorLoop loop(context, config);
  datasync::Status s = loop.Bind();
  if (!s.ok()) {
    spdlog::error("{}", s.message());
    return 1;
  }
  s = loop.Run(g_stop);
  if (!s.ok()) {
    spdlog::error("{}", s.message());
    return 1;
  }
  spdlog::info("exiting ({} messages, {} bad)", loop.counters().messages,
               loop.counters().bad_input);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(
      "datasync coordinator: cluster membership, failure detection, "
      "cluster shutdown",
      "sync-coordinator");
  app.set_version_flag("--version", std::string("sync-coordinator ") + DATASYNC_VERSION);
  Flags flags;
  auto* config_opt = app.add_option("--config", flags.config_file, "YAML config file");
  auto* bind_opt = app.add_option("--bind", flags.bind,
                                  "ROUTER endpoint to bind, instead of --config");
  app.add_option("--failure-timeout-ms", flags.failure_timeout_ms,
                 "with --bind: remove a node silent this long")
      ->needs(bind_opt);
  app.add_option("--heartbeat-ms", flags.heartbeat_ms,
                 "with --bind: how often nodes ping")
      ->needs(bind_opt);
  app.add_flag("--check-config", flags.check_config, "validate the config and exit");
  config_opt->excludes(bind_opt);
  try {
    app.parse(argc, argv);
    if (flags.config_file.empty() && flags.bind.empty()) {
      throw CLI::RequiredError("--config or --bind");
    }
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::CallForVersion& e) {
    std::cout << e.what() << "\n";
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << "sync-coordinator: " << e.what() << "\n\n" << app.help();
    return 2;
  }

  datasync::Result<datasync::CoordinatorConfig> config = BuildConfig(flags);
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 2;
  }
  if (flags.check_config) {
    std::cerr << (flags.config_file.empty() ? "flags" : flags.config_file) << ": ok\n";
    return 0;
  }
  return Serve(config.value());
}
