#include "testutil/self_exec.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace datasync::testutil {

pid_t SpawnSelf(const std::string& test_name, const std::string& env_name,
                const std::string& env_value, const std::string& log_path) {
  const int log_fd =
      open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return -1;
  // Everything the child needs is built before fork: between fork and exec
  // only async-signal-safe calls are allowed (other threads may hold locks).
  std::vector<std::string> env = {env_name + "=" + env_value};
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  std::vector<char*> envp;
  for (std::string& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = {"unit_tests", "--gtest_filter=" + test_name,
                                   "--gtest_also_run_disabled_tests"};
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);

  const pid_t pid = fork();
  if (pid == 0) {
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    execve("/proc/self/exe", argv.data(), envp.data());
    _exit(127);
  }
  close(log_fd);
  return pid;
}

bool SelfExit::killed_by(int signal) const {
  return WIFSIGNALED(status) && WTERMSIG(status) == signal;
}

bool SelfExit::exited_with(int code) const {
  return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

SelfExit WaitSelf(pid_t pid, const std::string& log_path) {
  SelfExit result;
  while (waitpid(pid, &result.status, 0) < 0 && errno == EINTR) {
  }
  std::ifstream f(log_path);
  std::stringstream text;
  text << f.rdbuf();
  result.log = text.str();
  return result;
}

}  // namespace datasync::testutil
