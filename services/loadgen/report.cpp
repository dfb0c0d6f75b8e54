#include "report.h"

#include <spdlog/fmt/fmt.h>
#include <spdlog/fmt/ranges.h>

#include <cmath>
#include <fstream>

#include "../common/json_writer.h"

namespace datasync {
namespace {

// "0.42ms", "12.3ms", "1.25s": three significant digits are all a
// histogram bucket holds anyway.
std::string Ms(uint64_t us) {
  if (us >= 10'000'000) return fmt::format("{:.1f}s", us / 1e6);
  if (us >= 1'000'000) return fmt::format("{:.2f}s", us / 1e6);
  if (us >= 100'000) return fmt::format("{:.0f}ms", us / 1e3);
  if (us >= 10'000) return fmt::format("{:.1f}ms", us / 1e3);
  return fmt::format("{:.2f}ms", us / 1e3);
}

std::string JsonString(const std::string& s) { return JsonQuoted(s); }

// Finite numbers only: JSON has no NaN or infinity.
std::string JsonNumber(double v) {
  if (!std::isfinite(v)) return "0";
  return fmt::format("{:.3f}", v);
}

std::string JsonLatency(const LatencyHistogram& h) {
  return fmt::format(
      "{{\"p50\": {}, \"p90\": {}, \"p99\": {}, \"p999\": {}, \"max\": {}, "
      "\"mean\": {}, \"count\": {}}}",
      h.ValueAtPercentile(50), h.ValueAtPercentile(90), h.ValueAtPercentile(99),
      h.ValueAtPercentile(99.9), h.max(), JsonNumber(h.mean()), h.count());
}

std::string JsonStringList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i ? ", " : "") + JsonString(items[i]);
  }
  return out + "]";
}

std::string JsonDigests(const RunReport& r) {
  std::string out = "{";
  for (size_t i = 0; i < r.options.nodes.size(); ++i) {
    const std::string& digest =
        i < r.convergence.digests.size() ? r.convergence.digests[i] : "";
    out += (i ? ", " : "") + JsonString(r.options.nodes[i]) + ": " +
           (digest.empty() ? "null" : JsonString(digest));
  }
  return out + "}";
}

std::string LatencyLine(const char* name, const LatencyHistogram& h) {
  return fmt::format("  {:<20} p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  ({} samples)\n",
                     name, Ms(h.ValueAtPercentile(50)), Ms(h.ValueAtPercentile(90)),
                     Ms(h.ValueAtPercentile(99)), Ms(h.ValueAtPercentile(99.9)),
                     Ms(h.max()), h.count());
}

const char* MeasuredFrom(const LoadOptions& o) {
  return o.rate > 0 ? "intended send time (open loop)" : "send time (closed loop)";
}

std::string AckedCheckLines(const RunReport& r) {
  const AckedCheckResult& c = r.acked_check;
  std::string s =
      fmt::format("  acknowledged writes  {} keys checked at every node, {} lost\n",
                  c.keys, c.total_lost());
  for (size_t i = 0; i < r.options.nodes.size() && i < c.lost.size(); ++i) {
    s += fmt::format("    {:<28} {}\n", r.options.nodes[i],
                     c.errors[i].empty() ? fmt::format("{} lost", c.lost[i])
                                         : "not checked: " + c.errors[i]);
  }
  if (!c.example.empty()) s += "    first lost: " + c.example + "\n";
  return s;
}

std::string JsonAckedCheck(const AckedCheckResult& c) {
  if (!c.ran) return "null";
  std::vector<std::string> lost;
  for (uint64_t n : c.lost) lost.push_back(std::to_string(n));
  return fmt::format(
      "{{\"ok\": {}, \"keys\": {}, \"lost\": {}, \"lost_per_node\": [{}], "
      "\"errors\": {}, \"example\": {}}}",
      c.ok(), c.keys, c.total_lost(), fmt::join(lost, ", "), JsonStringList(c.errors),
      JsonString(c.example));
}

}  // namespace

std::string FormatProgress(const ProgressLine& l) {
  std::string line =
      fmt::format("[{:6.1f}s] {:8.0f} writes/s  acked {}  errors {}  ack p50 {} p99 {}",
                  l.elapsed_s, l.rate, l.acked, l.errors, Ms(l.ack.ValueAtPercentile(50)),
                  Ms(l.ack.ValueAtPercentile(99)));
  if (l.replication_tracked) {
    line += fmt::format("  repl p50 {} p99 {}  lag {}",
                        Ms(l.replication.ValueAtPercentile(50)),
                        Ms(l.replication.ValueAtPercentile(99)),
                        l.lag * static_cast<int64_t>(l.sample_every));
  }
  return line + "\n";
}

std::string FormatSummary(const RunReport& r) {
  const LoadOptions& o = r.options;
  std::string s = "\n=== sync-loadgen summary ===\n";
  s += fmt::format("  nodes                {}\n", fmt::join(o.nodes, ", "));
  s += fmt::format("  writes               {} acknowledged, {} failed, in {:.2f}s\n",
                   r.writes, r.errors, r.duration_s);
  s += fmt::format("  throughput           {:.0f} writes/s (target: {})\n",
                   r.throughput(), o.rate > 0 ? fmt::format("{:.0f}/s", o.rate) : "max");
  if (!r.last_error.empty())
    s += fmt::format("  last error           {}\n", r.last_error);
  s += LatencyLine("ack latency", r.ack);
  if (r.replication_tracked) {
    s += LatencyLine("replication latency", r.replication);
    if (r.replicated_s > 0) {
      s += fmt::format(
          "  replicated           everywhere {:.2f}s after the start: {:.0f} writes/s\n",
          r.replicated_s, r.replication_throughput());
    }
    s += fmt::format(
        "  (replication: 1 in {} writes tracked; measured from the {} to visible at "
        "every other node; {} tracked writes never seen everywhere)\n",
        r.sample_every, MeasuredFrom(o), r.replication_unobserved);
  } else {
    s += "  replication latency  not measured\n";
  }
  s += fmt::format("  converged            {} (after {:.1f}s of quiescence)\n",
                   r.convergence.converged ? "yes" : "NO", r.convergence.waited_s);
  for (size_t i = 0; i < o.nodes.size(); ++i) {
    const std::string& id = i < r.node_ids.size() ? r.node_ids[i] : "";
    const std::string digest =
        i < r.convergence.digests.size() ? r.convergence.digests[i] : "";
    const std::string error =
        i < r.convergence.errors.size() ? r.convergence.errors[i] : "";
    s += fmt::format("    {:<28} {:<10} {}\n", o.nodes[i], id,
                     digest.empty() ? "no digest: " + error : digest);
  }
  if (r.acked_check.ran) s += AckedCheckLines(r);
  for (const std::string& w : r.warnings) s += "  warning: " + w + "\n";
  return s;
}

std::string ReportJson(const RunReport& r) {
  const LoadOptions& o = r.options;
  std::string j = "{\n";
  j += fmt::format("  \"converged\": {},\n", r.convergence.converged);
  j += fmt::format("  \"writes\": {},\n  \"errors\": {},\n  \"sent\": {},\n", r.writes,
                   r.errors, r.sent);
  j += fmt::format("  \"throughput_per_s\": {},\n", JsonNumber(r.throughput()));
  j += "  \"ack_latency_us\": " + JsonLatency(r.ack) + ",\n";
  j += "  \"replication_latency_us\": " + JsonLatency(r.replication) + ",\n";
  j += fmt::format("  \"replicated_s\": {},\n", JsonNumber(r.replicated_s));
  j += fmt::format("  \"replication_throughput_per_s\": {},\n",
                   JsonNumber(r.replication_throughput()));
  j += fmt::format("  \"replication_samples\": {},\n", r.replication.count());
  j += fmt::format("  \"replication_sample_every\": {},\n",
                   r.replication_tracked ? r.sample_every : 0);
  j += fmt::format("  \"replication_unobserved\": {},\n", r.replication_unobserved);
  j += "  \"latency_measured_from\": " + JsonString(MeasuredFrom(o)) + ",\n";
  j += "  \"nodes\": " + JsonStringList(o.nodes) + ",\n";
  j += "  \"node_ids\": " + JsonStringList(r.node_ids) + ",\n";
  j += fmt::format("  \"duration_s\": {},\n", JsonNumber(r.duration_s));
  j += fmt::format("  \"rate\": {},\n", JsonNumber(o.rate));
  j += fmt::format("  \"keys\": {},\n  \"value_size\": {},\n", o.keys, o.value_size);
  j += fmt::format("  \"delete_share\": {},\n", JsonNumber(o.delete_share));
  j += fmt::format("  \"distribution\": \"{}\",\n",
                   o.distribution == KeyDistribution::kZipfian ? "zipfian" : "uniform");
  j += fmt::format("  \"connections\": {},\n", o.connections);
  j += "  \"collection\": " + JsonString(o.collection) + ",\n";
  j += "  \"digests\": " + JsonDigests(r) + ",\n";
  j += fmt::format("  \"quiesce_s\": {},\n", JsonNumber(r.convergence.waited_s));
  j += "  \"acked_check\": " + JsonAckedCheck(r.acked_check) + ",\n";
  j += "  \"last_error\": " + JsonString(r.last_error) + ",\n";
  j += "  \"warnings\": " + JsonStringList(r.warnings) + "\n";
  return j + "}\n";
}

Status WriteJsonReport(const RunReport& report, const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  if (out) out << ReportJson(report);
  out.close();
  if (!out) return Status::IoError("cannot write the report to " + path);
  return Status::Ok();
}

}  // namespace datasync
