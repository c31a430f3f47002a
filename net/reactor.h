// Reactor: one network thread with its own io_uring, its own SO_REUSEPORT listener on the
// client port, and every client connection it accepted. Talks to the engine only through
// EngineLink (reactor -> engine) and an SPSC ring + doorbell (engine -> reactor).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include "base/doorbell.h"
#include "base/spsc_ring.h"
#include "base/status.h"
#include "engine/request.h"
#include "net/conn_limiter.h"

namespace rk {

struct ReactorConfig {
  std::string address = "0.0.0.0";    // clientPortAddress (numeric IPv4/IPv6 or a host name)
  uint16_t port = 2181;               // 0 = pick a free port (tests); see bound_port()
  int32_t max_packet_bytes = 0xfffff; // jute.maxbuffer: frame length < 0 or > this closes it
  int32_t max_client_cnxns = 60;      // per client IP across all reactors, 0 = unlimited;
                                      // must equal the shared ConnLimiter's (open() checks)
  uint32_t max_connections = 4096;    // per reactor; a connection beyond it is closed at once
  uint32_t recv_buffer_count = 512;   // provided-buffer ring entries: power of two, <= 32768
  uint32_t recv_buffer_bytes = 16384; // bytes per provided buffer
  size_t output_pause_bytes = 1 << 20;   // queued output above this: stop reading that client
  size_t output_limit_bytes = 64 << 20;  // queued output above this: close it (logged)
  int32_t listen_backlog = 1024;
};

// Snapshot of a reactor's counters (metrics). Totals since start, except connections_open.
struct ReactorCounters {
  uint64_t connections_open = 0;
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;  // per-IP limit or max_connections
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t packets_in = 0;   // Inbound kConnect / kRequest / kCommand produced
  uint64_t packets_out = 0;  // Outbound messages encoded for a live connection
};

// Implemented by the engine side; called on the reactor thread once per loop iteration with
// everything decoded in that iteration, in order. Ownership of accepted pointers moves to the
// engine. Returns how many (a prefix) it accepted; the reactor keeps the rest, stops reading
// from sockets while it holds a backlog, and retries next iteration (within about 1 ms).
class EngineLink {
 public:
  virtual ~EngineLink() = default;
  virtual size_t publish(uint32_t reactor_id, std::span<Inbound* const> burst) = 0;
};

// Owned by the server's main thread. open()/start()/stop() from the main thread (stop() may
// come from any thread); deliver()/wake() from the engine thread only; counters() anywhere.
// Everything else runs on the reactor's own thread.
//
// With SO_REUSEPORT, reactors bound to port 0 would each get a different port: open the
// first, then give the others config.port = first.bound_port().
class Reactor {
 public:
  static constexpr size_t kOutboundCapacity = 4096;  // engine -> reactor ring entries

  Reactor(uint32_t id, const ReactorConfig& config, ConnLimiter& limiter, EngineLink& link);
  ~Reactor();  // stop()s if still running
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // Validates the config, creates + binds + listens the socket and the doorbell. Errors
  // (address in use, bad address, bad sizes) are returned, never fatal.
  Status open();
  uint16_t bound_port() const { return bound_port_; }
  uint32_t id() const { return id_; }

  // Starts the thread and waits until its io_uring (created on that thread) and buffers are
  // set up; a failure there is returned and the thread has ended. Call after open().
  Status start();
  // Any thread: asks the loop to stop, closes every connection (each one that produced an
  // Inbound gets its kClosed, published before the thread ends while the engine takes them),
  // joins. Idempotent.
  void stop();

  // Engine thread only (single producer). Takes ownership; false if the ring is full (the
  // caller keeps the message and retries later).
  bool deliver(Outbound* message) { return outbound_.try_push(message); }
  // Engine thread: after a batch of deliver(), rings the doorbell if the reactor sleeps.
  void wake() { doorbell_.ring(); }

  ReactorCounters counters() const;

 private:
  class Loop;  // the reactor thread's state: ring, buffers, connections (reactor.cc)
  friend class Loop;

  // Written by the reactor thread only, read by anyone (relaxed: metrics).
  struct Counters {
    std::atomic<uint64_t> connections_open{0};
    std::atomic<uint64_t> connections_accepted{0};
    std::atomic<uint64_t> connections_refused{0};
    std::atomic<uint64_t> bytes_in{0};
    std::atomic<uint64_t> bytes_out{0};
    std::atomic<uint64_t> packets_in{0};
    std::atomic<uint64_t> packets_out{0};
  };

  void run();

  const uint32_t id_;
  const ReactorConfig config_;
  ConnLimiter& limiter_;
  EngineLink& link_;
  int listen_fd_ = -1;
  uint16_t bound_port_ = 0;
  SpscRing<Outbound*, kOutboundCapacity> outbound_;
  Doorbell doorbell_;
  std::atomic<bool> stop_requested_{false};
  std::mutex lifecycle_mutex_;  // start()/stop() from different threads
  std::thread thread_;
  Counters counters_;
};

}  // namespace rk
