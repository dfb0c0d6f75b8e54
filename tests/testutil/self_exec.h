// Runs this test binary again as a child process, limited to one helper
// test (usually DISABLED_), for tests that need a fresh process: one to kill
// with SIGKILL, or one that changes process-wide state such as its mount
// namespace. A plain fork() of a test process is not enough: it would
// inherit library thread pools (RocksDB's) without their threads.
//
// The helper test reads its parameters from one environment variable and
// skips itself when that variable is unset, so normal runs ignore it.
#pragma once

#include <sys/types.h>

#include <string>

namespace datasync::testutil {

// Starts /proc/self/exe --gtest_filter=`test_name` with `env_name`=`env_value`
// added to the environment and stdout and stderr appended to `log_path`.
// Descriptors without FD_CLOEXEC are inherited. Returns the pid, or -1.
pid_t SpawnSelf(const std::string& test_name, const std::string& env_name,
                const std::string& env_value, const std::string& log_path);

struct SelfExit {
  int status = 0;   // as from waitpid
  std::string log;  // what the child wrote
  bool killed_by(int signal) const;
  bool exited_with(int code) const;
};

// Waits for the child and reads its log.
SelfExit WaitSelf(pid_t pid, const std::string& log_path);

}  // namespace datasync::testutil
