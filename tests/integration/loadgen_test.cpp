// sync-loadgen against real clusters: a healthy one converges and the run
// exits 0 with a valid report; two nodes that do not know each other are
// reported as not converged, exit 1; --check-acked finds every
// acknowledged write on every node, or names the node that lacks some.
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

  LoadgenRun run =
      RunLoadgen(cluster, {"--nodes", NodesArg(cluster, ids), "--rate", "2000",
                           "--duration", "3", "--keys", "5000", "--value-size", "64",
                           "--quiesce-timeout", "30", "--check-acked"});
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
  const JsonValue& check = r["acked_check"];
  EXPECT_TRUE(check["ok"].boolean()) << run.err;
  EXPECT_GT(check["keys"].AsUint().value_or(0), 1000u);
  EXPECT_EQ(check["lost"].AsUint(), std::optional<uint64_t>(0));
}

TEST(LoadgenTest, CheckAckedReportsWritesANodeLacks) {
  Cluster cluster;
  // x replicates to nobody; y is told of x, so y holds every write of x
  // but x lacks those acknowledged by y.
  ASSERT_TRUE(
      cluster.AddAndStartNode({.id = "x", .store = "memory", .use_coordinator = false}));
  ASSERT_TRUE(cluster.AddAndStartNode(
      {.id = "y", .store = "memory", .use_coordinator = false, .static_peers = {"x"}}));
  ASSERT_TRUE(WaitPeersConnected(cluster, "y", {"x"}));
  LoadgenRun run = RunLoadgen(
      cluster, {"--nodes", NodesArg(cluster, {"x", "y"}), "--rate", "500", "--duration",
                "1", "--keys", "100000", "--quiesce-timeout", "1", "--check-acked"});
  ASSERT_TRUE(run.status.exited) << run.status.ToString() << "\n" << run.err;
  EXPECT_EQ(run.status.code, 1) << run.err;
  ASSERT_TRUE(run.report) << run.report_error;
  const JsonValue& check = (*run.report)["acked_check"];
  EXPECT_FALSE(check["ok"].boolean());
  EXPECT_GT(check["keys"].AsUint().value_or(0), 200u);
  ASSERT_EQ(check["lost_per_node"].size(), 2u);
  // Over 100000 keys the two writers hardly ever meet, so x lacks about
  // half of what was acknowledged and y next to nothing.
  EXPECT_GT(check["lost_per_node"][size_t{0}].AsUint().value_or(0), 100u);
  EXPECT_LT(check["lost_per_node"][size_t{1}].AsUint().value_or(1000), 10u);
  EXPECT_NE(run.err.find("first lost: " + cluster.api("x")), std::string::npos)
      << run.err;
}

TEST(LoadgenTest, BatchedWritesCountEveryRecordAndConverge) {
  const std::vector<std::string> ids = {"a", "b"};
  Cluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator());
  for (const auto& id : ids) ASSERT_TRUE(cluster.AddAndStartNode({.id = id}));
  for (const auto& id : ids)
    ASSERT_TRUE(WaitPeersConnected(cluster, id, Others(ids, id)));
  LoadgenRun run = RunLoadgen(
      cluster, {"--nodes", NodesArg(cluster, ids), "--writers", "1", "--batch", "100",
                "--rate", "20000", "--duration", "2", "--keys", "50000",
                "--quiesce-timeout", "30"});
  ASSERT_TRUE(run.status.ok()) << run.status.ToString() << "\n" << run.err;
  ASSERT_TRUE(run.report) << run.report_error;
  const JsonValue& r = *run.report;
  EXPECT_TRUE(r["converged"].boolean()) << run.err;
  const uint64_t writes = r["writes"].AsUint().value_or(0);
  EXPECT_GT(writes, 20000u);
  EXPECT_EQ(writes % 100, 0u) << "whole batches only";
  EXPECT_EQ(r["errors"].AsUint(), std::optional<uint64_t>(0));
  EXPECT_GT(r["replication_samples"].AsUint().value_or(0), 10u);
  // Each of a's writes (the load and the preflight's probes) reached the
  // peer once: none lost, none applied twice. Catch-up (b missed messages:
  // a slow node, say under a sanitizer, can even drop out of the
  // membership for a moment) sends the latest version of each key rather
  // than every write, so then b counts fewer, never more.
  const uint64_t written = cluster.Counter("a", "local_writes").value_or(0);
  EXPECT_GE(written, writes);
  const uint64_t received = cluster.Counter("b", "remote_applied").value_or(0) +
                            cluster.Counter("b", "remote_superseded").value_or(0);
  if (cluster.Counter("b", "gaps_detected").value_or(0) == 0 &&
      cluster.Counter("b", "catch_up_completed").value_or(0) == 0) {
    EXPECT_EQ(received, written);
  } else {
    EXPECT_LE(received, written);
  }
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
  LoadgenRun tombstones = RunLoadgen(cluster, {"--nodes", "tcp://127.0.0.1:1",
                                               "--check-acked", "--delete-share", "0.1"});
  EXPECT_TRUE(tombstones.status.exited && tombstones.status.code == 2) << tombstones.err;
  LoadgenRun no_nodes = RunLoadgen(cluster, {"--rate", "5"});
  EXPECT_TRUE(no_nodes.status.exited && no_nodes.status.code == 2) << no_nodes.err;
}

}  // namespace
}  // namespace datasync::testutil
