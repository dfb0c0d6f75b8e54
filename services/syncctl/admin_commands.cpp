// Commands about the node and the cluster rather than the data: status,
// members, shutdown, connectors.

#include <iostream>
#include <utility>

#include "commands.h"
#include "output.h"

namespace datasync {
namespace {

// A cluster shutdown waits for every node to leave (the coordinator gives
// them 10 s), on top of the usual answer time.
constexpr int kClusterShutdownExtraMs = 12000;

int AskCoordinator(const CtlOptions& options, const Message& message, int timeout_ms,
                   Message* answer) {
  if (options.coordinator.empty()) {
    return Fail(options, kExitUsage, Code::kInvalidArgument,
                "no coordinator: give --coordinator or set SYNC_COORDINATOR");
  }
  Result<NodeClient> client = ConnectClient(options.coordinator, "--coordinator");
  if (!client.ok()) return TransportFailure(options, client.status());
  Result<Message> got = client->CallRaw(message, timeout_ms);
  if (!got.ok()) return TransportFailure(options, got.status());
  *answer = std::move(got).value();
  if (const auto* reply = std::get_if<ClientReply>(answer)) {
    if (reply->code != Code::kOk) return ServerFailure(options, *reply);
  }
  return kExitOk;
}

int UnexpectedAnswer(const CtlOptions& options, const Message& answer) {
  return Fail(options, kExitServerError, Code::kCorruption,
              std::string("unexpected answer from the server: ") + MessageName(answer));
}

}  // namespace

int CmdStatus(const CtlOptions& options) {
  ClientRequest request;
  request.op = ClientOp::kStatus;
  ClientReply reply;
  int rc = CallNode(options, std::move(request), &reply);
  if (rc != kExitOk) return rc;
  if (!reply.status) {
    return Fail(options, kExitServerError, Code::kCorruption,
                "the node answered a status request without a status");
  }
  if (options.json) {
    JsonWriter json;
    StatusJson(*reply.status, &json);
    PrintJson(json);
  } else {
    std::cout << StatusText(*reply.status) << std::flush;
  }
  return kExitOk;
}

int CmdMembers(const CtlOptions& options) {
  ClientRequest request;
  request.op = ClientOp::kStatus;
  Message answer;
  int rc = AskCoordinator(options, request, options.timeout_ms, &answer);
  if (rc != kExitOk) return rc;
  const auto* membership = std::get_if<Membership>(&answer);
  if (membership == nullptr) return UnexpectedAnswer(options, answer);
  if (options.json) {
    JsonWriter json;
    MembersJson(*membership, &json);
    PrintJson(json);
  } else {
    std::cout << MembersText(*membership) << std::flush;
  }
  return kExitOk;
}

int CmdShutdown(const CtlOptions& options, bool cluster) {
  const int timeout_ms =
      cluster ? options.timeout_ms + kClusterShutdownExtraMs : options.timeout_ms;
  if (cluster && !options.coordinator.empty()) {
    Message answer;
    int rc = AskCoordinator(options, Shutdown{true}, timeout_ms, &answer);
    if (rc != kExitOk) return rc;
    if (!std::holds_alternative<ClientReply>(answer)) {
      return UnexpectedAnswer(options, answer);
    }
    PrintJsonOk(options);
    return kExitOk;
  }
  ClientRequest request;
  request.op = ClientOp::kShutdown;
  request.cluster = cluster;
  ClientReply reply;
  CtlOptions patient = options;
  patient.timeout_ms = timeout_ms;
  int rc = CallNode(patient, std::move(request), &reply);
  if (rc == kExitOk) PrintJsonOk(options);
  return rc;
}

int CmdConnectorList(const CtlOptions& options) {
  ClientRequest request;
  request.op = ClientOp::kConnectors;
  Result<ClientReply> answer = AskNode(options, std::move(request));
  if (!answer.ok()) return TransportFailure(options, answer.status());
  // A node built or configured without connectors may say "not found":
  // that is an empty list, not an error.
  if (answer->code != Code::kOk && answer->code != Code::kNotFound) {
    return ServerFailure(options, answer.value());
  }
  // Each connector is a record (key: name, value: its state), or an entry
  // of the status info map.
  std::vector<std::pair<std::string, std::string>> connectors;
  for (const Record& record : answer->records) {
    connectors.emplace_back(record.key, record.value);
  }
  if (answer->status) {
    for (const auto& [name, state] : answer->status->info) {
      connectors.emplace_back(name, state);
    }
  }
  if (options.json) {
    JsonWriter json;
    json.BeginObject().Key("connectors").BeginArray();
    for (const auto& [name, state] : connectors) {
      json.BeginObject().Key("name").String(name).Key("state").String(state).EndObject();
    }
    json.EndArray().EndObject();
    PrintJson(json);
  } else {
    for (const auto& [name, state] : connectors) {
      std::cout << Escaped(name) << '\t' << Escaped(state) << '\n';
    }
    std::cout.flush();
  }
  return kExitOk;
}

int CmdConnectorUninstall(const CtlOptions& options, const std::string& name) {
  ClientRequest request;
  request.op = ClientOp::kUninstallConnector;
  request.key = name;
  ClientReply reply;
  int rc = CallNode(options, std::move(request), &reply);
  if (rc == kExitOk) PrintJsonOk(options);
  return rc;
}

}  // namespace datasync
