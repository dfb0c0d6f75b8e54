// Walks a parsed YAML document on behalf of the config loaders.
//
// A YamlMap stands for one map of the document with its key path
// ("peers[1]") and line. Each getter checks one key: present when required,
// of the right type, within range. The first problem found becomes the
// walk's Status, `FILE:LINE: key.path: what is wrong`; after that every
// getter does nothing, so a loader reads as a plain list of keys with one
// status check at the end. Values are taken from the scalars' text, never
// through yaml-cpp's own conversions, and WalkYaml() is the one place that
// catches what yaml-cpp throws. Lines are 1-based.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "datasync/config.h"
#include "datasync/status.h"

namespace datasync::config {

// `text` made safe for a one-line message: quotes, backslashes and control
// bytes escaped, long text cut short.
std::string Escape(std::string_view text);
// The same, in double quotes.
std::string Quote(std::string_view text);
// What a value is, for "got ...": "a map", "a list", "an empty value", or
// the quoted scalar.
std::string Describe(const YAML::Node& node);

// The 1-based line of a yaml-cpp mark (0-based), or `fallback` when the node
// has no mark (yaml-cpp made it up, as for an empty document).
int MarkLine(const YAML::Mark& mark, int fallback);

// The whole file, or kIoError naming `path`. Refuses files too large to be
// a config, so a wrong path cannot make us read gigabytes.
Result<std::string> ReadConfigFile(const std::string& path);

// The state of one walk: the file name for messages and the first error.
class YamlWalk {
 public:
  explicit YamlWalk(std::string file) : file_(std::move(file)) {}

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // Records `FILE:LINE: PATH: what` (`FILE:LINE: what` when `path` is empty)
  // unless an error is already recorded.
  void Fail(int line, std::string_view path, std::string_view what);

 private:
  std::string file_;
  Status status_;
};

enum class Need { kOptional, kRequired };

template <typename T>
struct EnumName {
  std::string_view name;
  T value;
};

// Getters leave *out unchanged when the key is absent (so it keeps its
// default) or when an error is recorded. An explicitly empty value (`key:`
// or `key: ~`) is a wrong type for a scalar, and means "empty" for an
// optional map or list.
class YamlMap {
 public:
  // `node` must be a map or null (an empty map); `line` is where it starts,
  // used for keys missing from it.
  YamlMap(YamlWalk* walk, const YAML::Node& node, std::string path, int line);

  const std::string& path() const { return path_; }
  int line() const { return line_; }
  // False once any error of the walk is recorded; checks that combine
  // several keys run only while it is true.
  bool ok() const { return walk_->ok(); }

  // Fails on the first key, in file order, that is not in `allowed`, that
  // repeats an earlier key, or that is not a string.
  void AllowKeys(std::initializer_list<std::string_view> allowed);

  bool Has(std::string_view key) const;
  // "node.id"; "id" in the top-level map.
  std::string PathOf(std::string_view key) const;
  // The line of `key`, or of this map when the key is absent.
  int LineOf(std::string_view key) const;
  // Records `what` against `key`.
  void Fail(std::string_view key, std::string_view what);

  // A non-empty string.
  void GetString(std::string_view key, Need need, std::string* out);
  // An endpoint for `use`; `example` shows the expected form.
  void GetEndpoint(std::string_view key, Need need, EndpointUse use,
                   std::string_view example, std::string* out);
  // A decimal integer in [min, max], written without quotes.
  void GetUint(std::string_view key, uint64_t min, uint64_t max, uint64_t* out);
  template <typename T>
  void GetUint(std::string_view key, uint64_t min, uint64_t max, T* out) {
    SYNC_CHECK(max <= static_cast<uint64_t>(std::numeric_limits<T>::max()));
    uint64_t value = static_cast<uint64_t>(*out);
    GetUint(key, min, max, &value);
    *out = static_cast<T>(value);
  }
  // Milliseconds in [min_ms, max_ms]: a plain integer, or an integer with a
  // unit: 250ms, 2s, 1m.
  void GetDurationMs(std::string_view key, uint64_t min_ms, uint64_t max_ms,
                     uint64_t* out);
  // true or false, written without quotes.
  void GetBool(std::string_view key, bool* out);
  template <typename T>
  void GetEnum(std::string_view key, std::initializer_list<EnumName<T>> names, T* out) {
    std::vector<std::string_view> choices;
    for (const EnumName<T>& n : names) choices.push_back(n.name);
    size_t index = 0;
    if (GetChoice(key, choices, &index)) *out = names.begin()[index].value;
  }

  // The nested map at `key` (empty when absent and optional, or on error).
  YamlMap GetMap(std::string_view key, Need need);
  // The elements of the list at `key`, each of which must be a map; they are
  // named "key[0]", "key[1]"...
  std::vector<YamlMap> GetMapList(std::string_view key, Need need);

 private:
  struct Entry {
    std::string key;  // empty when the key is not a string
    int line = 0;     // of the key
    YAML::Node key_node;
    YAML::Node value;
  };

  // The entry of `key`; nullptr when absent (a failure when required) or
  // when an error is already recorded.
  const Entry* Find(std::string_view key, Need need);
  // The text of a scalar value, or a failure saying `expected`. Quoted
  // scalars are refused when `plain_only`: there "5" is a string, not 5.
  bool ScalarText(const Entry& entry, std::string_view expected, bool plain_only,
                  std::string* text);
  bool GetChoice(std::string_view key, const std::vector<std::string_view>& choices,
                 size_t* index);

  YamlWalk* walk_;
  std::string path_;
  int line_;
  std::vector<Entry> entries_;
};

// The node's `connectors` list (connector_config.cpp).
void ReadConnectors(YamlMap& root, NodeConfig* c);

// The `log` section, common to every config file: { level: info }.
void ReadLogSection(YamlMap& root, LogLevel* level);

// Parses `text` and, when it holds exactly one document whose top level is
// a map, calls `walk` with that map. Returns the first error: a YAML syntax
// error (with its line), an empty file, a top level that is not a map, or
// whatever `walk` recorded. Nothing escapes: every exception becomes a
// Status.
Status WalkYaml(const std::string& text, const std::string& file,
                const std::function<void(YamlMap& root)>& walk);

}  // namespace datasync::config
