// Free loopback TCP ports, picked at run time so that tests never depend on
// fixed ports and can run beside anything else on the machine.
//
// A port is found by binding 127.0.0.1:0 and reading back what the kernel
// chose, then closing. A process-wide set remembers every port handed out,
// so two calls in one test process never return the same port, even once
// the first one is free again (a killed node restarts on its old ports).
// Thread-safe.
#pragma once

#include <string>

namespace datasync::testutil {

// A free port; aborts the test process (SYNC_CHECK-style) if none can be
// found, which only happens on a broken machine.
int PickFreePort();

// "tcp://127.0.0.1:PORT" with a fresh port.
std::string FreeTcpEndpoint();

}  // namespace datasync::testutil
