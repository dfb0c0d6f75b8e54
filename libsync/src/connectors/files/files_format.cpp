#include "connectors/files/files_format.h"

#include <nlohmann/json.hpp>

#include "connectors/files/files_state.h"

namespace datasync::files_connector {
namespace {

constexpr std::string_view kJsonSuffix = ".json";

bool IsJson(const ConnectorConfig& config) { return config.format == FilesFormat::kJson; }

}  // namespace

std::optional<std::string> KeyOfPath(const ConnectorConfig& config, const std::string& path) {
  if (!IsJson(config)) return path;
  const size_t slash = path.rfind('/');
  const size_t base = slash == std::string::npos ? 0 : slash + 1;
  if (path.size() - base <= kJsonSuffix.size() ||
      path.compare(path.size() - kJsonSuffix.size(), kJsonSuffix.size(), kJsonSuffix) != 0) {
    return std::nullopt;
  }
  return path.substr(0, path.size() - kJsonSuffix.size());
}

std::string PathOfKey(const ConnectorConfig& config, const std::string& key) {
  return IsJson(config) ? key + std::string(kJsonSuffix) : key;
}

bool FileToValue(const ConnectorConfig& config, std::string content, std::string* value,
                 std::string* error) {
  if (!IsJson(config)) {
    *value = std::move(content);
    return true;
  }
  // nlohmann::json throws on bad input: caught here, once.
  try {
    const nlohmann::json j = nlohmann::json::parse(content);
    if (!j.is_object()) {
      *error = "not a JSON object";
      return false;
    }
    for (const auto& [name, field] : j.items()) {
      if (field.is_structured()) {
        *error = "field " + name + " is not a scalar (null, number, string or bool)";
        return false;
      }
    }
    const std::vector<uint8_t> bytes = nlohmann::json::to_msgpack(j);
    value->assign(bytes.begin(), bytes.end());
    return true;
  } catch (const nlohmann::json::exception& e) {
    *error = std::string("not JSON: ") + e.what();
    return false;
  }
}

bool ValueToFile(const ConnectorConfig& config, const std::string& value, std::string* content,
                 std::string* error) {
  if (!IsJson(config)) {
    *content = value;
    return true;
  }
  try {
    const nlohmann::json j = nlohmann::json::from_msgpack(value);
    if (!j.is_object()) {
      *error = "value is not a msgpack map, no JSON object to write";
      return false;
    }
    // Blobs have no JSON form that reads back as bytes.
    for (const auto& [name, field] : j.items()) {
      if (field.is_binary()) {
        *error = "field " + name + " holds bytes, which JSON cannot carry";
        return false;
      }
    }
    *content = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    return true;
  } catch (const nlohmann::json::exception& e) {
    *error = std::string("value is not msgpack: ") + e.what();
    return false;
  }
}

}  // namespace datasync::files_connector
