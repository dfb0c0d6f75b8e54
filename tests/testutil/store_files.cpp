#include "testutil/store_files.h"

#include <rocksdb/db.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "testutil/process.h"

namespace datasync::testutil {

namespace fs = std::filesystem;

bool OverwriteBytes(const std::string& path, size_t offset, size_t n, char byte) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekp(static_cast<std::streamoff>(offset));
  const std::string junk(n, byte);
  f.write(junk.data(), static_cast<std::streamsize>(n));
  return f.good();
}

std::string FlushRocksDb(const std::string& dir) {
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names);
  if (!s.ok()) return s.ToString();
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& name : names) {
    families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  s = rocksdb::DB::Open(rocksdb::DBOptions(), dir, families, &handles, &db);
  if (!s.ok()) return s.ToString();
  s = db->Flush(rocksdb::FlushOptions(), handles);
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  rocksdb::Status closed = db->Close();
  delete db;
  if (!s.ok()) return s.ToString();
  return closed.ok() ? "" : closed.ToString();
}

std::string LargestFileWith(const std::string& dir, const std::string& part) {
  std::string best;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().string();
    if (entry.path().filename().string().find(part) != std::string::npos &&
        (best.empty() || fs::file_size(name) > fs::file_size(best))) {
      best = name;
    }
  }
  return best;
}

std::map<std::string, std::string> DirContents(const std::string& dir) {
  std::map<std::string, std::string> contents;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    contents[fs::relative(entry.path(), dir).string()] =
        ReadFileOrEmpty(entry.path().string());
  }
  return contents;
}

}  // namespace datasync::testutil
