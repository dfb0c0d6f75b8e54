// Helpers of the deploy tests (deploy_*_test.cpp): paths into the source
// tree, running tools and the project's binaries with captured output, and
// reading the YAML of deploy/ and docker-compose.yml.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "testutil/cluster.h"

namespace datasync::testutil {

// SOURCE_DIR/relative: the checkout the test binary was built from.
std::string SourcePath(const std::string& relative);

// The directory of build/bin (where BinaryPath() looks).
std::string BinaryDir();

// The full path of `tool` found in $PATH, or "" when it is not there.
std::string FindInPath(const std::string& tool);

struct ToolRun {
  std::string binary;  // a path
  std::vector<std::string> args{};
  std::vector<std::pair<std::string, std::string>> env{};
  std::string cwd{};
  std::chrono::milliseconds timeout = std::chrono::seconds(60);
};

// Runs `run` to the end, stdout and stderr captured in files under
// `scratch`; a run still going after its timeout is killed and reported
// as timed out.
CtlResult RunTool(const std::string& scratch, const ToolRun& run);

// `BINARY --config PATH --check-config` for sync-node or sync-coordinator.
CtlResult CheckConfig(const std::string& scratch, const std::string& binary,
                      const std::string& path);

// The YAML documents of a file; a parse error fails the calling test
// through the returned empty list and *error.
std::vector<YAML::Node> LoadYamlDocuments(const std::string& path, std::string* error);

// "tcp://HOST:PORT" split into host and port; nullopt for anything else.
std::optional<std::pair<std::string, int>> TcpHostPort(const std::string& endpoint);

// Every element of a YAML sequence of scalars, as strings.
std::vector<std::string> Strings(const YAML::Node& sequence);

// Whether `haystack` holds `needle` as an element.
bool Contains(const std::vector<std::string>& haystack, const std::string& needle);

// The whitespace-separated words of `text`.
std::vector<std::string> Words(const std::string& text);

}  // namespace datasync::testutil
