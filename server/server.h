// Running a server process from its config: start-up checks, threads, shutdown on a signal.
#pragma once

#include "server/config.h"

namespace rk {

inline constexpr const char* kVersion = "0.1.0";
// What the four-letter words report as the ZooKeeper version we are compatible with.
inline constexpr const char* kZooKeeperCompatVersion = "3.8.0";

// Runs until SIGINT or SIGTERM; returns the process exit code.
int run_server(const ServerConfig& config);

}  // namespace rk
