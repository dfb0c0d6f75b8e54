#include "folder_scenario.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace datasync::testutil {
namespace {

void ReadDir(const std::string& root, const std::string& rel,
             std::map<std::string, std::string>* out) {
  const std::string dir = rel.empty() ? root : root + "/" + rel;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (const struct dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.empty() || name[0] == '.') continue;
    const std::string child = rel.empty() ? name : rel + "/" + name;
    struct stat st;
    if (::lstat((root + "/" + child).c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      ReadDir(root, child, out);
    } else if (S_ISREG(st.st_mode)) {
      std::ifstream in(root + "/" + child, std::ios::binary);
      std::ostringstream content;
      content << in.rdbuf();
      (*out)[child] = content.str();
    }
  }
  ::closedir(d);
}

std::string Show(const std::map<std::string, std::string>& m) {
  std::string out = std::to_string(m.size()) + " files:";
  size_t shown = 0;
  for (const auto& [k, v] : m) {
    if (++shown > 8) break;
    out += " " + k + "=" + v.substr(0, 40);
  }
  return out;
}

}  // namespace

std::string FilesConnectorEntry(const std::string& name, const std::string& folder,
                                const std::string& extra) {
  return "  - { name: " + name + ", type: files, target: \"" + folder +
         "\", map: [ { collection: items } ]" + extra + " }\n";
}

std::string SqliteConnectorEntry(const std::string& name, const std::string& db_path) {
  return "  - { name: " + name + ", type: sqlite, target: \"" + db_path +
         "\", map: [ { table: items, collection: items } ] }\n";
}

std::map<std::string, std::string> ReadFolder(const std::string& dir) {
  std::map<std::string, std::string> out;
  ReadDir(dir, "", &out);
  return out;
}

std::map<std::string, std::string> RowsAsFiles(AppDb& db) {
  std::map<std::string, std::string> out;
  const std::optional<std::string> rows = db.Scalar(
      "SELECT group_concat(id || '.json' || char(9) || json_object('id', id, 'name', name, "
      "'qty', qty), char(10)) FROM (SELECT * FROM items ORDER BY id)");
  std::istringstream in(rows.value_or(""));
  std::string line;
  while (std::getline(in, line)) {
    const size_t tab = line.find('\t');
    if (tab != std::string::npos) out[line.substr(0, tab)] = line.substr(tab + 1) + "\n";
  }
  return out;
}

void WriteFileAtomically(const std::string& dir, const std::string& rel,
                         const std::string& content) {
  std::string flat = rel;
  for (char& c : flat) c = c == '/' ? '_' : c;
  const std::string tmp = dir + "/.app-tmp-" + flat;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
  }
  ASSERT_EQ(::rename(tmp.c_str(), (dir + "/" + rel).c_str()), 0) << rel;
}

::testing::AssertionResult WaitSameMaps(
    const std::function<std::map<std::string, std::string>()>& read,
    const std::function<std::map<std::string, std::string>()>& want,
    std::chrono::milliseconds timeout) {
  std::map<std::string, std::string> got, expected;
  if (WaitUntil(
          [&] {
            got = read();
            expected = want();
            return got == expected;
          },
          timeout, std::chrono::milliseconds(20))) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "got " << Show(got) << "\nwant " << Show(expected);
}

::testing::AssertionResult WaitNamedConnector(Cluster& cluster, const std::string& id,
                                              const std::string& name, const std::string& state,
                                              std::chrono::milliseconds timeout) {
  std::string last;
  const std::string key = "connector." + name;
  if (WaitUntil(
          [&] {
            auto status = cluster.Status(id);
            if (!status) return false;
            last = (*status)["info"][key].str() + " (" +
                   (*status)["info"][key + ".last_error"].str() + ")";
            return (*status)["info"][key].str() == state;
          },
          timeout)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "connector " << name << " of " << id << " is "
                                       << last << ", not " << state << "\n"
                                       << cluster.LogTail(id);
}

uint64_t OwnWritesOf(Cluster& cluster, const std::string& id) {
  auto status = cluster.Status(id);
  return status ? (*status)["vv"][id].AsUint().value_or(0) : ~0ull;
}

}  // namespace datasync::testutil
