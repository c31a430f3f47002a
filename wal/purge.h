// Purge of old snapshots and the txn log segments nobody needs any more (autopurge and the
// on-demand purge).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace rk {

inline constexpr int kPurgeRetainCountMin = 3;

struct PurgeReport {
  std::vector<std::string> removed_snapshots;  // paths
  std::vector<std::string> removed_segments;
};

// Keeps the max(retain_count, 3) newest snapshot.<hex> files in snap_dir and deletes the older
// ones, then deletes the log segments in log_dir that replay from the oldest kept snapshot
// does not need: kept are the newest segment whose first zxid is <= oldest kept + 1 and every
// later one. Other names in snap_dir (temp files) are ignored. With fewer snapshots than the
// retain count nothing is deleted.
Result<PurgeReport> purge_files(const std::string& snap_dir, const std::string& log_dir,
                                int retain_count);

}  // namespace rk
