// Recovery scans one segment at a time (whole file in memory), then decides from where the
// first unclean stop is whether it is a torn tail (cut) or corruption (refuse).
#include "wal/recovery.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "base/log.h"
#include "engine/txn_codec.h"
#include "wal/install.h"
#include "wal/record.h"
#include "wal/segment.h"

namespace rk {
namespace {

// Where and how the records of one segment end.
struct SegmentScan {
  uint64_t records = 0;
  uint64_t stop_offset = 0;
  bool clean = true;  // stopped at length 0 with only zeros after it (or at the file end)
  const char* reason = "";
  uint64_t file_bytes = 0;
};

std::string hex(Zxid zxid) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(zxid));
  return text;
}

bool all_zero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

// Walks the records of one segment image. on_txn (if set) gets each valid txn. Zxids that
// are valid records yet do not rise are corruption: an error.
Result<SegmentScan> scan_segment(const SegmentFile& segment, std::string_view image,
                                 Zxid& last_zxid, const std::function<void(Txn&&)>* on_txn) {
  SegmentScan scan;
  scan.file_bytes = image.size();
  size_t offset = 0;
  while (true) {
    FrameRead frame = read_frame(image, offset, segment.first_zxid);
    if (frame.kind == FrameRead::Kind::kRecord) {
      Result<Txn> txn = decode_txn(frame.payload);
      if (!txn) {
        frame.kind = FrameRead::Kind::kBad;
        frame.reason = "undecodable record";
      } else if (txn->zxid <= last_zxid || txn->zxid < segment.first_zxid) {
        return Status::error("txn log corrupt: zxid " + hex(txn->zxid) +
                             " out of order in " + segment.path + " at offset " +
                             std::to_string(offset));
      } else {
        last_zxid = txn->zxid;
        ++scan.records;
        if (on_txn != nullptr) (*on_txn)(std::move(*txn));
        offset = frame.next_offset;
        continue;
      }
    }
    scan.stop_offset = offset;
    scan.clean = frame.kind == FrameRead::Kind::kEnd && all_zero(image.substr(offset));
    scan.reason = frame.kind == FrameRead::Kind::kBad ? frame.reason : "non-zero bytes after the end";
    return scan;
  }
}

// Cuts a torn tail at `offset` (removes the file if it held no record) and reports it.
Status cut_tail(const SegmentFile& segment, uint64_t offset, uint64_t file_bytes,
                const char* reason, LogRecoveryReport& report) {
  RK_WARN("txn log: torn tail in %s at offset %llu (%s): cutting %llu bytes",
          segment.path.c_str(), static_cast<unsigned long long>(offset), reason,
          static_cast<unsigned long long>(file_bytes - offset));
  report.cuts.push_back({segment.path, offset, file_bytes - offset});
  return offset == 0 ? remove_file(segment.path) : truncate_file(segment.path, offset);
}

// After an unclean stop in segments[from]: any valid record later means corruption.
Result<bool> later_segment_has_records(const std::vector<SegmentFile>& segments, size_t from) {
  for (size_t i = from + 1; i < segments.size(); ++i) {
    Result<std::string> image = read_file(segments[i].path);
    if (!image) return image.status();
    Zxid ignored = 0;
    Result<SegmentScan> scan = scan_segment(segments[i], *image, ignored, nullptr);
    if (!scan || scan->records > 0) return true;
  }
  return false;
}

// Removes segments after `last` that hold no record (torn or never written).
Status remove_after(const std::vector<SegmentFile>& segments, size_t last,
                    LogRecoveryReport& report) {
  for (size_t i = last + 1; i < segments.size(); ++i) {
    struct stat st {};
    const uint64_t bytes = stat(segments[i].path.c_str(), &st) == 0 ? st.st_size : 0;
    if (Status s = cut_tail(segments[i], 0, bytes, "no record", report); !s) return s;
  }
  return Status::ok();
}

}  // namespace

Result<LogRecoveryReport> recover_log(const std::string& dir, Zxid after_zxid,
                                      const std::function<void(Txn&&)>& on_txn) {
  LogRecoveryReport report;
  struct stat dir_stat {};
  if (stat(dir.c_str(), &dir_stat) != 0 && errno == ENOENT) return report;
  if (Status st = remove_file(dir + "/" + std::string(kPreallocSegmentName)); !st) return st;
  // A log install a crash interrupted decides which segments there are: finish it first.
  if (Status st = finish_install(dir); !st) return st;
  Result<std::vector<SegmentFile>> segments = list_segments(dir);
  if (!segments) return segments.status();
  const std::function<void(Txn&&)> replay = [&](Txn&& txn) {
    report.last_logged_zxid = txn.zxid;
    if (txn.zxid <= after_zxid) return;
    if (report.txns_replayed++ == 0) report.first_zxid = txn.zxid;
    report.last_zxid = txn.zxid;
    on_txn(std::move(txn));
  };
  Zxid last_zxid = 0;
  // Segments wholly at or below after_zxid hold nothing to replay: start at the newest one
  // whose first zxid is <= after_zxid + 1 (the one that may hold the next txn), as purge keeps.
  size_t first = 0;
  for (size_t i = 0; i < segments->size(); ++i) {
    if ((*segments)[i].first_zxid <= after_zxid + 1) first = i;
  }
  for (size_t i = first; i < segments->size(); ++i) {
    const SegmentFile& segment = (*segments)[i];
    Result<std::string> image = read_file(segment.path);
    if (!image) return image.status();
    Result<SegmentScan> scan = scan_segment(segment, *image, last_zxid, &replay);
    if (!scan) return scan.status();
    ++report.segments;
    if (scan->clean) continue;
    Result<bool> later = later_segment_has_records(*segments, i);
    if (!later) return later.status();
    if (*later) {
      return Status::error("txn log corrupt: " + std::string(scan->reason) + " in " +
                           segment.path + " at offset " + std::to_string(scan->stop_offset) +
                           ", with valid records in later segments");
    }
    Status cut = cut_tail(segment, scan->stop_offset, scan->file_bytes, scan->reason, report);
    if (cut) cut = remove_after(*segments, i, report);
    if (cut) cut = fsync_dir(dir);
    if (!cut) return cut;
    break;
  }
  return report;
}

Status truncate_log_after(const std::string& dir, Zxid zxid) {
  Result<std::vector<SegmentFile>> segments = list_segments(dir);
  if (!segments) return segments.status();
  // Newest first, each removal durable before the next and before the cut below: a crash
  // midway leaves the log a prefix of itself, never with a hole.
  while (!segments->empty() && segments->back().first_zxid > zxid) {
    const SegmentFile& segment = segments->back();
    RK_INFO("txn log: removing %s (above zxid 0x%llx)", segment.path.c_str(),
            static_cast<unsigned long long>(zxid));
    if (Status st = remove_file(segment.path); !st) return st;
    if (Status st = fsync_dir(dir); !st) return st;
    segments->pop_back();
  }
  if (segments->empty()) return Status::ok();
  // Only the newest segment left can hold records above zxid: each segment's records lie
  // below the next one's first zxid.
  const SegmentFile& segment = segments->back();
  Result<std::string> image = read_file(segment.path);
  if (!image) return image.status();
  size_t offset = 0;
  while (true) {
    FrameRead frame = read_frame(*image, offset, segment.first_zxid);
    Result<Txn> txn = frame.kind == FrameRead::Kind::kRecord ? decode_txn(frame.payload)
                                                              : Status::error("end");
    if (!txn || txn->zxid > zxid) break;
    offset = frame.next_offset;
  }
  if (offset < image->size() && !all_zero(std::string_view(*image).substr(offset))) {
    RK_INFO("txn log: truncating %s at offset %zu (records above zxid 0x%llx)",
            segment.path.c_str(), offset, static_cast<unsigned long long>(zxid));
    if (Status st = truncate_file(segment.path, offset); !st) return st;
  }
  return Status::ok();
}

}  // namespace rk
