#include "connectors/row_value.h"

namespace datasync::connector_values {

bool ForEachEntry(const std::string& value, const std::string& where, const std::string& what,
                  std::string* error,
                  const std::function<bool(std::string name, const msgpack::object&)>& entry) {
  msgpack::object_handle handle;
  try {
    size_t offset = 0;
    handle = msgpack::unpack(value.data(), value.size(), offset);
    if (offset != value.size()) throw msgpack::unpack_error("trailing bytes");
  } catch (const std::exception&) {
    *error = where + "value is not msgpack (a map of " + what + " -> scalar)";
    return false;
  }
  const msgpack::object& map = handle.get();
  if (map.type != msgpack::type::MAP) {
    *error = where + "value is not a msgpack map of " + what + " -> scalar";
    return false;
  }
  for (uint32_t i = 0; i < map.via.map.size; ++i) {
    const msgpack::object_kv& kv = map.via.map.ptr[i];
    if (kv.key.type != msgpack::type::STR) {
      *error = where + "a " + what + " name in the value is not text";
      return false;
    }
    if (!entry(std::string(kv.key.via.str.ptr, kv.key.via.str.size), kv.val)) return false;
  }
  return true;
}

std::string QuoteId(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string QuoteText(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

}  // namespace datasync::connector_values
