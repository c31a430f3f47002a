// A whole tree as one snapshot in memory: what a leader sends a learner too far behind for a
// DIFF (SNAP), in the snapshot file format (snapshot/FORMAT.md), so the bytes written to
// dataDir as snapshot.<zxid> are a snapshot like any other.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/data_tree.h"
#include "snapshot/reader.h"

namespace rk {

// Serializes `tree` and `sessions` (id, timeout_ms) at once, on the calling thread, which
// must own the tree. The tree does not change meanwhile, so the image is not fuzzy: its start
// and end zxid are both `zxid`, the last txn applied to the tree. `now_wall_ms` goes into the
// header's time.
std::string encode_image(const DataTree& tree, const std::vector<std::pair<SessionId, int32_t>>& sessions,
                         Zxid zxid, int64_t now_wall_ms);

// Verifies and loads an image exactly as read_snapshot does a file (the bytes are
// untrusted: any defect is an error naming the frame's offset).
Result<LoadedSnapshot> decode_image(std::string_view bytes, bool extended_types_enabled);

}  // namespace rk
