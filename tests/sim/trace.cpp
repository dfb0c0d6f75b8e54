#include "sim/trace.h"

#include <sstream>
#include <type_traits>

namespace datasync::sim {

void Tracer::Log(uint64_t now_ms, const std::string& line) const {
  if (out_ == nullptr) return;
  std::fprintf(out_, "%8llu %s\n", static_cast<unsigned long long>(now_ms),
               line.c_str());
}

std::string FormatVersion(const Version& v) {
  if (v.empty()) return "none";
  return FormatHlc(v.hlc) + "@" + v.origin;
}

std::string FormatHlc(HlcTimestamp t) {
  std::ostringstream os;
  const uint64_t ms = HlcPhysicalMs(t);
  // Relative to the epoch when it fits, so traces stay short; skewed clocks
  // can put a timestamp before the epoch, hence the sign.
  if (ms >= kEpochMs) {
    os << (ms - kEpochMs);
  } else {
    os << "-" << (kEpochMs - ms);
  }
  os << "." << HlcLogical(t);
  return os.str();
}

std::string FormatVv(const VersionVector& vv) {
  std::ostringstream os;
  os << "{";
  bool first = true;
  for (const auto& [origin, seq] : vv.entries()) {
    os << (first ? "" : " ") << origin << ":" << seq;
    first = false;
  }
  os << "}";
  return os.str();
}

std::string FormatRecord(const Record& r) {
  std::ostringstream os;
  os << r.collection << "/" << r.key << (r.deleted ? " del" : " =" + r.value) << " "
     << FormatVersion(r.version) << " #" << r.seq;
  return os.str();
}

namespace {

std::string FormatRecords(const std::vector<Record>& records) {
  std::string out = "[";
  for (size_t i = 0; i < records.size(); ++i) {
    if (i > 0) out += ", ";
    out += FormatRecord(records[i]);
  }
  return out + "]";
}

}  // namespace

std::string DescribeMessage(const Message& m) {
  std::ostringstream os;
  std::visit(
      [&os, &m](const auto& msg) {
        using T = std::decay_t<decltype(msg)>;
        if constexpr (std::is_same_v<T, ChangeBatch>) {
          os << "change_batch origin=" << msg.origin << " " << FormatRecords(msg.records);
        } else if constexpr (std::is_same_v<T, Heartbeat>) {
          os << "heartbeat origin=" << msg.origin << " hlc=" << FormatHlc(msg.hlc)
             << " vv=" << FormatVv(msg.vv);
        } else if constexpr (std::is_same_v<T, CatchUpRequest>) {
          os << "catch_up_request from=" << msg.from << " id=" << msg.request_id
             << " since=" << FormatVv(msg.since);
        } else if constexpr (std::is_same_v<T, CatchUpNext>) {
          os << "catch_up_next from=" << msg.from << " id=" << msg.request_id;
        } else if constexpr (std::is_same_v<T, CatchUpPage>) {
          os << "catch_up_page from=" << msg.from << " id=" << msg.request_id
             << " done=" << msg.done << " vv=" << FormatVv(msg.vv);
          if (msg.error != Code::kOk) {
            os << " error=" << CodeName(msg.error) << " " << msg.error_message;
          }
          os << " " << FormatRecords(msg.records);
        } else {
          // Not a replication message: the simulator never routes one.
          (void)msg;
          os << "other (index " << m.index() << ")";
        }
      },
      m);
  return os.str();
}

}  // namespace datasync::sim
