// The shared plumbing of syncctl's commands, and the data commands.

#include "commands.h"

#include <cstdio>
#include <iostream>

#include "datasync/config.h"
#include "output.h"

namespace datasync {
namespace {

// "not found" -> "not_found": code names as JSON-friendly identifiers.
std::string JsonCodeName(Code code) {
  if (code == Code::kIoError) return "io_error";
  std::string name = CodeName(code);
  for (char& c : name) {
    if (c == ' ') c = '_';
  }
  return name;
}

// The record a get or put answered with, if any.
const Record* FirstRecord(const ClientReply& reply) {
  return reply.records.empty() ? nullptr : &reply.records.front();
}

int Write(const CtlOptions& options, ClientOp op, const std::string& collection,
          const std::string& key, const std::string& value) {
  ClientRequest request;
  request.op = op;
  request.collection = collection;
  request.key = key;
  request.value = value;
  ClientReply reply;
  int rc = CallNode(options, std::move(request), &reply);
  if (rc != kExitOk || !options.json) return rc;
  JsonWriter json;
  json.BeginObject().Key("ok").Bool(true);
  if (const Record* record = FirstRecord(reply)) {
    json.Key("version").BeginObject();
    json.Key("hlc").Uint(record->version.hlc);
    json.Key("origin").String(record->version.origin);
    json.EndObject();
    json.Key("seq").Uint(record->seq);
  }
  json.EndObject();
  PrintJson(json);
  return kExitOk;
}

}  // namespace

int Fail(const CtlOptions& options, int exit_code, Code code,
         const std::string& message) {
  std::cerr << "syncctl: " << message << std::endl;
  if (options.json) {
    JsonWriter json;
    json.BeginObject()
        .Key("ok")
        .Bool(false)
        .Key("code")
        .String(JsonCodeName(code))
        .Key("error")
        .String(message)
        .EndObject();
    PrintJson(json);
  }
  return exit_code;
}

int TransportFailure(const CtlOptions& options, const Status& status) {
  int rc = status.code() == Code::kInvalidArgument ? kExitUsage : kExitUnreachable;
  return Fail(options, rc, status.code(), status.message());
}

int ServerFailure(const CtlOptions& options, const ClientReply& reply) {
  std::string message = reply.message.empty() ? CodeName(reply.code) : reply.message;
  int rc = reply.code == Code::kNotFound ? kExitNotFound : kExitServerError;
  return Fail(options, rc, reply.code, message);
}

Result<NodeClient> ConnectClient(const std::string& endpoint, const char* flag) {
  Status valid = CheckEndpoint(endpoint, EndpointUse::kConnect);
  if (!valid.ok()) {
    return Status::Invalid(std::string(flag) + ": " + valid.message());
  }
  return NodeClient::Connect(ProcessContext(), endpoint);
}

Result<ClientReply> AskNode(const CtlOptions& options, ClientRequest request) {
  Result<NodeClient> client = ConnectClient(options.node, "--node");
  if (!client.ok()) return client.status();
  return client->Call(std::move(request), options.timeout_ms);
}

int CallNode(const CtlOptions& options, ClientRequest request, ClientReply* reply) {
  Result<ClientReply> answer = AskNode(options, std::move(request));
  if (!answer.ok()) return TransportFailure(options, answer.status());
  if (answer->code != Code::kOk) return ServerFailure(options, answer.value());
  *reply = std::move(answer).value();
  return kExitOk;
}

void PrintJson(const JsonWriter& json) { std::cout << json.str() << std::endl; }

void PrintJsonOk(const CtlOptions& options) {
  if (!options.json) return;
  JsonWriter json;
  json.BeginObject().Key("ok").Bool(true).EndObject();
  PrintJson(json);
}

int CmdPut(const CtlOptions& options, const std::string& collection,
           const std::string& key, const std::string& value) {
  return Write(options, ClientOp::kPut, collection, key, value);
}

int CmdDel(const CtlOptions& options, const std::string& collection,
           const std::string& key) {
  return Write(options, ClientOp::kDelete, collection, key, "");
}

int CmdGet(const CtlOptions& options, const std::string& collection,
           const std::string& key) {
  ClientRequest request;
  request.op = ClientOp::kGet;
  request.collection = collection;
  request.key = key;
  const std::string not_found = "not found: " + Escaped(collection) + " " + Escaped(key);
  Result<ClientReply> answer = AskNode(options, std::move(request));
  if (!answer.ok()) return TransportFailure(options, answer.status());
  if (answer->code == Code::kNotFound) {
    // Name the key; the node's reason ("deleted") alone says little.
    std::string why = answer->message.empty() ? "" : " (" + answer->message + ")";
    return Fail(options, kExitNotFound, Code::kNotFound, not_found + why);
  }
  if (answer->code != Code::kOk) return ServerFailure(options, answer.value());
  const Record* record = FirstRecord(answer.value());
  if (record == nullptr || record->deleted) {
    return Fail(options, kExitNotFound, Code::kNotFound, not_found);
  }
  if (options.json) {
    JsonWriter json;
    json.BeginObject();
    RecordFields(*record, &json);
    json.EndObject();
    PrintJson(json);
  } else {
    // The value alone, byte for byte: scripts capture it with $(...).
    std::fwrite(record->value.data(), 1, record->value.size(), stdout);
    std::fflush(stdout);
  }
  return kExitOk;
}

int CmdScan(const CtlOptions& options, const std::string& collection,
            const std::string& prefix, uint64_t limit) {
  ClientRequest request;
  request.op = ClientOp::kScan;
  request.collection = collection;
  request.prefix = prefix;
  request.limit = limit;
  ClientReply reply;
  int rc = CallNode(options, std::move(request), &reply);
  if (rc != kExitOk) return rc;
  if (options.json) {
    JsonWriter json;
    json.BeginObject().Key("records").BeginArray();
    uint64_t count = 0;
    for (const Record& record : reply.records) {
      if (record.deleted) continue;
      json.BeginObject();
      RecordFields(record, &json);
      json.EndObject();
      ++count;
    }
    json.EndArray().Key("count").Uint(count).EndObject();
    PrintJson(json);
    return kExitOk;
  }
  for (const Record& record : reply.records) {
    if (record.deleted) continue;
    std::cout << Escaped(record.key) << '\t' << Escaped(record.value) << '\n';
  }
  std::cout.flush();
  return kExitOk;
}

int CmdDigest(const CtlOptions& options, const std::string& collection) {
  ClientRequest request;
  request.op = ClientOp::kDigest;
  request.collection = collection;
  ClientReply reply;
  int rc = CallNode(options, std::move(request), &reply);
  if (rc != kExitOk) return rc;
  if (options.json) {
    JsonWriter json;
    json.BeginObject().Key("digest").String(reply.digest);
    if (!collection.empty()) json.Key("collection").String(collection);
    json.EndObject();
    PrintJson(json);
  } else {
    std::cout << reply.digest << std::endl;
  }
  return kExitOk;
}

}  // namespace datasync
