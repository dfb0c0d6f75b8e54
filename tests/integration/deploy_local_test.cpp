// deploy/local/datasync-local: `up` brings up five nodes and a coordinator
// as plain processes, writes through two nodes reach all five, and `down`
// exits 0 and leaves no process behind.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "deploy_util.h"
#include "scenario.h"

namespace datasync::testutil {
namespace {

namespace fs = std::filesystem;

// Pids of running (not zombie) processes whose command line holds `text`:
// every process of a launcher cluster names a config in its folder.
std::vector<pid_t> ProcessesMentioning(const std::string& text) {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = ReadFileOrEmpty(e.path().string() + "/cmdline");
    for (char& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    if (cmdline.find(text) == std::string::npos) continue;
    const std::string stat = ReadFileOrEmpty(e.path().string() + "/stat");
    const size_t paren = stat.rfind(") ");
    if (paren != std::string::npos && stat.substr(paren + 2, 1) == "Z") continue;
    pids.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return pids;
}

// The launcher run on one folder; whatever a failing test leaves running
// is stopped when it goes away.
class Launcher {
 public:
  explicit Launcher(const TempDir& temp)
      : scratch_(temp.path()), dir_(temp.Sub("cluster")) {}
  ~Launcher() {
    if (ProcessesMentioning(dir_ + "/").empty()) return;
    (void)Run({"down"});
    for (pid_t pid : ProcessesMentioning(dir_ + "/")) kill(pid, SIGKILL);
  }

  CtlResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), SourcePath("deploy/local/datasync-local"));
    args.insert(args.end(), {"--dir", dir_});
    return RunTool(scratch_, {.binary = "/bin/bash",
                              .args = args,
                              .env = {{"DATASYNC_BIN", BinaryDir()}},
                              .timeout = std::chrono::seconds(120)});
  }

  const std::string& dir() const { return dir_; }

 private:
  std::string scratch_;
  std::string dir_;
};

// NAME=VALUE lines of `up` / `env`.
std::map<std::string, std::string> ParseEnv(const std::string& out) {
  std::map<std::string, std::string> vars;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos) vars[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return vars;
}

TEST(DeployLocalTest, FiveNodesConvergeAndDownLeavesNoProcess) {
  TempDir temp("deploy-local");
  Launcher launcher(temp);
  CtlResult up = launcher.Run({"up", "--nodes", "5"});
  ASSERT_EQ(up.code(), 0) << up.Describe();
  std::map<std::string, std::string> env = ParseEnv(up.out);
  std::vector<std::string> apis;
  for (int i = 1; i <= 5; ++i) apis.push_back(env["NODE_N" + std::to_string(i) + "_API"]);
  for (const std::string& api : apis) ASSERT_FALSE(api.empty()) << up.out;
  ASSERT_FALSE(env["SYNC_COORDINATOR"].empty()) << up.out;
  // Six processes: the coordinator and five nodes, all running.
  EXPECT_EQ(ProcessesMentioning(launcher.dir() + "/").size(), 6u);
  CtlResult status = launcher.Run({"status"});
  EXPECT_EQ(status.code(), 0) << status.Describe();

  auto ctl = [&](const std::string& api, std::vector<std::string> args) {
    args.insert(args.begin(), {"--node", api, "--timeout-ms", "3000"});
    return RunTool(temp.path(), {.binary = BinaryPath("syncctl"), .args = args});
  };
  CtlResult put1 = ctl(apis[0], {"put", "deploy", "from-n1", "one"});
  ASSERT_EQ(put1.code(), 0) << put1.Describe();
  CtlResult put4 = ctl(apis[3], {"put", "deploy", "from-n4", "four"});
  ASSERT_EQ(put4.code(), 0) << put4.Describe();

  for (size_t i = 0; i < apis.size(); ++i) {
    for (const auto& [key, value] : {std::pair{"from-n1", "one"}, {"from-n4", "four"}}) {
      CtlResult last;
      EXPECT_TRUE(WaitUntil(
          [&] {
            last = ctl(apis[i], {"get", "deploy", key});
            return last.code() == 0 && last.out == value;
          },
          10s, 50ms))
          << "n" << i + 1 << " " << key << ": " << last.Describe();
    }
  }
  std::vector<std::string> digests;
  for (const std::string& api : apis) {
    CtlResult d = ctl(api, {"digest"});
    EXPECT_EQ(d.code(), 0) << d.Describe();
    digests.push_back(d.out);
  }
  for (const std::string& d : digests) EXPECT_EQ(d, digests[0]);

  CtlResult down = launcher.Run({"down"});
  EXPECT_EQ(down.code(), 0) << down.Describe();
  EXPECT_EQ(down.err.find("killing"), std::string::npos) << down.Describe();
  EXPECT_TRUE(ProcessesMentioning(launcher.dir() + "/").empty());
  CtlResult after = launcher.Run({"status"});
  EXPECT_EQ(after.code(), 1) << after.Describe();
  // Every node stopped through the cluster shutdown, not by a signal.
  for (int i = 1; i <= 5; ++i) {
    const std::string id = "n" + std::to_string(i);
    const std::string log = ReadFileOrEmpty(launcher.dir() + "/logs/" + id + ".log");
    EXPECT_NE(log.find("coordinator asked for shutdown"), std::string::npos) << id << log;
    EXPECT_NE(log.find("node " + id + " stopped"), std::string::npos) << id << log;
  }
}

// A failed `up` (here: a node whose store cannot be opened) stops what it
// started instead of leaving a half cluster running.
TEST(DeployLocalTest, FailedUpLeavesNoProcess) {
  TempDir temp("deploy-local-fail");
  Launcher launcher(temp);
  CtlResult first = launcher.Run({"up", "--nodes", "2"});
  ASSERT_EQ(first.code(), 0) << first.Describe();
  CtlResult first_down = launcher.Run({"down"});
  ASSERT_EQ(first_down.code(), 0) << first_down.Describe();
  // n2's data folder replaced by a file: its store cannot open.
  fs::remove_all(launcher.dir() + "/data/n2");
  std::ofstream(launcher.dir() + "/data/n2") << "not a folder";
  CtlResult up = launcher.Run({"up"});
  EXPECT_EQ(up.code(), 2) << up.Describe();
  EXPECT_NE(up.err.find("n2"), std::string::npos) << up.Describe();
  EXPECT_TRUE(ProcessesMentioning(launcher.dir() + "/").empty());
}

}  // namespace
}  // namespace datasync::testutil
