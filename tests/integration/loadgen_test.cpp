// sync-loadgen against real clusters: a healthy one converges and the run
// exits 0 with a valid report; two nodes that do not know each other are
// reported as not converged, exit 1.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "scenario.h"
#include "testutil/cluster.h"
#include "testutil/mini_json.h"
#include "testutil/ports.h"
#include "testutil/process.h"

namespace datasync::testutil {
namespace {

struct LoadgenRun {
  ExitStatus status;
  std::string err;
  std::optional<JsonValue> report;
  std::string report_error;
};

// Runs sync-loadgen to completion (killed after `timeout`).
LoadgenRun RunLoadgen(const Cluster& cluster, std::vector<std::string> args,
                      std::chrono::milliseconds timeout = std::chrono::seconds(90)) {
  const std::string report = cluster.dir() + "/loadgen-report.json";
  args.push_back("--report");
  args.push_back(report);
  SpawnOptions options;
  options.binary = BinaryPath("sync-loadgen");
  options.args = args;
  options.stdout_path = cluster.dir() + "/loadgen.out";
  options.stderr_path = cluster.dir() + "/loadgen.err";
  LoadgenRun run;
  std::string error;
  std::optional<Process> process = Process::Spawn(options, &error);
  if (!process) {
    run.err = "spawn failed: " + error;
    return run;
  }
  std::optional<ExitStatus> status = process->Wait(timeout);
  if (status) run.status = *status;
  run.err = process->ReadStderr();
  const std::string json = ReadFileOrEmpty(report);
  run.report = JsonValue::Parse(json, &run.report_error);
  return run;
}

std::string NodesArg(const Cluster& cluster, const std::vector<std::string>& ids) {
  std::string joined;
  for (const std::string& id : ids)
    joined += (joined.empty() ? "" : ",") + cluster.api(id);
  return joined;
}

size_t ProgressLines(const std::string& err) {
  size_t lines = 0;
  for (size_t pos = err.find("writes/s  acked"); pos != std::string::npos;
       pos = err.find("writes/s  acked", pos + 1)) {
    ++lines;
  }
  return lines;
}

TEST(LoadgenTest, ThreeNodeClusterConvergesAndReports) {
  const std::vector<std::string> ids = {"a", "b", "c"};
  Cluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator());
  for (const auto& id : ids) ASSERT_TRUE(cluster.AddAndStartNode({.id = id}));
  for (const auto& id : ids)
    ASSERT_TRUE(WaitPeersConnected(cluster, id, Others(ids, id)));

  LoadgenRun run = RunLoadgen(
      cluster, {"--nodes", NodesArg(cluster, ids), "--rate", "2000", "--duration", "3",
                "--keys", "5000", "--value-size", "64", "--quiesce-timeout", "30"});
  ASSERT_TRUE(run.status.ok()) << run.status.ToString() << "\n" << run.err;
  ASSERT_TRUE(run.report) << run.report_error;
  const JsonValue& r = *run.report;
  EXPECT_TRUE(r["converged"].boolean()) << run.err;
  EXPECT_GT(r["writes"].AsUint().value_or(0), 3000u);
  EXPECT_EQ(r["errors"].AsUint(), std::optional<uint64_t>(0));
  ASSERT_TRUE(r["throughput_per_s"].is_number());
  EXPECT_GT(std::stod(r["throughput_per_s"].str()), 1000.0);
  for (const char* h : {"ack_latency_us", "replication_latency_us"}) {
    EXPECT_TRUE(r[h]["p50"].is_number()) << h;
    EXPECT_TRUE(r[h]["p99"].is_number()) << h;
    EXPECT_GT(r[h]["max"].AsUint().value_or(0), 0u) << h;
  }
  EXPECT_GT(r["replication_samples"].AsUint().value_or(0), 1000u);
  EXPECT_EQ(r["digests"].size(), 3u);
  const std::string first = r["digests"][cluster.api("a")].str();
  EXPECT_EQ(first.size(), 32u);
  for (const auto& id : ids) EXPECT_EQ(r["digests"][cluster.api(id)].str(), first);
  EXPECT_GE(ProgressLines(run.err), 2u) << run.err;
}

TEST(LoadgenTest, WritesEndsTheRunAfterExactlyThatMany) {
  const std::vector<std::string> ids = {"a", "b"};
  Cluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator());
  for (const auto& id : ids)
    ASSERT_TRUE(cluster.AddAndStartNode({.id = id, .store = "memory"}));
  for (const auto& id : ids)
    ASSERT_TRUE(WaitPeersConnected(cluster, id, Others(ids, id)));

  // --duration 0 alone would run until a signal: the count must end it.
  LoadgenRun run = RunLoadgen(
      cluster, {"--nodes", NodesArg(cluster, ids), "--writers", "1", "--writes", "3001",
                "--duration", "0", "--keys", "1000", "--quiesce-timeout", "30"});
  ASSERT_TRUE(run.status.ok()) << run.status.ToString() << "\n" << run.err;
  ASSERT_TRUE(run.report) << run.report_error;
  const JsonValue& r = *run.report;
  EXPECT_TRUE(r["converged"].boolean()) << run.err;
  EXPECT_EQ(r["writes"].AsUint(), std::optional<uint64_t>(3001));
  EXPECT_EQ(r["sent"].AsUint(), std::optional<uint64_t>(3001));
  EXPECT_GT(std::stod(r["replicated_s"].str()), 0.0);
  EXPECT_GT(std::stod(r["replication_throughput_per_s"].str()), 0.0);
}

TEST(LoadgenTest, UnconnectedNodesAreReportedAsNotConverged) {
  Cluster cluster;
  // No coordinator and no peers: neither node ever hears of the other.
  for (const char* id : {"x", "y"}) {
    ASSERT_TRUE(
        cluster.AddAndStartNode({.id = id, .store = "memory", .use_coordinator = false}));
  }
  LoadgenRun run =
      RunLoadgen(cluster, {"--nodes", NodesArg(cluster, {"x", "y"}), "--rate", "500",
                           "--duration", "1", "--keys", "100", "--quiesce-timeout", "2"});
  ASSERT_TRUE(run.status.exited) << run.status.ToString() << "\n" << run.err;
  EXPECT_EQ(run.status.code, 1) << run.err;
  ASSERT_TRUE(run.report) << run.report_error;
  EXPECT_FALSE((*run.report)["converged"].boolean());
  EXPECT_GT((*run.report)["writes"].AsUint().value_or(0), 0u);
  EXPECT_NE(run.err.find("converged            NO"), std::string::npos) << run.err;
}

TEST(LoadgenTest, UnreachableNodeExits3AndBadArgumentsExit2) {
  Cluster cluster;
  LoadgenRun unreachable = RunLoadgen(
      cluster, {"--nodes", FreeTcpEndpoint(), "--timeout-ms", "300", "--duration", "1"});
  EXPECT_TRUE(unreachable.status.exited && unreachable.status.code == 3)
      << unreachable.status.ToString() << "\n"
      << unreachable.err;
  LoadgenRun usage =
      RunLoadgen(cluster, {"--nodes", "tcp://127.0.0.1:1", "--rate", "-5"});
  EXPECT_TRUE(usage.status.exited && usage.status.code == 2)
      << usage.status.ToString() << "\n"
      << usage.err;
  LoadgenRun no_nodes = RunLoadgen(cluster, {"--rate", "5"});
  EXPECT_TRUE(no_nodes.status.exited && no_nodes.status.code == 2) << no_nodes.err;
}

}  // namespace
}  // namespace datasync::testutil
