// Before the load: every node must answer (its id is asked for the
// report), and every change feed must be confirmed live.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "datasync/status.h"
#include "feed_watcher.h"
#include "options.h"

namespace datasync {

// Asks every node for its status. Returns the node ids in endpoint order,
// or kUnavailable naming the first node that did not answer properly.
Result<std::vector<std::string>> CheckNodes(const LoadOptions& options);

// Writes kProbeKey at each node whose watcher is running until that
// watcher sees it (the feed is live) or fails, for at most `timeout_ms`.
// Returns a warning per node whose feed could not be confirmed.
std::vector<std::string> ProbeFeeds(
    const LoadOptions& options, const std::vector<std::unique_ptr<FeedWatcher>>& watchers,
    int timeout_ms);

}  // namespace datasync
