// PostgreSQL -> PostgreSQL replication, measured from outside whatever
// replicates (datasync's postgres connectors or a native subscription), so
// bench/postgres compares the two with the same clock and the same rows.
//
// Both servers hold `bench(id bigint primary key, payload text)`; the target
// also has a row trigger `bench_arrived` that NOTIFYs the row's id (enabled
// ALWAYS, so a subscription's apply worker fires it too). Every clock is
// this process's.
//   1. warm-up: row 0, awaited on the target (the pipeline is up);
//   2. latency: RATE single-row transactions/s for SECONDS, on a fixed
//      schedule; from each COMMIT's return to the target's notification,
//      which is sent when the applying transaction commits, i.e. when the
//      row is visible;
//   3. throughput: ROWS rows as `INSERT ... SELECT generate_series` in
//      transactions of TXN rows, as fast as the source commits them, trigger
//      off; the target's max(id) polled every 2 ms. rows/s from the first
//      transaction's start to the last row visible; per row, its commit to the poll that
//      saw it. The target's count is then checked.
//
//   pg_replication --source CONNINFO --target CONNINFO [--rate 1000]
//                  [--seconds 5] [--rows 200000] [--txn-rows 1000]
#include <libpq-fe.h>
#include <poll.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "pg_replication: %s\n", what.c_str());
  std::exit(1);  // the other thread may still wait: no unwinding
}

PGconn* Connect(const std::string& info) {
  PGconn* c = PQconnectdb(info.c_str());
  if (PQstatus(c) != CONNECTION_OK) Die(info + ": " + PQerrorMessage(c));
  return c;
}

// Runs one statement; returns the first cell of its result, if any.
std::string Exec(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  const auto status = PQresultStatus(r);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    Die(sql + ": " + PQresultErrorMessage(r));
  std::string first;
  if (status == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
    first = PQgetvalue(r, 0, 0);
  PQclear(r);
  return first;
}

int64_t MaxId(PGconn* c) {
  const std::string v = Exec(c, "SELECT max(id) FROM bench");
  return v.empty() ? -1 : std::stoll(v);
}

uint64_t Us(Clock::duration d) {
  return static_cast<uint64_t>(std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::microseconds>(d).count()));
}

uint64_t Percentile(std::vector<uint64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * v.size()))];
}

const char kPayload[] =
    "'payload-0123456789012345678901234567890123456789012345678901234567890123456789"
    "01234567890123456789'";  // 100 bytes, as in the other benches

void Insert(PGconn* c, int64_t first, int64_t last) {
  Exec(c, "INSERT INTO bench SELECT g, " + std::string(kPayload) +
              " FROM generate_series(" + std::to_string(first) + ", " +
              std::to_string(last) + ") g");
}

void WaitFor(PGconn* target, int64_t id, std::chrono::seconds limit, const char* what) {
  const auto give_up = Clock::now() + limit;
  while (MaxId(target) < id) {
    if (Clock::now() > give_up) Die(std::string(what) + ": row " + std::to_string(id) +
                                    " never reached the target");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

struct Latency {
  size_t seen = 0;
  double rate = 0;  // achieved: a loaded source commits slower
  std::vector<uint64_t> us;
};

Latency MeasureLatency(PGconn* source, PGconn* target, double rate, double seconds) {
  const size_t total = static_cast<size_t>(rate * seconds);
  std::vector<Clock::time_point> intended(total), committed(total);
  std::atomic<size_t> done{0};  // committed[0..done) are filled in
  const auto start = Clock::now() + std::chrono::milliseconds(50);
  const auto interval = std::chrono::duration<double>(1.0 / rate);
  for (size_t i = 0; i < total; ++i)
    intended[i] = start + std::chrono::duration_cast<Clock::duration>(interval * i);

  Exec(target, "LISTEN bench_arrived");
  Latency out;
  std::thread listener([&] {
    // Past the last write's time, a notification still missing is lost.
    const auto give_up = intended.back() + std::chrono::seconds(30);
    while (out.seen < total && Clock::now() < give_up) {
      pollfd p{PQsocket(target), POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      const auto now = Clock::now();
      if (!PQconsumeInput(target)) Die(std::string("target: ") + PQerrorMessage(target));
      while (PGnotify* n = PQnotifies(target)) {
        const int64_t id = std::stoll(n->extra);
        PQfreemem(n);
        if (id < 1 || id > static_cast<int64_t>(total)) continue;
        // The row can be visible there a hair before COMMIT returns here.
        while (done.load(std::memory_order_acquire) < static_cast<size_t>(id))
          std::this_thread::yield();
        out.us.push_back(Us(now - committed[id - 1]));
        ++out.seen;
      }
    }
  });
  for (size_t i = 0; i < total; ++i) {
    std::this_thread::sleep_until(intended[i]);
    Insert(source, static_cast<int64_t>(i) + 1, static_cast<int64_t>(i) + 1);
    committed[i] = Clock::now();
    done.store(i + 1, std::memory_order_release);
  }
  out.rate = total / std::chrono::duration<double>(Clock::now() - start).count();
  listener.join();
  Exec(target, "UNLISTEN *");
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string source_info, target_info;
  double rate = 1000, seconds = 5;
  int64_t rows = 200000, txn = 1000;
  CLI::App app{"PostgreSQL -> PostgreSQL replication throughput and latency"};
  app.add_option("--source", source_info, "libpq conninfo of the written server")
      ->required();
  app.add_option("--target", target_info, "libpq conninfo of the replica")->required();
  app.add_option("--rate", rate, "latency run: rows (transactions) per second")
      ->capture_default_str();
  app.add_option("--seconds", seconds, "latency run: writing time")->capture_default_str();
  app.add_option("--rows", rows, "throughput run: rows")->capture_default_str();
  app.add_option("--txn-rows", txn, "throughput run: rows per transaction")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (rate <= 0 || seconds <= 0 || rows < 1 || txn < 1) Die("bad arguments");

  PGconn* source = Connect(source_info);
  PGconn* target = Connect(target_info);
  Exec(source, "SET synchronous_commit = on");
  Insert(source, 0, 0);
  WaitFor(target, 0, std::chrono::seconds(60), "warm-up");

  Exec(target, "ALTER TABLE bench ENABLE ALWAYS TRIGGER bench_arrived");
  const Latency lat = MeasureLatency(source, target, rate, seconds);
  const size_t latency_rows = static_cast<size_t>(rate * seconds);
  Exec(target, "ALTER TABLE bench DISABLE TRIGGER bench_arrived");
  WaitFor(target, static_cast<int64_t>(latency_rows), std::chrono::seconds(60), "latency");

  // Throughput: ids after the latency run's.
  const int64_t first = static_cast<int64_t>(latency_rows) + 1, last = first + rows - 1;
  const int64_t txns = (rows + txn - 1) / txn;
  std::vector<Clock::time_point> committed(static_cast<size_t>(txns));
  std::atomic<int64_t> done{0};  // committed[0..done) are filled in
  std::vector<uint64_t> row_us;
  row_us.reserve(static_cast<size_t>(rows));
  Clock::time_point last_visible;
  std::thread watcher([&] {
    const auto give_up = Clock::now() + std::chrono::seconds(600);
    int64_t seen = first - 1;
    while (seen < last) {
      if (Clock::now() > give_up) Die("throughput: the target stopped at " +
                                      std::to_string(seen));
      const int64_t max = MaxId(target);
      const auto now = Clock::now();
      if (max > seen) {
        // Commits are recorded after COMMIT returns, a hair after the rows
        // are visible at the source: wait for the record.
        while (done.load(std::memory_order_acquire) <= (max - first) / txn)
          std::this_thread::yield();
        for (int64_t id = seen + 1; id <= max; ++id)
          row_us.push_back(Us(now - committed[static_cast<size_t>((id - first) / txn)]));
        seen = max;
        last_visible = now;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
  });
  const auto started = Clock::now();
  for (int64_t t = 0; t < txns; ++t) {
    const int64_t a = first + t * txn;
    Insert(source, a, std::min(last, a + txn - 1));
    committed[static_cast<size_t>(t)] = Clock::now();
    done.store(t + 1, std::memory_order_release);
  }
  const auto written = Clock::now();
  watcher.join();
  const std::string count = Exec(target, "SELECT count(*) FROM bench WHERE id BETWEEN " +
                                             std::to_string(first) + " AND " +
                                             std::to_string(last));
  if (count != std::to_string(rows))
    Die("throughput: the target holds " + count + " of " + std::to_string(rows) + " rows");
  const double write_s = std::chrono::duration<double>(written - started).count();
  const double total_s = std::chrono::duration<double>(last_visible - started).count();
  PQfinish(source);
  PQfinish(target);

  std::printf(
      "{\"latency\": {\"rate\": %.0f, \"achieved_rate\": %.0f, \"seconds\": %g, "
      "\"rows\": %zu, \"seen\": %zu, "
      "\"p50_us\": %llu, \"p99_us\": %llu, \"max_us\": %llu}, "
      "\"throughput\": {\"rows\": %lld, \"txn_rows\": %lld, \"written_per_s\": %.0f, "
      "\"seconds\": %.3f, \"replicated_per_s\": %.0f, \"p50_us\": %llu, "
      "\"p99_us\": %llu}}\n",
      rate, lat.rate, seconds, latency_rows, lat.seen, (unsigned long long)Percentile(lat.us, 50),
      (unsigned long long)Percentile(lat.us, 99), (unsigned long long)Percentile(lat.us, 100),
      (long long)rows, (long long)txn, write_s > 0 ? rows / write_s : 0.0, total_s,
      total_s > 0 ? rows / total_s : 0.0, (unsigned long long)Percentile(row_us, 50),
      (unsigned long long)Percentile(row_us, 99));
  return lat.seen == latency_rows ? 0 : 1;
}
