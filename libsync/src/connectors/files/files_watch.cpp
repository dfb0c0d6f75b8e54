// The watching half of FilesBackend: inotify watches on every directory
// of the folder, and the events that mark paths dirty. A directory created
// or moved in is watched and scanned at once; a queue overflow or a
// directory moved away is a full rescan (which also drops watches that
// now report from outside the folder).
#include <dirent.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "connectors/files/files_backend.h"

namespace datasync::files_connector {
namespace {

constexpr uint64_t kStatEveryMs = 250;
constexpr uint32_t kWatchMask = IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB |
                                IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_DELETE_SELF |
                                IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;

uint64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

Status FilesBackend::CheckRoot() {
  const uint64_t now = NowMs();
  if (now < next_stat_ms_) return Status::Ok();
  next_stat_ms_ = now + kStatEveryMs;
  struct stat st;
  if (::stat(root_.c_str(), &st) != 0 || st.st_dev != dev_ || st.st_ino != ino_) {
    return Status::IoError(root_ + ": folder was removed or replaced");
  }
  return Status::Ok();
}

Status FilesBackend::ProcessEvents() {
  if (inotify_ < 0) return Status::Ok();
  if (!watch_error_.empty()) return Status::IoError(watch_error_);
  alignas(struct inotify_event) char buf[65536];
  bool rescan = false;
  while (true) {
    const ssize_t n = ::read(inotify_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) return Status::IoError(std::string("inotify: ") + std::strerror(errno));
    for (ssize_t at = 0; at < n;) {
      const auto* e = reinterpret_cast<const struct inotify_event*>(buf + at);
      at += static_cast<ssize_t>(sizeof(struct inotify_event) + e->len);
      if (e->mask & IN_Q_OVERFLOW) {
        rescan = true;
        continue;
      }
      auto wd = wds_.find(e->wd);
      if (wd == wds_.end()) continue;  // a watch already dropped
      const std::string dir = wd->second;
      if (dir.empty() && (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))) {
        return Status::IoError(root_ + ": folder was removed or moved away");
      }
      if (e->mask & IN_IGNORED) {
        wds_.erase(wd);
        continue;
      }
      const std::string name = e->len ? std::string(e->name) : std::string();
      if (name.empty() || name[0] == '.') continue;
      const std::string rel = dir.empty() ? name : dir + "/" + name;
      if (!(e->mask & IN_ISDIR)) {
        dirty_.insert(rel);
      } else if (e->mask & (IN_CREATE | IN_MOVED_TO)) {
        ScanDir(rel, &wds_);
      } else if (e->mask & (IN_DELETE | IN_MOVED_FROM)) {
        // Its files are gone from here; a moved-away directory also keeps
        // watches that now report from elsewhere: rescan drops them.
        rescan |= (e->mask & IN_MOVED_FROM) != 0;
        const std::string prefix = rel + "/";
        for (auto it = known_.lower_bound(prefix);
             it != known_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
          dirty_.insert(it->first);
        }
      }
    }
  }
  if (rescan) FullRescan();
  return watch_error_.empty() ? Status::Ok() : Status::IoError(watch_error_);
}

void FilesBackend::ScanDir(const std::string& rel, std::unordered_map<int, std::string>* wds) {
  const std::string dir = rel.empty() ? root_ : Abs(rel);
  const int wd = ::inotify_add_watch(inotify_, dir.c_str(), kWatchMask);
  if (wd < 0) {
    // Out of watches: changes there would go unseen, which is an error of
    // the folder, not something to skip quietly.
    if (errno == ENOSPC || errno == ENOMEM) {
      watch_error_ = dir + ": cannot watch (" + std::strerror(errno) +
                     "; raise fs.inotify.max_user_watches)";
    }
    return;  // otherwise gone already, or not a directory any more
  }
  (*wds)[wd] = rel;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (const struct dirent* entry = ::readdir(d)) {
    const std::string name = entry->d_name;
    if (name.empty() || name[0] == '.') {
      // Left by an apply that a crash interrupted; never anyone else's.
      if (name.rfind(".datasync.tmp.", 0) == 0) ::unlink((dir + "/" + name).c_str());
      continue;
    }
    const std::string child = rel.empty() ? name : rel + "/" + name;
    struct stat st;
    if (::lstat(Abs(child).c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      ScanDir(child, wds);
    } else if (S_ISREG(st.st_mode)) {
      dirty_.insert(child);
    }
  }
  ::closedir(d);
}

void FilesBackend::FullRescan() {
  std::unordered_map<int, std::string> fresh;
  ScanDir("", &fresh);
  for (const auto& [wd, dir] : wds_) {
    if (!fresh.count(wd)) ::inotify_rm_watch(inotify_, wd);
  }
  wds_ = std::move(fresh);
  for (const auto& [path, k] : known_) {
    if (k.file) dirty_.insert(path);
  }
}

}  // namespace datasync::files_connector
