// Graceful stop on SIGTERM and SIGINT: the handler only records the signal;
// the event loop sees it within one poll timeout (or at once, when the poll
// is interrupted) and shuts down in its own order.
#pragma once

namespace datasync {

// Installs the handlers. Call once, before the loop starts.
void InstallStopSignals();
// The signal that asked us to stop, or 0.
int StopSignal();

}  // namespace datasync
