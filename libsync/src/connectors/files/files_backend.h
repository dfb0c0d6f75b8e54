// FilesBackend: the ConnectorBackend of a folder (files_backend.cpp: open,
// watch, capture; files_apply.cpp: apply). A record is one regular file:
// key = its path relative to the folder, '/'-separated; value = its bytes.
// Not synced: symlinks, special files, empty directories, and every file or
// directory whose name starts with '.' (so also the connector's state
// directory `.datasync/` and its temporary files `.datasync.tmp.*`).
//
// What the connector knows of each path (the hash and stat of the content
// it last captured or applied) lives in a journal in the folder itself,
// `.datasync/<connector>.journal` (files_state.h), so a folder moved or
// replaced starts afresh like a replaced SQLite file.
//
// Capture: inotify marks paths dirty; a full rescan at open and after an
// inotify queue overflow marks every path. A dirty path whose content
// (hash) differs from the known one becomes a change. Each batch's new
// states are journaled and synced, numbered, before the batch is sent; the
// node commits the batch number as the position, so after a crash the
// journal counts exactly the batches the node holds: a file changed while
// the node was down differs from the known state and is captured once; an
// unchanged one is not captured again.
// Apply: write to a temporary file beside the target, journal the new known
// state, rename into place. No loops: capture compares with the known
// state, which already holds what was applied.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "connectors/connector_backend.h"
#include "connectors/files/files_state.h"

namespace datasync::files_connector {

class FilesBackend : public ConnectorBackend {
 public:
  explicit FilesBackend(const ConnectorConfig& config);
  ~FilesBackend() override { Close(); }

  Status Open() override;
  void Close() override;
  Result<bool> Poll() override;
  Status ReadChanges(const std::string& after, size_t max, ConnectorCaptured* out,
                     std::vector<ConnectorFailure>* failures) override;
  Status Consumed(const std::string& position) override;
  Result<uint64_t> Backlog(const std::string& after) override;
  Status Apply(const ConnectorApply& batch, const std::string& captured_after,
               ApplyResult* result) override;
  Result<VersionVector> AppliedVector() override;
  Status Uninstall() override;

 private:
  // What is at a path now, compared with what is known.
  // kGrowing: written to while we read it; kBad: too big or unreadable.
  enum class Seen { kSame, kChanged, kGrowing, kBad };
  struct Disk {
    std::optional<FileState> file;  // absent: no regular file there
    std::string content;            // read when the state had to be hashed
    std::string error;              // kBad: why
    uint64_t size = 0;              // kBad: the stat that was refused
    int64_t mtime_ns = 0;
  };

  std::string Abs(const std::string& rel) const { return root_ + "/" + rel; }
  // The batch number of `position` in this folder's instance; 0 otherwise.
  uint64_t BatchOf(const std::string& position) const;
  // Replays the journal for committed position `position` unless done.
  Status Load(const std::string& position);
  Status CheckRoot();
  // Rewrites the journal as the known state once it has grown well past it.
  Status MaybeCompact();
  Status ProcessEvents();
  // Adds watches under `rel` (a directory) and marks its files dirty.
  void ScanDir(const std::string& rel, std::unordered_map<int, std::string>* wds);
  void FullRescan();
  // The known state, with the batch in flight taken into account.
  const Known* KnownOf(const std::string& rel) const;
  // Compares the file at `rel` with its known state. `trust_stat`: an
  // equal stat means equal content even when recent (see kRacyNs).
  Seen Look(const std::string& rel, bool trust_stat, Disk* disk);
  Status ApplyRecord(const Record& r, ApplyResult* result, std::string* failure);
  Status WriteFile(const std::string& rel, const std::string& content, const Version& version,
                   std::string* failure);
  void RemoveEmptyParents(const std::string& rel);

  ConnectorConfig config_;
  std::string root_;
  std::string journal_path_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  int inotify_ = -1;
  std::unordered_map<int, std::string> wds_;  // watch -> directory, "" for the root
  std::string watch_error_;                   // a directory that could not be watched
  uint64_t next_stat_ms_ = 0;

  Journal journal_;
  bool loaded_ = false;
  std::string instance_;
  std::map<std::string, Known> known_;
  VersionVector applied_vv_;
  uint64_t last_batch_ = 0;
  uint64_t committed_batch_ = 0;  // the batch of the position loaded for
  uint64_t journal_lines_ = 0;
  uint64_t in_flight_batch_ = 0;
  std::map<std::string, std::optional<FileState>> in_flight_;
  std::set<std::string> dirty_;
  // Too big to capture, by path, with the (size, mtime) reported last: one
  // report per version of the file.
  std::map<std::string, std::pair<uint64_t, int64_t>> reported_;
  uint64_t tmp_counter_ = 0;
  mutable Known scratch_;  // KnownOf's answer for a path in flight
};

}  // namespace datasync::files_connector
