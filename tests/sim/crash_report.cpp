#include "sim/crash_report.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace datasync::sim {

namespace {

// Written before the run and only read by the handler, which may only use
// async-signal-safe calls: hence a fixed buffer and write(2).
char g_message[512];
size_t g_length = 0;
// The actions installed before ours (a sanitizer's, say), restored whole
// (flags and all) so they still get their siginfo.
struct sigaction g_previous_abrt;
struct sigaction g_previous_segv;

void OnFatalSignal(int sig) {
  if (g_length > 0) {
    ssize_t ignored = write(STDERR_FILENO, g_message, g_length);
    (void)ignored;
  }
  sigaction(sig, sig == SIGABRT ? &g_previous_abrt : &g_previous_segv, nullptr);
  // A fault re-executes the faulting instruction on return, reaching the
  // restored action; an abort must be raised again.
  if (sig != SIGSEGV) raise(sig);
}

}  // namespace

CrashReportScope::CrashReportScope(const std::string& replay_command) {
  static const char kPrefix[] = "\n*** simulation died; replay with: ";
  const std::string text = kPrefix + replay_command + "\n";
  g_length = std::min(text.size(), sizeof(g_message));
  std::memcpy(g_message, text.data(), g_length);
  struct sigaction ours;
  std::memset(&ours, 0, sizeof(ours));
  ours.sa_handler = OnFatalSignal;
  sigemptyset(&ours.sa_mask);
  sigaction(SIGABRT, &ours, &g_previous_abrt);
  sigaction(SIGSEGV, &ours, &g_previous_segv);
}

CrashReportScope::~CrashReportScope() {
  g_length = 0;
  sigaction(SIGABRT, &g_previous_abrt, nullptr);
  sigaction(SIGSEGV, &g_previous_segv, nullptr);
}

}  // namespace datasync::sim
