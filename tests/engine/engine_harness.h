// Drives a Processor the way the engine core does, with a recording EngineOutput, a
// hand-advanced clock and helpers to build requests and pick out replies.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "engine/data_tree.h"
#include "engine/processor.h"
#include "engine/session_table.h"
#include "engine/watch_manager.h"

namespace rk::testing {

struct ForwardedWrite {
  SessionId session = 0;
  std::vector<Id> ids;
  Request request;
};

struct RecordingOutput final : EngineOutput {
  std::vector<Outbound> sent;
  std::vector<Txn> logged;
  // What a learner hands its leader.
  std::vector<ForwardedWrite> forwarded;
  std::vector<std::pair<SessionId, int32_t>> forwarded_sessions;  // id, timeout
  std::vector<std::pair<SessionId, int32_t>> forwarded_syncs;     // session, xid
  void send(Outbound&& message) override { sent.push_back(std::move(message)); }
  void log(const Txn& txn) override { logged.push_back(txn); }
  void forward_write(SessionId session, const std::vector<Id>& ids, const Request& request) override {
    forwarded.push_back(ForwardedWrite{session, ids, request});
  }
  void forward_session(SessionId session, int32_t timeout_ms) override {
    forwarded_sessions.emplace_back(session, timeout_ms);
  }
  void forward_sync(SessionId session, int32_t xid) override { forwarded_syncs.emplace_back(session, xid); }
};

struct Client {
  ConnRef conn;
  SessionId session = 0;
  std::string passwd;
  int32_t timeout_ms = 0;
  int32_t next_xid = 1;
};

inline AclList open_acl() { return {{perm::kAll, {"world", "anyone"}}}; }

inline Request op_create(std::string path, std::string data = "", CreateMode mode = CreateMode::kPersistent,
                         AclList acl = open_acl(), OpCode type = OpCode::kCreate) {
  Request r;
  r.type = type;
  r.path = std::move(path);
  r.data = std::move(data);
  r.flags = static_cast<int32_t>(mode);
  r.acl = std::move(acl);
  return r;
}
inline Request op_create2(std::string path, std::string data = "", CreateMode mode = CreateMode::kPersistent) {
  return op_create(std::move(path), std::move(data), mode, open_acl(), OpCode::kCreate2);
}
inline Request op_delete(std::string path, int32_t version = -1) {
  Request r;
  r.type = OpCode::kDelete;
  r.path = std::move(path);
  r.version = version;
  return r;
}
inline Request op_set_data(std::string path, std::string data, int32_t version = -1) {
  Request r;
  r.type = OpCode::kSetData;
  r.path = std::move(path);
  r.data = std::move(data);
  r.version = version;
  return r;
}
inline Request op_check(std::string path, int32_t version) {
  Request r;
  r.type = OpCode::kCheck;
  r.path = std::move(path);
  r.version = version;
  return r;
}
inline Request op_set_acl(std::string path, AclList acl, int32_t version = -1) {
  Request r;
  r.type = OpCode::kSetAcl;
  r.path = std::move(path);
  r.acl = std::move(acl);
  r.version = version;
  return r;
}
inline Request op_read(OpCode type, std::string path, bool watch = false) {
  Request r;
  r.type = type;
  r.path = std::move(path);
  r.watch = watch;
  return r;
}
inline Request op_multi(std::vector<Request> ops, OpCode type = OpCode::kMulti) {
  Request r;
  r.type = type;
  r.ops = std::move(ops);
  return r;
}
inline Request op_auth(std::string scheme, std::string credentials) {
  Request r;
  r.type = OpCode::kAuth;
  r.xid = -4;
  r.path = std::move(scheme);
  r.data = std::move(credentials);
  return r;
}

class EngineHarness {
 public:
  explicit EngineHarness(EngineConfig config = {}) : config_(config), proc_(config, mono_ms, out) {}

  Processor& proc() { return proc_; }
  const DataTree& tree() { return proc_.tree(); }

  ConnRef new_conn() { return ConnRef{0, next_slot_++, 1}; }

  // Sends a handshake. Nothing is committed.
  void send_connect(const ConnRef& conn, ConnectRequest req, std::string remote = "10.0.0.1:5000") {
    Inbound in;
    in.kind = Inbound::Kind::kConnect;
    in.conn = conn;
    in.connect = std::move(req);
    in.remote = std::move(remote);
    proc_.handle(std::move(in), wall_ms, mono_ms);
  }

  // A new session, committed; the ConnectResponse is consumed.
  Client connect(int32_t timeout_ms = 30000, std::string remote = "10.0.0.1:5000") {
    Client c;
    c.conn = new_conn();
    ConnectRequest req;
    req.timeout_ms = timeout_ms;
    req.passwd = std::string(16, '\0');
    send_connect(c.conn, req, std::move(remote));
    commit_all();
    for (size_t i = 0; i < out.sent.size(); ++i) {
      if (out.sent[i].kind == Outbound::Kind::kConnectReply && out.sent[i].conn == c.conn) {
        c.session = out.sent[i].connect.session_id;
        c.passwd = out.sent[i].connect.passwd;
        c.timeout_ms = out.sent[i].connect.timeout_ms;
        out.sent.erase(out.sent.begin() + static_cast<long>(i));
        break;
      }
    }
    EXPECT_NE(c.session, 0);
    return c;
  }

  void send(Client& c, Request req) {
    if (req.xid == 0) req.xid = c.next_xid++;
    Inbound in;
    in.kind = Inbound::Kind::kRequest;
    in.conn = c.conn;
    in.request = std::move(req);
    proc_.handle(std::move(in), wall_ms, mono_ms);
  }

  void close_conn(const ConnRef& conn) {
    Inbound in;
    in.kind = Inbound::Kind::kClosed;
    in.conn = conn;
    proc_.handle(std::move(in), wall_ms, mono_ms);
  }

  void commit_all() { proc_.commit(proc_.last_logged_zxid()); }

  // Sends, commits, and returns the single reply to this request (other output stays).
  Response call(Client& c, Request req) {
    int32_t xid = req.xid != 0 ? req.xid : c.next_xid++;
    req.xid = xid;
    send(c, std::move(req));
    commit_all();
    std::vector<Response> replies = take_replies(c.conn, xid);
    EXPECT_EQ(replies.size(), 1u) << "xid " << xid;
    return replies.empty() ? Response{} : std::move(replies.front());
  }

  std::vector<Response> take_replies(const ConnRef& conn, int32_t xid) {
    std::vector<Response> found;
    std::vector<Outbound> rest;
    for (Outbound& m : out.sent) {
      if (m.kind == Outbound::Kind::kReply && m.conn == conn && m.reply.xid == xid) {
        found.push_back(std::move(m.reply));
      } else {
        rest.push_back(std::move(m));
      }
    }
    out.sent = std::move(rest);
    return found;
  }

  // Watch events sent to `conn`, removed from the output.
  std::vector<WatchEvent> take_events(const ConnRef& conn) {
    std::vector<WatchEvent> found;
    std::vector<Outbound> rest;
    for (Outbound& m : out.sent) {
      if (m.kind == Outbound::Kind::kWatch && m.conn == conn) {
        found.push_back(std::move(m.event));
      } else {
        rest.push_back(std::move(m));
      }
    }
    out.sent = std::move(rest);
    return found;
  }

  bool closed(const ConnRef& conn) const {
    for (const Outbound& m : out.sent) {
      if (m.kind == Outbound::Kind::kClose && m.conn == conn) return true;
    }
    return false;
  }

  void tick() { proc_.tick(wall_ms, mono_ms); }
  void advance(int64_t ms) {
    wall_ms += ms;
    mono_ms += ms;
  }

  int64_t wall_ms = 1'700'000'000'000;
  int64_t mono_ms = 5'000'000;
  RecordingOutput out;

 private:
  EngineConfig config_;
  Processor proc_;
  uint32_t next_slot_ = 1;
};

// An engine with extended types (TTL nodes) on, as the node-kind workloads need.
inline EngineConfig extended_types() {
  EngineConfig c;
  c.extended_types_enabled = true;
  return c;
}

// Every kind of node through the real request path (a and b are two sessions): persistent,
// persistent sequential, ephemeral and ephemeral sequential of two owners, a container with a
// child, a TTL node, null data, a non-open ACL, and an ACL changed after the create.
inline void populate_every_kind(EngineHarness& h, Client& a, Client& b) {
  ASSERT_EQ(h.call(a, op_create("/p", "data")).err, Err::kOk);
  ASSERT_EQ(h.call(a, op_create("/p/s-", "x", CreateMode::kPersistentSequential)).err, Err::kOk);
  ASSERT_EQ(h.call(a, op_create("/p/e", "", CreateMode::kEphemeral)).err, Err::kOk);
  ASSERT_EQ(h.call(b, op_create("/p/f", "", CreateMode::kEphemeralSequential)).err, Err::kOk);
  ASSERT_EQ(h.call(a, op_create("/box", "", CreateMode::kContainer, open_acl(), OpCode::kCreateContainer)).err,
            Err::kOk);
  ASSERT_EQ(h.call(a, op_create("/box/in")).err, Err::kOk);
  Request ttl = op_create("/ttl", "t", CreateMode::kPersistentWithTtl, open_acl(), OpCode::kCreateTtl);
  ttl.ttl = 60000;
  ASSERT_EQ(h.call(a, ttl).err, Err::kOk);
  Request null_data = op_create("/null");
  null_data.data_is_null = true;
  ASSERT_EQ(h.call(a, null_data).err, Err::kOk);
  AclList mixed = {{perm::kRead, {"ip", "10.0.0.0/8"}}, {perm::kAll, {"digest", "u:abc="}}};
  ASSERT_EQ(h.call(a, op_create("/acl", "secret", CreateMode::kPersistent, mixed)).err, Err::kOk);
  // Still writable by anyone, so callers can go on changing /p.
  ASSERT_EQ(h.call(a, op_set_acl("/p", {{perm::kRead, {"ip", "10.0.0.0/8"}}, {perm::kAll, {"world", "anyone"}}}))
                .err,
            Err::kOk);
}

}  // namespace rk::testing
