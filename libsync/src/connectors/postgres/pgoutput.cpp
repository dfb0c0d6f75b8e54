#include "connectors/postgres/pgoutput.h"

#include <cinttypes>
#include <cstdio>

namespace datasync::pg_connector {
namespace {

// Reads big-endian integers and NUL-terminated strings; every read checks
// the remaining length.
class Reader {
 public:
  explicit Reader(const std::string& b) : b_(b) {}
  bool ok() const { return ok_; }
  bool done() const { return pos_ == b_.size(); }

  uint64_t Int(int bytes) {
    if (!ok_ || b_.size() - pos_ < static_cast<size_t>(bytes)) return Fail();
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(b_[pos_++]);
    return v;
  }
  std::string String() {
    const size_t end = ok_ ? b_.find('\0', pos_) : std::string::npos;
    if (end == std::string::npos) {
      Fail();
      return "";
    }
    std::string s = b_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  std::string Bytes(uint64_t n) {
    if (!ok_ || b_.size() - pos_ < n) {
      Fail();
      return "";
    }
    std::string s = b_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  bool Tuple(std::vector<TupleValue>* out) {
    const uint64_t n = Int(2);
    for (uint64_t i = 0; ok_ && i < n; ++i) {
      TupleValue v;
      const char kind = static_cast<char>(Int(1));
      switch (kind) {
        case 'n':
        case 'u':
          v.kind = static_cast<TupleValue::Kind>(kind);
          break;
        case 't':
        case 'b':
          v.kind = static_cast<TupleValue::Kind>(kind);
          v.data = Bytes(Int(4));
          break;
        default:
          Fail();
      }
      out->push_back(std::move(v));
    }
    return ok_;
  }

 private:
  uint64_t Fail() {
    ok_ = false;
    return 0;
  }
  const std::string& b_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

std::optional<uint64_t> ParseLsn(const std::string& text) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size() || slash > 8 ||
      text.size() - slash - 1 > 8) {
    return std::nullopt;
  }
  uint64_t hi = 0, lo = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == slash) continue;
    const char c = text[i];
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    uint64_t& part = i < slash ? hi : lo;
    part = part * 16 + static_cast<uint64_t>(d);
  }
  return (hi << 32) | lo;
}

std::string FormatLsn(uint64_t lsn) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%" PRIX64 "/%" PRIX64, lsn >> 32, lsn & 0xffffffffu);
  return buf;
}

bool ParsePgMessage(const std::string& bytes, PgMessage* out, std::string* error) {
  *out = PgMessage();
  Reader r(bytes);
  const char type = static_cast<char>(r.Int(1));
  out->type = static_cast<PgMessage::Type>(type);
  switch (type) {
    case 'B':
      out->commit_lsn = r.Int(8);
      r.Int(8);  // commit timestamp
      out->xid = static_cast<uint32_t>(r.Int(4));
      break;
    case 'C':
      r.Int(1);  // flags
      out->commit_lsn = r.Int(8);
      out->end_lsn = r.Int(8);
      r.Int(8);
      break;
    case 'O':
      r.Int(8);
      out->origin = r.String();
      break;
    case 'R': {
      out->relid = static_cast<uint32_t>(r.Int(4));
      out->nspname = r.String();
      out->relname = r.String();
      r.Int(1);  // replica identity setting
      const uint64_t n = r.Int(2);
      for (uint64_t i = 0; r.ok() && i < n; ++i) {
        RelationColumn c;
        c.key = (r.Int(1) & 1) != 0;
        c.name = r.String();
        c.type_oid = static_cast<uint32_t>(r.Int(4));
        r.Int(4);  // type modifier
        out->columns.push_back(std::move(c));
      }
      break;
    }
    case 'I':
      out->relid = static_cast<uint32_t>(r.Int(4));
      if (r.Int(1) != 'N') break;
      r.Tuple(&out->new_tuple);
      break;
    case 'U': {
      out->relid = static_cast<uint32_t>(r.Int(4));
      char part = static_cast<char>(r.Int(1));
      if (part == 'K' || part == 'O') {
        out->has_old = true;
        r.Tuple(&out->old_tuple);
        part = static_cast<char>(r.Int(1));
      }
      if (part != 'N') {
        *error = "update message without a new row";
        return false;
      }
      r.Tuple(&out->new_tuple);
      break;
    }
    case 'D': {
      out->relid = static_cast<uint32_t>(r.Int(4));
      const char part = static_cast<char>(r.Int(1));
      if (part != 'K' && part != 'O') {
        *error = "delete message without the old key";
        return false;
      }
      out->has_old = true;
      r.Tuple(&out->old_tuple);
      break;
    }
    case 'Y':
    case 'T':
    case 'M':
      return true;  // not needed: the caller only looks at the type
    default:
      *error =
          std::string("unknown message type ") +
          (type >= 0x20 && type < 0x7f ? std::string(1, type) : std::to_string(type));
      return false;
  }
  if (!r.ok() || !r.done()) {
    *error = std::string("malformed message of type ") + type;
    return false;
  }
  return true;
}

}  // namespace datasync::pg_connector
