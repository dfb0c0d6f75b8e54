#include "testutil/temp_dir.h"

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <vector>

namespace datasync::testutil {

TempDir::TempDir(const std::string& tag) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + tag + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    std::perror(("mkdtemp " + tmpl).c_str());
    std::abort();
  }
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;  // best effort: a failed removal must not fail a test
  std::filesystem::remove_all(path_, ec);
}

}  // namespace datasync::testutil
