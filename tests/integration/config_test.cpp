// sync-node --check-config: a good config exits 0; a bad one exits 2 with
// `FILE:LINE: key.path: what is wrong` on stderr.
#include <gtest/gtest.h>

#include <fstream>

#include "scenario.h"

namespace datasync::testutil {
namespace {

struct BadConfig {
  std::string name;
  std::string yaml;
  std::string expected;  // after "FILE:"
};

// Runs `sync-node --config path --check-config`.
CtlResult CheckConfig(const Cluster& cluster, const std::string& path) {
  CtlResult result;
  result.command = "sync-node --config " + path + " --check-config";
  std::string error;
  auto p = Process::Spawn({.binary = BinaryPath("sync-node"),
                           .args = {"--config", path, "--check-config"},
                           .stdout_path = path + ".out",
                           .stderr_path = path + ".err"},
                          &error);
  if (!p) {
    result.err = error;
    return result;
  }
  auto status = p->Wait(10s);
  result.timed_out = !status.has_value();
  if (status) result.status = *status;
  result.out = p->ReadStdout();
  result.err = p->ReadStderr();
  (void)cluster;
  return result;
}

TEST(ConfigTest, CheckConfigAcceptsAGoodConfig) {
  Cluster cluster;
  cluster.AddNode({.id = "good", .use_coordinator = false});
  CtlResult r = CheckConfig(cluster, cluster.WriteConfig("good"));
  EXPECT_EQ(r.code(), 0) << r.Describe();
}

TEST(ConfigTest, CheckConfigNamesFileLineAndKeyOfAnError) {
  Cluster cluster;
  const std::string endpoints =
      "endpoints:\n"
      "  api: tcp://127.0.0.1:17101\n"
      "  pub: tcp://127.0.0.1:17102\n"
      "  sync: tcp://127.0.0.1:17103\n";
  const std::string node = "node:\n  id: x\n  data_dir: " + cluster.dir() + "/x\n";
  const std::vector<BadConfig> cases = {
      {"unknown_key", node + "  colour: blue\n" + endpoints, "4: node.colour:"},
      {"wrong_type", node + endpoints + "replication:\n  heartbeat_ms: fast\n",
       "9: replication.heartbeat_ms:"},
      {"bad_mode", node + "  mode: sideways\n" + endpoints, "4: node.mode:"},
      {"bad_endpoint",
       node + "endpoints:\n  api: 127.0.0.1\n  pub: tcp://127.0.0.1:1\n"
              "  sync: tcp://127.0.0.1:2\n",
       "5: endpoints.api:"},
      {"bad_store", node + endpoints + "store:\n  type: floppy\n", "9: store.type:"},
      {"connector_type_unknown",
       node + endpoints + "connectors:\n  - name: my\n    type: mysql\n",
       "10: connectors[0].type: expected one of sqlite, postgres, redis"},
  };
  for (const BadConfig& c : cases) {
    std::string path = cluster.dir() + "/" + c.name + ".yaml";
    std::ofstream(path) << c.yaml;
    CtlResult r = CheckConfig(cluster, path);
    EXPECT_EQ(r.code(), 2) << c.name << ": " << r.Describe();
    EXPECT_NE(r.err.find(path + ":" + c.expected), std::string::npos)
        << c.name << ": expected `" << path << ":" << c.expected << "` on stderr\n"
        << r.Describe();
  }
  CtlResult missing = CheckConfig(cluster, cluster.dir() + "/no-such.yaml");
  EXPECT_EQ(missing.code(), 2) << missing.Describe();
  EXPECT_NE(missing.err.find("no-such.yaml"), std::string::npos) << missing.Describe();
}

}  // namespace
}  // namespace datasync::testutil
