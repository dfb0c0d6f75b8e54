// msgpack encodings of the node <-> connector messages (connector.h).
//
// Each message is [type index, fields...]. msgpack-cxx throws on malformed
// input and on type mismatches; that is caught here, once, and turned into
// a Status, so nothing escapes to the threads that decode.
#include <msgpack.hpp>

#include "datasync/connector.h"

namespace datasync {
namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;

void PackStr(Packer& p, const std::string& s) {
  p.pack_str(static_cast<uint32_t>(s.size()));
  p.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

void PackBin(Packer& p, const std::string& s) {
  p.pack_bin(static_cast<uint32_t>(s.size()));
  p.pack_bin_body(s.data(), static_cast<uint32_t>(s.size()));
}

void PackVector(Packer& p, const VersionVector& vv) {
  p.pack_map(static_cast<uint32_t>(vv.size()));
  for (const auto& [origin, seq] : vv.entries()) {
    PackStr(p, origin);
    p.pack(seq);
  }
}

void PackRecord(Packer& p, const Record& r) {
  p.pack_array(7);
  PackStr(p, r.collection);
  PackBin(p, r.key);
  PackBin(p, r.value);
  p.pack(r.deleted);
  p.pack(r.version.hlc);
  PackStr(p, r.version.origin);
  p.pack(r.seq);
}

// Reads the fields of one message in order; each getter throws on a
// mismatch (caught by Decode below).
class Fields {
 public:
  explicit Fields(const msgpack::object& array) : array_(array) {
    if (array.type != msgpack::type::ARRAY) throw msgpack::type_error();
  }
  const msgpack::object& Next() {
    if (next_ >= array_.via.array.size) throw msgpack::type_error();
    return array_.via.array.ptr[next_++];
  }
  std::string Bytes() {
    const msgpack::object& o = Next();
    if (o.type == msgpack::type::STR) return std::string(o.via.str.ptr, o.via.str.size);
    if (o.type == msgpack::type::BIN) return std::string(o.via.bin.ptr, o.via.bin.size);
    throw msgpack::type_error();
  }
  uint64_t Uint() { return Next().as<uint64_t>(); }
  bool AtEnd() const { return next_ == array_.via.array.size; }
  bool Bool() { return Next().as<bool>(); }
  VersionVector Vector() {
    return VersionVector(Next().as<std::map<std::string, uint64_t>>());
  }
  // The fields of a record, read from this array.
  Record RecordFields() {
    Fields& f = *this;
    Record r;
    r.collection = f.Bytes();
    r.key = f.Bytes();
    r.value = f.Bytes();
    r.deleted = f.Bool();
    r.version.hlc = f.Uint();
    r.version.origin = f.Bytes();
    r.seq = f.Uint();
    return r;
  }
  template <typename T, typename Fn>
  std::vector<T> List(Fn read_one) {
    const msgpack::object& o = Next();
    if (o.type != msgpack::type::ARRAY) throw msgpack::type_error();
    std::vector<T> out;
    out.reserve(o.via.array.size);
    for (uint32_t i = 0; i < o.via.array.size; ++i) {
      Fields f(o.via.array.ptr[i]);
      out.push_back(read_one(f));
    }
    return out;
  }
 private:
  const msgpack::object& array_;
  uint32_t next_ = 0;
};

struct ToNodePacker {
  Packer& p;
  void operator()(const ConnectorCaptured& m) {
    p.pack_array(3);
    p.pack(0);
    PackStr(p, m.position);
    p.pack_array(static_cast<uint32_t>(m.changes.size()));
    for (const CapturedChange& c : m.changes) {
      p.pack_array(4);
      PackStr(p, c.collection);
      PackBin(p, c.key);
      PackBin(p, c.value);
      p.pack(c.deleted);
    }
  }
  void operator()(const ConnectorResync& m) {
    p.pack_array(2);
    p.pack(1);
    PackVector(p, m.since);
  }
  void operator()(const ConnectorFailures& m) {
    p.pack_array(2);
    p.pack(2);
    p.pack_array(static_cast<uint32_t>(m.failures.size()));
    for (const ConnectorFailure& f : m.failures) {
      p.pack_array(3);
      PackStr(p, f.collection);
      PackBin(p, f.key);
      PackStr(p, f.message);
    }
  }
  void operator()(const ConnectorState& m) {
    p.pack_array(10);
    p.pack(3);
    PackStr(p, m.state);
    PackStr(p, m.position);
    PackStr(p, m.last_error);
    for (uint64_t n : {m.lag, m.errors, m.captured, m.applied, m.skipped, m.failed}) {
      p.pack(n);
    }
  }
  void operator()(const ConnectorUninstalled& m) {
    p.pack_array(3);
    p.pack(4);
    p.pack(static_cast<uint64_t>(m.code));
    PackStr(p, m.message);
  }
};

struct ToConnectorPacker {
  Packer& p;
  void operator()(const ConnectorCaptureAck& m) {
    p.pack_array(3);
    p.pack(0);
    PackStr(p, m.position);
    p.pack(m.committed);
  }
  void operator()(const ConnectorApply& m) {
    p.pack_array(4);
    p.pack(1);
    p.pack_array(static_cast<uint32_t>(m.records.size()));
    for (const Record& r : m.records) PackRecord(p, r);
    PackVector(p, m.vv);
    p.pack(m.has_vv);
  }
  void operator()(const ConnectorUninstall&) {
    p.pack_array(1);
    p.pack(2);
  }
  void operator()(const ConnectorStop&) {
    p.pack_array(1);
    p.pack(3);
  }
};

ConnectorToNode ReadToNode(Fields& f) {
  switch (f.Uint()) {
    case 0: {
      ConnectorCaptured m;
      m.position = f.Bytes();
      m.changes = f.List<CapturedChange>([](Fields& c) {
        CapturedChange change;
        change.collection = c.Bytes();
        change.key = c.Bytes();
        change.value = c.Bytes();
        change.deleted = c.Bool();
        return change;
      });
      return m;
    }
    case 1:
      return ConnectorResync{f.Vector()};
    case 2:
      return ConnectorFailures{f.List<ConnectorFailure>([](Fields& c) {
        ConnectorFailure failure;
        failure.collection = c.Bytes();
        failure.key = c.Bytes();
        failure.message = c.Bytes();
        return failure;
      })};
    case 3: {
      ConnectorState m;
      m.state = f.Bytes();
      m.position = f.Bytes();
      m.last_error = f.Bytes();
      for (uint64_t* n :
           {&m.lag, &m.errors, &m.captured, &m.applied, &m.skipped, &m.failed}) {
        *n = f.Uint();
      }
      return m;
    }
    case 4: {
      ConnectorUninstalled m;
      const uint64_t code = f.Uint();
      if (code > static_cast<uint64_t>(Code::kUnavailable)) throw msgpack::type_error();
      m.code = static_cast<Code>(code);
      m.message = f.Bytes();
      return m;
    }
  }
  throw msgpack::type_error();
}

NodeToConnector ReadToConnector(Fields& f) {
  switch (f.Uint()) {
    case 0: {
      ConnectorCaptureAck m;
      m.position = f.Bytes();
      m.committed = f.Bool();
      return m;
    }
    case 1: {
      ConnectorApply m;
      m.records = f.List<Record>([](Fields& r) { return r.RecordFields(); });
      m.vv = f.Vector();
      m.has_vv = f.Bool();
      return m;
    }
    case 2:
      return ConnectorUninstall{};
    case 3:
      return ConnectorStop{};
  }
  throw msgpack::type_error();
}

template <typename T, typename Read>
Result<T> Decode(std::string_view bytes, Read read) {
  try {
    size_t offset = 0;
    msgpack::object_handle handle = msgpack::unpack(bytes.data(), bytes.size(), offset);
    if (offset != bytes.size()) throw msgpack::unpack_error("trailing bytes");
    Fields fields(handle.get());
    T message = read(fields);
    if (!fields.AtEnd()) throw msgpack::unpack_error("extra fields");
    return message;
  } catch (const std::exception& e) {
    return Status::Invalid(std::string("bad connector message: ") + e.what());
  }
}

}  // namespace

std::string EncodeConnectorMessage(const ConnectorToNode& message) {
  msgpack::sbuffer buffer;
  Packer p(buffer);
  std::visit(ToNodePacker{p}, message);
  return std::string(buffer.data(), buffer.size());
}

std::string EncodeConnectorMessage(const NodeToConnector& message) {
  msgpack::sbuffer buffer;
  Packer p(buffer);
  std::visit(ToConnectorPacker{p}, message);
  return std::string(buffer.data(), buffer.size());
}

Result<ConnectorToNode> DecodeConnectorToNode(std::string_view bytes) {
  return Decode<ConnectorToNode>(bytes, ReadToNode);
}

Result<NodeToConnector> DecodeNodeToConnector(std::string_view bytes) {
  return Decode<NodeToConnector>(bytes, ReadToConnector);
}

std::string ConnectorPositionKey(const std::string& connector_name) {
  return "connector." + connector_name + ".position";
}

}  // namespace datasync
