// Session ids, passwords and tick-bucketed expiry, matching ZooKeeper's SessionTrackerImpl,
// ExpiryQueue and ZooKeeperServer.generatePasswd so ids and passwords interoperate.
#include "engine/session_table.h"

#include <algorithm>
#include <climits>

#include "base/assert.h"

namespace rk {
namespace {

// java.util.Random: a 48-bit linear congruential generator (Knuth, TAOCP 3.2.1).
class JavaRandom {
 public:
  explicit JavaRandom(int64_t seed) : seed_((static_cast<uint64_t>(seed) ^ kMultiplier) & kMask) {}

  int32_t next_int() {
    seed_ = (seed_ * kMultiplier + kAddend) & kMask;
    return static_cast<int32_t>(static_cast<uint32_t>(seed_ >> 16));
  }

  // Random.nextBytes: each int supplies up to four bytes, least significant first.
  void next_bytes(std::string& bytes) {
    size_t i = 0;
    while (i < bytes.size()) {
      uint32_t rnd = static_cast<uint32_t>(next_int());
      for (size_t n = std::min<size_t>(bytes.size() - i, 4); n > 0; --n, rnd >>= 8) {
        bytes[i++] = static_cast<char>(rnd & 0xff);
      }
    }
  }

 private:
  static constexpr uint64_t kMultiplier = 0x5DEECE66DULL;
  static constexpr uint64_t kAddend = 0xBULL;
  static constexpr uint64_t kMask = (1ULL << 48) - 1;
  uint64_t seed_;
};

constexpr int64_t kPasswordSecret = 0xB3415C00LL;
constexpr size_t kPasswordBytes = 16;
// Marks container znodes in ephemeralOwner, so no session may have it as its id.
constexpr SessionId kContainerEphemeralOwner = INT64_MIN;

}  // namespace

SessionTable::SessionTable(int64_t server_id, int32_t tick_ms, int64_t now_ms) : tick_ms_(tick_ms) {
  RK_ASSERT(tick_ms > 0);
  // The clock fills bits 16..55 (its low 40 bits), the server id the top byte, the low 16
  // bits count sessions: ids from different servers or restarts do not collide.
  uint64_t id = (static_cast<uint64_t>(now_ms) << 24) >> 8;
  id |= static_cast<uint64_t>(server_id) << 56;
  next_id_ = static_cast<SessionId>(id);
  if (next_id_ == kContainerEphemeralOwner) ++next_id_;
}

SessionId SessionTable::next_id() { return next_id_++; }

std::string SessionTable::password(SessionId id) {
  std::string bytes(kPasswordBytes, '\0');
  JavaRandom(id ^ kPasswordSecret).next_bytes(bytes);
  return bytes;
}

int64_t SessionTable::round_to_tick(int64_t ms) const { return (ms / tick_ms_ + 1) * tick_ms_; }

void SessionTable::add(SessionId id, int32_t timeout_ms, int64_t now_ms) {
  auto [it, inserted] = sessions_.try_emplace(id);
  Session& session = it->second;
  if (inserted) {
    session.id = id;
  } else {
    buckets_unlink(session);
  }
  // Re-adding (replay, or a leader taking over) refreshes the timeout and the deadline, and
  // keeps `closing`: a session being closed stays closed.
  session.timeout_ms = timeout_ms;
  session.expire_at_ms = round_to_tick(now_ms + timeout_ms);
  buckets_[session.expire_at_ms].insert(id);
}

void SessionTable::remove(SessionId id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  buckets_unlink(it->second);
  sessions_.erase(it);
}

const Session* SessionTable::find(SessionId id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

bool SessionTable::set_closing(SessionId id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  it->second.closing = true;
  return true;
}

bool SessionTable::touch(SessionId id, int64_t now_ms) {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.closing) return false;
  Session& session = it->second;
  int64_t expire_at_ms = round_to_tick(now_ms + session.timeout_ms);
  if (expire_at_ms == session.expire_at_ms) return true;  // same bucket: the common ping
  buckets_unlink(session);
  session.expire_at_ms = expire_at_ms;
  buckets_[expire_at_ms].insert(id);
  return true;
}

std::vector<SessionId> SessionTable::expire(int64_t now_ms) {
  std::vector<SessionId> expired;
  // A bucket is due once its time has come (ExpiryQueue.poll: now >= expiration time).
  while (!buckets_.empty() && buckets_.begin()->first <= now_ms) {
    for (SessionId id : buckets_.begin()->second) {
      Session& session = sessions_.at(id);
      if (session.closing) continue;  // its closeSession is already on its way
      session.closing = true;
      expired.push_back(id);
    }
    buckets_.erase(buckets_.begin());
  }
  // Bucket sets are unordered; sort so every run issues closeSession txns in one order.
  std::sort(expired.begin(), expired.end());
  return expired;
}

int64_t SessionTable::next_expiry_ms() const {
  return buckets_.empty() ? INT64_MAX : buckets_.begin()->first;
}

std::vector<Session> SessionTable::all() const {
  std::vector<Session> result;
  result.reserve(sessions_.size());
  for (const auto& [id, session] : sessions_) result.push_back(session);
  std::sort(result.begin(), result.end(),
            [](const Session& a, const Session& b) { return a.id < b.id; });
  return result;
}

void SessionTable::buckets_unlink(const Session& session) {
  auto bucket = buckets_.find(session.expire_at_ms);
  if (bucket == buckets_.end()) return;  // already handed out by expire()
  bucket->second.erase(session.id);
  // Empty buckets go at once so next_expiry_ms() names a moment with work to do.
  if (bucket->second.empty()) buckets_.erase(bucket);
}

}  // namespace rk
