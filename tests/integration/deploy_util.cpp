#include "deploy_util.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace datasync::testutil {

namespace fs = std::filesystem;

std::string SourcePath(const std::string& relative) {
  return std::string(DATASYNC_SOURCE_DIR) + "/" + relative;
}

std::string BinaryDir() {
  return fs::path(BinaryPath("sync-node")).parent_path().string();
}

std::string FindInPath(const std::string& tool) {
  const char* path = getenv("PATH");
  std::stringstream dirs(path == nullptr ? "" : path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/" + tool;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

CtlResult RunTool(const std::string& scratch, const ToolRun& run) {
  // Several runs may share one scratch directory.
  static std::atomic<int> counter{0};
  const std::string prefix = scratch + "/run-" + std::to_string(counter++);
  CtlResult result;
  result.command = run.binary;
  for (const std::string& a : run.args) result.command += " " + a;
  std::string error;
  auto p = Process::Spawn({.binary = run.binary,
                           .args = run.args,
                           .env = run.env,
                           .unset_env = {"SYNC_NODE", "SYNC_COORDINATOR"},
                           .stdout_path = prefix + ".out",
                           .stderr_path = prefix + ".err",
                           .cwd = run.cwd},
                          &error);
  if (!p) {
    result.err = "cannot start: " + error;
    return result;
  }
  auto status = p->Wait(run.timeout);
  result.timed_out = !status.has_value();
  if (status) result.status = *status;
  result.out = p->ReadStdout();
  result.err = p->ReadStderr();
  return result;
}

CtlResult CheckConfig(const std::string& scratch, const std::string& binary,
                      const std::string& path) {
  return RunTool(scratch, {.binary = BinaryPath(binary),
                           .args = {"--config", path, "--check-config"},
                           .timeout = std::chrono::seconds(20)});
}

std::vector<YAML::Node> LoadYamlDocuments(const std::string& path, std::string* error) {
  try {
    return YAML::LoadAllFromFile(path);
  } catch (const YAML::Exception& e) {
    *error = path + ": " + e.what();
    return {};
  }
}

std::optional<std::pair<std::string, int>> TcpHostPort(const std::string& endpoint) {
  const std::string scheme = "tcp://";
  if (endpoint.rfind(scheme, 0) != 0) return std::nullopt;
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon < scheme.size()) return std::nullopt;
  const std::string port = endpoint.substr(colon + 1);
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
      port.size() > 5) {
    return std::nullopt;
  }
  return std::make_pair(endpoint.substr(scheme.size(), colon - scheme.size()),
                        std::stoi(port));
}

std::vector<std::string> Strings(const YAML::Node& sequence) {
  std::vector<std::string> out;
  if (!sequence.IsSequence()) return out;
  for (const YAML::Node& item : sequence) {
    out.push_back(item.IsScalar() ? item.Scalar() : std::string("<not a scalar>"));
  }
  return out;
}

bool Contains(const std::vector<std::string>& haystack, const std::string& needle) {
  for (const std::string& s : haystack) {
    if (s == needle) return true;
  }
  return false;
}

std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

}  // namespace datasync::testutil
