// The decoder half of the codec: msgpack -> Message (docs/wire-format.md).
//
// Two steps: Unpack (codec_unpack.cpp) turns bytes into a bounded msgpack
// object tree, then the readers below check every field's type, limit and
// meaning while copying it into the message struct. Nothing here trusts the
// input; every failure becomes a kInvalidArgument Status naming the field.
#include <climits>
#include <cstring>
#include <msgpack.hpp>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "codec_reader.h"
#include "codec_unpack.h"
#include "codec_wire.h"
#include "datasync/codec.h"
#include "datasync/record.h"

namespace datasync {
namespace codec {
namespace {

using Fields = const msgpack::object*;

std::string Num(uint64_t n) { return std::to_string(n); }

bool ReadRecord(Reader& r, const msgpack::object& o, Record* rec) {
  const CodecLimits& l = r.limits();
  Fields f = nullptr;
  if (!r.Tuple(o, nullptr, wire::kRecordFields, &f) ||
      !r.Collection(f[0], "collection", &rec->collection) ||
      !r.Bin(f[1], "key", l.max_key_bytes, &rec->key) ||
      !r.Bin(f[2], "value", l.max_value_bytes, &rec->value) ||
      !r.Bool(f[3], "deleted", &rec->deleted) ||
      !r.Uint(f[4], "hlc", &rec->version.hlc) ||
      !r.NodeId(f[5], "origin", &rec->version.origin) ||
      !r.Uint(f[6], "seq", &rec->seq)) {
    return false;
  }
  if (rec->key.empty()) return r.Fail("key", "empty");
  if (rec->deleted && !rec->value.empty()) {
    return r.Fail("value", "a tombstone carries no value");
  }
  if (rec->seq == 0 || rec->seq > kMaxSeq) return r.Fail("seq", "must be 1..2^63-1");
  return true;
}

// With `origin`, every record must be that origin's own write: a node
// publishes only its own writes, and the receiver's gap detection counts
// seqs per batch origin.
bool ReadRecords(Reader& r, const msgpack::object& o, const std::string* origin,
                 std::vector<Record>* out) {
  const msgpack::object_array* a = nullptr;
  if (!r.Array(o, "records", r.limits().max_records, &a)) return false;
  out->resize(a->size);
  for (uint32_t i = 0; i < a->size; ++i) {
    Record& rec = (*out)[i];
    if (!ReadRecord(r, a->ptr[i], &rec)) return r.Nest("records", i);
    if (origin != nullptr && rec.version.origin != *origin) {
      r.Fail("origin", "differs from the batch's origin '" + *origin + "'");
      return r.Nest("records", i);
    }
  }
  return true;
}

// Whether a write's collection and key are acceptable is the node's to
// answer (it refuses the whole batch, with the request's id); the decoder
// bounds only sizes.
bool ReadClientWrites(Reader& r, const msgpack::object& o, std::vector<ClientWrite>* out) {
  const CodecLimits& l = r.limits();
  const msgpack::object_array* a = nullptr;
  if (!r.Array(o, "writes", l.max_records, &a)) return false;
  out->resize(a->size);
  for (uint32_t i = 0; i < a->size; ++i) {
    ClientWrite& w = (*out)[i];
    Fields f = nullptr;
    if (!r.Tuple(a->ptr[i], nullptr, wire::kClientWriteFields, &f) ||
        !r.Str(f[0], "collection", l.max_string_bytes, &w.collection) ||
        !r.Bin(f[1], "key", l.max_key_bytes, &w.key) ||
        !r.Bin(f[2], "value", l.max_value_bytes, &w.value) ||
        !r.Bool(f[3], "deleted", &w.deleted)) {
      return r.Nest("writes", i);
    }
  }
  return true;
}

bool ReadMember(Reader& r, const msgpack::object& o, MemberInfo* m) {
  const size_t max = r.limits().max_string_bytes;
  Fields f = nullptr;
  return r.Tuple(o, nullptr, wire::kMemberFields, &f) && r.NodeId(f[0], "id", &m->id) &&
         r.Str(f[1], "api", max, &m->api) && r.Str(f[2], "pub", max, &m->pub) &&
         r.Str(f[3], "sync", max, &m->sync);
}

bool ReadMembers(Reader& r, const msgpack::object& o, std::vector<MemberInfo>* out) {
  const msgpack::object_array* a = nullptr;
  if (!r.Array(o, "members", r.limits().max_members, &a)) return false;
  out->resize(a->size);
  std::set<std::string_view> ids;  // views into *out, which no longer resizes
  for (uint32_t i = 0; i < a->size; ++i) {
    MemberInfo& m = (*out)[i];
    if (!ReadMember(r, a->ptr[i], &m)) return r.Nest("members", i);
    if (!ids.insert(m.id).second) {
      r.Fail("id", "duplicate member '" + m.id + "'");
      return r.Nest("members", i);
    }
  }
  return true;
}

bool ReadCode(Reader& r, const msgpack::object& o, const char* field, Code* out) {
  uint64_t v = 0;
  if (!r.Uint(o, field, &v)) return false;
  // CodeName's switch covers exactly the defined codes (-Wswitch makes whoever
  // adds one name it), so it doubles as the range check and stays current.
  if (v > INT_MAX || std::strcmp(CodeName(static_cast<Code>(v)), "unknown") == 0) {
    return r.Fail(field, "unknown status code " + Num(v));
  }
  *out = static_cast<Code>(v);
  return true;
}

bool ReadOp(Reader& r, const msgpack::object& o, const char* field, ClientOp* out) {
  uint64_t v = 0;
  if (!r.Uint(o, field, &v)) return false;
  if (v < 1 || v > kMaxClientOp) return r.Fail(field, "unknown client op " + Num(v));
  *out = static_cast<ClientOp>(v);
  return true;
}

bool ReadMapValue(Reader& r, const msgpack::object& o, uint64_t* out) {
  return r.Uint(o, "value", out);
}
bool ReadMapValue(Reader& r, const msgpack::object& o, std::string* out) {
  return r.Str(o, "value", r.limits().max_string_bytes, out);
}

// NodeStatus's counters and info: free-form names, so never echoed.
template <typename V>
bool ReadNamedMap(Reader& r, const msgpack::object& o, const char* field,
                  std::map<std::string, V>* out) {
  const msgpack::object_map* m = nullptr;
  if (!r.Map(o, field, r.limits().max_map_entries, &m)) return false;
  for (uint32_t i = 0; i < m->size; ++i) {
    std::string name;
    V value{};
    if (!r.Str(m->ptr[i].key, "name", r.limits().max_string_bytes, &name) ||
        !ReadMapValue(r, m->ptr[i].val, &value)) {
      return r.Nest(field, i);
    }
    if (!out->emplace(std::move(name), std::move(value)).second) {
      r.Fail("name", "duplicate");
      return r.Nest(field, i);
    }
  }
  return true;
}

bool ReadPeer(Reader& r, const msgpack::object& o, PeerStatus* p) {
  Fields f = nullptr;
  return r.Tuple(o, nullptr, wire::kPeerFields, &f) && r.NodeId(f[0], "id", &p->id) &&
         r.Bool(f[1], "connected", &p->connected) && r.Uint(f[2], "lag", &p->lag) &&
         r.Vector(f[3], "vv", &p->vv);
}

bool ReadPeers(Reader& r, const msgpack::object& o, std::vector<PeerStatus>* out) {
  const msgpack::object_array* a = nullptr;
  if (!r.Array(o, "peers", r.limits().max_members, &a)) return false;
  out->resize(a->size);
  for (uint32_t i = 0; i < a->size; ++i) {
    if (!ReadPeer(r, a->ptr[i], &(*out)[i])) return r.Nest("peers", i);
  }
  return true;
}

bool ReadNodeStatus(Reader& r, const msgpack::object& o, NodeStatus* s) {
  const size_t max = r.limits().max_string_bytes;
  Fields f = nullptr;
  return r.Tuple(o, nullptr, wire::kNodeStatusFields, &f) &&
         r.NodeId(f[0], "node_id", &s->node_id) && r.Str(f[1], "mode", max, &s->mode) &&
         r.Str(f[2], "store", max, &s->store) && r.Vector(f[3], "vv", &s->vv) &&
         ReadPeers(r, f[4], &s->peers) && r.Uint(f[5], "records", &s->records) &&
         r.Uint(f[6], "tombstones", &s->tombstones) &&
         ReadNamedMap(r, f[7], "counters", &s->counters) &&
         ReadNamedMap(r, f[8], "info", &s->info);
}

// --- message fields, in wire order (codec.cpp's PackFields) ---

bool ReadFields(Reader& r, Fields f, ChangeBatch* m) {
  return r.NodeId(f[0], "origin", &m->origin) &&
         ReadRecords(r, f[1], &m->origin, &m->records);
}

bool ReadFields(Reader& r, Fields f, Heartbeat* m) {
  return r.NodeId(f[0], "origin", &m->origin) && r.Uint(f[1], "hlc", &m->hlc) &&
         r.Vector(f[2], "vv", &m->vv);
}

bool ReadFields(Reader& r, Fields f, CatchUpRequest* m) {
  return r.NodeId(f[0], "from", &m->from) && r.Uint(f[1], "request_id", &m->request_id) &&
         r.Vector(f[2], "since", &m->since);
}

bool ReadFields(Reader& r, Fields f, CatchUpNext* m) {
  return r.NodeId(f[0], "from", &m->from) && r.Uint(f[1], "request_id", &m->request_id) &&
         r.Uint(f[2], "page", &m->page);
}

bool ReadFields(Reader& r, Fields f, CatchUpPage* m) {
  return r.NodeId(f[0], "from", &m->from) && r.Uint(f[1], "request_id", &m->request_id) &&
         ReadRecords(r, f[2], nullptr, &m->records) && r.Bool(f[3], "done", &m->done) &&
         r.Vector(f[4], "vv", &m->vv) && ReadCode(r, f[5], "error", &m->error) &&
         r.Str(f[6], "error_message", r.limits().max_string_bytes, &m->error_message) &&
         r.Uint(f[7], "page", &m->page);
}

bool ReadFields(Reader& r, Fields f, ClientRequest* m) {
  const CodecLimits& l = r.limits();
  if (!r.Uint(f[0], "request_id", &m->request_id) || !ReadOp(r, f[1], "op", &m->op)) {
    return false;
  }
  // Status, digest, watch and shutdown may name no collection; which ops
  // need one is the node's to answer, with this request's id.
  const bool no_collection = f[2].type == msgpack::type::STR && f[2].via.str.size == 0;
  if (!no_collection && !r.Collection(f[2], "collection", &m->collection)) return false;
  return r.Bin(f[3], "key", l.max_key_bytes, &m->key) &&
         r.Bin(f[4], "value", l.max_value_bytes, &m->value) &&
         r.Bin(f[5], "prefix", l.max_key_bytes, &m->prefix) &&
         r.Uint(f[6], "limit", &m->limit) && r.Bool(f[7], "cluster", &m->cluster) &&
         ReadClientWrites(r, f[8], &m->writes);
}

bool ReadFields(Reader& r, Fields f, ClientReply* m) {
  const size_t max = r.limits().max_string_bytes;
  if (!r.Uint(f[0], "request_id", &m->request_id) ||
      !ReadCode(r, f[1], "code", &m->code) || !r.Str(f[2], "message", max, &m->message) ||
      !ReadRecords(r, f[3], nullptr, &m->records) ||
      !r.Str(f[4], "digest", max, &m->digest)) {
    return false;
  }
  if (f[5].type == msgpack::type::NIL) return true;
  return ReadNodeStatus(r, f[5], &m->status.emplace()) || r.Nest("status");
}

bool ReadFields(Reader& r, Fields f, Join* m) {
  return ReadMember(r, f[0], &m->member) || r.Nest("member");
}

bool ReadFields(Reader& r, Fields f, Welcome* m) {
  return r.Uint(f[0], "epoch", &m->epoch) &&
         r.Uint(f[1], "heartbeat_ms", &m->heartbeat_ms) &&
         ReadMembers(r, f[2], &m->members);
}

bool ReadFields(Reader& r, Fields f, Membership* m) {
  return r.Uint(f[0], "epoch", &m->epoch) && ReadMembers(r, f[1], &m->members);
}

bool ReadFields(Reader& r, Fields f, Ping* m) {
  return r.NodeId(f[0], "node_id", &m->node_id) && r.Uint(f[1], "epoch", &m->epoch);
}

bool ReadFields(Reader& r, Fields f, Leave* m) {
  return r.NodeId(f[0], "node_id", &m->node_id);
}

bool ReadFields(Reader& r, Fields f, Shutdown* m) {
  return r.Bool(f[0], "cluster", &m->cluster);
}

// --- the envelope ---

template <typename T>
Result<Message> DecodeAs(Reader& r, const msgpack::object_array& envelope) {
  using Traits = wire::Traits<T>;
  const uint32_t fields = envelope.size - wire::kHeaderElements;
  if (fields != Traits::kFields) {
    return Status::Invalid(std::string(Traits::kName) + ": expected " +
                           Num(Traits::kFields) + " fields, got " + Num(fields));
  }
  T message;
  if (!ReadFields(r, envelope.ptr + wire::kHeaderElements, &message)) {
    r.Nest(Traits::kName);
    return Status::Invalid(r.Error());
  }
  return Message(std::move(message));
}

Result<Message> DecodeEnvelope(Reader& r, const msgpack::object& root) {
  const msgpack::object_array* envelope = nullptr;
  if (!r.Array(root, "message", wire::kMaxFixedArray, &envelope)) {
    return Status::Invalid(r.Error());
  }
  if (envelope->size < wire::kHeaderElements) {
    return Status::Invalid(
        "message: expected [version, type, fields...], got an array of " +
        Num(envelope->size));
  }
  uint64_t version = 0;
  uint64_t type = 0;
  if (!r.Uint(envelope->ptr[0], "version", &version)) return Status::Invalid(r.Error());
  if (version != kProtocolVersion) {
    return Status::Invalid("unsupported protocol version " + Num(version) +
                           " (expected " + Num(kProtocolVersion) + ")");
  }
  if (!r.Uint(envelope->ptr[1], "type", &type)) return Status::Invalid(r.Error());
  if (type < 1 || type > wire::kMaxMessageType) {
    return Status::Invalid("unknown message type " + Num(type));
  }
  using MT = wire::MessageType;
  switch (static_cast<MT>(type)) {
    case MT::kChangeBatch:
      return DecodeAs<ChangeBatch>(r, *envelope);
    case MT::kHeartbeat:
      return DecodeAs<Heartbeat>(r, *envelope);
    case MT::kCatchUpRequest:
      return DecodeAs<CatchUpRequest>(r, *envelope);
    case MT::kCatchUpNext:
      return DecodeAs<CatchUpNext>(r, *envelope);
    case MT::kCatchUpPage:
      return DecodeAs<CatchUpPage>(r, *envelope);
    case MT::kClientRequest:
      return DecodeAs<ClientRequest>(r, *envelope);
    case MT::kClientReply:
      return DecodeAs<ClientReply>(r, *envelope);
    case MT::kJoin:
      return DecodeAs<Join>(r, *envelope);
    case MT::kWelcome:
      return DecodeAs<Welcome>(r, *envelope);
    case MT::kMembership:
      return DecodeAs<Membership>(r, *envelope);
    case MT::kPing:
      return DecodeAs<Ping>(r, *envelope);
    case MT::kLeave:
      return DecodeAs<Leave>(r, *envelope);
    case MT::kShutdown:
      return DecodeAs<Shutdown>(r, *envelope);
  }
  return Status::Invalid("unknown message type " + Num(type));
}

}  // namespace
}  // namespace codec

Result<Message> Decode(std::string_view bytes, const CodecLimits& limits) {
  if (bytes.empty()) return Status::Invalid("empty message");
  if (bytes.size() > limits.max_message_bytes) {
    return Status::Invalid("message of " + codec::Num(bytes.size()) +
                           " bytes exceeds the limit of " +
                           codec::Num(limits.max_message_bytes));
  }
  // msgpack-cxx throws (its own size checks, std::bad_alloc), and so can
  // std::string; this is the one place any of it becomes a Status.
  try {
    msgpack::zone zone;
    msgpack::object root;
    Status unpacked = codec::Unpack(bytes, limits, &zone, &root);
    if (!unpacked.ok()) return unpacked;
    codec::Reader reader(limits);
    return codec::DecodeEnvelope(reader, root);
  } catch (const std::exception& e) {
    return Status::Invalid(std::string("undecodable message: ") + e.what());
  } catch (...) {
    return Status::Invalid("undecodable message");
  }
}

}  // namespace datasync
