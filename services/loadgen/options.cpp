#include "options.h"

#include <CLI/CLI.hpp>
#include <iostream>

#include "datasync/record.h"

namespace datasync {
namespace {

void AddWorkloadOptions(CLI::App& app, LoadOptions& o, std::string& distribution) {
  app.add_option("--nodes", o.nodes, "node api endpoints, comma-separated")
      ->required()
      ->delimiter(',');
  app.add_option("--rate", o.rate,
                 "writes/s over all connections (open loop); 0: as fast as "
                 "acknowledgements allow")
      ->check(CLI::Range(0.0, 1e8))
      ->capture_default_str();
  app.add_option("--duration", o.duration_s, "seconds of writing; 0: until SIGINT")
      ->check(CLI::Range(0.0, 1e7))
      ->capture_default_str();
  app.add_option("--writes", o.max_writes,
                 "stop after this many writes over all connections (0: no limit; "
                 "with --duration 0, the count alone ends the run)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 50))
      ->capture_default_str();
  app.add_option("--keys", o.keys, "key space: keys k0 .. k<K-1>")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40))
      ->capture_default_str();
  app.add_option("--value-size", o.value_size, "bytes per value")
      ->check(CLI::Range(size_t{0}, size_t{1} << 20))
      ->capture_default_str();
  app.add_option("--delete-share", o.delete_share, "share of writes that are deletes")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--distribution", distribution, "key distribution (zipfian: theta 0.99)")
      ->check(CLI::IsMember({"uniform", "zipfian"}))
      ->capture_default_str();
  app.add_option("--collection", o.collection, "collection written to")
      ->capture_default_str();
}

void AddRunOptions(CLI::App& app, LoadOptions& o) {
  app.add_option("--connections", o.connections,
                 "concurrent connections per node, one thread each")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--writers", o.writers,
                 "write through the first N nodes only (0: all); the rest are watched")
      ->check(CLI::Range(size_t{0}, size_t{64}))
      ->capture_default_str();
  app.add_option("--batch", o.batch,
                 "writes per request (above 1: one all-or-nothing batch request)")
      ->check(CLI::Range(size_t{1}, size_t{10000}))
      ->capture_default_str();
  app.add_option("--report", o.report_path, "write the JSON report to FILE");
  app.add_option("--quiesce-timeout", o.quiesce_timeout_s,
                 "seconds to wait for equal, stable digests after writing")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  app.add_option("--timeout-ms", o.timeout_ms, "per request; also for the first answers")
      ->check(CLI::Range(1, 24 * 3600 * 1000))
      ->capture_default_str();
  app.add_option("--max-outstanding", o.max_outstanding,
                 "requests in flight per connection (0: 256 closed loop, "
                 "10000 open loop)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  app.add_option("--sample-every", o.sample_every,
                 "track replication of every Nth write (0: every write up to "
                 "20000/s, else 1 in 16)")
      ->check(CLI::Range(0u, 1000000u))
      ->capture_default_str();
  app.add_flag("!--no-watch", o.watch,
               "do not follow the change feeds (no replication latency)");
  app.add_flag("--check-acked", o.check_acked,
               "at the end, check that every node holds every acknowledged write "
               "(or a newer one); needs --delete-share 0");
}

}  // namespace

std::optional<LoadOptions> ParseLoadOptions(int argc, char** argv, int* exit_code) {
  CLI::App app(
      "datasync load generator: writes at a rate to every node, measures "
      "acknowledgement and replication latency, checks convergence",
      "sync-loadgen");
  app.set_version_flag("--version", std::string("sync-loadgen ") + DATASYNC_VERSION);
  LoadOptions o;
  std::string distribution = "uniform";
  AddWorkloadOptions(app, o, distribution);
  AddRunOptions(app, o);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    *exit_code = app.exit(e);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    std::cerr << "sync-loadgen: " << e.what() << "\n\n" << app.help();
    *exit_code = kExitUsage;
    return std::nullopt;
  }
  std::string problem;
  if (o.nodes.empty()) problem = "--nodes: at least one endpoint";
  for (const std::string& ep : o.nodes) {
    if (ep.empty()) problem = "--nodes: empty endpoint";
  }
  if (o.nodes.size() > 64) problem = "--nodes: at most 64 endpoints";
  if (o.writers > o.nodes.size()) problem = "--writers: more than --nodes lists";
  if (o.writers == 0) o.writers = o.nodes.size();
  if (distribution == "zipfian" && o.keys > 100'000'000) {
    problem = "--keys: at most 100000000 with --distribution zipfian";
  }
  if (o.check_acked && o.delete_share > 0) {
    problem =
        "--check-acked: a read cannot tell a tombstone's version; use --delete-share 0";
  }
  if (o.max_writes % o.batch != 0) {
    problem = "--writes: must be a multiple of --batch (whole batches are sent)";
  }
  if (o.check_acked && o.batch > 1) {
    problem = "--check-acked: a batch's reply names only its last write; use --batch 1";
  }
  if (!IsValidCollection(o.collection)) problem = "--collection: 1..255 bytes, no NUL";
  if (!problem.empty()) {
    std::cerr << "sync-loadgen: " << problem << "\n";
    *exit_code = kExitUsage;
    return std::nullopt;
  }
  o.distribution =
      distribution == "zipfian" ? KeyDistribution::kZipfian : KeyDistribution::kUniform;
  return o;
}

}  // namespace datasync
