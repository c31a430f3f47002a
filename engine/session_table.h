// Sessions: ids, passwords, negotiated timeouts and tickTime-bucketed expiry, as ZooKeeper's
// SessionTrackerImpl + ExpiryQueue. Owned by the engine core thread; never reads a clock:
// every call that needs the time takes `now_ms` (monotonic milliseconds).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/types.h"

namespace rk {

struct Session {
  SessionId id = 0;
  int32_t timeout_ms = 0;
  int64_t expire_at_ms = 0;  // a multiple of tick_ms
  bool closing = false;      // closeSession issued or expired; no new requests
};

class SessionTable {
 public:
  // `server_id` goes into the top byte of every session id; `now_ms` seeds the id counter
  // as ZooKeeper does: ((now_ms << 24) >>> 8) | (server_id << 56).
  SessionTable(int64_t server_id, int32_t tick_ms, int64_t now_ms);

  // Allocates the next id (no session is created until add()).
  SessionId next_id();

  // The 16-byte password of a session: a pure function of the id (ZooKeeper's
  // java.util.Random(id ^ 0xB3415C00).nextBytes), so any server can check it.
  static std::string password(SessionId id);

  // Creates (or, on replay, re-creates) a session. Idempotent.
  void add(SessionId id, int32_t timeout_ms, int64_t now_ms);
  // Removes a session. Idempotent.
  void remove(SessionId id);

  const Session* find(SessionId id) const;
  bool set_closing(SessionId id);  // false if unknown

  // A request or ping arrived: push the expiry to the bucket after now + timeout.
  // False if the session is unknown or closing.
  bool touch(SessionId id, int64_t now_ms);

  // Ids of sessions whose bucket is <= now_ms and that are not closing yet; marks them
  // closing. The caller issues their closeSession txns.
  std::vector<SessionId> expire(int64_t now_ms);

  // The next moment expire() may return something (for the engine's wait), or INT64_MAX.
  int64_t next_expiry_ms() const;

  size_t size() const { return sessions_.size(); }
  std::vector<Session> all() const;  // sorted by id

 private:
  int64_t round_to_tick(int64_t ms) const;  // next multiple of tick_ms strictly above ms
  void buckets_unlink(const Session& session);  // takes it out of its expiry bucket, if any

  int32_t tick_ms_;
  SessionId next_id_;
  std::unordered_map<SessionId, Session> sessions_;
  std::map<int64_t, std::unordered_set<SessionId>> buckets_;  // expire_at_ms -> sessions
};

}  // namespace rk
