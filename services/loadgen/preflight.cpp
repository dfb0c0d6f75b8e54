#include "preflight.h"

#include <chrono>
#include <thread>

#include "datasync/client.h"
#include "load_clock.h"

namespace datasync {
namespace {

// The first probe may reach the node before its watch is registered (the
// watch request travels on another socket); later ones then get through.
constexpr auto kProbeRepeat = std::chrono::milliseconds(300);

Status PutProbe(NodeClient& client, const std::string& collection, int timeout_ms) {
  ClientRequest request;
  request.op = ClientOp::kPut;
  request.collection = collection;
  request.key = kProbeKey;
  request.value = "sync-loadgen";
  Result<ClientReply> reply = client.Call(request, timeout_ms);
  if (!reply.ok()) return reply.status();
  if (reply->code != Code::kOk) return Status(reply->code, reply->message);
  return Status::Ok();
}

}  // namespace

Result<std::vector<std::string>> CheckNodes(const LoadOptions& options) {
  std::vector<std::string> ids;
  for (const std::string& endpoint : options.nodes) {
    Result<NodeClient> client = NodeClient::Connect(ProcessContext(), endpoint);
    if (!client.ok()) return client.status();
    ClientRequest request;
    request.op = ClientOp::kStatus;
    Result<ClientReply> reply = client->Call(request, options.timeout_ms);
    if (!reply.ok())
      return Status::Unavailable("node " + endpoint + ": " + reply.status().message());
    if (reply->code != Code::kOk || !reply->status.has_value()) {
      return Status::Unavailable("node " + endpoint + " does not answer status: " +
                                 std::string(CodeName(reply->code)) + " " +
                                 reply->message);
    }
    ids.push_back(reply->status->node_id);
  }
  return ids;
}

std::vector<std::string> ProbeFeeds(
    const LoadOptions& options, const std::vector<std::unique_ptr<FeedWatcher>>& watchers,
    int timeout_ms) {
  std::vector<std::string> warnings;
  for (size_t i = 0; i < watchers.size(); ++i) {
    const FeedWatcher& watcher = *watchers[i];
    Result<NodeClient> client = NodeClient::Connect(ProcessContext(), options.nodes[i]);
    const auto deadline = LoadClock::now() + std::chrono::milliseconds(timeout_ms);
    Status put = Status::Ok();
    while (client.ok() && !watcher.ready() && !watcher.failed() &&
           LoadClock::now() < deadline) {
      put = PutProbe(*client, options.collection, options.timeout_ms);
      if (!put.ok()) break;
      const auto repeat_at = LoadClock::now() + kProbeRepeat;
      while (!watcher.ready() && !watcher.failed() && LoadClock::now() < repeat_at) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    if (watcher.ready()) continue;
    std::string why = watcher.failed() ? watcher.error()
                      : !client.ok()   ? client.status().ToString()
                      : !put.ok()      ? "probe write failed: " + put.ToString()
                                       : "the probe write never showed up";
    warnings.push_back("change feed of " + options.nodes[i] + " not confirmed (" + why +
                       "): its replication arrivals may be missed");
  }
  return warnings;
}

}  // namespace datasync
