#include "config/endpoint.h"

#include <cstdint>

#include "config/yaml_reader.h"

namespace datasync::config {
namespace {

constexpr std::string_view kTcp = "tcp://";
constexpr std::string_view kIpc = "ipc://";
constexpr std::string_view kInproc = "inproc://";
// sun_path holds 108 bytes including the terminating NUL; ZeroMQ refuses
// longer paths only when the socket is bound, long after startup.
constexpr size_t kMaxIpcPathBytes = 107;

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '-' || c == '_';
}

bool IsIpv6Char(char c) {
  return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') ||
         c == ':' || c == '.';
}

bool AllOf(std::string_view s, bool (*pred)(char)) {
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

// Splits "HOST:PORT" at the last colon, which is never inside [IPv6].
bool SplitHostPort(std::string_view rest, std::string_view* host,
                   std::string_view* port) {
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) return false;
  *host = rest.substr(0, colon);
  *port = rest.substr(colon + 1);
  return true;
}

std::string TcpProblem(std::string_view rest, EndpointUse use, std::string_view example) {
  std::string_view host, port;
  if (!SplitHostPort(rest, &host, &port) || host.empty()) {
    return "expected a ZeroMQ endpoint like " + std::string(example);
  }
  if (host == "*") {
    if (use == EndpointUse::kConnect) {
      return "host * (every interface) is only valid for an endpoint this process binds";
    }
  } else if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']' ||
        !AllOf(host.substr(1, host.size() - 2), IsIpv6Char)) {
      return "expected an IPv6 address in brackets like tcp://[::1]:7000";
    }
  } else if (host.find(':') != std::string_view::npos) {
    return "an IPv6 address goes in brackets, like tcp://[::1]:7000";
  } else if (!AllOf(host, IsHostChar)) {
    return "expected a host name or address before the port";
  }
  if (port.empty() || port.size() > 5 ||
      !AllOf(port, [](char c) { return c >= '0' && c <= '9'; })) {
    return "expected a port number 1-65535 after the host";
  }
  const uint32_t number = static_cast<uint32_t>(std::stoul(std::string(port)));
  if (number < 1 || number > 65535) return "port must be 1-65535";
  return "";
}

}  // namespace

std::string EndpointProblem(std::string_view endpoint, EndpointUse use,
                            std::string_view example) {
  if (endpoint.starts_with(kTcp)) {
    return TcpProblem(endpoint.substr(kTcp.size()), use, example);
  }
  if (endpoint.starts_with(kIpc)) {
    const std::string_view path = endpoint.substr(kIpc.size());
    if (path.empty()) return "expected a socket path after ipc://";
    if (path.find('\0') != std::string_view::npos) return "NUL byte in the ipc path";
    if (path.size() > kMaxIpcPathBytes) return "ipc path longer than 107 bytes";
    // ZeroMQ makes up a name for ipc://*, which no peer could be told.
    if (path == "*") return "ipc://* has no fixed path that peers could use";
    return "";
  }
  if (endpoint.starts_with(kInproc)) {
    if (endpoint.size() == kInproc.size()) return "expected a name after inproc://";
    return "";
  }
  return "expected a ZeroMQ endpoint like " + std::string(example);
}

bool EndpointsCollide(std::string_view a, std::string_view b) {
  if (a == b) return true;
  if (!a.starts_with(kTcp) || !b.starts_with(kTcp)) return false;
  std::string_view host_a, port_a, host_b, port_b;
  if (!SplitHostPort(a.substr(kTcp.size()), &host_a, &port_a) ||
      !SplitHostPort(b.substr(kTcp.size()), &host_b, &port_b)) {
    return false;
  }
  return port_a == port_b && (host_a == host_b || host_a == "*" || host_b == "*");
}

}  // namespace datasync::config

namespace datasync {

Status CheckEndpoint(std::string_view endpoint, EndpointUse use) {
  const std::string problem = config::EndpointProblem(
      endpoint, use, "tcp://127.0.0.1:7000, ipc://PATH or inproc://NAME");
  if (problem.empty()) return Status::Ok();
  return Status::Invalid(problem + ", got " + config::Quote(endpoint));
}

}  // namespace datasync
