// CrashReportScope: names the running seed if the process dies mid-run.
//
// A SYNC_CHECK in the replica or a sanitizer abort would otherwise kill the
// test binary without saying which of hundreds of seeds did it. While a
// scope is alive, SIGABRT and SIGSEGV print its replay command to stderr
// before the default action runs.
#pragma once

#include <string>

namespace datasync::sim {

class CrashReportScope {
 public:
  explicit CrashReportScope(const std::string& replay_command);
  ~CrashReportScope();
  CrashReportScope(const CrashReportScope&) = delete;
  CrashReportScope& operator=(const CrashReportScope&) = delete;
};

}  // namespace datasync::sim
