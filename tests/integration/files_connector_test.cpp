// The files connector end to end (issue "Connectors I"): real sync-node
// processes, real folders written by the test as the application, real
// SQLite application files. Both ways with SQLite applications, folder to
// folder with nested and binary files, no loops, kill -9 while files
// change, a folder removed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "folder_scenario.h"

namespace datasync::testutil {
namespace {

class FilesConnectorIt : public ::testing::Test {
 protected:
  Cluster cluster_;

  std::string Folder(const std::string& name) {
    const std::string dir = cluster_.dir() + "/" + name;
    ::mkdir(dir.c_str(), 0755);
    return dir;
  }

  // Nodes `ids`, static peers of each other, node i with the connectors
  // `entries[i]`; started, connected, every connector running.
  ::testing::AssertionResult Start(const std::vector<std::string>& ids,
                                   const std::vector<std::string>& entries) {
    for (size_t i = 0; i < ids.size(); ++i) {
      cluster_.AddNode({.id = ids[i],
                        .use_coordinator = false,
                        .static_peers = Others(ids, ids[i]),
                        .extra_yaml = "connectors:\n" + entries[i]});
    }
    for (const auto& id : ids) {
      if (auto started = cluster_.StartNode(id); !started) return started;
    }
    for (const auto& id : ids) {
      if (auto up = WaitPeersConnected(cluster_, id, Others(ids, id)); !up) return up;
    }
    return ::testing::AssertionSuccess();
  }

  // Own writes of `id` stay put for a while: no echo traffic.
  bool Quiet(const std::string& id, uint64_t expected) {
    return !WaitUntil([&] { return OwnWritesOf(cluster_, id) != expected; }, 1500ms);
  }
};

TEST_F(FilesConnectorIt, SqliteApplicationsAndAFolderFollowEachOtherBothWays) {
  AppDb db_a(cluster_.dir() + "/app-a.db", kJsonItemsSchema);
  AppDb db_b(cluster_.dir() + "/app-b.db", kJsonItemsSchema);
  const std::string folder = Folder("folder-c");
  ASSERT_TRUE(Start({"a", "b", "c"},
                    {SqliteConnectorEntry("app", db_a.path()),
                     SqliteConnectorEntry("app", db_b.path()),
                     FilesConnectorEntry("app", folder, ", format: json")}));
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(WaitNamedConnector(cluster_, id, "app", "running"));

  ASSERT_TRUE(RunSqliteApp(db_a.path(),
                           "INSERT INTO items VALUES (1, 'pen', 10), (2, 'ink', 5), (3, 'cup', 1);\n"
                           "UPDATE items SET qty = 7 WHERE id = 1;\n"
                           "DELETE FROM items WHERE id = 2;\n"));
  ASSERT_TRUE(WaitSameMaps([&] { return ReadFolder(folder); }, [&] { return RowsAsFiles(db_a); }));
  ASSERT_TRUE(WaitSameMaps([&] { return RowsAsFiles(db_b); }, [&] { return RowsAsFiles(db_a); }));
  EXPECT_EQ(ReadFolder(folder)["1.json"], "{\"id\":1,\"name\":\"pen\",\"qty\":7}\n");

  // The reverse: the folder's application writes, changes and deletes files.
  WriteFileAtomically(folder, "4.json", "{\"id\":4,\"name\":\"bowl\",\"qty\":2}");
  WriteFileAtomically(folder, "3.json", "{\"id\":3,\"name\":\"cup\",\"qty\":99}");
  ASSERT_EQ(::unlink((folder + "/1.json").c_str()), 0);
  WriteFileAtomically(folder, "notes.txt", "not a row: not synced in format json");
  ASSERT_TRUE(WaitUntil([&] { return db_a.Scalar("SELECT group_concat(id || ':' || qty) FROM "
                                                 "(SELECT * FROM items ORDER BY id)") ==
                                     std::optional<std::string>("3:99,4:2"); },
                        20s));
  ASSERT_TRUE(WaitSameMaps([&] { return RowsAsFiles(db_b); }, [&] { return RowsAsFiles(db_a); }));
  ASSERT_TRUE(cluster_.WaitConverged({"a", "b", "c"}, 10s));

  // No loops: each node wrote only its application's changes (a: 3 inserts,
  // 1 update, 1 delete; c: 3 files), and nothing moves once writes stop.
  EXPECT_EQ(OwnWritesOf(cluster_, "a"), 5u);
  EXPECT_EQ(OwnWritesOf(cluster_, "b"), 0u);
  EXPECT_EQ(OwnWritesOf(cluster_, "c"), 3u);
  EXPECT_TRUE(Quiet("c", 3)) << StatusDump(cluster_, {"a", "b", "c"});
  EXPECT_TRUE(Quiet("a", 5));
}

TEST_F(FilesConnectorIt, FolderToFolderNestedBinaryBigAndUnsyncedFiles) {
  const std::string fa = Folder("fa"), fb = Folder("fb");
  ASSERT_TRUE(Start({"a", "b"}, {FilesConnectorEntry("app", fa, ", max_file_size: 1000"),
                                 FilesConnectorEntry("app", fb, ", max_file_size: 1000")}));
  for (const char* id : {"a", "b"}) ASSERT_TRUE(WaitNamedConnector(cluster_, id, "app", "running"));
  std::filesystem::create_directories(fa + "/docs/2026");
  WriteFileAtomically(fa, "top.txt", "hello");
  WriteFileAtomically(fa, "docs/2026/report.bin", std::string("\0\xff\x01 bytes\n", 10));
  WriteFileAtomically(fa, "docs/empty", "");
  WriteFileAtomically(fa, ".hidden", "dot-files are not synced");
  ASSERT_EQ(::symlink("top.txt", (fa + "/link").c_str()), 0);
  WriteFileAtomically(fa, "big.bin", std::string(1001, 'x'));  // over max_file_size
  auto synced = [&] {
    auto m = ReadFolder(fa);
    m.erase("big.bin");
    m.erase("link");
    return m;
  };
  ASSERT_TRUE(WaitSameMaps([&] { return ReadFolder(fb); }, synced));
  EXPECT_EQ(ReadFolder(fb).size(), 3u);
  struct stat st;
  EXPECT_NE(::lstat((fb + "/.hidden").c_str(), &st), 0);
  // The big file is counted and logged with its key, not truncated.
  ASSERT_TRUE(WaitUntil([&] { return cluster_.Counter("a", "connector.app.failed").value_or(0) >= 1; }, 10s));
  EXPECT_NE(cluster_.LogTail("a", 20000).find("big.bin"), std::string::npos);

  // Changes and deletes the other way; an emptied directory goes too.
  WriteFileAtomically(fb, "top.txt", "changed at b");
  ASSERT_EQ(::unlink((fb + "/docs/2026/report.bin").c_str()), 0);
  ASSERT_TRUE(WaitSameMaps([&] { return synced(); }, [&] { return ReadFolder(fb); }));
  EXPECT_NE(::stat((fa + "/docs/2026").c_str(), &st), 0) << "emptied directory left behind";
  ASSERT_TRUE(cluster_.WaitConverged({"a", "b"}, 10s));
  EXPECT_EQ(OwnWritesOf(cluster_, "a"), 3u);  // top.txt, report.bin, docs/empty
  EXPECT_EQ(OwnWritesOf(cluster_, "b"), 2u);
  EXPECT_TRUE(Quiet("a", 3));
  EXPECT_TRUE(Quiet("b", 2));
}

TEST_F(FilesConnectorIt, KillNineWhileFilesChangeCapturesEveryChangeOnce) {
  const std::string fa = Folder("fa"), fb = Folder("fb");
  ASSERT_TRUE(Start({"a", "b"}, {FilesConnectorEntry("app", fa), FilesConnectorEntry("app", fb)}));
  for (const char* id : {"a", "b"}) ASSERT_TRUE(WaitNamedConnector(cluster_, id, "app", "running"));
  // The application writes new files, about one a millisecond (its own
  // pace), before, during and after the node's downtime.
  std::atomic<int> written{0};
  std::atomic<bool> stop{false};
  std::thread app([&] {
    for (int i = 0; !stop; ++i) {
      WriteFileAtomically(fa, "f" + std::to_string(i), "v1 of " + std::to_string(i));
      written = i + 1;
      std::this_thread::sleep_for(1ms);
    }
  });
  auto stop_app = [&] {
    stop = true;
    if (app.joinable()) app.join();
  };
  ASSERT_TRUE(WaitUntil([&] { return OwnWritesOf(cluster_, "a") >= 100; }, 30s)) << (stop_app(), "");
  ASSERT_TRUE(cluster_.KillNode("a", SIGKILL)) << (stop_app(), "");
  const int at_kill = written;
  // While a is down, besides the new files: 20 changed, 10 deleted, 10 new
  // in a subdirectory; the rest untouched.
  for (int i = 0; i < 20; ++i) WriteFileAtomically(fa, "f" + std::to_string(i), "v2");
  for (int i = 20; i < 30; ++i) EXPECT_EQ(::unlink((fa + "/f" + std::to_string(i)).c_str()), 0);
  ::mkdir((fa + "/sub").c_str(), 0755);
  for (int i = 0; i < 10; ++i) WriteFileAtomically(fa, "sub/new" + std::to_string(i), "n");
  EXPECT_TRUE(WaitUntil([&] { return written >= at_kill + 50; }, 10s));
  ASSERT_TRUE(cluster_.StartNode("a")) << (stop_app(), "");
  ASSERT_TRUE(WaitNamedConnector(cluster_, "a", "app", "running")) << (stop_app(), "");
  const int at_restart = written;
  EXPECT_TRUE(WaitUntil([&] { return written >= at_restart + 50; }, 10s));
  stop_app();
  ASSERT_TRUE(WaitSameMaps([&] { return ReadFolder(fb); }, [&] { return ReadFolder(fa); }, 60s));
  ASSERT_TRUE(cluster_.WaitConverged({"a", "b"}, 20s));
  // One node write per change: every new file, 20 + 10 + 10 more; none
  // missed, none twice, and the untouched files not captured again.
  const uint64_t changes = static_cast<uint64_t>(written) + 40;
  EXPECT_EQ(OwnWritesOf(cluster_, "a"), changes);
  EXPECT_EQ(OwnWritesOf(cluster_, "b"), 0u);
  EXPECT_TRUE(Quiet("a", changes));
}

TEST_F(FilesConnectorIt, RemovedFolderIsReportedWhileEverythingElseSyncsThenRefilled) {
  const std::string fa = Folder("fa"), fb = Folder("fb"), fb2 = Folder("fb2");
  ASSERT_TRUE(Start({"a", "b"}, {FilesConnectorEntry("app", fa),
                                 FilesConnectorEntry("app", fb) +
                                     FilesConnectorEntry("other", fb2, ", direction: apply-only")}));
  ASSERT_TRUE(WaitNamedConnector(cluster_, "b", "app", "running"));
  WriteFileAtomically(fa, "one", "1");
  ASSERT_TRUE(WaitSameMaps([&] { return ReadFolder(fb); }, [&] { return ReadFolder(fa); }));
  // The folder disappears from its path (moved away, as a user might).
  ASSERT_EQ(::rename(fb.c_str(), (fb + ".gone").c_str()), 0);
  ASSERT_TRUE(WaitNamedConnector(cluster_, "b", "app", "retrying"));
  auto status = cluster_.Status("b");
  ASSERT_TRUE(status);
  EXPECT_NE((*status)["info"]["connector.app.last_error"].str().find(fb), std::string::npos)
      << (*status)["info"]["connector.app.last_error"].str();
  // The node keeps syncing: its store and its other connector follow.
  WriteFileAtomically(fa, "two", "2");
  ASSERT_TRUE(WaitSameMaps([&] { return ReadFolder(fb2); }, [&] { return ReadFolder(fa); }));
  ASSERT_TRUE(cluster_.WaitConverged({"a", "b"}, 10s));
  EXPECT_TRUE(cluster_.NodeRunning("b"));
  // A new folder at the path gets everything.
  ASSERT_EQ(::mkdir(fb.c_str(), 0755), 0);
  ASSERT_TRUE(WaitSameMaps([&] { return ReadFolder(fb); }, [&] { return ReadFolder(fa); }, 30s));
  ASSERT_TRUE(WaitNamedConnector(cluster_, "b", "app", "running"));
  EXPECT_GE(cluster_.Counter("b", "connector.app.errors").value_or(0), 1u);
  EXPECT_EQ(OwnWritesOf(cluster_, "b"), 0u);
}

}  // namespace
}  // namespace datasync::testutil
