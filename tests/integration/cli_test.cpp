// The command-line contract of ARCHITECTURE §6 that scripts depend on:
// syncctl's output and exit codes, and config errors of sync-node.
#include <gtest/gtest.h>

#include <regex>

#include "scenario.h"
#include "testutil/ports.h"

namespace datasync::testutil {
namespace {

TEST(CliTest, UnreachableNodeExits3QuicklyWithAMessage) {
  Cluster cluster;
  std::string nowhere = "tcp://127.0.0.1:" + std::to_string(PickFreePort());
  for (const auto& command : std::vector<std::vector<std::string>>{
           {"--node", nowhere, "--timeout-ms", "300", "get", "kv", "k"},
           {"--node", nowhere, "--timeout-ms", "300", "put", "kv", "k", "v"},
           {"--node", nowhere, "--timeout-ms", "300", "status"},
           {"--coordinator", nowhere, "--timeout-ms", "300", "members"}}) {
    auto start = std::chrono::steady_clock::now();
    CtlResult r = cluster.Ctl(command);
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.code(), 3) << r.Describe();
    EXPECT_TRUE(r.out.empty()) << r.Describe();
    EXPECT_NE(r.err.find(nowhere), std::string::npos)
        << "the message should name the endpoint: " << r.Describe();
    EXPECT_LT(took, 3s) << r.Describe();
  }
}

TEST(CliTest, OutputAndExitCodes) {
  Cluster cluster;
  ASSERT_TRUE(cluster.AddAndStartNode({.id = "solo", .use_coordinator = false}));

  // put prints nothing; get prints the exact bytes, no newline added.
  const std::string spaced = "  two  spaces\tand a tab\n\n";
  CtlResult put = cluster.CtlAt("solo", {"put", kCollection, "spaced", spaced});
  EXPECT_EQ(put.code(), 0) << put.Describe();
  EXPECT_EQ(put.out, "");
  CtlResult get = cluster.CtlAt("solo", {"get", kCollection, "spaced"});
  EXPECT_EQ(get.code(), 0) << get.Describe();
  EXPECT_EQ(get.out, spaced);

  const std::string binary("\x00\x01\xff\xfe value\r\n\x00", 14);
  ClientRequest put_binary;
  put_binary.op = ClientOp::kPut;
  put_binary.collection = kCollection;
  put_binary.key = "binary";
  put_binary.value = binary;
  ASSERT_TRUE(CallOk(cluster.api("solo"), put_binary));
  get = cluster.CtlAt("solo", {"get", kCollection, "binary"});
  EXPECT_EQ(get.code(), 0) << get.Describe();
  EXPECT_EQ(get.out, binary);

  // --json get: one object with value, version, origin, seq.
  CtlResult json_get = cluster.CtlAt("solo", {"--json", "get", kCollection, "spaced"});
  std::string error;
  auto parsed = JsonValue::Parse(json_get.out, &error);
  ASSERT_TRUE(parsed.has_value()) << error << "\n" << json_get.Describe();
  EXPECT_EQ((*parsed)["value"].str(), spaced);
  EXPECT_EQ((*parsed)["origin"].str(), "solo");
  EXPECT_TRUE((*parsed).Has("version")) << json_get.out;
  EXPECT_GE((*parsed)["seq"].AsUint().value_or(0), 1u) << json_get.out;

  // Missing key: exit 1, nothing on stdout.
  CtlResult missing = cluster.CtlAt("solo", {"get", kCollection, "no-such-key"});
  EXPECT_EQ(missing.code(), 1) << missing.Describe();
  EXPECT_EQ(missing.out, "");

  // del prints nothing; the key is then gone.
  CtlResult del = cluster.CtlAt("solo", {"del", kCollection, "spaced"});
  EXPECT_EQ(del.code(), 0) << del.Describe();
  EXPECT_EQ(del.out, "");
  EXPECT_EQ(cluster.CtlAt("solo", {"get", kCollection, "spaced"}).code(), 1);

  // digest prints the hex digest alone.
  CtlResult digest = cluster.CtlAt("solo", {"digest"});
  EXPECT_EQ(digest.code(), 0) << digest.Describe();
  EXPECT_TRUE(std::regex_match(digest.out, std::regex("[0-9a-f]{16,}\n?")))
      << digest.Describe();

  // SYNC_NODE gives the default node.
  CtlResult by_env = cluster.Ctl({"get", kCollection, "binary"}, 15s,
                                 {{"SYNC_NODE", cluster.api("solo")}});
  EXPECT_EQ(by_env.code(), 0) << by_env.Describe();
  EXPECT_EQ(by_env.out, binary);

  // Bad usage: exit 2 with a message.
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"frobnicate"},
                                             {"put", kCollection, "only-key"},
                                             {"get"},
                                             {"--timeout-ms", "soon", "status"},
                                             {"--no-such-flag", "status"}}) {
    std::vector<std::string> full = {"--node", cluster.api("solo")};
    full.insert(full.end(), args.begin(), args.end());
    CtlResult r = cluster.Ctl(full);
    EXPECT_EQ(r.code(), 2) << r.Describe();
    EXPECT_FALSE(r.err.empty()) << r.Describe();
  }
}

TEST(CliTest, EveryBinaryAnswersHelpAndVersion) {
  Cluster cluster;
  for (const std::string binary : {"sync-node", "sync-coordinator", "syncctl"}) {
    for (const std::string flag : {"--help", "--version"}) {
      std::string error;
      auto p = Process::Spawn({.binary = BinaryPath(binary),
                               .args = {flag},
                               .stdout_path = cluster.dir() + "/out",
                               .stderr_path = cluster.dir() + "/err"},
                              &error);
      ASSERT_TRUE(p.has_value()) << error;
      auto status = p->Wait(10s);
      ASSERT_TRUE(status.has_value()) << binary << " " << flag << " hangs";
      EXPECT_TRUE(status->ok()) << binary << " " << flag << ": " << status->ToString();
      EXPECT_FALSE(p->ReadStdout().empty()) << binary << " " << flag;
    }
  }
}

}  // namespace
}  // namespace datasync::testutil
