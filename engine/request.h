// What a client asks and what it is answered, decoded from / encoded to the jute wire
// format by net/, handled by the engine. One flat Request type serves every opcode; the
// fields an opcode does not use stay at their defaults.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/types.h"

namespace rk {

// setWatches (101) and setWatches2 (105): the watches a reconnecting client re-registers.
struct WatchSet {
  Zxid relative_zxid = 0;
  std::vector<std::string> data;
  std::vector<std::string> exist;
  std::vector<std::string> child;
  std::vector<std::string> persistent;            // setWatches2 only
  std::vector<std::string> persistent_recursive;  // setWatches2 only
};

// One client operation (also one sub-operation of multi / multiRead).
struct Request {
  int32_t xid = 0;
  OpCode type = OpCode::kPing;
  std::string path;          // every path op; auth: the scheme
  std::string data;          // create*/setData: the data; auth: the credentials
  bool data_is_null = false; // a null buffer on the wire (create/setData with null data)
  AclList acl;               // create*, setACL
  int32_t flags = 0;         // create*: CreateMode; addWatch: AddWatchMode;
                             // checkWatches/removeWatches: WatcherType; auth: auth type
  int32_t version = -1;      // delete, setData, setACL, check
  int64_t ttl = -1;          // createTTL
  bool watch = false;        // exists, getData, getChildren, getChildren2
  std::vector<Request> ops;  // multi, multiRead
  WatchSet watches;          // setWatches, setWatches2
  // reconfig (always refused here, but decoded so the reply is well formed)
  std::string joining, leaving, new_members;
  int64_t cur_config_id = -1;
  // The header decoded but the body did not (or named a null path): ZooKeeper answers such
  // a request MarshallingError and keeps serving the connection.
  bool malformed = false;
};

// One sub-result of multi / multiRead.
struct OpResult {
  OpCode type = OpCode::kError;  // kError: err holds the code
  Err err = Err::kOk;
  std::string path;                   // create, create2
  Stat stat;                          // create2, setData, getData (multiRead)
  std::string data;                   // getData (multiRead)
  bool data_is_null = false;
  std::vector<std::string> children;  // getChildren (multiRead)
};

// The reply to one Request. `type` selects the body encoded after the reply header; when
// err != kOk no body follows (except for multi, whose per-op errors are in `results`).
struct Response {
  int32_t xid = 0;
  Zxid zxid = 0;
  Err err = Err::kOk;
  OpCode type = OpCode::kPing;
  std::string path;                   // create, create2, sync
  Stat stat;                          // exists, getData, setData, create2, getChildren2, getACL, setACL
  std::string data;                   // getData
  bool data_is_null = false;
  std::vector<std::string> children;  // getChildren, getChildren2, getEphemerals
  AclList acl;                        // getACL
  int32_t number = 0;                 // getAllChildrenNumber
  std::vector<OpResult> results;      // multi, multiRead
  std::vector<Id> client_ids;         // whoAmI: (scheme, user) pairs
};

// The handshake, ConnectRequest / ConnectResponse. `has_read_only` records whether the
// optional trailing read-only byte was present, so the answer mirrors the client's version.
struct ConnectRequest {
  int32_t protocol_version = 0;
  Zxid last_zxid_seen = 0;
  int32_t timeout_ms = 0;
  SessionId session_id = 0;
  std::string passwd;
  bool read_only = false;
  bool has_read_only = false;
};

struct ConnectResponse {
  int32_t protocol_version = 0;
  int32_t timeout_ms = 0;
  SessionId session_id = 0;
  std::string passwd;
  bool read_only = false;
  bool has_read_only = false;
};

// A watch notification (sent with xid -1).
struct WatchEvent {
  EventType type = EventType::kNone;
  KeeperState state = KeeperState::kSyncConnected;
  std::string path;
  Zxid zxid = -1;
};

// Names one client connection. Only the reactor that owns it interprets slot and generation;
// the engine hands it back unchanged. A reused slot gets a new generation, so a late message
// for a closed connection is dropped by the reactor.
struct ConnRef {
  uint32_t reactor = 0;
  uint32_t slot = 0;
  uint32_t generation = 0;
  bool operator==(const ConnRef&) const = default;
};

// Reactor -> engine.
struct Inbound {
  enum class Kind : uint8_t {
    kConnect,  // handshake decoded: `connect`, `remote`
    kRequest,  // a request after the handshake: `request`
    kClosed,   // the connection is gone (EOF, error, bad input); its session lives on
    kCommand,  // a four-letter word: `command`
  };
  Kind kind = Kind::kRequest;
  ConnRef conn;
  ConnectRequest connect;
  Request request;
  std::string command;
  std::string remote;  // "ip:port" of the client (kConnect, kCommand)
};

// Engine -> reactor.
struct Outbound {
  enum class Kind : uint8_t {
    kConnectReply,  // `connect`; timeout 0 / session 0 means refused: send, then close
    kReply,         // `reply`
    kWatch,         // `event`
    kText,          // four-letter word output in `text`; send, then close
    kClose,         // session closed or expired: flush what is queued, then close
  };
  Kind kind = Kind::kReply;
  ConnRef conn;
  ConnectResponse connect;
  Response reply;
  WatchEvent event;
  std::string text;
};

}  // namespace rk
