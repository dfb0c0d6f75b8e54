// Damage done to real store files, for the tests of stores that refuse to
// open (unit) and of nodes that refuse to start (integration).
#pragma once

#include <cstddef>
#include <map>
#include <string>

namespace datasync::testutil {

// Writes `n` copies of `byte` at `offset`; false when the file cannot be
// written.
bool OverwriteBytes(const std::string& path, size_t offset, size_t n, char byte);

// Opens the RocksDB database in `dir` (every column family) with the
// library alone, flushes every memtable to table files and closes it, so
// that there is an .sst to damage. "" on success, else what failed.
std::string FlushRocksDb(const std::string& dir);

// The largest file of `dir` (not recursive) whose name contains `part`; ""
// when none does.
std::string LargestFileWith(const std::string& dir, const std::string& part);

// Every regular file under `dir`, by path relative to it, with its bytes:
// two calls compare equal exactly when nothing was added, removed or
// changed.
std::map<std::string, std::string> DirContents(const std::string& dir);

}  // namespace datasync::testutil
