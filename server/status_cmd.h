// `ringkeeper status`: asks a running server for its mode over the "srvr" four-letter word,
// like `zkServer.sh status`.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "base/status.h"
#include "server/config.h"

namespace rk {

// The address a local client should dial for `config`: clientPortAddress, or 127.0.0.1 when
// it is empty or a wildcard (0.0.0.0, ::).
std::string status_host(const ServerConfig& config);

// Sends `command` (a four-letter word) to host:port and returns everything the server writes
// before closing. Fails on refusal, unreachable host, or `timeout_ms` without progress.
Result<std::string> query_four_letter_word(const std::string& host, uint16_t port,
                                           std::string_view command, int timeout_ms);

// The value of the "Mode: " line of a srvr/stat answer ("standalone", "leader", ...), or ""
// when the answer has none.
std::string parse_mode(std::string_view srvr_answer);

// Prints "Client port found: <port>. Client address: <addr>." and "Mode: <mode>" to `out` and
// returns 0; on failure prints "Error contacting service. It is probably not running." to
// `err` and returns 1. Waits at most 5 s for the server.
int run_status(const ServerConfig& config, std::FILE* out, std::FILE* err);

}  // namespace rk
