// The apply half of FilesBackend: each record becomes a file written to a
// temporary beside its target and renamed into place, or a file removed.
// The journal line comes before the rename, so the known state already
// holds the applied content when inotify reports our own rename (no loop),
// and a crash between the two is recognised at the next load (the file is
// still the one before: files_backend.cpp, Load).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "connectors/files/files_backend.h"
#include "connectors/files/files_format.h"

namespace datasync::files_connector {
namespace {

int64_t WallNs() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
}

// Errors that concern one record's path, which retrying cannot cure; the
// others (disk full, I/O error, the folder gone) are the folder's and the
// whole batch waits.
bool IsRecordError(int err) {
  switch (err) {
    case EACCES:
    case EPERM:
    case ENAMETOOLONG:
    case ENOTDIR:
    case EISDIR:
    case EEXIST:
    case EINVAL:
    case ELOOP:
    case EFBIG:
      return true;
    default:
      return false;
  }
}

}  // namespace

Status FilesBackend::Apply(const ConnectorApply& batch, const std::string& captured_after,
                           ApplyResult* result) {
  Status s = Load(captured_after);
  // What the application changed up to now must be known as dirty first.
  if (s.ok()) s = ProcessEvents();
  if (!s.ok()) return s;
  for (const Record& r : batch.records) {
    std::string failure;
    s = ApplyRecord(r, result, &failure);
    if (!s.ok()) return s;
    if (!failure.empty()) result->failures.push_back({r.collection, r.key, failure});
  }
  if (batch.has_vv) {
    applied_vv_ = batch.vv;
    journal_.AppliedVector(batch.vv);
    ++journal_lines_;
  }
  s = journal_.Flush(false);
  return s.ok() ? MaybeCompact() : s;
}

Status FilesBackend::ApplyRecord(const Record& r, ApplyResult* result, std::string* failure) {
  if (r.collection != config_.map[0].collection) {
    *failure = "collection " + r.collection + " is not mapped";
    return Status::Ok();
  }
  const std::string rel = PathOfKey(config_, r.key);
  if (!IsSyncedPath(rel)) {
    *failure = "not a path this connector writes (relative, '/'-separated, no empty, '..' "
               "or dot-named part)";
    return Status::Ok();
  }
  if (in_flight_.count(rel)) {
    ++result->skipped;  // a capture of this path is being committed: it wins
    return Status::Ok();
  }
  auto k = known_.find(rel);
  if (k != known_.end() && !k->second.version.origin.empty() &&
      !Supersedes(r.version, k->second.version)) {
    ++result->skipped;  // this version, or a newer one, is already here
    return Status::Ok();
  }
  Disk disk;
  const Seen seen = Look(rel, !dirty_.count(rel), &disk);
  if (seen == Seen::kBad) {
    *failure = "a file that is not synced is in the way (" + disk.error + ")";
    return Status::Ok();
  }
  if (seen != Seen::kSame && config_.captures()) {
    // Changed by the application and not captured yet: that change will be
    // a newer write than this record, so it wins.
    dirty_.insert(rel);
    ++result->skipped;
    return Status::Ok();
  }
  if (r.deleted) {
    journal_.Applied(rel, r.version, std::nullopt);
    Status s = journal_.Flush(false);
    if (!s.ok()) return s;
    if (::unlink(Abs(rel).c_str()) != 0 && errno != ENOENT) {
      const int err = errno;
      // The journal must not claim what did not happen.
      journal_.Applied(rel, k == known_.end() ? Version() : k->second.version, disk.file);
      s = journal_.Flush(false);
      if (!s.ok()) return s;
      if (!IsRecordError(err)) return Status::IoError(Abs(rel) + ": " + std::strerror(err));
      *failure = std::string("cannot remove: ") + std::strerror(err);
      return Status::Ok();
    }
    if (disk.file) RemoveEmptyParents(rel);
    known_[rel] = Known{std::nullopt, r.version};
    ++journal_lines_;
    ++result->applied;
    return Status::Ok();
  }
  std::string content;
  if (!ValueToFile(config_, r.value, &content, failure)) return Status::Ok();
  if (content.size() > config_.max_file_size) {
    *failure = std::to_string(content.size()) + " bytes, more than max_file_size " +
               std::to_string(config_.max_file_size) + ": not written";
    return Status::Ok();
  }
  if (seen == Seen::kSame && disk.file && disk.file->hash == HashOf(content)) {
    journal_.Applied(rel, r.version, disk.file);  // already there: only the version
    known_[rel] = Known{disk.file, r.version};
  } else {
    Status s = WriteFile(rel, content, r.version, failure);
    if (!s.ok() || !failure->empty()) return s;
  }
  ++journal_lines_;
  ++result->applied;
  return Status::Ok();
}

Status FilesBackend::WriteFile(const std::string& rel, const std::string& content,
                               const Version& version, std::string* failure) {
  auto refuse = [&](const std::string& what, int err) {
    if (!IsRecordError(err)) return Status::IoError(what + ": " + std::strerror(err));
    *failure = what + ": " + std::strerror(err);
    return Status::Ok();
  };
  // Parent directories, made as needed.
  for (size_t slash = rel.find('/'); slash != std::string::npos;
       slash = rel.find('/', slash + 1)) {
    const std::string dir = Abs(rel.substr(0, slash));
    if (::mkdir(dir.c_str(), 0755) == 0) continue;
    struct stat st;
    if (errno != EEXIST) return refuse("cannot create " + dir, errno);
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return refuse("cannot create " + dir, ENOTDIR);
    }
  }
  struct stat st;
  if (::lstat(Abs(rel).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return refuse(Abs(rel), EISDIR);
  }
  const size_t slash = rel.rfind('/');
  const std::string tmp = (slash == std::string::npos ? root_ : Abs(rel.substr(0, slash))) +
                          "/.datasync.tmp." + std::to_string(++tmp_counter_);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return refuse("cannot create " + tmp, errno);
  size_t done = 0;
  int err = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = errno;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (err == 0 && ::fstat(fd, &st) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    return refuse("cannot write " + tmp, err);
  }
  const FileState state{HashOf(content), content.size(),
                        static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
                            st.st_mtim.tv_nsec,
                        static_cast<uint64_t>(st.st_ino), WallNs()};
  journal_.Applied(rel, version, state);
  Status s = journal_.Flush(false);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  if (::rename(tmp.c_str(), Abs(rel).c_str()) != 0) {
    err = errno;
    ::unlink(tmp.c_str());
    // The journal must not claim what did not happen.
    auto k = known_.find(rel);
    if (k != known_.end()) {
      journal_.Applied(rel, k->second.version, k->second.file);
    } else {
      journal_.Applied(rel, Version(), std::nullopt);
    }
    s = journal_.Flush(false);
    if (!s.ok()) return s;
    return refuse("cannot rename into " + Abs(rel), err);
  }
  known_[rel] = Known{state, version};
  return Status::Ok();
}

void FilesBackend::RemoveEmptyParents(const std::string& rel) {
  // Directories left empty by a delete go too (rmdir fails on any other).
  std::string dir = rel;
  for (size_t slash = dir.rfind('/'); slash != std::string::npos; slash = dir.rfind('/')) {
    dir.resize(slash);
    if (::rmdir(Abs(dir).c_str()) != 0) break;
  }
}

}  // namespace datasync::files_connector
