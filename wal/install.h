// Replacing a member's whole txn log after it installed a snapshot from its leader (SNAP
// sync), so that a crash at any step leaves the old log or the new one, never a mix
// (wal/FORMAT.md § Installing a log).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/txn.h"

namespace rk {

// "log.<first>-<last>.install" (lowercase hex, as segment names): the name the new log's one
// segment is written under until it replaces the old log. Recovery never reads it as a
// segment.
std::string install_file_name(Zxid first_zxid, Zxid last_zxid);

struct InstallFile {
  Zxid first_zxid = 0;
  Zxid last_zxid = 0;
};
// The zxids in an install file name, or nothing if `name` is not one.
std::optional<InstallFile> parse_install_file_name(std::string_view name);

// Makes `txns` the whole txn log in log_dir: afterwards recovery after image_zxid reads
// exactly them (one segment, log.<first>), and nothing else. `txns` must rise and lie above
// image_zxid; empty, the log is left empty. The snapshot at image_zxid must already be
// durable: the old log's records are dropped, those at or below image_zxid because the
// snapshot covers them, those above because the committed ones among them are in `txns`.
// A crash at any point leaves the old log whole or the new log whole, once recover_log (which
// finishes an interrupted install first) has run. On an error the log is in one of those two
// states or in between with the install file complete; the next recover_log or install_log
// finishes it.
Status install_log(const std::string& log_dir, Zxid image_zxid, const std::vector<Txn>& txns);

// Finishes an install that a crash (or an error) interrupted: a complete install file
// replaces the old log; an incomplete one (torn while being written) is removed and the old
// log kept. Nothing to do without one.
Status finish_install(const std::string& log_dir);

}  // namespace rk
