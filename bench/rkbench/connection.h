// One client session of the load generator: the socket, the bytes waiting to be sent, the
// bytes received but not yet parsed, and the requests in flight in send order (ZooKeeper
// answers a session's requests in the order they were sent). Owned by one worker thread.
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/rkbench/wire.h"

namespace rkbench {

// A request in flight: what it was and when it counts as started (the send time in closed
// loop, the scheduled time in open loop).
struct InFlight {
  int64_t start_ns;
  int32_t xid;
  uint8_t kind;  // MixOp, or kCloseKind
};
inline constexpr uint8_t kCloseKind = 0xff;

class Connection {
 public:
  static constexpr size_t kInBytesInitial = 256 * 1024;
  static constexpr size_t kFrameBytesMax = 16 * 1024 * 1024;

  Connection(int index, int depth);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects and completes the handshake, blocking; then switches the socket to
  // non-blocking mode. Returns an error text, empty on success.
  std::string open(const std::string& host, int port, int timeout_ms);
  // Blocking request/response for the set-up before the socket goes non-blocking: sends the
  // frame in out_ and returns the reply's err (or INT32_MIN if the connection failed).
  int32_t call_blocking();
  void set_nonblocking();
  void close_socket();

  // Sends what is queued. Returns false if the connection failed. A short write leaves the
  // rest queued and clears writable_ until the socket says it can take more.
  bool flush();
  // Receives into in_: returns bytes read, 0 when nothing was ready, -1 on EOF or error.
  // `drained` is set when the socket had no more bytes than fit (edge-triggered rule).
  long receive(bool& drained);
  // Removes `bytes` parsed bytes from the front of the input buffer.
  void consume(size_t bytes);

  int index() const { return index_; }
  int fd() const { return fd_; }
  int64_t session_id() const { return session_id_; }
  int negotiated_timeout_ms() const { return timeout_ms_; }

  // The request ring, FIFO in send order; capacity is a power of two >= depth.
  bool ring_full() const { return ring_count_ >= depth_; }
  size_t in_flight() const { return ring_count_; }
  void push(const InFlight& f) {
    ring_[(ring_head_ + ring_count_) & ring_mask_] = f;
    ring_count_++;
  }
  const InFlight& front() const { return ring_[ring_head_]; }
  void pop() {
    ring_head_ = (ring_head_ + 1) & ring_mask_;
    ring_count_--;
  }

  int32_t next_xid() {
    int32_t xid = next_xid_;
    next_xid_ = next_xid_ == INT32_MAX - 1 ? 1 : next_xid_ + 1;
    return xid;
  }

  std::vector<uint8_t> out_;
  std::vector<uint8_t> in_;
  size_t in_len_ = 0;
  bool writable_ = true;
  bool dead_ = false;
  bool close_sent_ = false;
  uint64_t created_ = 0;   // creates issued on this connection (names <tag>-<t>-<c>-<n>)
  uint64_t deleted_ = 0;   // of those, deletes issued
  int64_t last_send_ns_ = 0;
  int64_t next_due_ns_ = 0;  // open loop: the next scheduled send

 private:
  int index_;
  int fd_ = -1;
  int64_t session_id_ = 0;
  int timeout_ms_ = 0;
  size_t depth_;
  std::vector<InFlight> ring_;
  size_t ring_mask_;
  size_t ring_head_ = 0;
  size_t ring_count_ = 0;
  int32_t next_xid_ = 1;
};

}  // namespace rkbench
