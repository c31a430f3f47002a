// The byte form of a Txn in the txn log: compact, little-endian, and decoded with every length
// checked, because log bytes are untrusted at recovery.
//
// Layout (all integers little-endian, two's complement):
//   header   session_id i64 | cxid i32 | zxid i64 | time_ms i64 | type i32
//   body     depends on type:
//     create, create2     path | data | acl | ephemeral u8 (0/1) | parent_cversion i32
//     createContainer     path | data | acl | parent_cversion i32
//     createTtl           path | data | acl | parent_cversion i32 | ttl_ms i64
//     delete,
//     deleteContainer     path
//     setData             path | data | version i32
//     setAcl              path | acl | version i32
//     check               path | version i32
//     error               err i32
//     createSession       timeout_ms i32
//     closeSession        count u32 | count x string
//     multi               count u32 | count x (type i32 | body of that type); sub-types are
//                         create*, delete, setData, check and error only
//   string   length u32 | bytes
//   data     length i32 (-1: null) | bytes
//   acl      count u32 | count x (perms i32 | scheme string | id string)
//
// Worked example: setData of "/a" to "hi" as version 3 by session 0x10, cxid 7, zxid 0x100000002
// at time 1000 is 32 header bytes
//   10 00 00 00 00 00 00 00 | 07 00 00 00 | 02 00 00 00 01 00 00 00 | e8 03 00 .. 00 | 05 00 00 00
// then the body
//   02 00 00 00 2f 61 | 02 00 00 00 68 69 | 03 00 00 00
// 48 bytes in all. A record must be decoded whole: trailing bytes are an error.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "engine/txn.h"

namespace rk {

// Appends the encoding of `txn` to `out`.
void encode_txn(const Txn& txn, std::string& out);

// Decodes one whole record; any truncation, unknown type, bad flag or trailing byte is an error.
Result<Txn> decode_txn(std::string_view bytes);

}  // namespace rk
