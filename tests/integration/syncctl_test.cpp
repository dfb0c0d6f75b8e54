// syncctl against real nodes and a real coordinator: --json output for
// awkward bytes, the watch feed, server errors (exit 4), members, cluster
// shutdown through the coordinator, connectors, usage errors.
#include <gtest/gtest.h>
#include <signal.h>

#include "datasync/status.h"
#include "testutil/cluster.h"
#include "testutil/mini_json.h"

namespace datasync::testutil {
namespace {

using namespace std::chrono_literals;

JsonValue ParsedOrFail(const CtlResult& r) {
  std::string error;
  auto json = JsonValue::Parse(r.out, &error);
  EXPECT_TRUE(json.has_value()) << error << "\n" << r.Describe();
  return json.value_or(JsonValue());
}

TEST(SyncctlTest, JsonEscapesTextAndBase64sBinary) {
  Cluster cluster;
  ASSERT_TRUE(
      cluster.AddAndStartNode({.id = "n", .store = "memory", .use_coordinator = false}));
  const std::string text =
      "quote\" backslash\\ tab\t nl\n ctl\x01 utf8 \xc3\xa9\xe2\x82\xac";
  ASSERT_EQ(cluster.CtlAt("n", {"put", "c", "text", text}).code(), 0);
  CtlResult get = cluster.CtlAt("n", {"--json", "get", "c", "text"});
  ASSERT_EQ(get.code(), 0) << get.Describe();
  JsonValue v = ParsedOrFail(get);
  EXPECT_EQ(v["value"].str(), text);
  EXPECT_EQ(v["key"].str(), "text");
  EXPECT_EQ(v["version"]["origin"].str(), "n");
  EXPECT_TRUE(v["version"]["hlc"].AsUint().has_value()) << get.out;

  ASSERT_EQ(cluster.CtlAt("n", {"put", "c", "bin", "\xff\xfe"}).code(), 0);
  v = ParsedOrFail(cluster.CtlAt("n", {"--json", "get", "c", "bin"}));
  EXPECT_FALSE(v.Has("value"));
  EXPECT_EQ(v["value_base64"].str(), "//4=");

  CtlResult put = cluster.CtlAt("n", {"--json", "put", "c", "k", "v"});
  ASSERT_EQ(put.code(), 0) << put.Describe();
  v = ParsedOrFail(put);
  EXPECT_TRUE(v["ok"].boolean());
  EXPECT_GE(v["seq"].AsUint().value_or(0), 1u) << put.out;

  CtlResult scan = cluster.CtlAt("n", {"--json", "scan", "c", "--prefix", "t"});
  v = ParsedOrFail(scan);
  EXPECT_EQ(v["count"].AsUint(), 1u) << scan.out;
  EXPECT_EQ(v["records"][size_t{0}]["value"].str(), text);

  CtlResult missing = cluster.CtlAt("n", {"--json", "get", "c", "nope"});
  EXPECT_EQ(missing.code(), 1);
  v = ParsedOrFail(missing);
  EXPECT_FALSE(v["ok"].boolean());
  EXPECT_EQ(v["code"].str(), "not_found");

  CtlResult status = cluster.CtlAt("n", {"--json", "status"});
  v = ParsedOrFail(status);
  for (const char* key :
       {"node_id", "mode", "store", "vv", "peers", "records", "tombstones", "counters"}) {
    EXPECT_TRUE(v.Has(key)) << key << " missing: " << status.out;
  }
  CtlResult human = cluster.CtlAt("n", {"status"});
  EXPECT_EQ(human.code(), 0);
  std::string first_line = human.out.substr(0, human.out.find('\n'));
  EXPECT_TRUE(first_line.starts_with("node ") && first_line.ends_with(" n")) << human.out;
}

TEST(SyncctlTest, WatchStreamsLocalAndReplicatedChangesUntilSignalled) {
  Cluster cluster;
  cluster.AddNode({.id = "a", .store = "memory", .use_coordinator = false});
  cluster.AddNode(
      {.id = "b", .store = "memory", .use_coordinator = false, .static_peers = {"a"}});
  ASSERT_TRUE(cluster.StartNode("a"));
  ASSERT_TRUE(cluster.StartNode("b"));
  std::string error;
  auto spawn_watch = [&](std::vector<std::string> extra, const std::string& name) {
    std::vector<std::string> args = {"--node", cluster.api("b")};
    args.insert(args.end(), extra.begin(), extra.end());
    auto p = Process::Spawn({.binary = BinaryPath("syncctl"),
                             .args = args,
                             .stdout_path = cluster.dir() + "/" + name + ".out",
                             .stderr_path = cluster.dir() + "/" + name + ".err"},
                            &error);
    SYNC_CHECK(p.has_value());
    return std::move(*p);
  };
  Process human = spawn_watch({"watch", "orders"}, "watch");
  Process json = spawn_watch({"--json", "watch"}, "watch-json");
  // Once a write made after the watches started shows up, they are live.
  ASSERT_TRUE(WaitUntil(
      [&] {
        cluster.CtlAt("a", {"put", "probe", "p", "x"});
        return json.ReadStdout().find("\"probe\"") != std::string::npos;
      },
      10s, 100ms));
  ASSERT_EQ(cluster.CtlAt("a", {"put", "orders", "k1", "one two"}).code(), 0);
  ASSERT_EQ(cluster.CtlAt("b", {"put", "orders", "k2", "line\nbreak"}).code(), 0);
  ASSERT_EQ(cluster.CtlAt("a", {"del", "orders", "k1"}).code(), 0);
  const std::string want =
      "put orders k1 one two\nput orders k2 line\\nbreak\ndel orders k1\n";
  EXPECT_TRUE(WaitUntil([&] { return human.ReadStdout().ends_with(want); }, 10s))
      << human.ReadStdout();
  EXPECT_TRUE(WaitUntil(
      [&] { return json.ReadStdout().find("\"op\":\"del\"") != std::string::npos; },
      10s));

  human.Kill(SIGINT);
  json.Kill(SIGTERM);
  for (Process* p : {&human, &json}) {
    auto status = p->Wait(5s);
    ASSERT_TRUE(status.has_value()) << "watch did not stop on a signal";
    EXPECT_TRUE(status->ok()) << status->ToString() << " " << p->ReadStderr();
  }
  // Every JSON line is one object.
  std::string lines = json.ReadStdout();
  size_t start = 0, objects = 0;
  for (size_t nl; (nl = lines.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string parse_error;
    auto v = JsonValue::Parse(lines.substr(start, nl - start), &parse_error);
    ASSERT_TRUE(v.has_value()) << parse_error;
    EXPECT_TRUE((*v)["op"].str() == "put" || (*v)["op"].str() == "del");
    ++objects;
  }
  EXPECT_GE(objects, 4u);
}

TEST(SyncctlTest, ServerErrorsExit4WithTheServersMessage) {
  Cluster cluster;
  ASSERT_TRUE(cluster.AddAndStartNode({.id = "dst",
                                       .mode = "receive-only",
                                       .store = "memory",
                                       .use_coordinator = false}));
  CtlResult r = cluster.CtlAt("dst", {"put", "c", "k", "v"});
  EXPECT_EQ(r.code(), 4) << r.Describe();
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("receive-only"), std::string::npos) << r.Describe();
  r = cluster.CtlAt("dst", {"--json", "del", "c", "k"});
  EXPECT_EQ(r.code(), 4) << r.Describe();
  EXPECT_EQ(ParsedOrFail(r)["code"].str(), "refused");
}

TEST(SyncctlTest, ConnectorsOnANodeWithoutAny) {
  Cluster cluster;
  ASSERT_TRUE(
      cluster.AddAndStartNode({.id = "n", .store = "memory", .use_coordinator = false}));
  CtlResult list = cluster.CtlAt("n", {"connector", "list"});
  EXPECT_EQ(list.code(), 0) << list.Describe();
  EXPECT_EQ(list.out, "");
  list = cluster.CtlAt("n", {"--json", "connector", "list"});
  EXPECT_EQ(list.out, "{\"connectors\":[]}\n");
  CtlResult uninstall = cluster.CtlAt("n", {"connector", "uninstall", "ghost"});
  EXPECT_EQ(uninstall.code(), 1) << uninstall.Describe();
}

TEST(SyncctlTest, MembersAndClusterShutdownThroughTheCoordinator) {
  Cluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator());
  ASSERT_TRUE(cluster.AddAndStartNode({.id = "a", .store = "memory"}));
  ASSERT_TRUE(cluster.AddAndStartNode({.id = "b", .store = "memory"}));
  const std::vector<std::pair<std::string, std::string>> env = {
      {"SYNC_COORDINATOR", cluster.coordinator_endpoint()}};
  CtlResult members;
  ASSERT_TRUE(WaitUntil(
      [&] {
        members = cluster.Ctl({"members"}, 15s, env);
        return members.out.find("\nb ") != std::string::npos;
      },
      10s, 50ms))
      << members.Describe();
  EXPECT_NE(members.out.find("\na "), std::string::npos) << members.out;
  EXPECT_EQ(members.out.rfind("epoch ", 0), 0u) << members.out;
  EXPECT_NE(members.out.find(cluster.api("a")), std::string::npos);

  CtlResult no_coordinator = cluster.Ctl({"members"});
  EXPECT_EQ(no_coordinator.code(), 2) << no_coordinator.Describe();

  CtlResult shutdown = cluster.Ctl({"shutdown", "--cluster"}, 30s, env);
  EXPECT_EQ(shutdown.code(), 0) << shutdown.Describe();
  for (const std::string id : {"a", "b"}) {
    auto status = cluster.WaitNode(id, 15s);
    ASSERT_TRUE(status.has_value()) << id << " still running";
    EXPECT_TRUE(status->ok()) << id << ": " << status->ToString();
  }
  auto status = cluster.WaitCoordinator(15s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->ok()) << status->ToString();
}

TEST(SyncctlTest, UsageErrorsExit2AndDashValuesPassAfterDoubleDash) {
  Cluster cluster;
  ASSERT_TRUE(
      cluster.AddAndStartNode({.id = "n", .store = "memory", .use_coordinator = false}));
  for (const auto& args :
       std::vector<std::vector<std::string>>{{},
                                             {"connector"},
                                             {"scan", "c", "--limit", "-3"},
                                             {"--node", "not-an-endpoint", "status"},
                                             {"--timeout-ms", "0", "status"}}) {
    CtlResult r = cluster.Ctl(args);
    EXPECT_EQ(r.code(), 2) << r.Describe();
    EXPECT_NE(r.err.find("syncctl"), std::string::npos) << r.Describe();
    EXPECT_EQ(r.out, "") << r.Describe();
  }
  CtlResult put = cluster.CtlAt("n", {"put", "--", "c", "k", "-v"});
  EXPECT_EQ(put.code(), 0) << put.Describe();
  EXPECT_EQ(cluster.CtlAt("n", {"get", "c", "k"}).out, "-v");
}

}  // namespace
}  // namespace datasync::testutil
