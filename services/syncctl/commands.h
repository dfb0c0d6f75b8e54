// syncctl's commands (ARCHITECTURE §6). Each prints its result on stdout,
// its messages on stderr, and returns the process exit code.
#pragma once

#include <cstdint>
#include <string>

#include "datasync/client.h"
#include "datasync/messages.h"
#include "../common/json_writer.h"

namespace datasync {

enum ExitCode : int {
  kExitOk = 0,
  kExitNotFound = 1,
  kExitUsage = 2,        // bad arguments or endpoints
  kExitUnreachable = 3,  // no answer within --timeout-ms
  kExitServerError = 4,  // the server answered with an error
};

struct CtlOptions {
  std::string node;         // api endpoint of the node
  std::string coordinator;  // empty when not given
  int timeout_ms = 5000;
  bool json = false;
};

int CmdPut(const CtlOptions& options, const std::string& collection,
           const std::string& key, const std::string& value);
int CmdGet(const CtlOptions& options, const std::string& collection,
           const std::string& key);
int CmdDel(const CtlOptions& options, const std::string& collection,
           const std::string& key);
int CmdScan(const CtlOptions& options, const std::string& collection,
            const std::string& prefix, uint64_t limit);
int CmdDigest(const CtlOptions& options, const std::string& collection);
int CmdStatus(const CtlOptions& options);
// Streams until SIGINT or SIGTERM, then returns kExitOk.
int CmdWatch(const CtlOptions& options, const std::string& collection);
int CmdMembers(const CtlOptions& options);
int CmdShutdown(const CtlOptions& options, bool cluster);
int CmdConnectorList(const CtlOptions& options);
int CmdConnectorUninstall(const CtlOptions& options, const std::string& name);

// --- shared by the command files ---

// Reports a failure: "syncctl: MESSAGE" on stderr and, with --json, one
// {"ok":false,...} object on stdout. Returns exit_code.
int Fail(const CtlOptions& options, int exit_code, Code code, const std::string& message);
// A client-side failure (no answer, bad endpoint): exit 3 or 2.
int TransportFailure(const CtlOptions& options, const Status& status);
// The server answered with an error: exit 1 for kNotFound, else 4.
int ServerFailure(const CtlOptions& options, const ClientReply& reply);

// A client connected to `endpoint`; `flag` names where it came from in
// the message when the endpoint is malformed.
Result<NodeClient> ConnectClient(const std::string& endpoint, const char* flag);

// Sends `request` to --node and waits for its reply, whatever its code.
// Fails with the client's Status (bad endpoint, no answer in time).
Result<ClientReply> AskNode(const CtlOptions& options, ClientRequest request);
// Like AskNode(), and reports every failure. On success (a reply
// with code kOk) stores it in *reply and returns kExitOk; otherwise reports
// the failure and returns its exit code.
int CallNode(const CtlOptions& options, ClientRequest request, ClientReply* reply);

// Prints `json`'s document and a newline on stdout.
void PrintJson(const JsonWriter& json);
void PrintJsonOk(const CtlOptions& options);

}  // namespace datasync
