#include "sim/crash_report.h"

#include <algorithm>
#include <csignal>
#include <cstring>
#include <unistd.h>

namespace datasync::sim {

namespace {

// Written before the run and only read by the handler, which may only use
// async-signal-safe calls: hence a fixed buffer and write(2).
char g_message[512];
size_t g_length = 0;
// What was installed before us (a sanitizer's handler, say) runs after us.
void (*g_previous_abrt)(int) = SIG_DFL;
void (*g_previous_segv)(int) = SIG_DFL;

void OnFatalSignal(int sig) {
  if (g_length > 0) {
    ssize_t ignored = write(STDERR_FILENO, g_message, g_length);
    (void)ignored;
  }
  auto previous = sig == SIGABRT ? g_previous_abrt : g_previous_segv;
  std::signal(sig, previous == SIG_ERR ? SIG_DFL : previous);
  std::raise(sig);
}

}  // namespace

CrashReportScope::CrashReportScope(const std::string& replay_command) {
  static const char kPrefix[] = "\n*** simulation died; replay with: ";
  std::string text = kPrefix + replay_command + "\n";
  g_length = std::min(text.size(), sizeof(g_message));
  std::memcpy(g_message, text.data(), g_length);
  g_previous_abrt = std::signal(SIGABRT, OnFatalSignal);
  g_previous_segv = std::signal(SIGSEGV, OnFatalSignal);
}

CrashReportScope::~CrashReportScope() {
  g_length = 0;
  std::signal(SIGABRT, g_previous_abrt == SIG_ERR ? SIG_DFL : g_previous_abrt);
  std::signal(SIGSEGV, g_previous_segv == SIG_ERR ? SIG_DFL : g_previous_segv);
}

}  // namespace datasync::sim
