// syncctl watch: the change feed, one line (or JSON object) per change,
// flushed at once so that `syncctl watch | consumer` sees changes live.

#include <atomic>
#include <csignal>
#include <iostream>

#include "commands.h"
#include "output.h"

namespace datasync {
namespace {

std::atomic<bool> g_watch_stop{false};

void OnStopSignal(int) { g_watch_stop.store(true); }

void InstallStopHandlers() {
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  // No SA_RESTART: the signal cuts the current poll short.
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

void PrintChange(const CtlOptions& options, const Record& record) {
  if (options.json) {
    JsonWriter json;
    json.BeginObject().Key("op").String(record.deleted ? "del" : "put");
    RecordFields(record, &json);
    json.EndObject();
    PrintJson(json);
  } else {
    std::cout << WatchLine(record) << std::endl;
  }
}

}  // namespace

int CmdWatch(const CtlOptions& options, const std::string& collection) {
  static_assert(std::atomic<bool>::is_always_lock_free);
  InstallStopHandlers();
  Result<NodeClient> client = ConnectClient(options.node, "--node");
  if (!client.ok()) return TransportFailure(options, client.status());
  Status s = client->Watch(
      collection, [&options](const Record& record) { PrintChange(options, record); },
      g_watch_stop, options.timeout_ms);
  if (s.ok()) return kExitOk;
  if (s.code() == Code::kUnavailable || s.code() == Code::kIoError) {
    return TransportFailure(options, s);
  }
  ClientReply reply;
  reply.code = s.code();
  reply.message = s.message();
  return ServerFailure(options, reply);
}

}  // namespace datasync
