// PeerNet: the byte transport between the members of an ensemble. Frames are opaque byte
// strings here (their content is encoded elsewhere); this file owns the connections, the
// framing, reconnects and the hand-over between the engine thread and one network thread.
//
// Wire format. Every connection carries one direction only: the member that opened it writes,
// the member that accepted it reads (the acceptor never writes; the connector reads only to see
// the connection end). A connection starts with a 16-byte hello, then frames:
//
//   hello:  magic u32 = 0x524B504E ("RKPN") | version u16 = 1 | channel u8 (0 election,
//           1 quorum) | reserved u8 = 0 | server id i64            (all big-endian)
//   frame:  length u32 (big-endian, <= max_frame_bytes) | `length` bytes
//
// Example: member 2 opening its quorum link sends
//   52 4B 50 4E  00 01  01  00  00 00 00 00 00 00 00 02
// then the frame "hi" as 00 00 00 02 68 69. The acceptor closes a connection whose hello has
// another magic, version, channel or reserved byte, names an unknown member or itself, or
// does not arrive within connect_timeout_ms; and one whose frame length is over the limit.
// Who a connection comes from is the hello's id, never its source address (there may be
// proxies in between).
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/doorbell.h"
#include "base/status.h"

namespace rk {

enum class PeerChannel : uint8_t { kElection = 0, kQuorum = 1 };
const char* peer_channel_name(PeerChannel channel);

// One server.N=host:quorumPort:electionPort line.
struct PeerAddress {
  int64_t id = 0;
  std::string host;
  uint16_t quorum_port = 0;
  uint16_t election_port = 0;
};

struct PeerNetConfig {
  int64_t my_id = 0;
  std::vector<PeerAddress> members;   // every member, this one included (its ports are listened on)
  std::string listen_host;            // empty: this member's own host from `members`
  int32_t connect_retry_min_ms = 50;  // reconnect backoff, doubling up to the max
  int32_t connect_retry_max_ms = 1000;
  int32_t connect_timeout_ms = 2000;  // also the time an accepted connection has for its hello
  size_t max_frame_bytes = size_t{1} << 30;  // a longer frame closes that connection
  size_t max_queued_bytes_per_link = size_t{256} << 20;  // beyond: queue dropped, connection reset
};

// A frame as the engine receives it: `from` is the member named in the connection's hello.
struct PeerFrame {
  int64_t from = 0;
  PeerChannel channel = PeerChannel::kQuorum;
  std::string bytes;
  // No frame: the connection `from` opened to us on `channel` ended (the member died, or
  // its link broke). Reported once per connection, not when a newer one replaced it.
  bool closed = false;
};

// Owned by the server's main thread: open()/start()/stop() from there (stop() from any
// thread); send()/receive() from the engine thread only; stats() from any thread. Everything
// else (sockets, queues, io_uring) lives on the network thread PeerNet starts.
//
// Per other member and channel there is one outgoing link. send() hands a frame to the network
// thread; the link queues it (memory bounded by max_queued_bytes_per_link) until it can be
// written. Frames reach the other member in order while one connection lasts; frames queued
// while the link is down wait for the next connection; a connection that breaks loses the
// frames that were queued on it. Received frames are handed to the engine in bursts, each
// followed by one write to wake_fd.
class PeerNet {
 public:
  static constexpr uint32_t kHelloMagic = 0x524B504E;  // "RKPN"
  static constexpr uint16_t kProtocolVersion = 1;
  static constexpr size_t kHelloBytes = 16;
  static constexpr size_t kFrameHeaderBytes = 4;
  // Received frames the engine has not taken yet: above this the network thread stops reading
  // (TCP pushes back on the senders) until receive() takes them.
  static constexpr size_t kInboxPauseBytes = size_t{256} << 20;

  // wake_fd: an eventfd written (uint64 1) after each burst of arrived frames; -1 for none.
  // Not owned.
  PeerNet(PeerNetConfig config, int wake_fd);
  ~PeerNet();  // stop()s, then frees whatever was never sent or taken
  PeerNet(const PeerNet&) = delete;
  PeerNet& operator=(const PeerNet&) = delete;

  // Validates the config, resolves every member's address, binds and listens on my_id's
  // quorum and election ports (a port of 0 picks a free one: see the bound ports). Errors name
  // the member or host:port; nothing is fatal.
  Status open();
  uint16_t bound_quorum_port() const { return bound_ports_[1]; }
  uint16_t bound_election_port() const { return bound_ports_[0]; }

  // Starts the network thread and waits until its io_uring is set up (a failure there is
  // returned and the thread has ended). Call once, after open().
  Status start();
  // Closes every connection and joins the thread; prompt even when connects hang. Idempotent.
  void stop();

  // Engine thread only (single producer). Queues `frame` for member `to` on `channel`; never
  // blocks. False (nothing queued) when `to` is not a member or is my_id, and when the frame is
  // longer than max_frame_bytes (the receiver would close the connection on it).
  bool send(int64_t to, PeerChannel channel, std::string frame);
  // Engine thread only (single consumer). Appends every frame that arrived to `out`, in arrival
  // order (per sender and channel: sending order); returns how many.
  size_t receive(std::vector<PeerFrame>& out);

  // Any thread (metrics, `mntr`/`srvr`): one entry per other member, in config order. Frames
  // and bytes count whole frames (length prefix included, the hello not), out when written to
  // the socket and in when handed over; connects counts established outgoing connections.
  struct LinkStats {
    int64_t id;
    bool quorum_connected;
    bool election_connected;
    uint64_t frames_out, frames_in, bytes_out, bytes_in, connects;
  };
  std::vector<LinkStats> stats() const;

 private:
  class Loop;  // the network thread's state (peer_net.cc)
  friend class Loop;
  struct OutFrame;  // a frame from send() on its way to a link queue
  struct InBatch;   // frames the network thread hands to receive()

  // A member's resolved address for one channel.
  struct Endpoint {
    sockaddr_storage addr{};
    socklen_t addr_len = 0;
    std::string text;  // host:port, for logs
  };

  // Written by the network thread, read by stats() (relaxed).
  struct MemberCounters {
    std::atomic<bool> connected[2] = {false, false};  // index: PeerChannel
    std::atomic<uint64_t> frames_out{0}, frames_in{0}, bytes_out{0}, bytes_in{0}, connects{0};
  };

  int member_index(int64_t id) const;  // -1 if not a member
  Status validate() const;
  Status resolve_members();
  Status listen_on(PeerChannel channel);

  const PeerNetConfig config_;
  const int wake_fd_;
  int my_index_ = -1;
  std::vector<Endpoint> endpoints_;  // index: member * 2 + channel; my own entries unused
  int listen_fds_[2] = {-1, -1};     // index: PeerChannel
  uint16_t bound_ports_[2] = {0, 0};
  std::unique_ptr<MemberCounters[]> counters_;  // index: member

  // Engine -> network: a lock-free stack the engine pushes onto and the network thread takes
  // whole (then reverses). Unbounded by design, so send() never blocks or fails for space;
  // the network thread empties it every iteration into the per-link queues, which are bounded.
  std::atomic<OutFrame*> outbox_{nullptr};
  Doorbell doorbell_;  // wakes the network thread
  // Network -> engine: the same shape, one batch per network-thread iteration.
  std::atomic<InBatch*> inbox_{nullptr};
  std::atomic<size_t> inbox_bytes_{0};   // frame bytes in inbox_ (kInboxPauseBytes)
  std::atomic<bool> inbox_paused_{false};  // the network thread stopped reading: ring on take

  std::atomic<bool> stop_requested_{false};
  std::mutex lifecycle_mutex_;  // start()/stop() from different threads
  std::thread thread_;
};

}  // namespace rk
