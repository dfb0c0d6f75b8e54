#include "run.h"

#include <spdlog/fmt/fmt.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "feed_watcher.h"
#include "load_clock.h"
#include "preflight.h"
#include "replication_tracker.h"
#include "report.h"
#include "worker.h"

namespace datasync {
namespace {

constexpr int kProbeTimeoutMs = 3000;
// After convergence every change is applied everywhere; its feed message
// may still be on the way.
constexpr auto kFeedGrace = std::chrono::seconds(2);
constexpr auto kTick = std::chrono::milliseconds(20);
constexpr auto kMinLastLine = std::chrono::milliseconds(200);

std::atomic<int> g_signals{0};

void OnSignal(int) { g_signals.fetch_add(1); }

void InstallSignalHandlers() {
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

class LoadRun {
 public:
  LoadRun(const LoadOptions& options, std::vector<std::string> ids)
      : options_(options), keys_(options.distribution, options.keys) {
    report_.options = options;
    report_.node_ids = std::move(ids);
    report_.sample_every = options.EffectiveSampleEvery();
    budget_.store(static_cast<int64_t>(options.max_writes));
  }

  int Run() {
    StartWatchers();
    StartWorkers();
    ProgressLoop();
    StopWorkers();
    if (g_signals.load() < 2) {
      report_.convergence = AwaitConvergence(
          options_.nodes, options_.collection, options_.timeout_ms,
          options_.quiesce_timeout_s, [] { return g_signals.load() >= 2; });
      if (options_.check_acked) CheckAckedWrites();
    } else {
      report_.convergence.digests.resize(options_.nodes.size());
      report_.convergence.errors.assign(options_.nodes.size(), "interrupted");
    }
    FinishWatchers();
    std::fputs(FormatSummary(report_).c_str(), stderr);
    if (!options_.report_path.empty()) {
      Status written = WriteJsonReport(report_, options_.report_path);
      if (!written.ok()) {
        fmt::print(stderr, "sync-loadgen: {}\n", written.ToString());
        return kExitFailed;
      }
    }
    return report_.ok() ? kExitOk : kExitFailed;
  }

 private:
  void StartWatchers() {
    if (!options_.watch || options_.nodes.size() < 2) return;
    tracker_ = std::make_unique<ReplicationTracker>(
        std::vector<bool>(options_.nodes.size(), true));
    for (size_t i = 0; i < options_.nodes.size(); ++i) {
      watchers_.push_back(
          std::make_unique<FeedWatcher>(i, options_.nodes[i], options_.collection,
                                        tracker_.get(), options_.timeout_ms));
      watchers_.back()->Start();
    }
    report_.warnings = ProbeFeeds(options_, watchers_, kProbeTimeoutMs);
    for (size_t i = 0; i < watchers_.size(); ++i) {
      // A feed that cannot be followed would hold every write pending.
      if (watchers_[i]->failed()) tracker_->SetAwaited(i, false);
    }
    report_.replication_tracked = true;
    for (const std::string& w : report_.warnings) {
      fmt::print(stderr, "sync-loadgen: warning: {}\n", w);
    }
  }

  void StartWorkers() {
    const size_t count = options_.writers * static_cast<size_t>(options_.connections);
    for (size_t i = 0; i < count; ++i) {
      WorkerSetup setup;
      setup.node = i % options_.writers;
      setup.rate = options_.rate / static_cast<double>(count);
      setup.phase = static_cast<double>(i) / static_cast<double>(count);
      setup.seed = (0x9e3779b97f4a7c15ULL * (i + 1)) ^ static_cast<uint64_t>(NowUs());
      setup.options = &options_;
      setup.keys = &keys_;
      setup.tracker = tracker_.get();
      setup.budget = options_.max_writes > 0 ? &budget_ : nullptr;
      workers_.push_back(std::make_unique<Worker>(setup));
    }
    fmt::print(stderr,
               "sync-loadgen: {} node(s) x {} connection(s), {}, {} keys ({}), "
               "{}-byte values, {:.0f}s{}\n",
               options_.writers, options_.connections,
               options_.rate > 0 ? fmt::format("{:.0f} writes/s open loop", options_.rate)
                                 : "closed loop (max rate)",
               options_.keys,
               options_.distribution == KeyDistribution::kZipfian ? "zipfian" : "uniform",
               options_.value_size, options_.duration_s,
               tracker_ ? fmt::format(", replication tracked for 1 in {} writes",
                                      report_.sample_every)
                        : "");
    for (auto& worker : workers_) {
      threads_.emplace_back([this, w = worker.get()] { w->Run(stop_, start_us_); });
    }
    // Every connection is up before the clock starts: set-up is not load.
    for (auto& worker : workers_) {
      while (!worker->ready()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    start_ = LoadClock::now();
    start_us_.store(ToUs(start_));
  }

  void ProgressLoop() {
    const bool forever = options_.duration_s <= 0;
    const auto end = start_ + std::chrono::duration_cast<LoadClock::duration>(
                                  std::chrono::duration<double>(options_.duration_s));
    auto next_line = start_ + std::chrono::seconds(1);
    auto last_line = start_;
    uint64_t last_acked = 0;
    while (true) {
      const auto now = LoadClock::now();
      const bool done = g_signals.load() > 0 || (!forever && now >= end) || BudgetSpent();
      // The last, partial second gets its line too, unless it is a sliver.
      if (now >= next_line || (done && now - last_line > kMinLastLine)) {
        ProgressLine line = Sample(now, last_line, &last_acked);
        std::fputs(FormatProgress(line).c_str(), stderr);
        last_line = now;
        next_line += std::chrono::seconds(1);
      }
      if (done) return;
      auto wake = std::min(next_line, now + kTick);
      if (!forever) wake = std::min(wake, end);
      std::this_thread::sleep_until(wake);
    }
  }

  // Every write of --writes sent and answered.
  bool BudgetSpent() const {
    if (options_.max_writes == 0) return false;
    for (const auto& worker : workers_) {
      if (!worker->finished()) return false;
    }
    return true;
  }

  ProgressLine Sample(LoadClock::time_point now, LoadClock::time_point last,
                      uint64_t* last_acked) {
    ProgressLine line;
    line.elapsed_s = std::chrono::duration<double>(now - start_).count();
    for (auto& worker : workers_) {
      WorkerStats& stats = worker->stats();
      line.acked += stats.acked.load();
      line.errors += stats.errors.load();
      std::lock_guard lock(stats.mu);
      line.ack.Merge(stats.interval);
      stats.interval.Reset();
    }
    const double seconds = std::chrono::duration<double>(now - last).count();
    line.rate = seconds > 0 ? (line.acked - *last_acked) / seconds : 0;
    *last_acked = line.acked;
    if (tracker_) {
      tracker_->TakeInterval(&line.replication);
      line.replication_tracked = true;
      line.lag = tracker_->pending();
      line.sample_every = report_.sample_every;
    }
    return line;
  }

  void StopWorkers() {
    const auto stopped = LoadClock::now();
    stop_.store(true);
    for (std::thread& t : threads_) t.join();
    // Answers that came in after the stop still count, but not the wait for
    // the last of them: at the end of a saturated run it is all queueing.
    report_.duration_s = std::chrono::duration<double>(stopped - start_).count();
    for (auto& worker : workers_) {
      WorkerStats& stats = worker->stats();
      report_.sent += stats.sent.load();
      report_.writes += stats.acked.load();
      report_.errors += stats.errors.load();
      std::lock_guard lock(stats.mu);
      report_.ack.Merge(stats.total);
      if (!stats.last_error.empty()) report_.last_error = stats.last_error;
    }
  }

  void CheckAckedWrites() {
    AckedVersions acked;
    for (auto& worker : workers_) MergeAcked(&acked, worker->acked());
    report_.acked_check =
        CheckAcked(options_.nodes, options_.collection, acked, options_.timeout_ms);
  }

  void FinishWatchers() {
    if (!tracker_) return;
    const auto give_up = LoadClock::now() + kFeedGrace;
    while (report_.convergence.converged && tracker_->pending() > 0 &&
           LoadClock::now() < give_up && g_signals.load() < 2) {
      std::this_thread::sleep_for(kTick);
    }
    for (auto& watcher : watchers_) watcher->Stop();
    report_.replication = tracker_->Total();
    report_.replication_unobserved = tracker_->pending();
    if (tracker_->last_visible_us() > 0) {
      report_.replicated_s = (tracker_->last_visible_us() - start_us_.load()) / 1e6;
    }
  }

  const LoadOptions& options_;
  const KeyChooser keys_;
  RunReport report_;
  std::unique_ptr<ReplicationTracker> tracker_;
  std::vector<std::unique_ptr<FeedWatcher>> watchers_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> start_us_{0};
  std::atomic<int64_t> budget_{0};  // --writes left to send
  LoadClock::time_point start_;
};

}  // namespace

int RunLoad(const LoadOptions& options) {
  InstallSignalHandlers();
  Result<std::vector<std::string>> ids = CheckNodes(options);
  if (!ids.ok()) {
    fmt::print(stderr, "sync-loadgen: {}\n", ids.status().message());
    return kExitUnreachable;
  }
  LoadRun run(options, std::move(ids).value());
  return run.Run();
}

}  // namespace datasync
