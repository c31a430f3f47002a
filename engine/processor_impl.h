// The Processor's state, shared by processor.cc (public face, tick), processor_requests.cc
// (arrivals), processor_commit.cc (commits, output) and processor_reads.cc (read requests).
// Internal to the engine; owned by the engine core thread.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/data_tree.h"
#include "engine/pending_changes.h"
#include "engine/prep.h"
#include "engine/processor.h"
#include "engine/session_table.h"
#include "engine/txn_apply.h"
#include "engine/watch_manager.h"

namespace rk {

struct ConnRefHash {
  size_t operator()(const ConnRef& c) const {
    uint64_t v = (uint64_t{c.reactor} << 48) ^ (uint64_t{c.slot} << 20) ^ c.generation;
    return std::hash<uint64_t>{}(v * 0x9E3779B97F4A7C15ULL);
  }
};

// A client connection that completed (or is completing) its handshake.
struct Connection {
  ConnRef ref;
  WatcherId watcher = 0;
  SessionId session = 0;
  std::vector<Id> ids;  // ip, then what auth packets added; gone with the connection
  bool ready = false;   // the ConnectResponse went out
  ConnectionStats stats;
};

// One entry of a session's reply FIFO: replies leave in request order.
struct Waiting {
  enum class Kind : uint8_t {
    kWrite,  // a logged txn; its reply goes out when it commits
    kRead,   // a read that must not overtake the writes before it
    kReply,  // a ready answer held back to keep the order (auth during the handshake)
    kSync,   // learner: a sync waiting until the leader's zxid (0 until it answers) applies
  };
  Kind kind = Kind::kRead;
  Zxid zxid = 0;  // kWrite on a learner: 0 until the leader's txn for it arrives
  ConnRef conn;
  // Only a waiting read holds its request: behind a pointer, an entry stays small enough that
  // the FIFO's blocks hold many (a Request inline made every push a block allocation).
  std::unique_ptr<Request> request;
  std::vector<Outbound> replies;
  int64_t received_mono_ms = 0;
  // A learner's forwarded write: what matches it to the leader's txn and shapes the reply.
  int32_t xid = 0;
  OpCode request_type = OpCode::kError;
  bool has_read_only = false;
};

// Per-session state that lives only on this server (not replicated).
struct SessionLocal {
  bool has_conn = false;
  ConnRef conn;
  std::deque<Waiting> fifo;
};

// A txn handed to the log and not yet committed.
struct InFlight {
  Txn txn;
  bool has_client = false;  // someone waits for the answer
  ConnRef conn;
  int32_t xid = 0;
  OpCode request_type = OpCode::kError;
  int64_t received_mono_ms = 0;
  bool has_read_only = false;  // createSession: mirror the handshake's optional byte
};

struct Processor::Impl {
  Impl(const EngineConfig& config, int64_t now_mono_ms, EngineOutput& out);

  // processor.cc
  void sweep_containers();

  // processor_requests.cc
  void on_connect(Inbound& in);
  SessionId start_session(Connection& conn, const ConnectRequest& req);
  SessionId resume_session(Connection& conn, const ConnectRequest& req);
  void on_request(const ConnRef& ref, Request&& request);
  void on_auth(Connection& conn, const Request& request);
  void on_closed(const ConnRef& ref);
  void forget_waiting(SessionLocal& local);
  bool exceeds_buffer(const Request& request) const;
  void submit_write(Connection& conn, Request&& request);
  void issue_close(SessionId session);
  // Hands a txn to the log (its zxid is the next one) and keeps it in inflight_.
  Zxid log_txn(InFlight&& flight);
  // Or in place: begin_txn() adds an InFlight at the back of inflight_ with the txn's header
  // set; once its body is filled, log_back() logs it. Nothing else touches inflight_ between.
  InFlight& begin_txn(SessionId session, int32_t cxid, OpCode type);
  Zxid log_back();
  Connection* alive(const ConnRef& ref);
  void drop_connection(const ConnRef& ref);
  void send_or_hold(Connection& conn, std::vector<Outbound>&& messages);

  // processor_commit.cc
  void apply_committed(InFlight& flight);
  void deliver_events(Zxid zxid);
  void finish_write(InFlight& flight, SessionId session, Zxid zxid, OpCode txn_type,
                    ApplyResult& rc);
  void drain(SessionId session);
  void end_session(SessionId session);
  void deliver_held(Connection& conn, std::vector<Outbound>&& messages);
  // `message` is a reply_to(conn.ref) with its Response filled in.
  void send_reply(Connection& conn, std::unique_ptr<Outbound> message, int64_t received_mono_ms);
  void send_event(Connection& conn, WatchEvent&& event);
  void send_close(const ConnRef& ref);
  void abort_inflight(Err err);
  void refuse_write(Connection& conn, const Request& request);

  // processor_replica.cc
  void forward_write(Connection& conn, Request&& request);
  SessionId forward_session(Connection& conn, const ConnectRequest& req);
  void forward_sync(Connection& conn, Request&& request);
  void close_all_connections();
  void drain_syncs();
  bool leader_duties() const {
    return role_ == ReplicaRole::kStandalone || role_ == ReplicaRole::kLeader;
  }

  // processor_reads.cc
  void run_read(Connection& conn, Request& request, int64_t received_mono_ms);
  Err read_op(Connection& conn, Request& request, Response& reply);
  void set_watches(Connection& conn, const WatchSet& watches);
  Err multi_read(Connection& conn, Request& request, Response& reply);

  EngineConfig config_;
  EngineOutput& out_;
  int32_t min_timeout_ms_;
  int32_t max_timeout_ms_;
  DataTree tree_;
  PendingChanges pending_;
  Prep prep_;
  SessionTable sessions_;
  WatchManager watches_;

  std::unordered_map<ConnRef, Connection, ConnRefHash> conns_;
  std::unordered_map<WatcherId, ConnRef> watcher_conns_;
  std::unordered_map<SessionId, SessionLocal> locals_;
  std::deque<InFlight> inflight_;  // zxid order

  Zxid last_logged_zxid_ = 0;
  Zxid last_processed_zxid_ = 0;
  WatcherId next_watcher_ = 1;
  int64_t now_wall_ms_ = 0;
  int64_t now_mono_ms_ = 0;
  int64_t next_container_check_ms_ = 0;
  size_t outstanding_ = 0;

  // Not kOk while the txn log cannot take writes: every write is answered with it.
  Err writes_refused_ = Err::kOk;
  // Sessions whose closeSession txn was aborted with the log: closed again on resume.
  std::vector<SessionId> closes_to_retry_;

  ReplicaRole role_ = ReplicaRole::kStandalone;
  // Learner: sessions with client activity since take_touched(), and sessions whose FIFO
  // holds a sync.
  std::unordered_map<SessionId, int32_t> touched_;
  std::vector<SessionId> sync_waiters_;

  // Scratch, reused so the commit path does not allocate per txn.
  std::vector<TreeEvent> events_;
  std::vector<FiredWatch> fired_;
  mutable Processor::Stats stats_;
};

// FinalRequestProcessor's short names for the last operation of a connection.
const char* op_short_name(OpCode type);

// A reply to `conn`, on the heap where the reactor will read it, whose Response is filled in
// place: neither the Response nor the message is moved on the way out.
inline std::unique_ptr<Outbound> reply_to(const ConnRef& conn) {
  std::unique_ptr<Outbound> o(new Outbound);  // default-initialized: no zeroing first
  o->kind = Outbound::Kind::kReply;
  o->conn = conn;
  return o;
}

inline Outbound make_reply(const ConnRef& conn, Response&& reply) {
  Outbound o;
  o.kind = Outbound::Kind::kReply;
  o.conn = conn;
  o.reply = std::move(reply);
  return o;
}

inline Outbound make_close(const ConnRef& conn) {
  Outbound o;
  o.kind = Outbound::Kind::kClose;
  o.conn = conn;
  return o;
}

inline Outbound make_connect_reply(const ConnRef& conn, ConnectResponse&& rsp) {
  Outbound o;
  o.kind = Outbound::Kind::kConnectReply;
  o.conn = conn;
  o.connect = std::move(rsp);
  return o;
}

}  // namespace rk
