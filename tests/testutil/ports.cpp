#include "testutil/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>

namespace datasync::testutil {
namespace {

std::mutex& PortsMutex() {
  static std::mutex mu;
  return mu;
}

std::set<int>& HandedOut() {
  static std::set<int> ports;
  return ports;
}

// The port the kernel picks for 127.0.0.1:0, or -1.
int BindEphemeral() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  int port = -1;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

}  // namespace

int PickFreePort() {
  std::lock_guard<std::mutex> lock(PortsMutex());
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int port = BindEphemeral();
    if (port > 0 && HandedOut().insert(port).second) return port;
  }
  std::fprintf(stderr, "PickFreePort: no free loopback port found\n");
  std::abort();
}

std::string FreeTcpEndpoint() {
  return "tcp://127.0.0.1:" + std::to_string(PickFreePort());
}

}  // namespace datasync::testutil
