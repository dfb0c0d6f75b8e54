// The Cluster's syncctl side: running the CLI and reading what it prints.
#include "testutil/cluster.h"

#include <csignal>
#include <cstdio>
#include <sstream>


namespace datasync::testutil {
namespace {

using std::chrono::milliseconds;

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string Joined(const std::vector<std::string>& args) {
  std::string out = "syncctl";
  for (const auto& a : args) out += " " + a;
  return out;
}

}  // namespace

std::string CtlResult::Describe() const {
  std::ostringstream s;
  s << "`" << command << "` -> "
    << (timed_out ? "timed out (killed)" : status.ToString());
  if (!out.empty()) s << "\n  stdout: " << out.substr(0, 2000);
  if (!err.empty()) s << "\n  stderr: " << err.substr(0, 2000);
  return s.str();
}

CtlResult Cluster::Ctl(const std::vector<std::string>& args, milliseconds timeout,
                       const std::vector<std::pair<std::string, std::string>>& env) {
  CtlResult result;
  result.command = Joined(args);
  std::string prefix = dir_ + "/logs/ctl." + std::to_string(++ctl_runs_);
  SpawnOptions options;
  options.binary = BinaryPath("syncctl");
  options.args = args;
  options.env = env;
  for (const char* name : {"SYNC_NODE", "SYNC_COORDINATOR"}) {
    bool given = false;
    for (const auto& [k, v] : env) given |= k == name;
    if (!given) options.unset_env.push_back(name);
  }
  options.stdout_path = prefix + ".out";
  options.stderr_path = prefix + ".err";
  std::string error;
  auto process = Process::Spawn(options, &error);
  if (!process) {
    result.err = error;
    return result;
  }
  auto status = process->Wait(timeout);
  if (!status) {
    result.timed_out = true;
    process->Kill(SIGKILL);
    status = process->Wait(milliseconds(5000));
  }
  if (status) result.status = *status;
  result.out = process->ReadStdout();
  result.err = process->ReadStderr();
  // Keep the logs directory small: a test may run syncctl thousands of times.
  std::remove(options.stdout_path.c_str());
  std::remove(options.stderr_path.c_str());
  return result;
}

CtlResult Cluster::CtlAt(const std::string& id, const std::vector<std::string>& args,
                         milliseconds timeout) {
  std::vector<std::string> full = {"--node", api(id)};
  full.insert(full.end(), args.begin(), args.end());
  return Ctl(full, timeout);
}

std::optional<std::string> Cluster::Digest(const std::string& id, std::string* error) {
  CtlResult r = CtlAt(id, {"--timeout-ms", "2000", "digest"});
  if (r.code() != 0) {
    if (error != nullptr) *error = r.Describe();
    return std::nullopt;
  }
  return Trim(r.out);
}

std::optional<JsonValue> Cluster::Status(const std::string& id, std::string* error) {
  CtlResult r = CtlAt(id, {"--timeout-ms", "2000", "--json", "status"});
  std::string parse_error;
  if (r.code() == 0) {
    if (auto v = JsonValue::Parse(r.out, &parse_error)) return v;
  }
  if (error != nullptr) *error = r.Describe() + "\n  " + parse_error;
  return std::nullopt;
}

std::optional<uint64_t> Cluster::Counter(const std::string& id, const std::string& name) {
  auto status = Status(id);
  if (!status) return std::nullopt;
  const JsonValue& counters = (*status)["counters"];
  const JsonValue& value = counters.Has(name) ? counters[name] : (*status)[name];
  return value.AsUint().value_or(0);
}

bool Cluster::DigestsEqual(const std::vector<std::string>& ids, std::string* detail) {
  std::optional<std::string> first;
  bool equal = true;
  std::ostringstream s;
  for (const auto& id : ids) {
    std::string error;
    auto digest = Digest(id, &error);
    s << "  " << id << ": " << (digest ? *digest : "<" + error + ">") << "\n";
    if (!digest) {
      equal = false;
      continue;
    }
    if (!first) first = digest;
    equal &= *first == *digest;
  }
  if (detail != nullptr) *detail = s.str();
  return equal && first.has_value();
}

::testing::AssertionResult Cluster::WaitConverged(const std::vector<std::string>& ids,
                                                  milliseconds timeout) {
  std::string detail;
  if (WaitUntil([&] { return DigestsEqual(ids, &detail); }, timeout, milliseconds(50))) {
    return ::testing::AssertionSuccess();
  }
  std::ostringstream statuses;
  for (const auto& id : ids) {
    CtlResult r = CtlAt(id, {"--timeout-ms", "2000", "--json", "status"});
    statuses << "  status " << id << ": " << r.out.substr(0, 3000) << "\n";
  }
  return ::testing::AssertionFailure()
         << "digests still differ after " << timeout.count() << " ms:\n"
         << detail << statuses.str();
}

}  // namespace datasync::testutil
