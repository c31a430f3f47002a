// Connection: one client socket's state on its reactor — protocol phase, the reassembly of a
// frame that straddles receive buffers, received bytes not parsed yet, and queued output.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rk {

// What FrameReader::next() found.
struct FrameEvent {
  enum class Kind : uint8_t {
    kNeedMore,    // all input consumed, no complete frame yet
    kFrame,       // `payload` is one frame without its length prefix
    kFourLetter,  // the connection opened with a four-letter word: `word`
    kBadLength,   // a length < 0 or > max_packet_bytes: `length`
  };
  Kind kind = Kind::kNeedMore;
  std::span<const uint8_t> payload;
  std::string_view word;
  int32_t length = 0;
};

// Splits a byte stream into ZooKeeper frames (big-endian int32 length + payload). A frame that
// lies inside one input span is returned in place; only a frame that straddles spans is copied
// (into the reader's own buffer, which never exceeds max_packet_bytes).
class FrameReader {
 public:
  explicit FrameReader(int32_t max_packet_bytes = 0xfffff) : max_packet_bytes_(max_packet_bytes) {}

  // Consumes bytes from the front of `input` up to the end of the next event. A kFrame
  // payload stays valid until the next call (or until `input`'s memory is reused).
  // After kFourLetter or kBadLength the stream is finished: do not call again.
  FrameEvent next(std::span<const uint8_t>& input);

  // Bytes held for an incomplete frame (header or payload).
  size_t buffered_bytes() const { return header_have_ + partial_.size(); }

 private:
  FrameEvent on_header();

  int32_t max_packet_bytes_;
  bool at_stream_start_ = true;  // the first header may be a four-letter word instead
  std::array<uint8_t, 4> header_{};
  size_t header_have_ = 0;
  int32_t frame_bytes_ = -1;      // payload length of the current frame; -1: header not read
  std::vector<uint8_t> partial_;  // payload bytes of a straddling frame
  bool partial_returned_ = false; // partial_ was handed out last call: clear it first
};

// Output bytes waiting for the socket, as a list of pieces. At most one send is in flight:
// prepare_send() hands out the unsent pieces as iovecs and they stay untouched (never moved,
// never appended to) until complete_send().
class OutputQueue {
 public:
  // Appending to the last piece keeps small replies in one iovec; a piece in flight or
  // already kCoalesceBytes long is never appended to.
  static constexpr size_t kCoalesceBytes = 64 * 1024;

  // The string to append encoded bytes to; call added() with how many were appended.
  std::string& append_target();
  void added(size_t bytes) { queued_bytes_ += bytes; }

  size_t prepare_send(std::span<iovec> iov);
  // The in-flight send wrote `sent_bytes` (possibly fewer than handed out).
  void complete_send(size_t sent_bytes);

  bool empty() const { return queued_bytes_ == 0; }
  bool in_flight() const { return in_flight_pieces_ > 0; }
  size_t queued_bytes() const { return queued_bytes_; }
  void clear();  // only when nothing is in flight

 private:
  std::deque<std::string> pieces_;
  size_t front_offset_ = 0;     // bytes of pieces_.front() already sent
  size_t in_flight_pieces_ = 0; // pieces_[0 .. in_flight_pieces_) belong to the send in flight
  size_t queued_bytes_ = 0;     // unsent bytes over all pieces
};

// Where a connection is in the protocol.
enum class ConnPhase : uint8_t {
  kHandshake,  // the first frame must be a ConnectRequest (or the first 4 bytes a 4lw)
  kSession,    // every frame is a request
  kCommand,    // a four-letter word went to the engine; input is ignored until it answers
};

enum class ConnState : uint8_t {
  kFree,            // slot unused
  kOpen,            // reading and writing
  kFlushThenClose,  // input ignored; close once the queued output is sent
  kClosing,         // socket shut down; waiting for the in-flight recv/send to finish
};

// A received piece not parsed yet: bytes [begin, end) of provided buffer `buffer_id`.
struct RecvChunk {
  uint16_t buffer_id = 0;
  uint32_t begin = 0;
  uint32_t end = 0;
};

// Owned by one reactor thread. One per slot; reset() for each new socket in the slot, and the
// generation bumps every time the slot is freed, so stale references can be told apart.
struct Connection {
  static constexpr size_t kMaxIov = 64;  // pieces per sendmsg (well under IOV_MAX)

  void reset(int socket_fd, std::string peer_ip, std::string peer_remote,
             int32_t max_packet_bytes);
  void release();  // back to kFree; the caller has closed the fd

  uint32_t generation = 0;
  ConnState state = ConnState::kFree;
  ConnPhase phase = ConnPhase::kHandshake;
  int fd = -1;
  std::string ip;      // limiter key
  std::string remote;  // "ip:port" (IPv6: "[ip]:port")

  bool produced_inbound = false;  // owes the engine a kClosed
  bool recv_armed = false;        // a recv (multishot or not) is in the ring
  bool read_paused = false;       // output is not draining: do not re-arm recv
  bool peer_eof = false;
  bool send_in_flight = false;
  bool in_ready_list = false;
  bool in_send_list = false;
  const char* close_reason = nullptr;  // set while parsing; acted on after the chunk

  std::deque<RecvChunk> chunks;  // bounded by the buffer ring: each holds one buffer
  FrameReader reader;
  OutputQueue output;
  // Stable memory for the one sendmsg in flight.
  std::array<iovec, kMaxIov> iov{};
  msghdr msg{};
};

}  // namespace rk
