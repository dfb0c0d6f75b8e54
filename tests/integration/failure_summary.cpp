// Repeats every failure at the very end of the run. The suite prints a lot
// (node logs, child processes' output), and a CI log is often shown only by
// its head and tail: without this, the reason a test failed sits in the
// middle, where nobody sees it.
#include <gtest/gtest.h>

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace datasync::testutil {
namespace {

constexpr size_t kMaxLinesPerFailure = 40;

// The last `n` lines of `text`: a child's log ends with its failure.
std::string LastLines(const std::string& text, size_t n) {
  size_t start = text.size();
  for (size_t lines = 0; start > 0 && lines <= n;) {
    --start;
    if (text[start] == '\n') ++lines;
  }
  if (start == 0) return text;
  return "[...]\n" + text.substr(start + 1);
}

class FailureSummary : public ::testing::EmptyTestEventListener {
 public:
  // Kept from here: UnitTest::current_test_info() would take the lock that
  // GoogleTest holds while it reports a failure, and hang.
  void OnTestStart(const ::testing::TestInfo& test) override {
    test_ = std::string(test.test_suite_name()) + "." + test.name();
  }

  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::ostringstream out;
    out << test_ << "\n";
    out << (result.file_name() ? result.file_name() : "?") << ":" << result.line_number()
        << ":\n"
        << LastLines(result.message(), kMaxLinesPerFailure);
    failures_.push_back(out.str());
  }

  void OnTestProgramEnd(const ::testing::UnitTest&) override {
    if (failures_.empty()) return;
    std::cout << "\n=== " << failures_.size()
              << " failure(s), repeated here from above ===\n";
    for (const std::string& f : failures_) std::cout << "--- " << f << "\n";
    std::cout << std::flush;
  }

 private:
  std::string test_ = "(outside a test)";
  std::vector<std::string> failures_;
};

// gtest_main owns main(): register before it runs, from a static object.
const bool kRegistered = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new FailureSummary);
  return true;
}();

}  // namespace
}  // namespace datasync::testutil
