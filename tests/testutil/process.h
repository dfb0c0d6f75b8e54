// A child process for integration tests: spawned with arguments and extra
// environment, its stdout and stderr sent to files, signalled, waited for
// with a timeout, and always killed and reaped by its destructor so that no
// test leaves a process behind, even when it fails half-way.
//
// A Process belongs to the thread that uses it; it is not thread-safe. The
// child gets PR_SET_PDEATHSIG(SIGKILL), which the kernel ties to the thread
// that spawned it: spawn long-lived children (nodes, the coordinator) from
// the test's main thread, short-lived ones (syncctl) from any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace datasync::testutil {

// How a child ended.
struct ExitStatus {
  bool exited = false;  // returned from main or called exit()
  int code = -1;        // exit code when `exited`
  int signal = 0;       // terminating signal when !exited
  bool ok() const { return exited && code == 0; }
  // "exit 0", "signal 9 (Killed)".
  std::string ToString() const;
};

struct SpawnOptions {
  std::string binary{};             // path to the executable
  std::vector<std::string> args{};  // argv[1..]
  // Added to (or replacing in) the parent's environment.
  std::vector<std::pair<std::string, std::string>> env{};
  // Variables removed from the child's environment.
  std::vector<std::string> unset_env{};
  std::string stdout_path{};  // truncated and written; empty: /dev/null
  std::string stderr_path{};  // idem
  std::string cwd{};          // empty: the parent's
};

class Process {
 public:
  // Starts the child. On failure returns nullopt and sets *error (exec
  // failures, e.g. a missing binary, are detected before returning).
  static std::optional<Process> Spawn(const SpawnOptions& options, std::string* error);

  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  // SIGKILLs the child if it is still running and reaps it.
  ~Process();

  pid_t pid() const { return pid_; }
  const SpawnOptions& options() const { return options_; }

  // Sends `signal` (SIGTERM, SIGKILL, SIGSTOP, SIGCONT, ...). False when the
  // child has already been reaped or kill() fails.
  bool Kill(int signal);
  // Waits up to `timeout` for the child to end; nullopt if it is still
  // running then. Once reaped, returns the same status at every call.
  std::optional<ExitStatus> Wait(std::chrono::milliseconds timeout);
  // True while the child has not ended (a stopped child is running).
  bool Running();
  // The exit status once reaped.
  const std::optional<ExitStatus>& exit_status() const { return status_; }

  // The current contents of the stdout / stderr files.
  std::string ReadStdout() const;
  std::string ReadStderr() const;

 private:
  Process(pid_t pid, SpawnOptions options) : pid_(pid), options_(std::move(options)) {}
  // waitpid(); true when reaped (status_ set).
  bool Reap(bool block);
  void KillAndReap();

  pid_t pid_ = -1;
  SpawnOptions options_;
  std::optional<ExitStatus> status_;
};

// The whole file, or "" when it cannot be read.
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace datasync::testutil
