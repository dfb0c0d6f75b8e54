#include "testutil/mounts.h"

#include <sched.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "testutil/self_exec.h"
#include "testutil/temp_dir.h"

namespace datasync::testutil {
namespace {

constexpr char kChildEnv[] = "DATASYNC_MOUNT_CHILD";

std::string Failed(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

std::string EnterPrivateMountNamespace() {
  if (unshare(CLONE_NEWNS) != 0) return Failed("unshare(CLONE_NEWNS)");
  // Without this, mounts made here could propagate to the parent namespace.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return Failed("making / private");
  }
  return "";
}

std::string MountTmpfs(const std::string& dir, size_t bytes) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return "cannot create " + dir + ": " + ec.message();
  const std::string data = "size=" + std::to_string(bytes);
  if (mount("tmpfs", dir.c_str(), "tmpfs", 0, data.c_str()) != 0) {
    return Failed("mount -t tmpfs -o " + data + " " + dir);
  }
  return "";
}

std::string ResizeTmpfs(const std::string& dir, size_t bytes) {
  const std::string data = "size=" + std::to_string(bytes);
  if (mount("tmpfs", dir.c_str(), "tmpfs", MS_REMOUNT, data.c_str()) != 0) {
    return Failed("mount -o remount," + data + " " + dir);
  }
  return "";
}

std::string BindReadOnly(const std::string& path) {
  if (mount(path.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return Failed("bind mount of " + path);
  }
  if (mount(nullptr, path.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) !=
      0) {
    return Failed("read-only remount of " + path);
  }
  return "";
}

::testing::AssertionResult RunMountChild(const std::string& child_test,
                                         const std::string& arg,
                                         std::string* skip_reason) {
  TempDir dir("mount-child");
  const std::string log = dir.Sub("child.log");
  const pid_t pid = SpawnSelf(child_test, kChildEnv, arg, log);
  if (pid <= 0) return ::testing::AssertionFailure() << "cannot spawn " << child_test;
  const SelfExit exit = WaitSelf(pid, log);
  if (exit.exited_with(kNoMountsExit)) {
    *skip_reason =
        "cannot make mounts here (needs CAP_SYS_ADMIN; as root, file modes "
        "would not stop writes): " +
        exit.log;
    return ::testing::AssertionSuccess();
  }
  if (exit.exited_with(0) && exit.log.find("[  PASSED  ] 1 test") != std::string::npos) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << child_test << " failed in its child process:\n"
                                       << exit.log;
}

std::optional<std::string> EnterMountChild() {
  const char* arg = std::getenv(kChildEnv);
  if (arg == nullptr) return std::nullopt;
  if (const std::string error = EnterPrivateMountNamespace(); !error.empty()) {
    std::cout << error << std::endl;
    std::_Exit(kNoMountsExit);
  }
  return std::string(arg);
}

}  // namespace datasync::testutil
