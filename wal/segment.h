// Segment files of the txn log: names, listing, and the few synchronous file operations that
// recovery, purge and the preparer share (wal/FORMAT.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/types.h"

namespace rk {

// The temp name a segment is prepared under until the log names it.
inline constexpr std::string_view kPreallocSegmentName = "log.prealloc";

struct SegmentFile {
  Zxid first_zxid = 0;  // the segment's identity, from its name
  std::string path;
};

// "log.<lowercase hex>" for a segment whose first record has this zxid.
std::string segment_name(Zxid first_zxid);
// The zxid in a segment name, or nothing if `name` is not one.
std::optional<Zxid> parse_segment_name(std::string_view name);
// The zxid in "<prefix><hex>" (hex digits only, 1..16 of them).
std::optional<Zxid> parse_hex_suffix(std::string_view name, std::string_view prefix);

// Every segment in dir, in zxid order.
Result<std::vector<SegmentFile>> list_segments(const std::string& dir);

// A Status naming what failed, on which path, and errno's text.
Status errno_status(const std::string& what, const std::string& path, int err);

// fsync of a directory, so entries created, renamed or removed in it are durable.
Status fsync_dir(const std::string& dir);
// Reads a whole file.
Result<std::string> read_file(const std::string& path);
// Creates (or empties) a file, writes `bytes` into it and fsyncs it.
Status write_file(const std::string& path, std::string_view bytes);
// Replaces dir/name with `bytes`, atomically and durably: written to dir/name.tmp, fsynced,
// renamed over dir/name, the directory fsynced. A crash leaves the old file or the new one
// (and perhaps the temp file, which the next replace overwrites).
Status replace_file(const std::string& dir, const std::string& name, std::string_view bytes);
// Cuts a file to `bytes` and fsyncs it.
Status truncate_file(const std::string& path, uint64_t bytes);
// Removes a file; a file already gone is fine.
Status remove_file(const std::string& path);

}  // namespace rk
