// syncctl: the admin and scripting CLI (ARCHITECTURE §6). Parses the
// command line and hands over to one Cmd* function; its result is the exit
// code. Parse errors print usage on stderr and exit 2.

#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "commands.h"

namespace {

using datasync::CtlOptions;

struct Args {
  std::string collection;
  std::string key;
  std::string value;
  std::string prefix;
  uint64_t limit = 0;
  bool cluster = false;
  std::string connector;
};

// The usage of the innermost subcommand given ("Usage: syncctl put ...").
std::string Usage(CLI::App& app) {
  CLI::App* current = &app;
  std::string prefix;
  for (auto given = app.get_subcommands(); !given.empty();
       given = current->get_subcommands()) {
    prefix += (prefix.empty() ? "" : " ") + current->get_name();
    current = given.front();
  }
  return current->help(prefix);
}

int Dispatch(const CLI::App& app, const CtlOptions& options, const Args& a) {
  using namespace datasync;
  const CLI::App* cmd = app.get_subcommands().front();
  const std::string& name = cmd->get_name();
  if (name == "put") return CmdPut(options, a.collection, a.key, a.value);
  if (name == "get") return CmdGet(options, a.collection, a.key);
  if (name == "del") return CmdDel(options, a.collection, a.key);
  if (name == "scan") return CmdScan(options, a.collection, a.prefix, a.limit);
  if (name == "status") return CmdStatus(options);
  if (name == "digest") return CmdDigest(options, a.collection);
  if (name == "watch") return CmdWatch(options, a.collection);
  if (name == "members") return CmdMembers(options);
  if (name == "shutdown") return CmdShutdown(options, a.cluster);
  if (cmd->got_subcommand("list")) return CmdConnectorList(options);
  return CmdConnectorUninstall(options, a.connector);
}

void AddCommands(CLI::App& app, Args& a) {
  auto* put = app.add_subcommand("put", "write VALUE under COLLECTION KEY");
  put->add_option("COLLECTION", a.collection)->required();
  put->add_option("KEY", a.key)->required();
  put->add_option("VALUE", a.value)->required();
  for (const char* name : {"get", "del"}) {
    auto* cmd = app.add_subcommand(name, std::string(name) == "get"
                                             ? "print the value of COLLECTION KEY"
                                             : "delete COLLECTION KEY");
    cmd->add_option("COLLECTION", a.collection)->required();
    cmd->add_option("KEY", a.key)->required();
  }
  auto* scan = app.add_subcommand("scan", "list the records of COLLECTION");
  scan->add_option("COLLECTION", a.collection)->required();
  scan->add_option("--prefix", a.prefix, "only keys starting with P");
  // The check, because CLI11 would wrap "-3" around into a huge unsigned.
  scan->add_option("--limit", a.limit, "at most N records (0: all)")
      ->check(CLI::NonNegativeNumber);
  app.add_subcommand("status", "node id, version vector, peers, store counts");
  app.add_subcommand("digest", "hex digest of the node's state")
      ->add_option("COLLECTION", a.collection, "only this collection");
  app.add_subcommand("watch", "print every change applied at the node")
      ->add_option("COLLECTION", a.collection, "only this collection");
  app.add_subcommand("members", "the cluster membership, from the coordinator");
  app.add_subcommand("shutdown", "stop the node, or the whole cluster")
      ->add_flag("--cluster", a.cluster, "stop every node and the coordinator");
  auto* connector = app.add_subcommand("connector", "the node's connectors");
  connector->require_subcommand(1);
  connector->add_subcommand("list", "list connectors and their state");
  connector->add_subcommand("uninstall", "remove what connector NAME installed")
      ->add_option("NAME", a.connector)
      ->required();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("datasync admin CLI", "syncctl");
  app.set_version_flag("--version", std::string("syncctl ") + DATASYNC_VERSION);
  CtlOptions options;
  options.node = "tcp://127.0.0.1:7101";
  app.add_option("--node", options.node, "node api endpoint")
      ->envname("SYNC_NODE")
      ->capture_default_str();
  app.add_option("--coordinator", options.coordinator, "coordinator endpoint")
      ->envname("SYNC_COORDINATOR");
  app.add_option("--timeout-ms", options.timeout_ms, "how long to wait for an answer")
      ->check(CLI::Range(1, 24 * 3600 * 1000))
      ->capture_default_str();
  app.add_flag("--json", options.json, "print one JSON object");
  // Global options are accepted after the command too.
  app.fallthrough();
  app.require_subcommand(1);
  Args args;
  AddCommands(app, args);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version: on stdout, exit 0
  } catch (const CLI::ParseError& e) {
    std::cerr << "syncctl: " << e.what() << "\n\n" << Usage(app);
    return datasync::kExitUsage;
  }
  return Dispatch(app, options, args);
}
