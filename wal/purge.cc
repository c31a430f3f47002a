// Purge: decide from names alone (snapshot.<zxid>, log.<first zxid>), then unlink.
#include "wal/purge.h"

#include <dirent.h>

#include <algorithm>
#include <cerrno>

#include "base/log.h"
#include "engine/types.h"
#include "wal/segment.h"

namespace rk {
namespace {

struct SnapshotFile {
  Zxid zxid = 0;
  std::string path;
};

Result<std::vector<SnapshotFile>> list_snapshots(const std::string& dir) {
  DIR* handle = opendir(dir.c_str());
  if (handle == nullptr) return errno_status("cannot list snapshot dir", dir, errno);
  std::vector<SnapshotFile> snapshots;
  while (dirent* entry = readdir(handle)) {
    if (auto zxid = parse_hex_suffix(entry->d_name, "snapshot.")) {
      snapshots.push_back({*zxid, dir + "/" + entry->d_name});
    }
  }
  closedir(handle);
  std::sort(snapshots.begin(), snapshots.end(),
            [](const SnapshotFile& a, const SnapshotFile& b) { return a.zxid < b.zxid; });
  return snapshots;
}

// How many leading segments replay from `oldest_kept` does not need.
size_t unneeded_segments(const std::vector<SegmentFile>& segments, Zxid oldest_kept) {
  size_t keep_from = 0;
  bool found = false;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (segments[i].first_zxid <= oldest_kept + 1) {
      keep_from = i;
      found = true;
    }
  }
  return found ? keep_from : 0;
}

}  // namespace

Result<PurgeReport> purge_files(const std::string& snap_dir, const std::string& log_dir,
                                int retain_count) {
  const size_t retain = static_cast<size_t>(std::max(retain_count, kPurgeRetainCountMin));
  PurgeReport report;
  Result<std::vector<SnapshotFile>> snapshots = list_snapshots(snap_dir);
  if (!snapshots) return snapshots.status();
  if (snapshots->size() < retain) return report;
  Result<std::vector<SegmentFile>> segments = list_segments(log_dir);
  if (!segments) return segments.status();

  const size_t old_snapshots = snapshots->size() - retain;
  const Zxid oldest_kept = (*snapshots)[old_snapshots].zxid;
  for (size_t i = 0; i < old_snapshots; ++i) {
    if (Status st = remove_file((*snapshots)[i].path); !st) return st;
    report.removed_snapshots.push_back((*snapshots)[i].path);
  }
  const size_t old_segments = unneeded_segments(*segments, oldest_kept);
  for (size_t i = 0; i < old_segments; ++i) {
    if (Status st = remove_file((*segments)[i].path); !st) return st;
    report.removed_segments.push_back((*segments)[i].path);
  }
  RK_INFO("purge: kept %zu snapshots from zxid 0x%llx; removed %zu snapshots, %zu log segments",
          retain, static_cast<unsigned long long>(oldest_kept), report.removed_snapshots.size(),
          report.removed_segments.size());
  return report;
}

}  // namespace rk
