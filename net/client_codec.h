// The ZooKeeper client protocol (jute) for both directions: the server decodes requests and
// encodes replies; the load generator and tests encode requests and decode replies.
// Every decoder takes untrusted bytes: it bounds-checks everything and returns an error,
// never crashes. A "payload" is a frame without its 4-byte length prefix; encoders append a
// whole frame (length prefix included) to `out`.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "engine/request.h"

namespace rk {

// Special xids (ClientCnxn): notifications, pings, auth packets, setWatches.
inline constexpr int32_t kNotificationXid = -1;
inline constexpr int32_t kPingXid = -2;
inline constexpr int32_t kAuthXid = -4;
inline constexpr int32_t kSetWatchesXid = -8;

// --- server side ---------------------------------------------------------------------

// ConnectRequest, with or without the trailing read-only byte (clients before 3.4 omit it).
Result<ConnectRequest> decode_connect_request(std::span<const uint8_t> payload);

// RequestHeader + body, for every opcode of a 3.9 client. An unknown opcode decodes to a
// Request with that type and no body (the engine answers kUnimplemented). A body that does
// not parse, or bytes left over after it, is an error.
Result<Request> decode_request(std::span<const uint8_t> payload);
// The same into a default-constructed `out` (the reactor decodes straight into the message
// it hands the engine, without moving a Request around). On error `out` is unspecified.
Status decode_request(std::span<const uint8_t> payload, Request& out);

void encode_connect_response(const ConnectResponse& response, std::string& out);
// ReplyHeader + the body selected by response.type (none when err != kOk, except multi).
void encode_response(const Response& response, std::string& out);
// ReplyHeader{-1, event.zxid, 0} + WatcherEvent.
void encode_watch_event(const WatchEvent& event, std::string& out);

// If the first four bytes of a new connection spell a four-letter word ZooKeeper knows
// ("ruok", "srvr", "stat", "mntr", "conf", "cons", "crst", "srst", "wchs", "wchc", "wchp",
// "dump", "envi", "dirs", "isro", "gtmk", "stmk", "hash"), returns it.
std::optional<std::string_view> four_letter_word(std::span<const uint8_t> first4);

// --- client side (load generator, tests) ----------------------------------------------

void encode_connect_request(const ConnectRequest& request, std::string& out);
void encode_request(const Request& request, std::string& out);
Result<ConnectResponse> decode_connect_response(std::span<const uint8_t> payload);
// Decodes ReplyHeader + body. The body's shape depends on the opcode of the request it
// answers, which the caller knows from the xid: pass it as `request_type`. xid -1 decodes
// as a watch event into `event` (then the Response is left default but for xid/zxid/err).
Result<Response> decode_response(std::span<const uint8_t> payload, OpCode request_type,
                                 WatchEvent* event = nullptr);

}  // namespace rk
