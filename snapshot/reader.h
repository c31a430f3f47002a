// Loading snapshots: one file verified end to end into a DataTree, and the start-up choice
// of the newest good snapshot in dataDir.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/data_tree.h"

namespace rk {

struct LoadedSnapshot {
  std::string path;
  Zxid start_zxid = 0;  // replay the log from the txn after this one
  Zxid end_zxid = 0;    // the replay must reach at least this zxid
  int64_t time_ms = 0;
  uint64_t node_count = 0;
  uint64_t digest = 0;  // tree_digest of the loaded tree
  DataTree tree;
  std::vector<std::pair<SessionId, int32_t>> sessions;  // id, timeout_ms
};

// Reads and verifies one snapshot file (every frame checksum, header, sequence, footer node
// count and digest). The bytes are untrusted: any defect is a Status naming the file and the
// frame's offset. `extended_types_enabled` must be the server's setting (it decides which
// owners are TTL nodes).
Result<LoadedSnapshot> read_snapshot(const std::string& path, bool extended_types_enabled = false);

class SnapshotSource;
// The same verification of a snapshot from any source (snapshot/format.h); `name` stands for
// the file in messages and LoadedSnapshot::path.
Result<LoadedSnapshot> read_snapshot(const SnapshotSource& source, const std::string& name,
                                     bool extended_types_enabled);

// Final snapshot files in `dir` as (start zxid, path), oldest first. Temp files and other
// names are left out; a missing directory has none.
std::vector<std::pair<Zxid, std::string>> list_snapshots(const std::string& dir);

// The newest snapshot that reads back whole; damaged ones are skipped with a warning naming
// the file and the defect. nullopt when `dir` holds no snapshot at all; an error when there
// are snapshots and none is good (starting empty would silently lose their data).
Result<std::optional<LoadedSnapshot>> load_newest_snapshot(const std::string& dir,
                                                           bool extended_types_enabled = false);

}  // namespace rk
