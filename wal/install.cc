// Installing a log: write the new segment under a name recovery ignores, make it durable,
// remove the old segments, then give it its segment name. The install file's name says which
// records make it complete, so a torn one is told from a finished one.
#include "wal/install.h"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "base/fault.h"
#include "base/log.h"
#include "engine/txn_codec.h"
#include "wal/record.h"
#include "wal/segment.h"

namespace rk {
namespace {

constexpr std::string_view kInstallSuffix = ".install";

std::string hex(Zxid zxid) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(zxid));
  return text;
}

// Fails the install at a named step as a crash there would stop it: nothing after it runs.
Status fault_at(FaultPoint& fault, const char* step) {
  if (int err = fault.check(); err != 0) {
    return Status::error(std::string("txn log install: fault injected ") + step + " (errno " +
                         std::to_string(err) + ")");
  }
  return Status::ok();
}

// Install files in dir, by name.
Result<std::vector<std::pair<InstallFile, std::string>>> list_install_files(const std::string& dir) {
  DIR* handle = opendir(dir.c_str());
  if (handle == nullptr) return errno_status("cannot list txn log dir", dir, errno);
  std::vector<std::pair<InstallFile, std::string>> found;
  while (dirent* entry = readdir(handle)) {
    if (auto install = parse_install_file_name(entry->d_name)) {
      found.emplace_back(*install, dir + "/" + entry->d_name);
    }
  }
  closedir(handle);
  return found;
}

// True when the file holds exactly the records its name promises: valid frames from its
// first zxid up to its last, rising, and nothing after them.
bool install_file_complete(const InstallFile& install, std::string_view image) {
  size_t offset = 0;
  Zxid last = 0;
  while (offset < image.size()) {
    FrameRead frame = read_frame(image, offset, install.first_zxid);
    if (frame.kind != FrameRead::Kind::kRecord) return false;
    Result<Txn> txn = decode_txn(frame.payload);
    if (!txn || txn->zxid <= last || (last == 0 && txn->zxid != install.first_zxid)) return false;
    last = txn->zxid;
    offset = frame.next_offset;
  }
  return last != 0 && last == install.last_zxid;
}

// Removes every segment, newest first, each removal durable before the next: a crash midway
// leaves a prefix of the old log, never a log with a hole.
Status remove_segments(const std::string& dir) {
  Result<std::vector<SegmentFile>> segments = list_segments(dir);
  if (!segments) return segments.status();
  for (auto it = segments->rbegin(); it != segments->rend(); ++it) {
    if (Status st = remove_file(it->path); !st) return st;
    if (Status st = fsync_dir(dir); !st) return st;
  }
  return Status::ok();
}

// The second half of an install, once the install file is complete and durable: the old log
// goes, then the new segment takes its name. Redone from the start after a crash anywhere in
// it.
Status replace_log(const std::string& dir, const InstallFile& install, const std::string& install_path) {
  static FaultPoint& after_cut = fault_point("wal.install_after_cut");
  if (Status st = remove_segments(dir); !st) return st;
  if (Status st = fault_at(after_cut, "after the old log was removed"); !st) return st;
  const std::string segment_path = dir + "/" + segment_name(install.first_zxid);
  if (rename(install_path.c_str(), segment_path.c_str()) != 0) {
    return errno_status("cannot rename", install_path, errno);
  }
  return fsync_dir(dir);
}

Status check_txns(Zxid image_zxid, const std::vector<Txn>& txns) {
  Zxid previous = image_zxid;
  for (const Txn& txn : txns) {
    if (txn.zxid <= previous) {
      return Status::error("txn log install: zxid " + hex(txn.zxid) + " after " + hex(previous) +
                           " (image at " + hex(image_zxid) + ")");
    }
    previous = txn.zxid;
  }
  return Status::ok();
}

}  // namespace

std::string install_file_name(Zxid first_zxid, Zxid last_zxid) {
  char name[64];
  std::snprintf(name, sizeof name, "log.%llx-%llx", static_cast<unsigned long long>(first_zxid),
                static_cast<unsigned long long>(last_zxid));
  return name + std::string(kInstallSuffix);
}

std::optional<InstallFile> parse_install_file_name(std::string_view name) {
  if (!name.ends_with(kInstallSuffix)) return std::nullopt;
  name.remove_suffix(kInstallSuffix.size());
  const size_t dash = name.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::optional<Zxid> first = parse_segment_name(name.substr(0, dash));
  std::optional<Zxid> last = parse_hex_suffix(name.substr(dash + 1), "");
  if (!first || !last || *first == 0 || *last < *first) return std::nullopt;
  return InstallFile{*first, *last};
}

Status finish_install(const std::string& dir) {
  auto found = list_install_files(dir);
  if (!found) return found.status();
  std::vector<std::pair<InstallFile, std::string>> complete;
  for (auto& [install, path] : *found) {
    Result<std::string> image = read_file(path);
    if (!image) return image.status();
    if (install_file_complete(install, *image)) {
      complete.emplace_back(install, path);
      continue;
    }
    RK_WARN("txn log: removing %s, an install interrupted while it was written (the old log stays)",
            path.c_str());
    if (Status st = remove_file(path); !st) return st;
    if (Status st = fsync_dir(dir); !st) return st;
  }
  // One install runs at a time and finishes any earlier one first.
  if (complete.size() > 1) {
    return Status::error("txn log: " + std::to_string(complete.size()) + " complete install files in " + dir +
                         " (" + complete[0].second + ", " + complete[1].second + "); cannot tell which is newer");
  }
  if (complete.empty()) return Status::ok();
  RK_WARN("txn log: finishing the install of %s, which replaces the old log", complete[0].second.c_str());
  return replace_log(dir, complete[0].first, complete[0].second);
}

Status install_log(const std::string& dir, Zxid image_zxid, const std::vector<Txn>& txns) {
  static FaultPoint& after_write = fault_point("wal.install_after_write");
  if (Status st = check_txns(image_zxid, txns); !st) return st;
  if (Status st = finish_install(dir); !st) return st;
  if (txns.empty()) {
    // Nothing to keep above the image: every prefix of the old log a crash may leave is a
    // history recovery accepts, and the end state is no log.
    RK_INFO("txn log: no txns after the image at %s; removing the log", hex(image_zxid).c_str());
    return remove_segments(dir);
  }
  const InstallFile install{txns.front().zxid, txns.back().zxid};
  std::string frames;
  for (const Txn& txn : txns) append_unsealed_frame(txn, frames);
  seal_frames(frames, install.first_zxid);
  const std::string path = dir + "/" + install_file_name(install.first_zxid, install.last_zxid);
  if (Status st = write_file(path, frames); !st) {
    (void)remove_file(path);
    return st;
  }
  if (Status st = fsync_dir(dir); !st) return st;
  if (Status st = fault_at(after_write, "after the install file was written"); !st) return st;
  RK_INFO("txn log: installing %zu txns %s..%s after the image at %s", txns.size(),
          hex(install.first_zxid).c_str(), hex(install.last_zxid).c_str(), hex(image_zxid).c_str());
  return replace_log(dir, install, path);
}

}  // namespace rk
