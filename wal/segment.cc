// Segment names and plain synchronous file helpers (recovery, purge, preparer; never the
// commit path).
#include "wal/segment.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace rk {
namespace {

// Closes an fd when it goes out of scope.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

std::string segment_name(Zxid first_zxid) {
  char name[32];
  std::snprintf(name, sizeof name, "log.%llx", static_cast<unsigned long long>(first_zxid));
  return name;
}

std::optional<Zxid> parse_hex_suffix(std::string_view name, std::string_view prefix) {
  if (!name.starts_with(prefix)) return std::nullopt;
  std::string_view hex = name.substr(prefix.size());
  if (hex.empty() || hex.size() > 16) return std::nullopt;
  uint64_t value = 0;
  for (char c : hex) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    value = value << 4 | static_cast<uint64_t>(digit);
  }
  return static_cast<Zxid>(value);
}

std::optional<Zxid> parse_segment_name(std::string_view name) {
  return parse_hex_suffix(name, "log.");
}

Result<std::vector<SegmentFile>> list_segments(const std::string& dir) {
  DIR* handle = opendir(dir.c_str());
  if (handle == nullptr) return errno_status("cannot list txn log dir", dir, errno);
  std::vector<SegmentFile> segments;
  while (dirent* entry = readdir(handle)) {
    if (auto zxid = parse_segment_name(entry->d_name)) {
      segments.push_back({*zxid, dir + "/" + entry->d_name});
    }
  }
  closedir(handle);
  std::sort(segments.begin(), segments.end(),
            [](const SegmentFile& a, const SegmentFile& b) { return a.first_zxid < b.first_zxid; });
  return segments;
}

Status errno_status(const std::string& what, const std::string& path, int err) {
  return Status::error(what + " " + path + " (" + std::strerror(err) + ")");
}

Status fsync_dir(const std::string& dir) {
  FdCloser fd{open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (fd.fd < 0) return errno_status("cannot open directory", dir, errno);
  if (fsync(fd.fd) != 0) return errno_status("cannot fsync directory", dir, errno);
  return Status::ok();
}

Result<std::string> read_file(const std::string& path) {
  FdCloser fd{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) return errno_status("cannot open", path, errno);
  struct stat st {};
  if (fstat(fd.fd, &st) != 0) return errno_status("cannot stat", path, errno);
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = pread(fd.fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_status("cannot read", path, errno);
    if (n == 0) break;  // shrank under us: what we have is the file
    done += static_cast<size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

Status write_file(const std::string& path, std::string_view bytes) {
  FdCloser fd{open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
  if (fd.fd < 0) return errno_status("cannot create", path, errno);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_status("cannot write", path, errno);
    done += static_cast<size_t>(n);
  }
  if (fsync(fd.fd) != 0) return errno_status("cannot fsync", path, errno);
  return Status::ok();
}

Status replace_file(const std::string& dir, const std::string& name, std::string_view bytes) {
  const std::string path = dir + "/" + name;
  const std::string temp = path + ".tmp";
  if (Status st = write_file(temp, bytes); !st) return st;
  if (rename(temp.c_str(), path.c_str()) != 0) return errno_status("cannot rename", temp, errno);
  return fsync_dir(dir);
}

Status truncate_file(const std::string& path, uint64_t bytes) {
  FdCloser fd{open(path.c_str(), O_WRONLY | O_CLOEXEC)};
  if (fd.fd < 0) return errno_status("cannot open", path, errno);
  if (ftruncate(fd.fd, static_cast<off_t>(bytes)) != 0) {
    return errno_status("cannot truncate", path, errno);
  }
  if (fsync(fd.fd) != 0) return errno_status("cannot fsync", path, errno);
  return Status::ok();
}

Status remove_file(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return errno_status("cannot remove", path, errno);
  }
  return Status::ok();
}

}  // namespace rk
