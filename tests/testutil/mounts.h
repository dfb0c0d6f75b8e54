// Real storage faults for tests: read-only mounts and small file systems.
//
// Tests run as root, which file modes do not stop, so a read-only data
// directory is a read-only bind mount and a full disk a size-limited tmpfs.
// Mounts are made in a private mount namespace of the calling process (see
// self_exec.h: a freshly spawned, single-threaded child), so they vanish
// with it and its children, whatever way the test ends; nodes spawned from
// it see them. Each function returns "" on success, else what failed.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <string>

namespace datasync::testutil {

// Exit code of a self-spawned child that cannot make mounts here (no
// CAP_SYS_ADMIN): its parent skips the test, saying why.
constexpr int kNoMountsExit = 77;

// unshare(CLONE_NEWNS) and make every mount private. REQUIRES: one thread.
std::string EnterPrivateMountNamespace();
// Mounts a tmpfs of `bytes` on `dir` (created when missing).
std::string MountTmpfs(const std::string& dir, size_t bytes);
// Changes the size of the tmpfs mounted on `dir`; its files stay.
std::string ResizeTmpfs(const std::string& dir, size_t bytes);
// Makes `path` (a file or a directory) read-only by bind-mounting it on
// itself read-only.
std::string BindReadOnly(const std::string& path);

// A test whose mounts must not outlive it runs in two halves. The parent
// calls RunMountChild(), which spawns this test binary again running only
// `child_test` (a DISABLED_ test) with `arg`, waits, sets *skip_reason when
// the child could not make mounts, and fails unless the child exited 0
// (the child's output is in the message). The child's body starts with
// EnterMountChild(): nullopt when run normally (the test then skips), else
// `arg`, in a private mount namespace; it exits kNoMountsExit when it
// cannot have one.
::testing::AssertionResult RunMountChild(const std::string& child_test,
                                         const std::string& arg,
                                         std::string* skip_reason);
std::optional<std::string> EnterMountChild();

}  // namespace datasync::testutil
