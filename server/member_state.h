// An ensemble member's small durable files, next to its snapshots in dataDir: ZooKeeper's
// `acceptedEpoch` and `currentEpoch` (the number in decimal text, as ZooKeeper writes them),
// and our `incarnation`, a count of the member's boots (the high bits of its connection
// tokens, quorum/PROTOCOL.md § Messages).
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "quorum/messages.h"

namespace rk {

inline constexpr const char* kAcceptedEpochFile = "acceptedEpoch";
inline constexpr const char* kCurrentEpochFile = "currentEpoch";
inline constexpr const char* kIncarnationFile = "incarnation";

struct MemberState {
  quorum::Epoch accepted_epoch = 0;
  quorum::Epoch current_epoch = 0;
  uint64_t incarnation = 0;  // boots so far
};

// Reads the three files in dir; a missing file reads as 0 (a member that never got that far).
// Anything but a non-negative decimal number (a trailing newline allowed) is an error naming
// the file.
Result<MemberState> load_member_state(const std::string& dir);

// Makes both epochs durable before returning, writing only the files whose value changed,
// each replaced atomically (temp file, fsync, rename, directory fsync). acceptedEpoch goes
// first: an epoch is accepted before it becomes current, so a crash between the two never
// leaves currentEpoch above acceptedEpoch.
Status store_epochs(const std::string& dir, quorum::Epoch accepted_epoch, quorum::Epoch current_epoch);

// This boot's incarnation: the stored count plus one, durable before it is returned, so no
// two boots of a member share one.
Result<uint64_t> next_incarnation(const std::string& dir);

}  // namespace rk
