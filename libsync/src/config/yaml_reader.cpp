#include "config/yaml_reader.h"

#include <limits>

#include "config/endpoint.h"

namespace datasync::config {
namespace {

constexpr size_t kMaxQuotedBytes = 80;

constexpr uint64_t kSaturated = std::numeric_limits<uint64_t>::max();

// Digits only. Too many digits saturate rather than fail, so that the range
// check reports "must be between", which says more than "not a number".
bool ParseDecimal(std::string_view text, uint64_t* value) {
  if (text.empty()) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    v = v > (kSaturated - digit) / 10 ? kSaturated : v * 10 + digit;
  }
  *value = v;
  return true;
}

bool ParseDurationMs(std::string_view text, uint64_t* ms) {
  struct Unit {
    std::string_view suffix;
    uint64_t ms;
  };
  // "ms" first: "250ms" also ends in "s".
  static constexpr Unit kUnits[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}};
  uint64_t scale = 1;
  for (const Unit& unit : kUnits) {
    if (text.ends_with(unit.suffix)) {
      text.remove_suffix(unit.suffix.size());
      scale = unit.ms;
      break;
    }
  }
  uint64_t count = 0;
  if (!ParseDecimal(text, &count)) return false;
  *ms = count > kSaturated / scale ? kSaturated : count * scale;
  return true;
}

std::string RangeProblem(uint64_t min, uint64_t max) {
  if (max == kSaturated) {
    return "must be at least " + std::to_string(min);
  }
  return "must be between " + std::to_string(min) + " and " + std::to_string(max);
}

}  // namespace

int MarkLine(const YAML::Mark& mark, int fallback) {
  return mark.line >= 0 ? mark.line + 1 : fallback;
}

std::string Escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < text.size() && i < kMaxQuotedBytes; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMaxQuotedBytes) out += "...";
  return out;
}

std::string Quote(std::string_view text) { return "\"" + Escape(text) + "\""; }

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return Quote(node.Scalar());
    default:
      return "an empty value";
  }
}

void YamlWalk::Fail(int line, std::string_view path, std::string_view what) {
  if (!status_.ok()) return;
  std::string message = file_ + ":" + std::to_string(line) + ": ";
  if (!path.empty()) {
    message += path;
    message += ": ";
  }
  message += what;
  status_ = Status::Invalid(std::move(message));
}

YamlMap::YamlMap(YamlWalk* walk, const YAML::Node& node, std::string path, int line)
    : walk_(walk), path_(std::move(path)), line_(line) {
  if (!node.IsMap()) return;
  for (auto it = node.begin(); it != node.end(); ++it) {
    Entry entry;
    entry.key_node = it->first;
    entry.value = it->second;
    entry.line = MarkLine(it->first.Mark(), line);
    if (it->first.IsScalar()) entry.key = it->first.Scalar();
    entries_.push_back(std::move(entry));
  }
}

void YamlMap::AllowKeys(std::initializer_list<std::string_view> allowed) {
  for (size_t i = 0; i < entries_.size() && walk_->ok(); ++i) {
    const Entry& entry = entries_[i];
    if (!entry.key_node.IsScalar() || entry.key.empty()) {
      walk_->Fail(entry.line, path_,
                  "expected a key name, got " + Describe(entry.key_node) + " as a key");
      return;
    }
    bool known = false;
    for (std::string_view name : allowed) known = known || name == entry.key;
    if (!known) {
      walk_->Fail(entry.line, PathOf(entry.key), "unknown key");
      return;
    }
    for (size_t j = 0; j < i; ++j) {
      if (entries_[j].key == entry.key) {
        walk_->Fail(
            entry.line, PathOf(entry.key),
            "duplicate key (first on line " + std::to_string(entries_[j].line) + ")");
        return;
      }
    }
  }
}

bool YamlMap::Has(std::string_view key) const {
  for (const Entry& entry : entries_) {
    if (entry.key == key) return true;
  }
  return false;
}

std::string YamlMap::PathOf(std::string_view key) const {
  // Keys come from the file: escape them so the message stays one line.
  const std::string name = Escape(key);
  return path_.empty() ? name : path_ + "." + name;
}

int YamlMap::LineOf(std::string_view key) const {
  for (const Entry& entry : entries_) {
    if (entry.key == key) return entry.line;
  }
  return line_;
}

void YamlMap::Fail(std::string_view key, std::string_view what) {
  walk_->Fail(LineOf(key), PathOf(key), what);
}

const YamlMap::Entry* YamlMap::Find(std::string_view key, Need need) {
  if (!walk_->ok()) return nullptr;
  for (const Entry& entry : entries_) {
    if (entry.key == key) return &entry;
  }
  if (need == Need::kRequired) walk_->Fail(line_, PathOf(key), "required key missing");
  return nullptr;
}

bool YamlMap::ScalarText(const Entry& entry, std::string_view expected, bool plain_only,
                         std::string* text) {
  const YAML::Node& value = entry.value;
  if (!value.IsScalar()) {
    Fail(entry.key,
         std::string("expected ") + std::string(expected) + ", got " + Describe(value));
    return false;
  }
  // yaml-cpp tags plain scalars "?" and quoted ones "!".
  if (plain_only && value.Tag() == "!") {
    Fail(entry.key, std::string("expected ") + std::string(expected) +
                        " without quotes, got " + Describe(value));
    return false;
  }
  *text = value.Scalar();
  return true;
}

void YamlMap::GetString(std::string_view key, Need need, std::string* out) {
  const Entry* entry = Find(key, need);
  std::string text;
  if (entry == nullptr || !ScalarText(*entry, "a string", false, &text)) return;
  if (text.empty()) {
    Fail(key, "must not be empty");
    return;
  }
  *out = std::move(text);
}

void YamlMap::GetEndpoint(std::string_view key, Need need, EndpointUse use,
                          std::string_view example, std::string* out) {
  const Entry* entry = Find(key, need);
  std::string text;
  const std::string expected = "a ZeroMQ endpoint like " + std::string(example);
  if (entry == nullptr || !ScalarText(*entry, expected, false, &text)) return;
  const std::string problem = EndpointProblem(text, use, example);
  if (!problem.empty()) {
    Fail(key, problem + ", got " + Quote(text));
    return;
  }
  *out = std::move(text);
}

void YamlMap::GetUint(std::string_view key, uint64_t min, uint64_t max, uint64_t* out) {
  const Entry* entry = Find(key, Need::kOptional);
  std::string text;
  if (entry == nullptr || !ScalarText(*entry, "a non-negative integer", true, &text)) {
    return;
  }
  uint64_t value = 0;
  if (!ParseDecimal(text, &value)) {
    Fail(key, "expected a non-negative integer, got " + Quote(text));
  } else if (value < min || value > max) {
    Fail(key, RangeProblem(min, max) + ", got " + Quote(text));
  } else {
    *out = value;
  }
}

void YamlMap::GetDurationMs(std::string_view key, uint64_t min_ms, uint64_t max_ms,
                            uint64_t* out) {
  static constexpr std::string_view kExpected =
      "a duration in milliseconds like 500 (or 500ms, 2s, 1m)";
  const Entry* entry = Find(key, Need::kOptional);
  std::string text;
  if (entry == nullptr || !ScalarText(*entry, kExpected, true, &text)) return;
  uint64_t ms = 0;
  if (!ParseDurationMs(text, &ms)) {
    Fail(key, "expected " + std::string(kExpected) + ", got " + Quote(text));
  } else if (ms < min_ms || ms > max_ms) {
    Fail(key, RangeProblem(min_ms, max_ms) + " ms, got " + Quote(text));
  } else {
    *out = ms;
  }
}

void YamlMap::GetBool(std::string_view key, bool* out) {
  const Entry* entry = Find(key, Need::kOptional);
  std::string text;
  if (entry == nullptr || !ScalarText(*entry, "true or false", true, &text)) return;
  if (text == "true" || text == "True" || text == "TRUE") {
    *out = true;
  } else if (text == "false" || text == "False" || text == "FALSE") {
    *out = false;
  } else {
    Fail(key, "expected true or false, got " + Quote(text));
  }
}

bool YamlMap::GetChoice(std::string_view key,
                        const std::vector<std::string_view>& choices, size_t* index) {
  std::string expected = "one of ";
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) expected += ", ";
    expected += choices[i];
  }
  const Entry* entry = Find(key, Need::kOptional);
  std::string text;
  if (entry == nullptr || !ScalarText(*entry, expected, false, &text)) return false;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (choices[i] == text) {
      *index = i;
      return true;
    }
  }
  Fail(key, "expected " + expected + ", got " + Quote(text));
  return false;
}

YamlMap YamlMap::GetMap(std::string_view key, Need need) {
  const Entry* entry = Find(key, need);
  if (entry == nullptr) return YamlMap(walk_, YAML::Node(), PathOf(key), line_);
  const bool empty_ok = need == Need::kOptional && entry->value.IsNull();
  if (!entry->value.IsMap() && !empty_ok) {
    Fail(key, "expected a map, got " + Describe(entry->value));
    return YamlMap(walk_, YAML::Node(), PathOf(key), entry->line);
  }
  return YamlMap(walk_, entry->value, PathOf(key), entry->line);
}

std::vector<YamlMap> YamlMap::GetMapList(std::string_view key, Need need) {
  std::vector<YamlMap> maps;
  const Entry* entry = Find(key, need);
  if (entry == nullptr) return maps;
  if (entry->value.IsNull() && need == Need::kOptional) return maps;
  if (!entry->value.IsSequence()) {
    Fail(key, "expected a list, got " + Describe(entry->value));
    return maps;
  }
  const std::string list_path = PathOf(key);
  size_t i = 0;
  for (auto it = entry->value.begin(); it != entry->value.end(); ++it, ++i) {
    const YAML::Node& element = *it;
    const std::string path = list_path + "[" + std::to_string(i) + "]";
    const int line = MarkLine(element.Mark(), entry->line);
    if (!element.IsMap()) {
      walk_->Fail(line, path, "expected a map, got " + Describe(element));
      return {};
    }
    maps.emplace_back(walk_, element, path, line);
  }
  return maps;
}

}  // namespace datasync::config
