// Every file under deploy/ is used or tested by something: this table says
// by what, and a file missing from it (or listed but gone) fails here.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "deploy_util.h"

namespace datasync::testutil {
namespace {

namespace fs = std::filesystem;

const std::map<std::string, std::string> kCoveredBy = {
    {"local/datasync-local", "DeployLocalTest; scripts/demo"},
    {"docker/Dockerfile", "DeployDockerTest; docker-compose.yml builds it"},
    {"docker/coordinator.yaml", "DeployComposeTest (mounted by docker-compose.yml)"},
    {"docker/node1.yaml", "DeployComposeTest (mounted by docker-compose.yml)"},
    {"docker/node2.yaml", "DeployComposeTest (mounted by docker-compose.yml)"},
    {"docker/node3.yaml", "DeployComposeTest (mounted by docker-compose.yml)"},
    {"systemd/sync-coordinator.service", "DeploySystemdTest"},
    {"systemd/sync-node@.service", "DeploySystemdTest"},
    {"systemd/coordinator.yaml", "DeploySystemdTest.ExecStartRunsTheShippedConfigs"},
    {"systemd/node-a.yaml", "DeploySystemdTest.ExecStartRunsTheShippedConfigs"},
    {"k8s/datasync-config.yaml", "DeployK8sTest"},
    {"k8s/datasync-coordinator.yaml", "DeployK8sTest"},
    {"k8s/datasync-node.yaml", "DeployK8sTest"},
};

TEST(DeployFilesTest, EveryFileIsCovered) {
  const fs::path root = SourcePath("deploy");
  std::map<std::string, bool> seen;
  for (const auto& [file, by] : kCoveredBy) seen[file] = false;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    const std::string relative = fs::relative(e.path(), root).string();
    if (!seen.count(relative)) {
      ADD_FAILURE() << "deploy/" << relative
                    << " is not covered: test it, or use it, and list it in " << __FILE__;
      continue;
    }
    seen[relative] = true;
  }
  for (const auto& [file, found] : seen)
    EXPECT_TRUE(found) << "deploy/" << file << " is gone";
}

}  // namespace
}  // namespace datasync::testutil
