// The files connector: open and capture (files_backend.h has the design;
// files_watch.cpp the inotify watches, files_apply.cpp the apply half).
#include "connectors/files/files_backend.h"
#include "connectors/files/files_format.h"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace datasync::files_connector {
namespace {

// Bytes of file content in one captured batch, beyond its first file.
constexpr size_t kBatchBytes = 4 << 20;
// A stat equal to the known one proves nothing when the file was modified
// within the file system's timestamp granularity of our stat: such an
// entry is hashed again.
constexpr int64_t kRacyNs = 2'000'000'000;

int64_t WallNs() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

}  // namespace

FilesBackend::FilesBackend(const ConnectorConfig& config) : config_(config) {
  root_ = config_.target;
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  journal_path_ = root_ + "/.datasync/" + config_.name + ".journal";
}

Status FilesBackend::Open() {
  Close();
  struct stat st;
  if (::stat(root_.c_str(), &st) != 0) {
    return Status::IoError(root_ + ": folder does not exist (" + std::strerror(errno) + ")");
  }
  if (!S_ISDIR(st.st_mode)) return Status::IoError(root_ + ": not a folder");
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  const std::string state_dir = root_ + "/.datasync";
  if (::mkdir(state_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::IoError(state_dir + ": " + std::strerror(errno));
  }
  if (!config_.captures()) return Status::Ok();  // a mirror needs no watching
  inotify_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_ < 0) return Status::IoError(std::string("inotify: ") + std::strerror(errno));
  // Watches first, then the scan: whatever changes after a watch is added
  // is seen by the scan or reported by inotify.
  FullRescan();
  if (wds_.empty() || !watch_error_.empty()) {
    const std::string error =
        watch_error_.empty() ? root_ + ": cannot watch the folder" : watch_error_;
    Close();
    return Status::IoError(error);
  }
  return Status::Ok();
}

void FilesBackend::Close() {
  if (inotify_ >= 0) ::close(inotify_);
  inotify_ = -1;
  wds_.clear();
  watch_error_.clear();
  journal_.Close();
  loaded_ = false;
  in_flight_batch_ = 0;
  in_flight_.clear();
}

uint64_t FilesBackend::BatchOf(const std::string& position) const {
  const size_t colon = position.rfind(':');
  if (colon == std::string::npos || position.substr(0, colon) != instance_) return 0;
  return std::strtoull(position.c_str() + colon + 1, nullptr, 10);
}

Status FilesBackend::Load(const std::string& position) {
  if (loaded_) {
    const uint64_t batch = BatchOf(position);
    if (batch == committed_batch_) return Status::Ok();
    if (in_flight_batch_ != 0 && batch == in_flight_batch_) {
      for (auto& [path, state] : in_flight_) known_[path] = Known{state, Version()};
      in_flight_.clear();
      in_flight_batch_ = 0;
      committed_batch_ = batch;
      journal_.Committed(batch);
      ++journal_lines_;
      return journal_.Flush(false);
    }
  }
  // First use after Open, or a position this instance did not expect:
  // the journal on disk says what is known.
  const size_t colon = position.rfind(':');
  const std::string instance = colon == std::string::npos ? "" : position.substr(0, colon);
  const uint64_t batch =
      colon == std::string::npos ? 0 : std::strtoull(position.c_str() + colon + 1, nullptr, 10);
  Journal::Replayed r;
  Status s = journal_.Open(journal_path_, instance, batch, &r);
  if (!s.ok()) return s;
  instance_ = r.instance;
  known_ = std::move(r.known);
  applied_vv_ = r.applied_vv;
  last_batch_ = r.last_batch;
  journal_lines_ = r.lines;
  in_flight_.clear();
  in_flight_batch_ = 0;
  committed_batch_ = instance == instance_ ? batch : 0;
  if (committed_batch_ > 0) journal_.Committed(committed_batch_);  // later replays need it
  if (r.last_apply_path) {
    // The process may have died between journaling an apply and renaming
    // the file into place: then the file is still the one before.
    Disk disk;
    const std::string& path = *r.last_apply_path;
    const Known& now = known_[path];
    (void)Look(path, false, &disk);
    auto hash = [](const std::optional<FileState>& f) { return f ? f->hash : std::string(); };
    if (hash(disk.file) != hash(now.file) &&
        hash(disk.file) == hash(r.last_apply_before.file)) {
      known_[path] = r.last_apply_before;
    }
  }
  // Deleted while nobody watched: every known file is looked at again.
  for (const auto& [path, k] : known_) {
    if (k.file && config_.captures()) dirty_.insert(path);
  }
  loaded_ = true;
  return journal_.Flush(false);
}

Result<bool> FilesBackend::Poll() {
  Status s = CheckRoot();
  if (s.ok()) s = ProcessEvents();
  if (!s.ok()) return s;
  return !dirty_.empty();
}

const Known* FilesBackend::KnownOf(const std::string& rel) const {
  auto f = in_flight_.find(rel);
  if (f != in_flight_.end()) {
    scratch_ = Known{f->second, Version()};
    return &scratch_;
  }
  auto k = known_.find(rel);
  return k == known_.end() ? nullptr : &k->second;
}

FilesBackend::Seen FilesBackend::Look(const std::string& rel, bool trust_stat, Disk* disk) {
  *disk = Disk();
  const Known* known = KnownOf(rel);
  const bool had = known != nullptr && known->file.has_value();
  struct stat st;
  if (::lstat(Abs(rel).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return had ? Seen::kChanged : Seen::kSame;
  }
  if (static_cast<uint64_t>(st.st_size) > config_.max_file_size) {
    disk->error = std::to_string(st.st_size) + " bytes, more than max_file_size " +
                  std::to_string(config_.max_file_size) + ": not synced";
    disk->size = static_cast<uint64_t>(st.st_size);
    disk->mtime_ns = MtimeNs(st);
    return Seen::kBad;
  }
  if (had && known->file->size == static_cast<uint64_t>(st.st_size) &&
      known->file->mtime_ns == MtimeNs(st) && known->file->ino == st.st_ino &&
      (trust_stat || known->file->seen_ns > MtimeNs(st) + kRacyNs)) {
    disk->file = known->file;
    return Seen::kSame;
  }
  const int fd = ::open(Abs(rel).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return had ? Seen::kChanged : Seen::kSame;
    disk->error = std::string("cannot read: ") + std::strerror(errno);
    disk->size = static_cast<uint64_t>(st.st_size);
    disk->mtime_ns = MtimeNs(st);
    return Seen::kBad;
  }
  struct stat before, after;
  if (::fstat(fd, &before) != 0) {
    ::close(fd);
    return Seen::kGrowing;
  }
  bool ok = true;
  // One byte more than the size: a file that grew is noticed.
  disk->content.resize(static_cast<size_t>(before.st_size) + 1);
  size_t got = 0;
  while (ok && got < disk->content.size()) {
    const ssize_t n = ::read(fd, disk->content.data() + got, disk->content.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = n == 0;
      break;
    }
    got += static_cast<size_t>(n);
  }
  ok = ok && ::fstat(fd, &after) == 0;
  ::close(fd);
  // Written to while we read: look again once the writer pauses.
  if (!ok || got != static_cast<size_t>(before.st_size) || after.st_size != before.st_size ||
      MtimeNs(after) != MtimeNs(before)) {
    return Seen::kGrowing;
  }
  disk->content.resize(got);
  FileState state{HashOf(disk->content), got, MtimeNs(before),
                  static_cast<uint64_t>(before.st_ino), WallNs()};
  disk->file = state;
  if (had && known->file->hash == state.hash) {
    // Same bytes (touched, or our own rename): remember the new stat.
    auto k = known_.find(rel);
    if (k != known_.end() && k->second.file && !in_flight_.count(rel)) k->second.file = state;
    return Seen::kSame;
  }
  return Seen::kChanged;
}

Status FilesBackend::ReadChanges(const std::string& after, size_t max, ConnectorCaptured* out,
                                 std::vector<ConnectorFailure>* failures) {
  Status s = Load(after);
  if (!s.ok()) return s;
  if (in_flight_batch_ != 0) {
    // The node did not commit it: those paths are looked at again.
    for (const auto& [path, state] : in_flight_) dirty_.insert(path);
    in_flight_.clear();
    in_flight_batch_ = 0;
  }
  const std::string collection = config_.map[0].collection;
  size_t bytes = 0;
  for (auto it = dirty_.begin(); it != dirty_.end() && out->changes.size() < max &&
                                 bytes < kBatchBytes;) {
    const std::string path = *it;
    const std::optional<std::string> key = KeyOfPath(config_, path);
    if (!key) {
      it = dirty_.erase(it);
      continue;
    }
    Disk disk;
    Seen seen = Look(path, false, &disk);
    if (seen == Seen::kGrowing) {
      ++it;
      continue;
    }
    it = dirty_.erase(it);
    CapturedChange change;
    change.collection = collection;
    change.key = *key;
    change.deleted = !disk.file.has_value();
    if (seen == Seen::kChanged && disk.file &&
        !FileToValue(config_, std::move(disk.content), &change.value, &disk.error)) {
      seen = Seen::kBad;
      disk.size = disk.file->size;
      disk.mtime_ns = disk.file->mtime_ns;
    }
    if (seen == Seen::kBad) {
      // Once per version of the file, not at every look.
      auto& last = reported_[path];
      if (last != std::make_pair(disk.size, disk.mtime_ns)) {
        last = {disk.size, disk.mtime_ns};
        failures->push_back({collection, *key, disk.error});
      }
      continue;
    }
    reported_.erase(path);
    if (seen == Seen::kSame) continue;
    bytes += change.value.size();
    in_flight_[path] = disk.file;
    out->changes.push_back(std::move(change));
  }
  if (out->changes.empty()) return Status::Ok();
  const uint64_t batch = ++last_batch_;
  for (const auto& [path, state] : in_flight_) journal_.Captured(batch, path, state);
  journal_lines_ += in_flight_.size();
  // Synced before the node can commit the batch: a batch the node holds is
  // always in the journal, so a crash cannot make it captured twice.
  s = journal_.Flush(true);
  if (!s.ok()) {
    for (const auto& [path, state] : in_flight_) dirty_.insert(path);
    in_flight_.clear();
    out->changes.clear();
    return s;
  }
  in_flight_batch_ = batch;
  out->position = instance_ + ":" + std::to_string(batch);
  return Status::Ok();
}

Status FilesBackend::Consumed(const std::string& position) {
  Status s = Load(position);
  return s.ok() ? MaybeCompact() : s;
}

Status FilesBackend::MaybeCompact() {
  // The journal is read whole at every open: keep it near the state's size.
  // Not while a batch is in flight: its lines must stay until it is known
  // to be committed or not.
  if (in_flight_batch_ != 0 || journal_lines_ <= 4096 || journal_lines_ <= 4 * known_.size()) {
    return Status::Ok();
  }
  Status s = journal_.Compact(instance_, known_, applied_vv_, last_batch_);
  if (s.ok()) journal_lines_ = known_.size() + 3;
  return s;
}

Result<uint64_t> FilesBackend::Backlog(const std::string&) { return dirty_.size(); }

Result<VersionVector> FilesBackend::AppliedVector() {
  // The vector does not depend on which capture batches are committed.
  if (!loaded_) {
    Journal::Replayed r;
    Journal peek;
    Status s = peek.Open(journal_path_, "", 0, &r);
    if (!s.ok()) return s;
    return r.applied_vv;
  }
  return applied_vv_;
}

Status FilesBackend::Uninstall() {
  Close();
  if (::unlink(journal_path_.c_str()) != 0 && errno != ENOENT) {
    return Status::IoError(journal_path_ + ": " + std::strerror(errno));
  }
  ::rmdir((root_ + "/.datasync").c_str());  // unless other connectors' journals are there
  return Status::Ok();
}

}  // namespace datasync::files_connector

namespace datasync {

std::unique_ptr<ConnectorBackend> MakeFilesBackend(const ConnectorConfig& config) {
  return std::make_unique<files_connector::FilesBackend>(config);
}

}  // namespace datasync
