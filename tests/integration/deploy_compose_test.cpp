// docker-compose.yml: valid for docker-compose (which validates offline; no
// Docker engine is needed), and consistent with the configs it mounts from
// deploy/docker/, which pass --check-config.
#include <gtest/gtest.h>

#include <set>

#include "datasync/config.h"
#include "deploy_util.h"

namespace datasync::testutil {
namespace {

const char kMissing[] =
    "docker-compose is not installed: scripts/bootstrap installs it (Debian package "
    "docker-compose)";

// `docker-compose ARGS` on the top-level compose file.
CtlResult Compose(const std::string& scratch, std::vector<std::string> args) {
  const std::string tool = FindInPath("docker-compose");
  if (tool.empty()) {
    CtlResult missing;
    missing.err = kMissing;
    return missing;
  }
  args.insert(args.begin(), {"--file", SourcePath("docker-compose.yml")});
  return RunTool(scratch, {.binary = tool, .args = args, .cwd = SourcePath("")});
}

TEST(DeployComposeTest, ConfigIsValid) {
  TempDir temp("deploy-compose");
  CtlResult quiet = Compose(temp.path(), {"config", "-q"});
  EXPECT_EQ(quiet.code(), 0) << quiet.Describe();
  CtlResult with_load = Compose(temp.path(), {"--profile", "load", "config", "-q"});
  EXPECT_EQ(with_load.code(), 0) << with_load.Describe();
}

// What a mounted file is: the part before the first colon of "SRC:DST[:MODE]".
struct Mount {
  std::string source;
  std::string target;
};

std::vector<Mount> Mounts(const YAML::Node& service) {
  std::vector<Mount> mounts;
  for (const std::string& v : Strings(service["volumes"])) {
    const size_t a = v.find(':');
    const size_t b = v.find(':', a + 1);
    mounts.push_back(
        {v.substr(0, a),
         v.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1)});
  }
  return mounts;
}

// The config file a service runs with: its `--config` argument, mapped back
// through the service's bind mounts to a file of the checkout.
std::string HostConfigPath(const YAML::Node& service) {
  const std::vector<std::string> command = Strings(service["command"]);
  std::string in_container;
  for (size_t i = 0; i + 1 < command.size(); ++i) {
    if (command[i] == "--config") in_container = command[i + 1];
  }
  for (const Mount& m : Mounts(service)) {
    if (m.target == in_container) return m.source;
  }
  return "";
}

TEST(DeployComposeTest, ServicesMatchTheirConfigs) {
  TempDir temp("deploy-compose");
  CtlResult resolved = Compose(temp.path(), {"--profile", "load", "config"});
  ASSERT_EQ(resolved.code(), 0) << resolved.Describe();
  const YAML::Node services = YAML::Load(resolved.out)["services"];
  ASSERT_TRUE(services.IsMap()) << resolved.out;
  std::set<std::string> names;
  for (const auto& entry : services) names.insert(entry.first.Scalar());
  EXPECT_EQ(names,
            (std::set<std::string>{"coordinator", "node1", "node2", "node3", "loadgen"}));

  const YAML::Node coordinator = services["coordinator"];
  const std::string coordinator_file = HostConfigPath(coordinator);
  ASSERT_EQ(coordinator_file, SourcePath("deploy/docker/coordinator.yaml"));
  CtlResult checked = CheckConfig(temp.path(), "sync-coordinator", coordinator_file);
  EXPECT_EQ(checked.code(), 0) << checked.Describe();
  Result<CoordinatorConfig> coordinator_config = LoadCoordinatorConfig(coordinator_file);
  ASSERT_TRUE(coordinator_config.ok()) << coordinator_config.status().message();
  const auto coordinator_bind = TcpHostPort(coordinator_config->bind);
  ASSERT_TRUE(coordinator_bind);
  EXPECT_EQ(coordinator["restart"].as<std::string>(""), "unless-stopped");
  const std::vector<std::string> coordinator_health =
      Strings(coordinator["healthcheck"]["test"]);
  EXPECT_TRUE(Contains(coordinator_health, "syncctl") &&
              Contains(coordinator_health, "members") &&
              Contains(coordinator_health,
                       "tcp://127.0.0.1:" + std::to_string(coordinator_bind->second)))
      << YAML::Dump(coordinator["healthcheck"]);

  std::set<std::string> data_volumes;
  std::vector<std::string> node_apis;
  for (const std::string name : {"node1", "node2", "node3"}) {
    SCOPED_TRACE(name);
    const YAML::Node node = services[name];
    EXPECT_FALSE(node["profiles"]) << "nodes start without a profile";
    EXPECT_EQ(node["restart"].as<std::string>(""), "unless-stopped");
    EXPECT_EQ(node["build"]["dockerfile"].as<std::string>(""),
              "deploy/docker/Dockerfile");
    const std::string file = HostConfigPath(node);
    ASSERT_EQ(file, SourcePath("deploy/docker/" + name + ".yaml"));
    CtlResult ok = CheckConfig(temp.path(), "sync-node", file);
    EXPECT_EQ(ok.code(), 0) << ok.Describe();
    Result<NodeConfig> config = LoadNodeConfig(file);
    ASSERT_TRUE(config.ok()) << config.status().message();

    // Peers and the load generator reach the node by its service name.
    for (const auto& [bound, advertised] :
         {std::pair{config->endpoints.api, config->advertised.api},
          {config->endpoints.pub, config->advertised.pub},
          {config->endpoints.sync, config->advertised.sync}}) {
      const auto b = TcpHostPort(bound);
      const auto a = TcpHostPort(advertised);
      ASSERT_TRUE(b && a) << bound << " " << advertised;
      EXPECT_EQ(b->first, "*") << "a container binds every interface";
      EXPECT_EQ(a->first, name);
      EXPECT_EQ(a->second, b->second);
    }
    ASSERT_TRUE(config->coordinator);
    EXPECT_EQ(*config->coordinator,
              "tcp://coordinator:" + std::to_string(coordinator_bind->second));
    node_apis.push_back(config->advertised.api);

    // Its own volume holds its store.
    bool store_in_volume = false;
    for (const Mount& m : Mounts(node)) {
      if (m.source.find('/') != std::string::npos) continue;  // a bind mount
      EXPECT_TRUE(data_volumes.insert(m.source).second) << m.source << " shared";
      store_in_volume |= config->data_dir.rfind(m.target + "/", 0) == 0;
    }
    EXPECT_TRUE(store_in_volume) << config->data_dir << " is not in a volume";

    const std::vector<std::string> health = Strings(node["healthcheck"]["test"]);
    EXPECT_TRUE(
        Contains(health, "syncctl") && Contains(health, "status") &&
        Contains(health, "tcp://127.0.0.1:" +
                             std::to_string(TcpHostPort(config->endpoints.api)->second)))
        << YAML::Dump(node["healthcheck"]);
  }

  const YAML::Node loadgen = services["loadgen"];
  EXPECT_TRUE(Contains(Strings(loadgen["profiles"]), "load"));
  const std::vector<std::string> command = Strings(loadgen["command"]);
  ASSERT_FALSE(command.empty());
  EXPECT_EQ(command[0], "sync-loadgen");
  std::string nodes_arg;
  for (size_t i = 0; i + 1 < command.size(); ++i) {
    if (command[i] == "--nodes") nodes_arg = command[i + 1];
  }
  EXPECT_EQ(nodes_arg, node_apis[0] + "," + node_apis[1] + "," + node_apis[2]);
  for (const std::string name : {"node1", "node2", "node3"}) {
    EXPECT_EQ(loadgen["depends_on"][name]["condition"].as<std::string>(""),
              "service_healthy")
        << name;
  }
}

}  // namespace
}  // namespace datasync::testutil
