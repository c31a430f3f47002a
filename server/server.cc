// Start-up of a server (standalone or an ensemble member): engine thread + one reactor per core, then wait for a
// signal and shut down in order (reactors stop reading, engine drains, threads join).
#include "server/server.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <memory>
#include <thread>
#include <vector>

#include "base/log.h"
#include "net/conn_limiter.h"
#include "net/reactor.h"
#include "server/engine_core.h"
#include "server/four_letter.h"
#include "server/replica.h"
#include "server/storage.h"

namespace rk {
namespace {

EngineConfig engine_config(const ServerConfig& config) {
  EngineConfig engine;
  // A standalone ZooKeeper hands out session ids with server id 1 in the top byte.
  engine.server_id = config.is_quorum() ? config.my_id : 1;
  engine.tick_ms = config.tick_time_ms;
  engine.min_session_timeout_ms = config.min_session_timeout_ms;
  engine.max_session_timeout_ms = config.max_session_timeout_ms;
  engine.extended_types_enabled = config.extended_types_enabled;
  engine.super_digest = config.super_digest;
  engine.max_buffer_bytes = static_cast<int32_t>(config.jute_max_buffer_bytes);
  engine.container_check_interval_ms = config.container_check_interval_ms;
  return engine;
}

ReactorConfig reactor_config(const ServerConfig& config) {
  ReactorConfig reactor;
  reactor.address = config.client_port_address.empty() ? "0.0.0.0" : config.client_port_address;
  reactor.port = config.client_port;
  reactor.max_packet_bytes = static_cast<int32_t>(config.jute_max_buffer_bytes);
  reactor.max_client_cnxns = config.max_client_cnxns;
  return reactor;
}

// Blocks the signals the main thread waits for, so every thread started later inherits the mask.
sigset_t block_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return set;
}

// Each client connection is a descriptor: lift the soft limit to the hard one, as a server
// holding thousands of sessions needs.
void raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  rlim_t before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) == 0) {
    RK_INFO("open file limit raised from %llu to %llu", static_cast<unsigned long long>(before),
            static_cast<unsigned long long>(limit.rlim_cur));
  }
}

// Waits for SIGINT/SIGTERM; meanwhile purges old snapshots and logs every
// autopurge.purgeInterval hours (0: never), as ZooKeeper's DatadirCleanupManager does.
int wait_for_signal(const sigset_t& signals, const ServerConfig& config) {
  if (config.purge_interval_hours <= 0) {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    return signal_number;
  }
  RK_INFO("autopurge every %d hour(s), keeping %d snapshots", config.purge_interval_hours,
          config.snap_retain_count);
  timespec interval{static_cast<time_t>(config.purge_interval_hours) * 3600, 0};
  while (true) {
    int signal_number = sigtimedwait(&signals, nullptr, &interval);
    if (signal_number > 0) return signal_number;
    Status purged = purge_storage(config, config.snap_retain_count);
    if (!purged) RK_WARN("autopurge failed: %s", purged.message().c_str());
  }
}

}  // namespace

int run_server(const ServerConfig& config) {
  sigset_t signals = block_signals();
  raise_fd_limit();

  auto storage = Storage::open(config);
  if (!storage) {
    RK_ERROR("%s", storage.status().message().c_str());
    return 1;
  }
  Storage& store = **storage;

  unsigned threads = config.reactor_threads > 0 ? config.reactor_threads
                                                : std::max(1u, std::thread::hardware_concurrency());
  FourLetterWords words(config);
  // An ensemble member: server.N lines with more than one participant.
  std::unique_ptr<Replica> replica;
  if (config.is_quorum()) replica = std::make_unique<Replica>(config, store);
  EngineCore engine(engine_config(config), store, &store,
                    [&words, &store, &replica](std::string_view cmd, Processor& processor) {
                      std::vector<std::pair<std::string, std::string>> metrics;
                      store.metrics(metrics);
                      if (!replica) return words.run(cmd, processor, std::move(metrics));
                      replica->metrics(metrics);
                      ReplicaStatus status = replica->status();
                      return words.run(cmd, processor, std::move(metrics), &status);
                    });
  ConnLimiter limiter(config.max_client_cnxns);
  std::vector<std::unique_ptr<Reactor>> reactors;
  ReactorConfig reactor_cfg = reactor_config(config);
  for (unsigned i = 0; i < threads; ++i) {
    reactors.push_back(std::make_unique<Reactor>(i, reactor_cfg, limiter, engine));
    Status opened = reactors.back()->open();
    if (!opened) {
      RK_ERROR("cannot listen on %s:%u: %s", reactor_cfg.address.c_str(), reactor_cfg.port,
               opened.message().c_str());
      return 1;
    }
    reactor_cfg.port = reactors.front()->bound_port();
  }
  std::vector<Reactor*> raw;
  for (auto& r : reactors) raw.push_back(r.get());
  words.attach(raw);
  engine.attach(raw);
  Status bell = engine.open_doorbell();
  if (!bell) {
    RK_ERROR("cannot start the engine: %s", bell.message().c_str());
    return 1;
  }
  if (replica) {
    engine.attach(replica.get());
    Status peers = replica->open(engine.wake_fd());
    if (!peers) {
      RK_ERROR("cannot open the ensemble ports: %s", peers.message().c_str());
      return 1;
    }
  }
  // Recovery runs before any client is served: the listeners are open but not reading yet.
  Status engine_started = engine.start([&store, &engine, &replica](Processor& processor) {
    if (replica) return replica->boot(processor, engine.wake_fd());
    return store.recover(processor, engine.wake_fd());
  });
  if (!engine_started) {
    RK_ERROR("cannot start: %s", engine_started.message().c_str());
    return 1;
  }
  for (auto& r : reactors) {
    Status started = r->start();
    if (!started) {
      RK_ERROR("cannot start reactor %u: %s", r->id(), started.message().c_str());
      return 1;
    }
  }
  RK_INFO("ringkeeper %s serving clients on %s:%u with %u reactor thread(s), tickTime %d ms",
          kVersion, reactor_cfg.address.c_str(), reactor_cfg.port, threads, config.tick_time_ms);

  int signal_number = wait_for_signal(signals, config);
  RK_INFO("received signal %d, shutting down", signal_number);
  for (auto& r : reactors) r->stop();
  engine.stop();
  if (replica) replica->stop();
  RK_INFO("stopped");
  return 0;
}

}  // namespace rk
