// The document as a whole, for yaml_reader.h: reading the file, parsing it,
// and turning what yaml-cpp throws into a Status.

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>

#include "config/yaml_reader.h"

namespace datasync::config {
namespace {

constexpr size_t kMaxConfigFileBytes = 4 << 20;

// Records where a document starts and ignores everything else.
class DocumentStarts : public YAML::EventHandler {
 public:
  const YAML::Mark& last() const { return last_; }

  void OnDocumentStart(const YAML::Mark& mark) override { last_ = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  YAML::Mark last_;
};

// The line where a second document starts, or 0 when there is none. Not
// YAML::LoadAll(): in yaml-cpp 0.7 it loops forever, allocating, on input
// such as ",\n" (jbeder/yaml-cpp#1040, fixed upstream by #1319). Asking the
// parser for exactly two documents cannot loop.
int SecondDocumentLine(const std::string& text) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentStarts starts;
  if (!parser.HandleNextDocument(starts)) return 0;
  if (!parser.HandleNextDocument(starts)) return 0;
  return MarkLine(starts.last(), 1);
}

}  // namespace

Result<std::string> ReadConfigFile(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"),
                                             &std::fclose);
  if (!file) return Status::IoError(path + ": cannot open: " + std::strerror(errno));
  std::string text;
  char buffer[16384];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) {
    text.append(buffer, n);
    if (text.size() > kMaxConfigFileBytes) {
      return Status::IoError(path + ": larger than " +
                             std::to_string(kMaxConfigFileBytes >> 20) +
                             " MiB, not a config file");
    }
  }
  // A directory opens fine and fails here, with EISDIR.
  if (std::ferror(file.get())) {
    return Status::IoError(path + ": cannot read: " + std::strerror(errno));
  }
  return text;
}

void ReadLogSection(YamlMap& root, LogLevel* level) {
  YamlMap log = root.GetMap("log", Need::kOptional);
  log.AllowKeys({"level"});
  log.GetEnum<LogLevel>("level",
                        {{"trace", LogLevel::kTrace},
                         {"debug", LogLevel::kDebug},
                         {"info", LogLevel::kInfo},
                         {"warn", LogLevel::kWarn},
                         {"error", LogLevel::kError},
                         {"off", LogLevel::kOff}},
                        level);
}

Status WalkYaml(const std::string& text, const std::string& file,
                const std::function<void(YamlMap& root)>& walk) {
  YamlWalk state(file);
  try {
    const YAML::Node root = YAML::Load(text);
    const int second_document = SecondDocumentLine(text);
    if (second_document > 0) {
      state.Fail(second_document, "",
                 "more after the first YAML document (a --- or a stray character); "
                 "expected one document");
    } else if (root.IsNull()) {
      state.Fail(1, "", "the file holds no settings; expected a map of keys");
    } else if (!root.IsMap()) {
      state.Fail(MarkLine(root.Mark(), 1), "",
                 "expected a map of keys at the top level, got " + Describe(root));
    } else {
      YamlMap map(&state, root, "", 1);
      walk(map);
    }
  } catch (const YAML::DeepRecursion& e) {
    state.Fail(MarkLine(e.mark, 1), "", "YAML nested too deeply");
  } catch (const YAML::ParserException& e) {
    // Some yaml-cpp messages end with the offending input character, which
    // may be a newline.
    state.Fail(MarkLine(e.mark, 1), "", "YAML syntax error: " + Escape(e.msg));
  } catch (const YAML::Exception& e) {
    state.Fail(MarkLine(e.mark, 1), "", "cannot read YAML: " + Escape(e.msg));
  } catch (const std::exception& e) {
    state.Fail(1, "", "cannot read YAML: " + Escape(e.what()));
  }
  return state.status();
}

}  // namespace datasync::config

namespace datasync {

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kOff:
      return "off";
  }
  return "?";
}

}  // namespace datasync
