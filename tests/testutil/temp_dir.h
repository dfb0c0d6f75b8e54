// TempDir: a fresh directory under $TMPDIR (or /tmp), removed with all its
// contents when the object goes away, so tests that need real files leave
// nothing behind, pass or fail. One owner; not thread-safe.
#pragma once

#include <string>

namespace datasync::testutil {

class TempDir {
 public:
  // `tag` goes into the directory name, to tell leftovers of a crashed run
  // apart. Aborts when no directory can be made (a broken machine).
  explicit TempDir(const std::string& tag = "datasync");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace datasync::testutil
