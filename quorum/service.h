// The messages between a learner's server and its leader's server that are not part of ZAB:
// client writes, new sessions, session activity and sync() on a learner, carried to the
// leader, which alone proposes. Plain values, framed like the ZAB messages (quorum/codec.h).
//
// Every one carries the epoch of the leader the learner follows when it sent it: a leader
// drops those of an older epoch, so a request forwarded to a deposed leader cannot be
// proposed by its successor on the strength of a stale session or auth state.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "engine/types.h"
#include "quorum/messages.h"

namespace rk::quorum {

namespace svc {

// A client's write request on a learner, for the leader to turn into a txn.
struct ForwardWrite {
  Epoch epoch = 0;
  SessionId session = 0;
  std::vector<Id> ids;  // the connection's auth ids, for the leader's ACL checks
  std::string request;  // jute RequestHeader + body, without the 4-byte length prefix
  bool operator==(const ForwardWrite&) const = default;
};

// A session opened on a learner; the learner chose the id.
struct ForwardSession {
  Epoch epoch = 0;
  SessionId session = 0;
  int32_t timeout_ms = 0;  // negotiated
  bool operator==(const ForwardSession&) const = default;
};

// Sessions with client activity on the learner since its last Touch: (id, timeout ms).
struct Touch {
  Epoch epoch = 0;
  std::vector<std::pair<SessionId, int32_t>> sessions;
  bool operator==(const Touch&) const = default;
};

// A client's sync() on a learner: the leader answers with the last zxid it proposed, which
// the learner waits to apply before it replies to the client.
struct SyncRequest {
  Epoch epoch = 0;
  SessionId session = 0;
  int32_t xid = 0;
  bool operator==(const SyncRequest&) const = default;
};

struct SyncReply {
  Epoch epoch = 0;
  SessionId session = 0;
  int32_t xid = 0;
  Zxid zxid = 0;  // the leader's last proposed zxid when the request arrived
  bool operator==(const SyncReply&) const = default;
};

}  // namespace svc

using ServiceMessage =
    std::variant<svc::ForwardWrite, svc::ForwardSession, svc::Touch, svc::SyncRequest, svc::SyncReply>;

}  // namespace rk::quorum
