#include "output.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

namespace datasync {
namespace {

using Lines = std::vector<std::pair<std::string, std::string>>;

// Labels padded to the widest one, so values line up.
std::string Aligned(const Lines& lines) {
  size_t width = 0;
  for (const auto& [label, value] : lines) width = std::max(width, label.size());
  std::string out;
  for (const auto& [label, value] : lines) {
    out += label;
    out.append(width - label.size() + 2, ' ');
    out += value;
    out += '\n';
  }
  return out;
}

std::string VectorText(const VersionVector& vv) {
  if (vv.size() == 0) return "(empty)";
  std::string out;
  for (const auto& [origin, seq] : vv.entries()) {
    if (!out.empty()) out += ' ';
    out += origin + ":" + std::to_string(seq);
  }
  return out;
}

void VectorJson(const VersionVector& vv, JsonWriter* json) {
  json->BeginObject();
  for (const auto& [origin, seq] : vv.entries()) json->Key(origin).Uint(seq);
  json->EndObject();
}

}  // namespace

std::string Escaped(std::string_view bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    size_t n = Utf8SequenceLength(bytes, i);
    if (n > 1) {
      out.append(bytes.substr(i, n));
      i += n - 1;
      continue;
    }
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char hex[5];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          out += hex;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

void RecordFields(const Record& record, JsonWriter* json) {
  json->Bytes("collection", record.collection);
  json->Bytes("key", record.key);
  if (!record.deleted) json->Bytes("value", record.value);
  json->Key("deleted").Bool(record.deleted);
  json->Key("version").BeginObject();
  json->Key("hlc").Uint(record.version.hlc);
  json->Key("origin").String(record.version.origin);
  json->EndObject();
  json->Key("origin").String(record.version.origin);
  json->Key("seq").Uint(record.seq);
}

std::string WatchLine(const Record& record) {
  std::string line = record.deleted ? "del " : "put ";
  line += Escaped(record.collection) + " " + Escaped(record.key);
  if (!record.deleted) line += " " + Escaped(record.value);
  return line;
}

std::string StatusText(const NodeStatus& status) {
  Lines lines = {
      {"node", status.node_id},
      {"mode", status.mode},
      {"store", status.store},
      {"records", std::to_string(status.records)},
      {"tombstones", std::to_string(status.tombstones)},
      {"vv", VectorText(status.vv)},
  };
  for (const PeerStatus& peer : status.peers) {
    lines.emplace_back("peer " + peer.id,
                       std::string(peer.connected ? "connected" : "disconnected") +
                           ", lag " + std::to_string(peer.lag) + ", vv " +
                           VectorText(peer.vv));
  }
  for (const auto& [name, value] : status.counters) {
    lines.emplace_back(name, std::to_string(value));
  }
  for (const auto& [name, value] : status.info) {
    lines.emplace_back(name, Escaped(value));
  }
  return Aligned(lines);
}

void StatusJson(const NodeStatus& status, JsonWriter* json) {
  json->BeginObject();
  json->Key("node_id").String(status.node_id);
  json->Key("mode").String(status.mode);
  json->Key("store").String(status.store);
  json->Key("vv");
  VectorJson(status.vv, json);
  json->Key("peers").BeginArray();
  for (const PeerStatus& peer : status.peers) {
    json->BeginObject();
    json->Key("id").String(peer.id);
    json->Key("connected").Bool(peer.connected);
    json->Key("lag").Uint(peer.lag);
    json->Key("vv");
    VectorJson(peer.vv, json);
    json->EndObject();
  }
  json->EndArray();
  json->Key("records").Uint(status.records);
  json->Key("tombstones").Uint(status.tombstones);
  json->Key("counters").BeginObject();
  for (const auto& [name, value] : status.counters) json->Key(name).Uint(value);
  json->EndObject();
  json->Key("info").BeginObject();
  for (const auto& [name, value] : status.info) json->Key(name).String(value);
  json->EndObject();
  json->EndObject();
}

std::string MembersText(const Membership& membership) {
  std::vector<std::vector<std::string>> rows = {{"ID", "API", "PUB", "SYNC"}};
  for (const MemberInfo& m : membership.members) {
    rows.push_back({m.id, m.api, m.pub, m.sync});
  }
  std::vector<size_t> widths(4, 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string out = "epoch " + std::to_string(membership.epoch) + ", " +
                    std::to_string(membership.members.size()) + " members\n";
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

void MembersJson(const Membership& membership, JsonWriter* json) {
  json->BeginObject();
  json->Key("epoch").Uint(membership.epoch);
  json->Key("members").BeginArray();
  for (const MemberInfo& m : membership.members) {
    json->BeginObject();
    json->Key("id").String(m.id);
    json->Key("api").String(m.api);
    json->Key("pub").String(m.pub);
    json->Key("sync").String(m.sync);
    json->EndObject();
  }
  json->EndArray();
  json->EndObject();
}

}  // namespace datasync
