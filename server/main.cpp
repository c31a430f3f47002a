// ringkeeper: the server binary. `ringkeeper <zoo.cfg>` runs a server in the foreground;
// `ringkeeper status <zoo.cfg>` asks a running one for its mode, like `zkServer.sh status`;
// `ringkeeper purge <zoo.cfg> [-n count]` removes old snapshots and logs, like zkCleanup.sh.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/log.h"
#include "server/config.h"
#include "server/server.h"
#include "server/status_cmd.h"
#include "server/storage.h"

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: ringkeeper [start-foreground] <zoo.cfg>   run a server in the foreground\n"
               "       ringkeeper status <zoo.cfg>               print the running server's mode\n"
               "       ringkeeper purge <zoo.cfg> [-n count]     keep the newest count (>= 3, default\n"
               "                                                 autopurge.snapRetainCount) snapshots\n"
               "                                                 and the logs they need; delete the rest\n"
               "       ringkeeper version\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::string command = argc >= 2 ? argv[1] : "";
  std::string config_path;
  if (command == "version" || command == "--version") {
    std::printf("ringkeeper %s\n", rk::kVersion);
    return 0;
  }
  int retain_count = -1;
  if ((command == "status" || command == "start-foreground") && argc == 3) {
    config_path = argv[2];
  } else if (command == "purge" && (argc == 3 || (argc == 5 && std::strcmp(argv[3], "-n") == 0))) {
    config_path = argv[2];
    if (argc == 5) {
      char* end = nullptr;
      long n = std::strtol(argv[4], &end, 10);
      if (end == argv[4] || *end != 0 || n < 3 || n > 1000000) {
        std::fprintf(stderr, "ringkeeper: purge -n: the count must be a number >= 3, got '%s'\n", argv[4]);
        return 2;
      }
      retain_count = static_cast<int>(n);
    }
  } else if (argc == 2 && command.rfind("-", 0) != 0) {
    command = "start-foreground";
    config_path = argv[1];
  } else {
    usage();
    return 2;
  }

  auto config = rk::load_config(config_path);
  if (!config) {
    std::fprintf(stderr, "ringkeeper: %s\n", config.status().message().c_str());
    return 2;
  }
  if (command == "status") return rk::run_status(*config, stdout, stderr);
  if (command == "purge") {
    rk::Status purged = rk::purge_storage(*config, retain_count > 0 ? retain_count : config->snap_retain_count);
    if (!purged) {
      std::fprintf(stderr, "ringkeeper: purge: %s\n", purged.message().c_str());
      return 1;
    }
    return 0;
  }

  rk::set_log_level(config->log_level);
  return rk::run_server(*config);
}
