// Txn log recovery at start-up: replay every valid record in order, cut a torn tail, refuse
// corruption in the middle (policy in wal/FORMAT.md). Also the follower's TRUNC.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/txn.h"

namespace rk {

// A torn tail cut off a segment (offset 0: the segment held no record and was removed).
struct LogCut {
  std::string file;
  uint64_t offset = 0;
  uint64_t bytes = 0;
};

struct LogRecoveryReport {
  size_t segments = 0;           // segments read
  uint64_t txns_replayed = 0;    // passed to on_txn (zxid > after_zxid)
  Zxid first_zxid = 0;           // first and last replayed (0 if none)
  Zxid last_zxid = 0;
  Zxid last_logged_zxid = 0;     // last valid record in the log, replayed or not (0 if none)
  std::vector<LogCut> cuts;
};

// Reads the segments in dir in zxid order, from the newest one whose first zxid is <=
// after_zxid + 1 (earlier ones hold nothing to replay), and passes each valid txn with zxid > after_zxid
// to on_txn, in order. A torn tail is cut on disk and reported; corruption in the middle or
// zxids that do not rise is an error naming the file and offset (on_txn may have seen a
// prefix by then). A missing dir is an empty log. Leftover preallocated temp files are removed,
// and a log install a crash interrupted is finished first (wal/install.h).
Result<LogRecoveryReport> recover_log(const std::string& dir, Zxid after_zxid,
                                      const std::function<void(Txn&&)>& on_txn);

// Cuts every record above zxid: segments wholly above it are removed (newest first), the one
// holding it is truncated after it. A crash midway leaves a prefix of the log. Run after
// recover_log.
Status truncate_log_after(const std::string& dir, Zxid zxid);

}  // namespace rk
