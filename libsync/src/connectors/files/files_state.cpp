// The files connector's journal. One line per fact, fields separated by one
// space, paths percent-escaped (bytes up to ' ', '%' and 0x7f):
//
//   I INSTANCE                      first line: this folder's instance id
//   C BATCH PATH STATE              captured in batch BATCH (sent to the node)
//   K BATCH                         batch BATCH is committed by the node
//   A PATH HLC ORIGIN STATE         applied a record of version (HLC, ORIGIN)
//   S PATH HLC ORIGIN STATE         known state (compacted)
//   V VECTOR                        the vector applied batches reached
//   B BATCH                         the highest batch number used (compacted)
//
// STATE is `-` (no file) or `HASH SIZE MTIME_NS INODE SEEN_NS`; ORIGIN is
// `~` for no version. A last line without its newline was cut by a crash
// and is ignored.
#include "connectors/files/files_state.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <sstream>

namespace datasync::files_connector {
namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

std::string Escape(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (c <= ' ' || c == '%' || c == 0x7f) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

bool Unescape(const std::string& s, std::string* out) {
  out->clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      *out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return false;
    const std::string hex = s.substr(i + 1, 2);
    char* end = nullptr;
    const long v = std::strtol(hex.c_str(), &end, 16);
    if (hex.size() != 2 || end != hex.c_str() + 2) return false;
    *out += static_cast<char>(v);
    i += 2;
  }
  return true;
}

std::string StateText(const std::optional<FileState>& s) {
  if (!s) return "-";
  return s->hash + " " + std::to_string(s->size) + " " + std::to_string(s->mtime_ns) + " " +
         std::to_string(s->ino) + " " + std::to_string(s->seen_ns);
}

bool ReadState(std::istringstream& in, std::optional<FileState>* out) {
  std::string first;
  if (!(in >> first)) return false;
  if (first == "-") {
    out->reset();
    return true;
  }
  FileState s;
  s.hash = first;
  if (!(in >> s.size >> s.mtime_ns >> s.ino >> s.seen_ns) || s.hash.size() != 32) return false;
  *out = s;
  return true;
}

std::string VersionText(const Version& v) {
  return std::to_string(v.hlc) + " " + (v.origin.empty() ? "~" : v.origin);
}

bool ReadVersion(std::istringstream& in, Version* v) {
  std::string origin;
  if (!(in >> v->hlc >> origin)) return false;
  v->origin = origin == "~" ? "" : origin;
  return true;
}

std::string NewInstance() {
  std::random_device rd;
  std::ostringstream out;
  out << std::hex << rd() << rd();
  return out.str();
}

}  // namespace

std::string HashOf(std::string_view bytes) {
  const XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return text;
}

bool IsSyncedPath(std::string_view key) {
  if (key.empty() || key.size() > 4096) return false;
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    const std::string_view part = key.substr(start, end - start);
    if (part.empty() || part[0] == '.' || part.size() > 255) return false;
    if (part.find('\0') != std::string_view::npos) return false;
    start = end + 1;
  }
  return true;
}

namespace {

// The journal is whitespace-separated, so the empty vector is written "-".
std::string VectorField(const VersionVector& vv) {
  std::string text = vv.ToText();
  return text.empty() ? "-" : text;
}

bool ReadVectorField(const std::string& field, VersionVector* vv) {
  return VersionVector::FromText(field == "-" ? "" : field, vv);
}

}  // namespace

Status Journal::Open(const std::string& path, const std::string& instance, uint64_t committed,
                     Replayed* out) {
  Close();
  path_ = path;
  *out = Replayed();
  std::string text;
  const int rfd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (rfd < 0 && errno != ENOENT) return Status::IoError(Errno(path));
  if (rfd >= 0) {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(rfd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    ::close(rfd);
    if (n < 0) return Status::IoError(Errno(path));
  }
  // A cut last line is dropped, so appends start on a fresh line.
  const size_t end = text.rfind('\n');
  const size_t whole = end == std::string::npos ? 0 : end + 1;
  std::vector<std::string> lines;
  {
    std::istringstream in(text.substr(0, whole));
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
  }
  if (lines.empty() || lines[0].rfind("I ", 0) != 0) {
    out->instance = NewInstance();
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::IoError(Errno(path));
    buffer_ = "I " + out->instance + "\n";
    return Flush(true);
  }
  out->instance = lines[0].substr(2);
  // Which batches the node holds: those marked K, and the one its position names.
  std::vector<uint64_t> done;
  if (instance == out->instance && committed > 0) done.push_back(committed);
  for (const std::string& line : lines) {
    if (line.rfind("K ", 0) == 0) done.push_back(std::strtoull(line.c_str() + 2, nullptr, 10));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    std::istringstream in(lines[i]);
    std::string kind, escaped, path_text;
    in >> kind;
    ++out->lines;
    bool ok = true;
    if (kind == "C") {
      uint64_t batch = 0;
      std::optional<FileState> s;
      ok = (in >> batch >> escaped) && Unescape(escaped, &path_text) && ReadState(in, &s);
      out->last_batch = std::max(out->last_batch, batch);
      if (ok && std::find(done.begin(), done.end(), batch) != done.end()) {
        out->known[path_text] = Known{s, Version()};
      }
    } else if (kind == "A" || kind == "S") {
      Version v;
      std::optional<FileState> s;
      ok = (in >> escaped) && Unescape(escaped, &path_text) && ReadVersion(in, &v) &&
           ReadState(in, &s);
      if (ok && kind == "A") {
        out->last_apply_path = path_text;
        auto it = out->known.find(path_text);
        out->last_apply_before = it == out->known.end() ? Known() : it->second;
      }
      if (ok) out->known[path_text] = Known{s, v};
    } else if (kind == "V") {
      std::string vv;
      ok = (in >> vv) && ReadVectorField(vv, &out->applied_vv);
    } else if (kind == "K" || kind == "B") {
      uint64_t batch = 0;
      ok = static_cast<bool>(in >> batch);
      out->last_batch = std::max(out->last_batch, batch);
    } else {
      ok = false;
    }
    if (!ok) {
      return Status::Corruption(path + ": line " + std::to_string(i + 1) + " is not readable");
    }
  }
  fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd_ < 0) return Status::IoError(Errno(path));
  if (::ftruncate(fd_, static_cast<off_t>(whole)) != 0 ||
      ::lseek(fd_, 0, SEEK_END) < 0) {
    return Status::IoError(Errno(path));
  }
  return Status::Ok();
}

void Journal::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

void Journal::Captured(uint64_t batch, const std::string& path,
                       const std::optional<FileState>& s) {
  buffer_ += "C " + std::to_string(batch) + " " + Escape(path) + " " + StateText(s) + "\n";
}

void Journal::Committed(uint64_t batch) { buffer_ += "K " + std::to_string(batch) + "\n"; }

void Journal::Applied(const std::string& path, const Version& v,
                      const std::optional<FileState>& s) {
  buffer_ += "A " + Escape(path) + " " + VersionText(v) + " " + StateText(s) + "\n";
}

void Journal::AppliedVector(const VersionVector& vv) {
  buffer_ += "V " + VectorField(vv) + "\n";
}

Status Journal::Flush(bool durable) {
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      // Keep the lines: the next Flush tries them again.
      buffer_.erase(0, done);
      return Status::IoError(Errno(path_));
    }
    done += static_cast<size_t>(n);
  }
  buffer_.clear();
  if (durable && ::fdatasync(fd_) != 0) return Status::IoError(Errno(path_));
  return Status::Ok();
}

Status Journal::Compact(const std::string& instance, const std::map<std::string, Known>& known,
                        const VersionVector& vv, uint64_t last_batch) {
  Status s = Flush(false);
  if (!s.ok()) return s;
  std::string text = "I " + instance + "\nB " + std::to_string(last_batch) + "\n";
  for (const auto& [path, k] : known) {
    text += "S " + Escape(path) + " " + VersionText(k.version) + " " + StateText(k.file) + "\n";
  }
  text += "V " + VectorField(vv) + "\n";
  const std::string tmp = path_ + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError(Errno(tmp));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    done += static_cast<size_t>(n);
  }
  const bool written = done == text.size() && ::fdatasync(fd) == 0;
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    const Status error = Status::IoError(Errno(tmp));
    ::unlink(tmp.c_str());
    return error;
  }
  ::close(fd_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) return Status::IoError(Errno(path_));
  return Status::Ok();
}

}  // namespace datasync::files_connector
