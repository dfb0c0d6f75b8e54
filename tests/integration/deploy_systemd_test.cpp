// deploy/systemd: the units pass `systemd-analyze verify` (with ExecStart
// pointed at this build's binaries), restart on failure and stop by
// SIGTERM, and the command line of each, with its documented paths mapped
// to deploy/systemd/, runs the shipped example config through
// --check-config.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "datasync/config.h"
#include "deploy_util.h"

namespace datasync::testutil {
namespace {

namespace fs = std::filesystem;

const char kBinDir[] = "/usr/local/bin/";
const char kConfigDir[] = "/etc/datasync/";

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
  return text;
}

// KEY=VALUE lines of a unit file (the last one wins, as for systemd).
std::map<std::string, std::string> Directives(const std::string& text) {
  std::map<std::string, std::string> d;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#' || line[0] == '[') continue;
    const size_t eq = line.find('=');
    if (eq != std::string::npos) d[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return d;
}

const char* const kUnits[] = {"sync-coordinator.service", "sync-node@.service"};

TEST(DeploySystemdTest, UnitsVerify) {
  const std::string analyze = FindInPath("systemd-analyze");
  ASSERT_FALSE(analyze.empty()) << "systemd-analyze is not installed: scripts/bootstrap "
                                   "installs it (Debian package "
                                   "systemd)";
  TempDir temp("deploy-systemd");
  std::vector<std::string> args = {"verify"};
  for (const char* unit : kUnits) {
    const std::string text = ReadFileOrEmpty(SourcePath("deploy/systemd/") + unit);
    ASSERT_FALSE(text.empty()) << unit;
    // verify checks that ExecStart names an executable: this build's.
    std::ofstream(temp.Sub(unit)) << ReplaceAll(text, kBinDir, BinaryDir() + "/");
    args.push_back(temp.Sub(unit));
  }
  CtlResult verify = RunTool(temp.path(), {.binary = analyze, .args = args});
  EXPECT_EQ(verify.code(), 0) << verify.Describe();
  EXPECT_EQ(verify.err, "") << verify.Describe();
}

TEST(DeploySystemdTest, UnitsRestartOnFailureAndStopGracefully) {
  for (const char* unit : kUnits) {
    SCOPED_TRACE(unit);
    auto d = Directives(ReadFileOrEmpty(SourcePath("deploy/systemd/") + unit));
    EXPECT_EQ(d["Restart"], "on-failure");
    EXPECT_EQ(d["KillSignal"], "SIGTERM");
    EXPECT_FALSE(d["TimeoutStopSec"].empty());
    // A bad config (exit 2) would fail again at every restart.
    EXPECT_EQ(d["RestartPreventExitStatus"], "2");
  }
}

// ExecStart of `unit` as instance `instance`, with the documented paths
// mapped to this build and to deploy/systemd/, plus --check-config.
CtlResult CheckExecStart(const std::string& scratch, const std::string& unit,
                         const std::string& instance, std::string* config_path) {
  auto d = Directives(ReadFileOrEmpty(SourcePath("deploy/systemd/") + unit));
  std::vector<std::string> words = Words(ReplaceAll(d["ExecStart"], "%i", instance));
  CtlResult bad;
  if (words.empty() || words[0].rfind(kBinDir, 0) != 0) {
    bad.err =
        "ExecStart does not start with " + std::string(kBinDir) + ": " + d["ExecStart"];
    return bad;
  }
  ToolRun run{.binary = BinaryDir() + "/" + words[0].substr(sizeof(kBinDir) - 1)};
  for (size_t i = 1; i < words.size(); ++i) {
    std::string w = words[i];
    if (w.rfind(kConfigDir, 0) == 0) {
      w = SourcePath("deploy/systemd/") + w.substr(sizeof(kConfigDir) - 1);
      *config_path = w;
    }
    run.args.push_back(w);
  }
  run.args.push_back("--check-config");
  return RunTool(scratch, run);
}

TEST(DeploySystemdTest, ExecStartRunsTheShippedConfigs) {
  TempDir temp("deploy-systemd");
  std::string coordinator_config;
  CtlResult coordinator =
      CheckExecStart(temp.path(), "sync-coordinator.service", "", &coordinator_config);
  EXPECT_EQ(coordinator.code(), 0) << coordinator.Describe();
  EXPECT_EQ(coordinator_config, SourcePath("deploy/systemd/coordinator.yaml"));

  std::string node_config;
  CtlResult node = CheckExecStart(temp.path(), "sync-node@.service", "a", &node_config);
  EXPECT_EQ(node.code(), 0) << node.Describe();
  EXPECT_EQ(node_config, SourcePath("deploy/systemd/node-a.yaml"));
  // The node's store is the StateDirectory systemd makes for the instance.
  auto d = Directives(ReadFileOrEmpty(SourcePath("deploy/systemd/sync-node@.service")));
  Result<NodeConfig> config = LoadNodeConfig(node_config);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->data_dir, "/var/lib/" + ReplaceAll(d["StateDirectory"], "%i", "a"));
  EXPECT_EQ(config->id(), "a");
}

}  // namespace
}  // namespace datasync::testutil
