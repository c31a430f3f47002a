// Txns: the deterministic, idempotent state changes that go through the txn log.
// (Filled in by the engine: one Txn per write request, including failed ones, which are
// logged as error txns and consume a zxid, as in ZooKeeper.)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/types.h"

namespace rk {

struct Txn {
  SessionId session_id = 0;
  int32_t cxid = 0;
  Zxid zxid = 0;
  int64_t time_ms = 0;  // wall clock at the leader when the txn was made
  OpCode type = OpCode::kError;
  // body: defined by the engine
};

}  // namespace rk
