// deploy/docker/Dockerfile, checked without a Docker engine: Debian stages
// only, a non-root runtime user, the build stage has every library package
// scripts/bootstrap builds with, and the runtime stage has the package of
// every shared library the binaries of this build link.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "deploy_util.h"

namespace datasync::testutil {
namespace {

// The Dockerfile's instructions, continuation lines joined, comments dropped.
std::vector<std::string> Instructions(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  std::string line, joined;
  while (std::getline(in, line)) {
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    if (!line.empty() && line.back() == '\\') {
      joined += line.substr(0, line.size() - 1) + " ";
      continue;
    }
    out.push_back(joined + line);
    joined.clear();
  }
  return out;
}

struct Stage {
  std::string from;                    // the image
  std::set<std::string> apt_packages;  // of `apt-get install`
  std::vector<std::string> instructions;
};

std::vector<Stage> Stages(const std::string& path) {
  std::vector<Stage> stages;
  for (const std::string& ins : Instructions(path)) {
    const std::vector<std::string> words = Words(ins);
    if (words.empty()) continue;
    if (words[0] == "FROM") {
      stages.push_back({words.size() > 1 ? words[1] : "", {}, {}});
      continue;
    }
    if (stages.empty()) continue;
    stages.back().instructions.push_back(ins);
    // apt-get install [-options] PACKAGES... up to the next && or ;
    for (size_t i = 0; i + 1 < words.size(); ++i) {
      if (words[i] != "apt-get" || words[i + 1] != "install") continue;
      for (size_t j = i + 2; j < words.size() && words[j] != "&&" && words[j] != ";";
           ++j) {
        if (words[j][0] != '-') stages.back().apt_packages.insert(words[j]);
      }
    }
  }
  return stages;
}

// The packages of scripts/bootstrap's PACKAGES=( ... ).
std::vector<std::string> BootstrapPackages() {
  std::ifstream in(SourcePath("scripts/bootstrap"));
  std::vector<std::string> packages;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside) {
      inside = line.rfind("PACKAGES=(", 0) == 0;
      continue;
    }
    if (line.rfind(")", 0) == 0) break;
    for (const std::string& w : Words(line.substr(0, line.find('#'))))
      packages.push_back(w);
  }
  return packages;
}

TEST(DeployDockerTest, DebianStagesAndNonRootRuntime) {
  const std::vector<Stage> stages = Stages(SourcePath("deploy/docker/Dockerfile"));
  ASSERT_GE(stages.size(), 2u) << "a multi-stage build";
  for (const Stage& s : stages) EXPECT_EQ(s.from, "debian:bookworm");
  const Stage& runtime = stages.back();
  std::string user;
  for (const std::string& ins : runtime.instructions) {
    const std::vector<std::string> w = Words(ins);
    if (w[0] == "USER" && w.size() > 1) user = w[1];
  }
  EXPECT_FALSE(user.empty() || user == "root" || user.rfind("0", 0) == 0)
      << "runtime user: \"" << user << "\"";
  // The runtime stage gets binaries, not the sources or the compiler.
  EXPECT_FALSE(runtime.apt_packages.count("build-essential"));
  bool copies_binaries = false;
  for (const std::string& ins : runtime.instructions) {
    if (ins.rfind("COPY --from=", 0) != 0) continue;
    copies_binaries = true;
    for (const char* b : {"sync-node", "sync-coordinator", "syncctl", "sync-loadgen"}) {
      EXPECT_NE(ins.find(std::string("/bin/") + b + " "), std::string::npos) << b;
    }
  }
  EXPECT_TRUE(copies_binaries);
}

// A package added to scripts/bootstrap for the services must reach the
// image's build stage too.
TEST(DeployDockerTest, BuildStageHasTheLibrariesOfBootstrap) {
  const std::vector<Stage> stages = Stages(SourcePath("deploy/docker/Dockerfile"));
  ASSERT_GE(stages.size(), 2u);
  const std::vector<std::string> bootstrap = BootstrapPackages();
  ASSERT_TRUE(Contains(bootstrap, "libzmq3-dev"))
      << "PACKAGES not found in scripts/bootstrap";
  for (const std::string& p : bootstrap) {
    // The image builds neither tests nor benchmarks.
    if (p == "libgtest-dev" || p == "libbenchmark-dev") continue;
    if (p.size() < 4 || p.substr(p.size() - 4) != "-dev") continue;
    EXPECT_TRUE(stages.front().apt_packages.count(p))
        << p << " missing from the build stage";
  }
  std::string configure;
  for (const std::string& ins : stages.front().instructions) {
    if (ins.find("cmake -S") != std::string::npos) configure = ins;
  }
  EXPECT_NE(configure.find("-DDATASYNC_BUILD_TESTS=OFF"), std::string::npos) << configure;
  EXPECT_NE(configure.find("-DDATASYNC_BUILD_BENCH=OFF"), std::string::npos) << configure;
  // A local build folder copied into the context would carry a CMakeCache
  // that makes the image's configure step fail.
  const std::string ignore = ReadFileOrEmpty(SourcePath(".dockerignore"));
  EXPECT_NE(ignore.find("\nbuild*\n"), std::string::npos) << ignore;
}

// The shared libraries `binary` links directly: what apt must install (the
// packages' own dependencies come with them).
std::vector<std::string> NeededLibraries(const std::string& scratch,
                                         const std::string& binary) {
  CtlResult dump =
      RunTool(scratch, {.binary = "/usr/bin/objdump", .args = {"-p", binary}});
  EXPECT_EQ(dump.code(), 0) << dump.Describe();
  std::vector<std::string> libs;
  std::istringstream lines(dump.out);
  std::string line;
  while (std::getline(lines, line)) {
    const std::vector<std::string> w = Words(line);
    if (w.size() != 2 || w[0] != "NEEDED") continue;
    // Sanitizer runtimes belong to instrumented builds, never to the image.
    if (w[1].rfind("libasan", 0) == 0 || w[1].rfind("libubsan", 0) == 0) continue;
    libs.push_back(w[1]);
  }
  return libs;
}

// Library file name -> the Debian packages holding a file of that name,
// from one `dpkg -S` (it reads the whole package database at each call).
std::map<std::string, std::set<std::string>> Owners(const std::string& scratch,
                                                    const std::set<std::string>& libs) {
  ToolRun run{.binary = "/usr/bin/dpkg", .args = {"-S"}};
  for (const std::string& lib : libs) run.args.push_back("*/" + lib);
  CtlResult owners = RunTool(scratch, run);
  EXPECT_EQ(owners.code(), 0) << owners.Describe();
  std::map<std::string, std::set<std::string>> out;
  std::istringstream lines(owners.out);
  std::string line;
  while (std::getline(lines, line)) {
    // "libzmq5:amd64: /usr/lib/x86_64-linux-gnu/libzmq.so.5"; several
    // packages sharing a path are listed "a, b: PATH".
    const size_t colon_space = line.find(": ");
    if (colon_space == std::string::npos) continue;
    const std::string path = line.substr(colon_space + 2);
    std::set<std::string>& packages = out[path.substr(path.rfind('/') + 1)];
    std::istringstream names(line.substr(0, colon_space));
    std::string name;
    while (std::getline(names, name, ',')) {
      name = name.substr(name.find_first_not_of(' '));
      packages.insert(name.substr(0, name.find(':')));
    }
  }
  return out;
}

TEST(DeployDockerTest, RuntimeStageHasEveryLinkedLibrary) {
  TempDir temp("deploy-docker");
  const std::vector<Stage> stages = Stages(SourcePath("deploy/docker/Dockerfile"));
  ASSERT_GE(stages.size(), 2u);
  std::set<std::string> present = stages.back().apt_packages;
  // In every debian:bookworm image: apt itself needs them.
  present.insert({"libc6", "libstdc++6", "libgcc-s1"});
  std::map<std::string, std::vector<std::string>> linked_by;  // library -> binaries
  for (const char* name : {"sync-node", "sync-coordinator", "syncctl", "sync-loadgen"}) {
    const std::vector<std::string> libs = NeededLibraries(temp.path(), BinaryPath(name));
    EXPECT_GE(libs.size(), 3u) << name;
    for (const std::string& lib : libs) linked_by[lib].push_back(name);
  }
  std::set<std::string> libs;
  for (const auto& [lib, binaries] : linked_by) libs.insert(lib);
  const auto owners = Owners(temp.path(), libs);
  for (const auto& [lib, binaries] : linked_by) {
    const auto it = owners.find(lib);
    std::string all;
    bool found = false;
    for (const std::string& p :
         it == owners.end() ? std::set<std::string>{} : it->second) {
      found |= present.count(p) > 0;
      all += p + " ";
    }
    EXPECT_TRUE(found) << binaries[0] << " links " << lib << ", from the package(s) "
                       << all << "which the runtime stage does not install";
  }
}

}  // namespace
}  // namespace datasync::testutil
