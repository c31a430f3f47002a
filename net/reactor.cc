// Reactor: the listener set-up on the main thread, and the event loop on the reactor thread
// (Reactor::Loop): accept, recv into provided buffers, frame + decode, publish bursts to the
// engine, encode what the engine delivers, one gathered send per connection, one submit.
#include "net/reactor.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/loop_thread.h"
#include "base/uring.h"
#include "net/buffer_ring.h"
#include "net/client_codec.h"
#include "net/connection.h"

namespace rk {
namespace {

// Per-iteration bounds. Each pass does at most this much, so a busy iteration stays short and
// the engine sees a lone request at once rather than after a full batch.
constexpr size_t kInboundBurstMax = 256;     // Inbound decoded per iteration
constexpr size_t kFramesPerConnPass = 32;    // frames from one connection before the next
constexpr size_t kOutboundBurstMax = 1024;   // Outbound taken from the engine per iteration
constexpr size_t kOutboundPopBatch = 128;
constexpr unsigned kSqEntries = 512;
constexpr unsigned kCqEntries = 8192;        // multishot ops post many CQEs per SQE
constexpr unsigned kCqeBurstMax = 2048;      // CQEs handled per iteration
constexpr int kBacklogRetryMs = 1;           // engine refused part of a burst
constexpr int kIdleWaitMs = 1000;            // backstop only; wakeups come from CQEs
constexpr int kAcceptRetryMs = 100;          // after an accept error such as EMFILE
constexpr int64_t kStopDrainMs = 10000;      // stop(): wait this long for in-flight ops
constexpr uint16_t kBufferGroup = 0;
constexpr uint32_t kMaxSlots = 1u << 24;     // slot field of a completion tag

static_assert(kFramesPerConnPass <= kInboundBurstMax);
static_assert(kOutboundPopBatch <= kOutboundBurstMax);
static_assert(kOutboundBurstMax <= Reactor::kOutboundCapacity);
static_assert(std::has_single_bit(kSqEntries) && std::has_single_bit(kCqEntries));
static_assert(kSqEntries <= kCqEntries && kCqeBurstMax <= kCqEntries);

// A completion's user_data: operation (8 bits) | slot (24 bits) | generation (32 bits).
enum class Op : uint8_t { kAccept = 1, kDoorbell, kRecv, kSend, kCancel };

constexpr uint64_t tag(Op op, uint32_t slot = 0, uint32_t generation = 0) {
  return (uint64_t{static_cast<uint8_t>(op)} << 56) | (uint64_t{slot & (kMaxSlots - 1)} << 32) |
         generation;
}
constexpr Op tag_op(uint64_t t) { return static_cast<Op>(t >> 56); }
constexpr uint32_t tag_slot(uint64_t t) { return static_cast<uint32_t>(t >> 32) & (kMaxSlots - 1); }
constexpr uint32_t tag_generation(uint64_t t) { return static_cast<uint32_t>(t); }

constexpr uint8_t kRequiredOps[] = {IORING_OP_ACCEPT, IORING_OP_RECV,   IORING_OP_SENDMSG,
                                    IORING_OP_READ,   IORING_OP_ASYNC_CANCEL};

Status validate(const ReactorConfig& config) {
  if (config.max_packet_bytes <= 0) return Status::error("max_packet_bytes must be > 0");
  if (config.max_client_cnxns < 0) return Status::error("max_client_cnxns must be >= 0");
  if (config.max_connections == 0 || config.max_connections >= kMaxSlots) {
    return Status::error("max_connections must be in [1, 2^24)");
  }
  if (!std::has_single_bit(config.recv_buffer_count) ||
      config.recv_buffer_count > BufferRing::kMaxEntries) {
    return Status::error("recv_buffer_count must be a power of two <= 32768");
  }
  if (config.recv_buffer_bytes == 0 || config.recv_buffer_bytes > (1u << 24)) {
    return Status::error("recv_buffer_bytes must be in [1, 16 MiB]");
  }
  if (config.output_pause_bytes == 0 || config.output_pause_bytes >= config.output_limit_bytes) {
    return Status::error("need 0 < output_pause_bytes < output_limit_bytes");
  }
  if (config.listen_backlog <= 0) return Status::error("listen_backlog must be > 0");
  return Status::ok();
}

std::string errno_text(int err) { return std::strerror(err); }

// The client's IP (limiter key) and "ip:port". IPv4-mapped IPv6 addresses read as IPv4.
bool peer_address(int fd, std::string& ip, std::string& remote) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return false;
  char text[INET6_ADDRSTRLEN] = {};
  uint16_t port = 0;
  bool v6 = false;
  if (addr.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
    port = ntohs(in6->sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], text, sizeof(text));
    } else {
      inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
      v6 = true;
    }
  } else {
    return false;
  }
  ip = text;
  remote = v6 ? "[" + ip + "]:" + std::to_string(port) : ip + ":" + std::to_string(port);
  return true;
}

Inbound* new_inbound(Inbound::Kind kind) {
  auto* inbound = new Inbound();
  inbound->kind = kind;
  return inbound;
}

void encode_outbound(const Outbound& message, std::string& out) {
  switch (message.kind) {
    case Outbound::Kind::kConnectReply: encode_connect_response(message.connect, out); break;
    case Outbound::Kind::kReply: encode_response(message.reply, out); break;
    case Outbound::Kind::kWatch: encode_watch_event(message.event, out); break;
    case Outbound::Kind::kText: out += message.text; break;
    case Outbound::Kind::kClose: break;
  }
}

}  // namespace

// The reactor thread's state. Created and destroyed on that thread; nothing here is touched
// by any other thread except through Reactor's ring, doorbell, flag and counters.
class Reactor::Loop {
 public:
  explicit Loop(Reactor& owner) : owner_(owner), config_(owner.config_) {}
  ~Loop();
  Status init();
  void run();

 private:
  struct SlotRef {
    uint32_t slot;
    uint32_t generation;
  };

  // One iteration's steps, in order (see run()).
  void reap();
  void drain_outbound();
  void parse_ready();
  void publish();
  void flush_sends();
  void finish_closes();
  void arm_waiting();
  void wait_or_submit();
  void shutdown();

  // Completion handlers.
  void handle(const io_uring_cqe& cqe);
  void on_accept(const io_uring_cqe& cqe);
  void on_recv(const io_uring_cqe& cqe);
  void on_send(const io_uring_cqe& cqe);

  // Connection steps.
  void adopt(int fd);
  bool parse_connection(uint32_t slot, size_t max_frames);
  void handle_frame(uint32_t slot, const FrameEvent& event);
  void deliver(const Outbound& message);
  void apply_backpressure(uint32_t slot);
  void begin_close(uint32_t slot, const char* reason);
  void emit(uint32_t slot, Inbound* inbound);

  // SQE helpers: they only queue; the single submit is in wait_or_submit().
  void arm_accept();
  void arm_doorbell();
  void arm_recv(uint32_t slot);
  void submit_send(uint32_t slot);
  void cancel(uint64_t target);

  Connection& conn(uint32_t slot) { return *slots_[slot]; }
  SlotRef ref(uint32_t slot) { return {slot, slots_[slot]->generation}; }
  bool live(SlotRef r) {
    return slots_[r.slot] && slots_[r.slot]->generation == r.generation &&
           slots_[r.slot]->state != ConnState::kFree;
  }
  void mark_ready(uint32_t slot);
  void mark_send(uint32_t slot);
  void mark_recv_waiting(uint32_t slot) { recv_waiting_.push_back(ref(slot)); }
  bool stop_requested() const { return owner_.stop_requested_.load(std::memory_order_acquire); }

  Reactor& owner_;
  const ReactorConfig& config_;
  std::unique_ptr<Uring> uring_;
  std::unique_ptr<BufferRing> buffers_;

  std::vector<std::unique_ptr<Connection>> slots_;  // index = slot; allocated on first use
  std::vector<uint32_t> free_slots_;

  std::deque<SlotRef> ready_;         // connections with received chunks to parse
  std::vector<SlotRef> send_list_;    // connections with output or a pending flush-close
  std::deque<SlotRef> recv_waiting_;  // connections whose recv should be (re-)armed
  std::vector<uint32_t> closing_;     // kClosing slots waiting for in-flight ops
  std::vector<Inbound*> outgoing_;    // decoded, not yet accepted by the engine (owned)

  bool engine_full_ = false;   // the last publish() left a backlog
  bool busy_ = false;          // this iteration left work for the next one
  bool stopping_ = false;
  bool accept_armed_ = false;
  int64_t accept_retry_at_ms_ = 0;
  bool doorbell_armed_ = false;
  uint64_t doorbell_value_ = 0;  // target of the eventfd read
};

Reactor::Loop::~Loop() {
  for (Inbound* inbound : outgoing_) delete inbound;
  // Members go in reverse order: buffers_ unregisters from the ring before uring_ closes it.
}

Status Reactor::Loop::init() {
  auto uring = Uring::create("reactor-" + std::to_string(owner_.id_), kSqEntries, kCqEntries,
                             kRequiredOps);
  if (!uring) return uring.status();
  uring_ = std::move(*uring);
  auto buffers = BufferRing::create(uring_->raw(), kBufferGroup, config_.recv_buffer_count,
                                    config_.recv_buffer_bytes);
  if (!buffers) return buffers.status();
  buffers_ = std::move(*buffers);
  slots_.resize(config_.max_connections);
  free_slots_.reserve(config_.max_connections);
  for (uint32_t slot = config_.max_connections; slot-- > 0;) free_slots_.push_back(slot);
  outgoing_.reserve(kInboundBurstMax);
  arm_accept();
  arm_doorbell();
  return Status::ok();
}

// One iteration reads top to bottom: take completions, take what the engine sent, decode
// (unless the engine still holds back a burst), hand the burst over, send, close, return
// buffers, re-arm receives, submit once (and sleep if there was nothing to do).
void Reactor::Loop::run() {
  while (!stop_requested()) {
    busy_ = false;
    reap();
    drain_outbound();
    if (!engine_full_) parse_ready();
    publish();
    flush_sends();
    finish_closes();
    buffers_->publish();
    arm_waiting();  // after publish: receives starved of buffers need the returned ones
    wait_or_submit();
  }
  shutdown();
}

void Reactor::Loop::reap() {
  const unsigned n = uring_->reap(kCqeBurstMax, [this](const io_uring_cqe& cqe) { handle(cqe); });
  if (n == kCqeBurstMax) busy_ = true;
}

void Reactor::Loop::handle(const io_uring_cqe& cqe) {
  switch (tag_op(cqe.user_data)) {
    case Op::kAccept: on_accept(cqe); break;
    case Op::kDoorbell:
      doorbell_armed_ = false;
      if (!stopping_) arm_doorbell();
      break;
    case Op::kRecv: on_recv(cqe); break;
    case Op::kSend: on_send(cqe); break;
    case Op::kCancel: break;  // the cancelled op reports on its own completion
    default: RK_ASSERT(false && "unknown completion tag");
  }
}

void Reactor::Loop::on_accept(const io_uring_cqe& cqe) {
  if (!(cqe.flags & IORING_CQE_F_MORE)) accept_armed_ = false;
  if (cqe.res >= 0) {
    if (stopping_) {
      ::close(cqe.res);
    } else {
      adopt(cqe.res);
    }
    return;
  }
  if (cqe.res != -ECANCELED) {
    RK_WARN("reactor %u: accept: %s", owner_.id_, errno_text(-cqe.res).c_str());
    accept_retry_at_ms_ = mono_ms() + kAcceptRetryMs;
  }
}

void Reactor::Loop::adopt(int fd) {
  std::string ip, remote;
  if (!peer_address(fd, ip, remote)) {  // already reset by the peer
    ::close(fd);
    return;
  }
  if (free_slots_.empty()) {
    RK_WARN("reactor %u: no free connection slot (max_connections %u), refusing %s",
            owner_.id_, config_.max_connections, remote.c_str());
    owner_.counters_.connections_refused.fetch_add(1, std::memory_order_relaxed);
    ::close(fd);
    return;
  }
  if (!owner_.limiter_.try_acquire(ip)) {
    RK_WARN("Too many connections from %s - max is %d", ip.c_str(), config_.max_client_cnxns);
    owner_.counters_.connections_refused.fetch_add(1, std::memory_order_relaxed);
    ::close(fd);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  // as ZooKeeper's default
  const uint32_t slot = free_slots_.back();
  free_slots_.pop_back();
  if (!slots_[slot]) slots_[slot] = std::make_unique<Connection>();
  conn(slot).reset(fd, std::move(ip), std::move(remote), config_.max_packet_bytes);
  owner_.counters_.connections_open.fetch_add(1, std::memory_order_relaxed);
  owner_.counters_.connections_accepted.fetch_add(1, std::memory_order_relaxed);
  mark_recv_waiting(slot);
}

void Reactor::Loop::on_recv(const io_uring_cqe& cqe) {
  const uint32_t slot = tag_slot(cqe.user_data);
  Connection& c = conn(slot);
  RK_ASSERT(c.generation == tag_generation(cqe.user_data) && c.recv_armed);
  const bool more = (cqe.flags & IORING_CQE_F_MORE) != 0;
  if (!more) c.recv_armed = false;
  if (cqe.res > 0) {
    RK_ASSERT(cqe.flags & IORING_CQE_F_BUFFER);
    const auto id = static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
    const auto bytes = static_cast<uint32_t>(cqe.res);
    buffers_->take(id, bytes);
    owner_.counters_.bytes_in.fetch_add(bytes, std::memory_order_relaxed);
    // Input after a four-letter word, or while flushing before a close, is read and dropped.
    if (c.state == ConnState::kOpen && c.phase != ConnPhase::kCommand) {
      c.chunks.push_back({id, 0, bytes});
      mark_ready(slot);
    } else {
      buffers_->recycle(id);
    }
    if (!more) mark_recv_waiting(slot);
    return;
  }
  if (c.state == ConnState::kClosing) return;
  if (cqe.res == 0) {
    c.peer_eof = true;
    // What arrived before the EOF is still parsed (then parse_connection() closes), and a
    // client that half-closes right after a four-letter word still gets its answer.
    if (c.chunks.empty() && c.state == ConnState::kOpen && c.phase != ConnPhase::kCommand) {
      begin_close(slot, nullptr);
    }
    return;
  }
  switch (-cqe.res) {
    case ENOBUFS:    // every buffer is out: re-armed when buffers come back
    case ECANCELED:  // paused for backpressure, or the multishot was cancelled
    case EAGAIN:
    case EINTR: mark_recv_waiting(slot); break;
    default: begin_close(slot, "receive error");
  }
}

void Reactor::Loop::on_send(const io_uring_cqe& cqe) {
  const uint32_t slot = tag_slot(cqe.user_data);
  Connection& c = conn(slot);
  RK_ASSERT(c.generation == tag_generation(cqe.user_data) && c.send_in_flight);
  c.send_in_flight = false;
  if (c.state == ConnState::kClosing) {
    c.output.complete_send(0);
    return;
  }
  if (cqe.res == -EAGAIN || cqe.res == -EINTR) {
    c.output.complete_send(0);  // nothing sent: try again
    mark_send(slot);
    return;
  }
  if (cqe.res <= 0) {
    c.output.complete_send(0);
    begin_close(slot, cqe.res == 0 ? nullptr : "send error");
    return;
  }
  c.output.complete_send(static_cast<size_t>(cqe.res));
  owner_.counters_.bytes_out.fetch_add(static_cast<uint64_t>(cqe.res), std::memory_order_relaxed);
  // Hysteresis: resume reading only once the backlog is well below the pause mark.
  if (c.read_paused && c.output.queued_bytes() <= config_.output_pause_bytes / 2) {
    c.read_paused = false;
    mark_recv_waiting(slot);
  }
  mark_send(slot);  // more output, or a flush-then-close that may now be complete
}

void Reactor::Loop::drain_outbound() {
  std::array<Outbound*, kOutboundPopBatch> batch;
  size_t taken = 0;
  while (taken < kOutboundBurstMax) {
    const size_t n = owner_.outbound_.pop_burst(batch);
    for (size_t i = 0; i < n; ++i) {
      std::unique_ptr<Outbound> message(batch[i]);
      deliver(*message);
    }
    taken += n;
    if (n < batch.size()) return;
  }
  busy_ = true;
}

void Reactor::Loop::deliver(const Outbound& message) {
  RK_ASSERT(message.conn.reactor == owner_.id_);
  const uint32_t slot = message.conn.slot;
  RK_ASSERT(slot < slots_.size());
  // The connection is gone (or going), or the slot now holds another one: drop it.
  if (!live({slot, message.conn.generation}) || conn(slot).state != ConnState::kOpen) return;
  Connection& c = conn(slot);
  if (message.kind != Outbound::Kind::kClose) {
    std::string& out = c.output.append_target();
    const size_t before = out.size();
    encode_outbound(message, out);
    c.output.added(out.size() - before);
    owner_.counters_.packets_out.fetch_add(1, std::memory_order_relaxed);
  }
  const bool refused = message.kind == Outbound::Kind::kConnectReply &&
                       message.connect.session_id == 0;
  if (refused || message.kind == Outbound::Kind::kText || message.kind == Outbound::Kind::kClose) {
    c.state = ConnState::kFlushThenClose;
  }
  mark_send(slot);
  apply_backpressure(slot);
}

void Reactor::Loop::apply_backpressure(uint32_t slot) {
  Connection& c = conn(slot);
  const size_t queued = c.output.queued_bytes();
  if (queued > config_.output_limit_bytes) {
    RK_WARN("closing %s: %zu bytes of output not taken by the client (limit %zu)",
            c.remote.c_str(), queued, config_.output_limit_bytes);
    begin_close(slot, nullptr);
    return;
  }
  if (queued > config_.output_pause_bytes && !c.read_paused) {
    c.read_paused = true;  // no re-arm until the output drains
    if (c.recv_armed) cancel(tag(Op::kRecv, slot, c.generation));
  }
}

void Reactor::Loop::parse_ready() {
  while (!ready_.empty() && outgoing_.size() < kInboundBurstMax) {
    const SlotRef r = ready_.front();
    ready_.pop_front();
    if (!live(r)) continue;
    conn(r.slot).in_ready_list = false;
    const size_t budget = std::min(kFramesPerConnPass, kInboundBurstMax - outgoing_.size());
    if (parse_connection(r.slot, budget)) mark_ready(r.slot);  // to the back: round-robin
  }
  if (!ready_.empty()) busy_ = true;
}

// Decodes up to max_frames frames from the connection's received chunks, returning each
// fully used buffer at once. Returns true if input is left over.
bool Reactor::Loop::parse_connection(uint32_t slot, size_t max_frames) {
  Connection& c = conn(slot);
  size_t frames = 0;
  while (!c.chunks.empty() && frames < max_frames) {
    RecvChunk& chunk = c.chunks.front();
    std::span<const uint8_t> input(buffers_->data(chunk.buffer_id) + chunk.begin,
                                   chunk.end - chunk.begin);
    while (!input.empty() && frames < max_frames && c.close_reason == nullptr &&
           c.state == ConnState::kOpen && c.phase != ConnPhase::kCommand) {
      const FrameEvent event = c.reader.next(input);
      if (event.kind == FrameEvent::Kind::kNeedMore) break;
      ++frames;
      handle_frame(slot, event);
    }
    const bool done_with_input = c.close_reason != nullptr || c.state != ConnState::kOpen ||
                                 c.phase == ConnPhase::kCommand;
    chunk.begin = chunk.end - static_cast<uint32_t>(input.size());
    if (input.empty() || done_with_input) {
      buffers_->recycle(chunk.buffer_id);
      c.chunks.pop_front();
    }
    if (done_with_input) {
      for (const RecvChunk& rest : c.chunks) buffers_->recycle(rest.buffer_id);
      c.chunks.clear();
      if (c.close_reason != nullptr) begin_close(slot, c.close_reason);
      return false;
    }
  }
  if (!c.chunks.empty()) return true;
  if (c.peer_eof && c.state == ConnState::kOpen && c.phase != ConnPhase::kCommand) {
    begin_close(slot, nullptr);  // the input before the client's EOF is all handled
  }
  return false;
}

void Reactor::Loop::handle_frame(uint32_t slot, const FrameEvent& event) {
  Connection& c = conn(slot);
  switch (event.kind) {
    case FrameEvent::Kind::kBadLength:
      RK_WARN("Len error %d from %s", event.length, c.remote.c_str());
      c.close_reason = "bad frame length";
      return;
    case FrameEvent::Kind::kFourLetter: {
      c.phase = ConnPhase::kCommand;
      auto* inbound = new_inbound(Inbound::Kind::kCommand);
      inbound->command = std::string(event.word);
      inbound->remote = c.remote;
      emit(slot, inbound);
      return;
    }
    case FrameEvent::Kind::kFrame: break;
    case FrameEvent::Kind::kNeedMore: RK_ASSERT(false);
  }
  if (c.phase == ConnPhase::kHandshake) {
    auto connect = decode_connect_request(event.payload);
    if (!connect) {
      RK_INFO("closing %s: bad ConnectRequest: %s", c.remote.c_str(),
              connect.status().message().c_str());
      c.close_reason = "bad ConnectRequest";
      return;
    }
    c.phase = ConnPhase::kSession;
    auto* inbound = new_inbound(Inbound::Kind::kConnect);
    inbound->connect = std::move(*connect);
    inbound->remote = c.remote;
    emit(slot, inbound);
    return;
  }
  auto inbound = std::unique_ptr<Inbound>(new_inbound(Inbound::Kind::kRequest));
  if (Status decoded = decode_request(event.payload, inbound->request); !decoded) {
    RK_INFO("closing %s: bad request: %s", c.remote.c_str(), decoded.message().c_str());
    c.close_reason = "bad request";
    return;
  }
  emit(slot, inbound.release());
}

void Reactor::Loop::emit(uint32_t slot, Inbound* inbound) {
  Connection& c = conn(slot);
  inbound->conn = ConnRef{owner_.id_, slot, c.generation};
  c.produced_inbound = true;
  outgoing_.push_back(inbound);
  if (inbound->kind != Inbound::Kind::kClosed) {
    owner_.counters_.packets_in.fetch_add(1, std::memory_order_relaxed);
  }
}

void Reactor::Loop::publish() {
  if (outgoing_.empty()) {
    engine_full_ = false;
    return;
  }
  const size_t accepted = owner_.link_.publish(owner_.id_, outgoing_);
  RK_ASSERT(accepted <= outgoing_.size());
  outgoing_.erase(outgoing_.begin(), outgoing_.begin() + static_cast<ptrdiff_t>(accepted));
  engine_full_ = !outgoing_.empty();
}

void Reactor::Loop::flush_sends() {
  for (const SlotRef r : send_list_) {
    if (!live(r)) continue;
    Connection& c = conn(r.slot);
    c.in_send_list = false;
    if (c.state == ConnState::kClosing || c.send_in_flight) continue;
    if (!c.output.empty()) {
      submit_send(r.slot);
    } else if (c.state == ConnState::kFlushThenClose) {
      begin_close(r.slot, nullptr);
    }
  }
  send_list_.clear();
}

// Closing is two-step: begin_close() tells the engine and shuts the socket down, which ends
// the in-flight recv/send; only when both have reported is the fd closed and the slot reused,
// so no completion can ever land on a newer connection.
void Reactor::Loop::begin_close(uint32_t slot, const char* reason) {
  Connection& c = conn(slot);
  if (c.state == ConnState::kClosing) return;
  if (reason != nullptr) RK_INFO("closing connection %s: %s", c.remote.c_str(), reason);
  c.state = ConnState::kClosing;
  if (c.produced_inbound) emit(slot, new_inbound(Inbound::Kind::kClosed));
  owner_.limiter_.release(c.ip);
  for (const RecvChunk& chunk : c.chunks) buffers_->recycle(chunk.buffer_id);
  c.chunks.clear();
  ::shutdown(c.fd, SHUT_RDWR);
  if (c.recv_armed) cancel(tag(Op::kRecv, slot, c.generation));
  owner_.counters_.connections_open.fetch_sub(1, std::memory_order_relaxed);
  closing_.push_back(slot);
}

void Reactor::Loop::finish_closes() {
  size_t kept = 0;
  for (uint32_t slot : closing_) {
    Connection& c = conn(slot);
    if (c.recv_armed || c.send_in_flight) {
      closing_[kept++] = slot;
      continue;
    }
    ::close(c.fd);
    c.release();
    free_slots_.push_back(slot);
  }
  closing_.resize(kept);
}

void Reactor::Loop::arm_waiting() {
  if (!accept_armed_ && !stopping_ && mono_ms() >= accept_retry_at_ms_) arm_accept();
  // Arm while the kernel has buffers to give; the rest wait for buffers to come back.
  size_t budget = recv_waiting_.size();
  while (budget-- > 0 && buffers_->available() > 0) {
    const SlotRef r = recv_waiting_.front();
    recv_waiting_.pop_front();
    if (live(r)) arm_recv(r.slot);
  }
}

void Reactor::Loop::wait_or_submit() {
  if (engine_full_) {
    uring_->submit_and_wait(kBacklogRetryMs);
    return;
  }
  if (busy_ || !owner_.outbound_.empty()) {
    uring_->submit();
    return;
  }
  Doorbell& doorbell = owner_.doorbell_;
  doorbell.prepare_sleep();
  if (!owner_.outbound_.empty() || stop_requested()) {
    doorbell.cancel_sleep();
    uring_->submit();
    return;
  }
  uring_->submit_and_wait(accept_armed_ ? kIdleWaitMs : kAcceptRetryMs);
  doorbell.cancel_sleep();
}

// stop(): close the listener's accept and every connection (each owing one gets its
// kClosed), then keep reaping until every in-flight operation has reported and the engine
// has taken the last burst, bounded by kStopDrainMs.
void Reactor::Loop::shutdown() {
  stopping_ = true;
  if (accept_armed_) cancel(tag(Op::kAccept));
  if (doorbell_armed_) cancel(tag(Op::kDoorbell));
  for (uint32_t slot = 0; slot < slots_.size(); ++slot) {
    if (slots_[slot] && slots_[slot]->state != ConnState::kFree) begin_close(slot, nullptr);
  }
  const int64_t deadline_ms = mono_ms() + kStopDrainMs;
  while (accept_armed_ || doorbell_armed_ || !closing_.empty() || !outgoing_.empty()) {
    if (mono_ms() > deadline_ms) {
      RK_ERROR("reactor %u: stop gave up waiting (%zu closing, %zu undelivered)", owner_.id_,
               closing_.size(), outgoing_.size());
      break;
    }
    reap();
    drain_outbound();  // nothing goes out any more; this only frees the messages
    publish();
    finish_closes();
    buffers_->publish();
    uring_->submit_and_wait(1);
  }
  while (auto message = owner_.outbound_.try_pop()) delete *message;
}

// --- SQE helpers --------------------------------------------------------------------------

void Reactor::Loop::arm_accept() {
  io_uring_sqe* sqe = uring_->get_sqe();
  if (uring_->caps().multishot_accept) {
    io_uring_prep_multishot_accept(sqe, owner_.listen_fd_, nullptr, nullptr,
                                   SOCK_NONBLOCK | SOCK_CLOEXEC);
  } else {
    io_uring_prep_accept(sqe, owner_.listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  }
  io_uring_sqe_set_data64(sqe, tag(Op::kAccept));
  accept_armed_ = true;
}

void Reactor::Loop::arm_doorbell() {
  io_uring_sqe* sqe = uring_->get_sqe();
  io_uring_prep_read(sqe, owner_.doorbell_.fd(), &doorbell_value_, sizeof(doorbell_value_), 0);
  io_uring_sqe_set_data64(sqe, tag(Op::kDoorbell));
  doorbell_armed_ = true;
}

void Reactor::Loop::arm_recv(uint32_t slot) {
  Connection& c = conn(slot);
  const bool reading = c.state == ConnState::kOpen || c.state == ConnState::kFlushThenClose;
  if (!reading || c.recv_armed || c.read_paused || c.peer_eof) return;
  io_uring_sqe* sqe = uring_->get_sqe();
  if (uring_->caps().multishot_recv) {
    io_uring_prep_recv_multishot(sqe, c.fd, nullptr, 0, 0);
  } else {
    io_uring_prep_recv(sqe, c.fd, nullptr, 0, 0);  // length 0: the whole provided buffer
  }
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = buffers_->group_id();
  io_uring_sqe_set_data64(sqe, tag(Op::kRecv, slot, c.generation));
  c.recv_armed = true;
}

void Reactor::Loop::submit_send(uint32_t slot) {
  Connection& c = conn(slot);
  const size_t n = c.output.prepare_send(c.iov);
  RK_ASSERT(n > 0);
  c.msg = msghdr{};
  c.msg.msg_iov = c.iov.data();
  c.msg.msg_iovlen = n;
  io_uring_sqe* sqe = uring_->get_sqe();
  io_uring_prep_sendmsg(sqe, c.fd, &c.msg, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, tag(Op::kSend, slot, c.generation));
  c.send_in_flight = true;
}

void Reactor::Loop::cancel(uint64_t target) {
  io_uring_sqe* sqe = uring_->get_sqe();
  io_uring_prep_cancel64(sqe, target, 0);
  io_uring_sqe_set_data64(sqe, tag(Op::kCancel));
}

void Reactor::Loop::mark_ready(uint32_t slot) {
  Connection& c = conn(slot);
  if (c.in_ready_list) return;
  c.in_ready_list = true;
  ready_.push_back(ref(slot));
}

void Reactor::Loop::mark_send(uint32_t slot) {
  Connection& c = conn(slot);
  if (c.in_send_list) return;
  c.in_send_list = true;
  send_list_.push_back(ref(slot));
}

// --- Reactor ------------------------------------------------------------------------------

Reactor::Reactor(uint32_t id, const ReactorConfig& config, ConnLimiter& limiter, EngineLink& link)
    : id_(id), config_(config), limiter_(limiter), link_(link) {}

Reactor::~Reactor() {
  stop();
  while (auto message = outbound_.try_pop()) delete *message;
}

Status Reactor::open() {
  if (Status st = validate(config_); !st) return st;
  if (config_.max_client_cnxns != limiter_.max_per_ip()) {
    return Status::error("max_client_cnxns " + std::to_string(config_.max_client_cnxns) +
                         " differs from the shared ConnLimiter's " +
                         std::to_string(limiter_.max_per_ip()));
  }
  if (Status st = doorbell_.open(); !st) return st;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string where = config_.address + ":" + std::to_string(config_.port);
  const std::string port_text = std::to_string(config_.port);
  if (int rc = getaddrinfo(config_.address.c_str(), port_text.c_str(), &hints, &found); rc != 0) {
    return Status::error("cannot resolve " + where + ": " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(found, freeaddrinfo);
  int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::error("socket: " + errno_text(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  // Every reactor binds its own listener to the same port; the kernel spreads connections.
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
      bind(fd, found->ai_addr, found->ai_addrlen) != 0 || listen(fd, config_.listen_backlog) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::error("cannot listen on " + where + ": " + errno_text(err));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  bound_port_ = ntohs(bound.ss_family == AF_INET6
                          ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                          : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  listen_fd_ = fd;
  return Status::ok();
}

Status Reactor::start() {
  std::lock_guard lock(lifecycle_mutex_);
  RK_ASSERT(listen_fd_ >= 0 && !thread_.joinable());
  Status st = start_loop_thread<Loop>(*this, thread_);
  if (!st) {
    return Status::error("reactor " + std::to_string(id_) + ": " + st.message());
  }
  RK_INFO("reactor %u: serving port %u", id_, unsigned{bound_port_});
  return Status::ok();
}

void Reactor::stop() {
  std::lock_guard lock(lifecycle_mutex_);
  stop_requested_.store(true, std::memory_order_release);
  if (thread_.joinable()) {
    doorbell_.ring();
    thread_.join();
  }
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
}

ReactorCounters Reactor::counters() const {
  ReactorCounters out;
  out.connections_open = counters_.connections_open.load(std::memory_order_relaxed);
  out.connections_accepted = counters_.connections_accepted.load(std::memory_order_relaxed);
  out.connections_refused = counters_.connections_refused.load(std::memory_order_relaxed);
  out.bytes_in = counters_.bytes_in.load(std::memory_order_relaxed);
  out.bytes_out = counters_.bytes_out.load(std::memory_order_relaxed);
  out.packets_in = counters_.packets_in.load(std::memory_order_relaxed);
  out.packets_out = counters_.packets_out.load(std::memory_order_relaxed);
  return out;
}

}  // namespace rk
