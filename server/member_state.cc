// Member state files: decimal text, read strictly, replaced atomically.
#include "server/member_state.h"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>

#include "wal/segment.h"

namespace rk {
namespace {

// The number in dir/name; 0 when the file does not exist.
Result<uint64_t> read_number(const std::string& dir, const char* name) {
  const std::string path = dir + "/" + name;
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 && errno == ENOENT) return uint64_t{0};
  Result<std::string> text = read_file(path);
  if (!text) return text.status();
  std::string_view digits = *text;
  while (!digits.empty() && (digits.back() == '\n' || digits.back() == '\r')) digits.remove_suffix(1);
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
      value > static_cast<uint64_t>(INT64_MAX)) {
    return Status::error(path + " does not hold a number (" + std::to_string(text->size()) +
                         " bytes); refusing to guess the member's " + name);
  }
  return value;
}

Status write_number(const std::string& dir, const char* name, uint64_t value) {
  return replace_file(dir, name, std::to_string(value));
}

}  // namespace

Result<MemberState> load_member_state(const std::string& dir) {
  MemberState state;
  Result<uint64_t> accepted = read_number(dir, kAcceptedEpochFile);
  if (!accepted) return accepted.status();
  Result<uint64_t> current = read_number(dir, kCurrentEpochFile);
  if (!current) return current.status();
  Result<uint64_t> incarnation = read_number(dir, kIncarnationFile);
  if (!incarnation) return incarnation.status();
  state.accepted_epoch = static_cast<quorum::Epoch>(*accepted);
  state.current_epoch = static_cast<quorum::Epoch>(*current);
  state.incarnation = *incarnation;
  return state;
}

Status store_epochs(const std::string& dir, quorum::Epoch accepted_epoch, quorum::Epoch current_epoch) {
  if (accepted_epoch < 0 || current_epoch < 0) {
    return Status::error("negative epoch (accepted " + std::to_string(accepted_epoch) + ", current " +
                         std::to_string(current_epoch) + ")");
  }
  // A file that is missing or unreadable counts as changed: writing it repairs it.
  Result<uint64_t> stored_accepted = read_number(dir, kAcceptedEpochFile);
  if (!stored_accepted || *stored_accepted != static_cast<uint64_t>(accepted_epoch)) {
    if (Status st = write_number(dir, kAcceptedEpochFile, accepted_epoch); !st) return st;
  }
  Result<uint64_t> stored_current = read_number(dir, kCurrentEpochFile);
  if (!stored_current || *stored_current != static_cast<uint64_t>(current_epoch)) {
    if (Status st = write_number(dir, kCurrentEpochFile, current_epoch); !st) return st;
  }
  return Status::ok();
}

Result<uint64_t> next_incarnation(const std::string& dir) {
  Result<uint64_t> stored = read_number(dir, kIncarnationFile);
  if (!stored) return stored.status();
  const uint64_t next = *stored + 1;
  if (Status st = write_number(dir, kIncarnationFile, next); !st) return st;
  return next;
}

}  // namespace rk
