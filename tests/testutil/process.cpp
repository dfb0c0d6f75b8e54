#include "testutil/process.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace datasync::testutil {
namespace {

// argv / envp as the NUL-terminated arrays execve() wants. Built before
// fork(): between fork() and exec() in a threaded parent only
// async-signal-safe calls are allowed, so the child must not allocate.
struct ExecArgs {
  std::vector<std::string> storage_argv;
  std::vector<std::string> storage_env;
  std::vector<char*> argv;
  std::vector<char*> envp;
};

bool EnvNameIs(const std::string& entry, const std::string& name) {
  return entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
         entry[name.size()] == '=';
}

void BuildExecArgs(const SpawnOptions& options, ExecArgs* out) {
  out->storage_argv.push_back(options.binary);
  for (const auto& arg : options.args) out->storage_argv.push_back(arg);
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    bool drop = false;
    for (const auto& [name, value] : options.env) drop |= EnvNameIs(entry, name);
    for (const auto& name : options.unset_env) drop |= EnvNameIs(entry, name);
    if (!drop) out->storage_env.push_back(std::move(entry));
  }
  for (const auto& [name, value] : options.env) {
    out->storage_env.push_back(name + "=" + value);
  }
  for (auto& s : out->storage_argv) out->argv.push_back(s.data());
  out->argv.push_back(nullptr);
  for (auto& s : out->storage_env) out->envp.push_back(s.data());
  out->envp.push_back(nullptr);
}

// Runs in the child: redirect, arrange to die with the parent, exec. On any
// failure writes errno to `error_fd` and exits 127.
[[noreturn]] void ChildExec(const SpawnOptions& options, const ExecArgs& exec,
                            pid_t parent, int error_fd) {
  auto fail = [error_fd]() {
    int err = errno;
    (void)!write(error_fd, &err, sizeof(err));
    _exit(127);
  };
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail();
  if (getppid() != parent) _exit(127);  // the parent died before prctl()
  int in = open("/dev/null", O_RDONLY);
  if (in < 0 || dup2(in, 0) < 0) fail();
  const char* out_path =
      options.stdout_path.empty() ? "/dev/null" : options.stdout_path.c_str();
  const char* err_path =
      options.stderr_path.empty() ? "/dev/null" : options.stderr_path.c_str();
  int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0 || dup2(out, 1) < 0) fail();
  int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (err < 0 || dup2(err, 2) < 0) fail();
  // Whatever else the test process holds open (sockets, files) must not
  // leak into the child; error_fd is close-on-exec already.
  syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) fail();
  // The test process may block or ignore signals; the child starts clean.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
  execve(options.binary.c_str(), exec.argv.data(), exec.envp.data());
  fail();
  _exit(127);  // not reached: fail() exits
}

}  // namespace

std::string ExitStatus::ToString() const {
  if (exited) return "exit " + std::to_string(code);
  return "signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

std::optional<Process> Process::Spawn(const SpawnOptions& options, std::string* error) {
  ExecArgs exec;
  BuildExecArgs(options, &exec);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    *error = std::string("pipe2: ") + strerror(errno);
    return std::nullopt;
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    *error = std::string("fork: ") + strerror(errno);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return std::nullopt;
  }
  if (pid == 0) ChildExec(options, exec, parent, pipe_fds[1]);
  close(pipe_fds[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(pipe_fds[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  close(pipe_fds[0]);
  Process process(pid, options);
  if (n > 0) {  // exec (or a step before it) failed; the child exits 127
    process.Reap(/*block=*/true);
    *error = "cannot run " + options.binary + ": " + strerror(child_errno);
    return std::nullopt;
  }
  return process;
}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      options_(std::move(other.options_)),
      status_(std::move(other.status_)) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    KillAndReap();
    pid_ = std::exchange(other.pid_, -1);
    options_ = std::move(other.options_);
    status_ = std::move(other.status_);
  }
  return *this;
}

Process::~Process() { KillAndReap(); }

void Process::KillAndReap() {
  if (pid_ <= 0 || status_) return;
  ::kill(pid_, SIGKILL);  // works on a stopped child too
  Reap(/*block=*/true);
}

bool Process::Reap(bool block) {
  if (status_) return true;
  if (pid_ <= 0) return false;
  int wstatus = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &wstatus, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return false;
  ExitStatus s;
  if (r < 0) {  // not our child any more: nothing to reap
    s.code = -1;
  } else if (WIFEXITED(wstatus)) {
    s.exited = true;
    s.code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    s.signal = WTERMSIG(wstatus);
  }
  status_ = s;
  return true;
}

bool Process::Kill(int signal) {
  if (pid_ <= 0 || status_) return false;
  return ::kill(pid_, signal) == 0;
}

std::optional<ExitStatus> Process::Wait(std::chrono::milliseconds timeout) {
  // Polls waitpid(WNOHANG) with short naps: awaiting a condition, bounded.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto nap = std::chrono::milliseconds(1);
  while (!Reap(/*block=*/false)) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(nap);
    nap = std::min(nap * 2, std::chrono::milliseconds(20));
  }
  return status_;
}

bool Process::Running() { return !Reap(/*block=*/false); }

std::string Process::ReadStdout() const { return ReadFileOrEmpty(options_.stdout_path); }

std::string Process::ReadStderr() const { return ReadFileOrEmpty(options_.stderr_path); }

std::string ReadFileOrEmpty(const std::string& path) {
  if (path.empty()) return "";
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace datasync::testutil
