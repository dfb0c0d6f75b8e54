// The encoder half of the codec: Message -> msgpack (docs/wire-format.md).
// The decoder is in codec_decode.cpp.
#include "datasync/codec.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <msgpack.hpp>
#include <string>
#include <type_traits>
#include <variant>

#include "codec_wire.h"

namespace datasync {
namespace {

// msgpack::packer writes through this straight into the caller's string: no
// intermediate sbuffer, no copy at the end, and EncodeTo reuses capacity.
// The packer writes a few bytes at a time, so each write is a memcpy into
// room made ahead (inlined for the packer's fixed-size pieces) rather than a
// call to std::string::append. The string is trimmed to what was written
// when the sink goes away.
class StringSink {
 public:
  StringSink(std::string* out, size_t size_hint) : out_(out), used_(out->size()) {
    out_->resize(used_ + size_hint);
  }
  ~StringSink() { out_->resize(used_); }
  StringSink(const StringSink&) = delete;
  StringSink& operator=(const StringSink&) = delete;

  void write(const char* data, size_t size) {
    if (out_->size() - used_ < size) {
      out_->resize(std::max(2 * out_->size(), used_ + size));
    }
    std::memcpy(out_->data() + used_, data, size);
    used_ += size;
  }

 private:
  std::string* out_;
  size_t used_;  // bytes of *out_ written; the rest is room
};
using Packer = msgpack::packer<StringSink>;

uint32_t Length(size_t size) {
  // msgpack cannot express 4 GiB or more; no Message field gets near that
  // (the decoder's limits are far lower), so reaching it is our own bug.
  SYNC_CHECK(size <= std::numeric_limits<uint32_t>::max());
  return static_cast<uint32_t>(size);
}

void PackStr(Packer& pk, const std::string& s) {
  pk.pack_str(Length(s.size()));
  pk.pack_str_body(s.data(), Length(s.size()));
}

void PackBin(Packer& pk, const std::string& s) {
  pk.pack_bin(Length(s.size()));
  pk.pack_bin_body(s.data(), Length(s.size()));
}

void PackBool(Packer& pk, bool b) {
  if (b) {
    pk.pack_true();
  } else {
    pk.pack_false();
  }
}

// pack_uint64 picks the shortest msgpack integer form.
void PackUint(Packer& pk, uint64_t v) { pk.pack_uint64(v); }

void PackCode(Packer& pk, Code code) { PackUint(pk, static_cast<uint64_t>(code)); }

void Pack(Packer& pk, const VersionVector& vv) {
  // VersionVector never stores zero entries, so every entry goes out; the map
  // is sorted, which makes the encoding deterministic.
  pk.pack_map(Length(vv.size()));
  for (const auto& [origin, seq] : vv.entries()) {
    PackStr(pk, origin);
    PackUint(pk, seq);
  }
}

void Pack(Packer& pk, const Record& r) {
  pk.pack_array(wire::kRecordFields);
  PackStr(pk, r.collection);
  PackBin(pk, r.key);
  PackBin(pk, r.value);
  PackBool(pk, r.deleted);
  PackUint(pk, r.version.hlc);
  PackStr(pk, r.version.origin);
  PackUint(pk, r.seq);
}

const Record& Deref(const Record& r) { return r; }
const Record& Deref(const Record* r) { return *r; }

// Records held by value, or by pointer (EncodeReplyTo).
template <typename R>
void Pack(Packer& pk, const std::vector<R>& records) {
  pk.pack_array(Length(records.size()));
  for (const R& r : records) Pack(pk, Deref(r));
}

void Pack(Packer& pk, const MemberInfo& m) {
  pk.pack_array(wire::kMemberFields);
  PackStr(pk, m.id);
  PackStr(pk, m.api);
  PackStr(pk, m.pub);
  PackStr(pk, m.sync);
}

void Pack(Packer& pk, const std::vector<MemberInfo>& members) {
  pk.pack_array(Length(members.size()));
  for (const MemberInfo& m : members) Pack(pk, m);
}

void Pack(Packer& pk, const PeerStatus& p) {
  pk.pack_array(wire::kPeerFields);
  PackStr(pk, p.id);
  PackBool(pk, p.connected);
  PackUint(pk, p.lag);
  Pack(pk, p.vv);
}

void Pack(Packer& pk, const NodeStatus& s) {
  pk.pack_array(wire::kNodeStatusFields);
  PackStr(pk, s.node_id);
  PackStr(pk, s.mode);
  PackStr(pk, s.store);
  Pack(pk, s.vv);
  pk.pack_array(Length(s.peers.size()));
  for (const PeerStatus& p : s.peers) Pack(pk, p);
  PackUint(pk, s.records);
  PackUint(pk, s.tombstones);
  pk.pack_map(Length(s.counters.size()));
  for (const auto& [name, value] : s.counters) {
    PackStr(pk, name);
    PackUint(pk, value);
  }
  pk.pack_map(Length(s.info.size()));
  for (const auto& [name, value] : s.info) {
    PackStr(pk, name);
    PackStr(pk, value);
  }
}

// --- message fields, in wire order; counts must match wire::Traits ---

void PackFields(Packer& pk, const ChangeBatch& m) {
  PackStr(pk, m.origin);
  Pack(pk, m.records);
}

void PackFields(Packer& pk, const Heartbeat& m) {
  PackStr(pk, m.origin);
  PackUint(pk, m.hlc);
  Pack(pk, m.vv);
}

void PackFields(Packer& pk, const CatchUpRequest& m) {
  PackStr(pk, m.from);
  PackUint(pk, m.request_id);
  Pack(pk, m.since);
}

void PackFields(Packer& pk, const CatchUpNext& m) {
  PackStr(pk, m.from);
  PackUint(pk, m.request_id);
  PackUint(pk, m.page);
}

void PackFields(Packer& pk, const CatchUpPage& m) {
  PackStr(pk, m.from);
  PackUint(pk, m.request_id);
  Pack(pk, m.records);
  PackBool(pk, m.done);
  Pack(pk, m.vv);
  PackCode(pk, m.error);
  PackStr(pk, m.error_message);
  PackUint(pk, m.page);
}

void PackFields(Packer& pk, const ClientRequest& m) {
  PackUint(pk, m.request_id);
  PackUint(pk, static_cast<uint64_t>(m.op));
  PackStr(pk, m.collection);
  PackBin(pk, m.key);
  PackBin(pk, m.value);
  PackBin(pk, m.prefix);
  PackUint(pk, m.limit);
  PackBool(pk, m.cluster);
  pk.pack_array(static_cast<uint32_t>(m.writes.size()));
  for (const ClientWrite& w : m.writes) {
    pk.pack_array(wire::kClientWriteFields);
    PackStr(pk, w.collection);
    PackBin(pk, w.key);
    PackBin(pk, w.value);
    PackBool(pk, w.deleted);
  }
}

// `records` in place of m.records.
template <typename R>
void PackReplyFields(Packer& pk, const ClientReply& m, const std::vector<R>& records) {
  PackUint(pk, m.request_id);
  PackCode(pk, m.code);
  PackStr(pk, m.message);
  Pack(pk, records);
  PackStr(pk, m.digest);
  if (m.status.has_value()) {
    Pack(pk, *m.status);
  } else {
    pk.pack_nil();
  }
}

void PackFields(Packer& pk, const ClientReply& m) { PackReplyFields(pk, m, m.records); }

void PackFields(Packer& pk, const Join& m) { Pack(pk, m.member); }

void PackFields(Packer& pk, const Welcome& m) {
  PackUint(pk, m.epoch);
  PackUint(pk, m.heartbeat_ms);
  Pack(pk, m.members);
}

void PackFields(Packer& pk, const Membership& m) {
  PackUint(pk, m.epoch);
  Pack(pk, m.members);
}

void PackFields(Packer& pk, const Ping& m) {
  PackStr(pk, m.node_id);
  PackUint(pk, m.epoch);
}

void PackFields(Packer& pk, const Leave& m) { PackStr(pk, m.node_id); }

void PackFields(Packer& pk, const Shutdown& m) { PackBool(pk, m.cluster); }

// Making room up front turns the string's geometric regrowth (a copy of
// everything so far at each step) into one allocation for big batches.
template <typename R>
size_t RecordsSizeHint(const std::vector<R>& records) {
  size_t n = 16;
  for (const R& rec : records) {
    const Record& r = Deref(rec);
    n += r.collection.size() + r.key.size() + r.value.size() + r.version.origin.size() +
         32;
  }
  return n;
}

template <typename T>
void PackHeader(Packer& pk) {
  pk.pack_array(wire::kHeaderElements + wire::Traits<T>::kFields);
  PackUint(pk, kProtocolVersion);
  PackUint(pk, static_cast<uint64_t>(wire::Traits<T>::kType));
}

template <typename T>
size_t SizeHint(const T& m) {
  constexpr size_t kSmall = 64;
  if constexpr (std::is_same_v<T, ChangeBatch> || std::is_same_v<T, CatchUpPage> ||
                std::is_same_v<T, ClientReply>) {
    return kSmall + RecordsSizeHint(m.records);
  } else {
    return kSmall;
  }
}

}  // namespace

void EncodeTo(const Message& message, std::string* out) {
  std::visit(
      [out](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        StringSink sink(out, SizeHint(m));
        Packer pk(sink);
        PackHeader<T>(pk);
        PackFields(pk, m);
      },
      message);
}

void EncodeReplyTo(const ClientReply& reply, const std::vector<const Record*>& records,
                   std::string* out) {
  SYNC_CHECK(reply.records.empty());
  StringSink sink(out, 64 + RecordsSizeHint(records));
  Packer pk(sink);
  PackHeader<ClientReply>(pk);
  PackReplyFields(pk, reply, records);
}

std::string Encode(const Message& message) {
  std::string out;
  EncodeTo(message, &out);
  return out;
}

}  // namespace datasync
