// ringkeeper: the server binary. `ringkeeper <zoo.cfg>` runs a server in the foreground;
// `ringkeeper status <zoo.cfg>` asks a running one for its mode, like `zkServer.sh status`.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "base/log.h"
#include "server/config.h"
#include "server/server.h"
#include "server/status_cmd.h"

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: ringkeeper [start-foreground] <zoo.cfg>   run a server in the foreground\n"
               "       ringkeeper status <zoo.cfg>               print the running server's mode\n"
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
  if ((command == "status" || command == "start-foreground") && argc == 3) {
    config_path = argv[2];
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

  rk::set_log_level(config->log_level);
  return rk::run_server(*config);
}
