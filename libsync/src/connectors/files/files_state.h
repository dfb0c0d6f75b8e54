// What the files connector knows of its folder, and the journal that keeps
// it across restarts (files_backend.h has the design). Private to
// libsync/src/connectors/files; one thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "datasync/status.h"
#include "datasync/version.h"
#include "datasync/version_vector.h"

namespace datasync::files_connector {

// One file as last captured or applied. The stat fields let a rescan skip
// reading a file that has not changed since.
struct FileState {
  std::string hash;  // 32 hex digits of XXH3-128 of the content
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t ino = 0;
  int64_t seen_ns = 0;  // wall clock when the stat was taken
  bool operator==(const FileState&) const = default;
};

// A path's known state: a file, or known absent (deleted), with the version
// of the record last applied to it (none for a captured change).
struct Known {
  std::optional<FileState> file;
  Version version;
};

// The XXH3-128 of `bytes`, as FileState::hash.
std::string HashOf(std::string_view bytes);

// True when `key` is a path this connector syncs: relative, '/'-separated,
// no empty, "." or ".." component, no component starting with '.', no NUL.
bool IsSyncedPath(std::string_view key);

// The journal: an append-only text file of the known state's changes, one
// line each (files_state.cpp has the grammar). Capture lines carry the batch
// number they were sent in, and count only once that batch is known to be
// committed by the node: a `K` line, or the position the node holds.
class Journal {
 public:
  struct Replayed {
    std::string instance;
    std::map<std::string, Known> known;
    VersionVector applied_vv;
    uint64_t last_batch = 0;  // highest batch number written
    // The last apply line: the file may not have been renamed into place
    // when the process died. `before` is the state it replaced.
    std::optional<std::string> last_apply_path;
    Known last_apply_before;
    uint64_t lines = 0;
  };

  ~Journal() { Close(); }

  // Reads `path` (creating it with a new instance id when absent) and
  // replays it, counting batch `committed` as committed when `instance`
  // matches. Leaves the file open for appending.
  Status Open(const std::string& path, const std::string& instance, uint64_t committed,
              Replayed* out);
  void Close();

  void Captured(uint64_t batch, const std::string& path, const std::optional<FileState>& s);
  void Committed(uint64_t batch);
  void Applied(const std::string& path, const Version& v, const std::optional<FileState>& s);
  void AppliedVector(const VersionVector& vv);
  // Writes the buffered lines; with `durable`, also fdatasync.
  Status Flush(bool durable);
  // Replaces the file by one holding only this state (written whole and
  // synced before the rename). REQUIRES: no capture batch in flight.
  Status Compact(const std::string& instance, const std::map<std::string, Known>& known,
                 const VersionVector& vv, uint64_t last_batch);

 private:
  std::string path_;
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace datasync::files_connector
