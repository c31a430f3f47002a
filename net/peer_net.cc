// PeerNet: config checks and listeners (main thread), the engine's hand-over (send/receive),
// and the network thread's loop (PeerNet::Loop): outgoing links that connect with a timeout and
// backoff and write hello + gathered frames; accepted connections that are checked by their
// hello and split into frames.
#include "net/peer_net.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <span>
#include <string_view>

#include "base/clock.h"
#include "base/log.h"
#include "base/loop_thread.h"
#include "base/uring.h"

namespace rk {

// send() -> network thread -> a link's queue, where it stays (same allocation) until written.
struct PeerNet::OutFrame {
  OutFrame* next = nullptr;  // outbox stack, then link queue
  uint32_t link = 0;         // member * 2 + channel
  std::array<uint8_t, kFrameHeaderBytes> header{};
  std::string bytes;
  size_t wire_bytes() const { return kFrameHeaderBytes + bytes.size(); }
};

struct PeerNet::InBatch {
  InBatch* next = nullptr;
  std::vector<PeerFrame> frames;
  size_t bytes = 0;  // payload bytes of `frames`
};

namespace {

constexpr unsigned kSqEntries = 256;
constexpr unsigned kCqEntries = 4096;
constexpr unsigned kCqeBurstMax = 1024;        // completions handled per iteration
constexpr size_t kMaxIov = 64;                 // iovecs per gathered send (a frame takes two)
constexpr size_t kRecvBufferBytes = 64 * 1024; // per accepted connection
constexpr size_t kDirectRecvMax = 4 << 20;     // a large frame's payload is read in place
constexpr size_t kFrameReserveMax = 64 << 20;  // reserved up front for a frame being read
constexpr size_t kSpareIncoming = 64;          // accepted connections beyond two per member
constexpr size_t kMaxMembers = 256;           // every iteration scans all links and slots
constexpr int kIdleWaitMs = 1000;              // backstop; wakeups come from CQEs and timers
constexpr int kAcceptRetryMs = 100;            // after an accept error such as EMFILE
constexpr int64_t kStopDrainMs = 5000;         // stop(): wait this long for in-flight ops
constexpr int kListenBacklog = 64;
constexpr uint32_t kMaxSlots = 1u << 24;       // slot field of a completion tag

static_assert(kMaxIov >= 3 && kMaxIov <= IOV_MAX);  // the hello plus one whole frame
static_assert(kRecvBufferBytes <= kDirectRecvMax && kDirectRecvMax <= kFrameReserveMax);
static_assert(kMaxMembers * 2 + kSpareIncoming < kMaxSlots);
static_assert(kCqeBurstMax <= kCqEntries && kSqEntries <= kCqEntries);

// A completion's user_data: operation (8 bits) | slot (24 bits) | generation (32 bits). The
// slot is a link index, an accepted connection's slot, or the channel of a listener.
enum class Op : uint8_t {
  kAccept = 1, kDoorbell, kConnect, kConnectTimeout, kSend, kProbe, kRecv, kCancel
};

constexpr uint64_t tag(Op op, uint32_t slot = 0, uint32_t generation = 0) {
  return (uint64_t{static_cast<uint8_t>(op)} << 56) | (uint64_t{slot & (kMaxSlots - 1)} << 32) |
         generation;
}
constexpr Op tag_op(uint64_t t) { return static_cast<Op>(t >> 56); }
constexpr uint32_t tag_slot(uint64_t t) { return static_cast<uint32_t>(t >> 32) & (kMaxSlots - 1); }
constexpr uint32_t tag_generation(uint64_t t) { return static_cast<uint32_t>(t); }

constexpr uint8_t kRequiredOps[] = {IORING_OP_ACCEPT, IORING_OP_CONNECT, IORING_OP_LINK_TIMEOUT,
                                    IORING_OP_SENDMSG, IORING_OP_RECV, IORING_OP_READ,
                                    IORING_OP_ASYNC_CANCEL};

void put_be(uint8_t* out, uint64_t value, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) out[i] = static_cast<uint8_t>(value >> (8 * (bytes - 1 - i)));
}
uint64_t get_be(const uint8_t* in, size_t bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < bytes; ++i) value = (value << 8) | in[i];
  return value;
}

std::array<uint8_t, PeerNet::kHelloBytes> make_hello(PeerChannel channel, int64_t id) {
  std::array<uint8_t, PeerNet::kHelloBytes> hello{};
  put_be(&hello[0], PeerNet::kHelloMagic, 4);
  put_be(&hello[4], PeerNet::kProtocolVersion, 2);
  hello[6] = static_cast<uint8_t>(channel);
  hello[7] = 0;
  put_be(&hello[8], static_cast<uint64_t>(id), 8);
  return hello;
}

std::string errno_text(int err) { return std::strerror(err); }

std::string host_port(const std::string& host, uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// "ip:port" of the other end of a socket, for logs only.
std::string remote_text(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "?";
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    return host_port(text, ntohs(in->sin_port));
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
  inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
  return host_port(text, ntohs(in6->sin6_port));
}

uint16_t channel_port(const PeerAddress& member, PeerChannel channel) {
  return channel == PeerChannel::kQuorum ? member.quorum_port : member.election_port;
}

long long ll(int64_t v) { return static_cast<long long>(v); }

}  // namespace

const char* peer_channel_name(PeerChannel channel) {
  return channel == PeerChannel::kQuorum ? "quorum" : "election";
}

// The network thread's state. Created and destroyed on that thread; other threads reach it
// only through PeerNet's outbox, inbox, doorbell, stop flag and counters.
class PeerNet::Loop {
 public:
  explicit Loop(PeerNet& owner);
  ~Loop();
  Status init();
  void run();

 private:
  enum class LinkState : uint8_t {
    kDown,        // no socket; the next connect is due at retry_at_ms
    kConnecting,  // connect in flight, with its linked timeout
    kUp,          // the hello, then frames, are written
    kClosing,     // socket shut down; waiting for the connect/send/probe in flight to report
  };

  // One outgoing connection's state, for one other member and channel. Index: member*2+channel.
  struct Link {
    bool used = false;  // false for my own two entries
    uint32_t member = 0;
    PeerChannel channel = PeerChannel::kElection;
    int64_t peer_id = 0;
    const Endpoint* endpoint = nullptr;
    LinkState state = LinkState::kDown;
    int fd = -1;
    uint32_t generation = 0;  // bumped per connect attempt
    bool connect_in_flight = false;
    bool send_in_flight = false;
    bool probe_in_flight = false;  // a recv that only reports the connection's end
    // Frames oldest first. The send in flight covers the first `in_flight_frames` (the first of
    // them from `head_sent` on); while closing, `discard_frames` of them are freed once it
    // reports. Frames behind them were queued after the connection broke and wait for the next.
    OutFrame* head = nullptr;
    OutFrame* tail = nullptr;
    size_t queued_bytes = 0;  // wire bytes of every queued frame
    size_t head_sent = 0;
    size_t in_flight_frames = 0;
    size_t discard_frames = 0;
    std::array<uint8_t, kHelloBytes> hello{};
    size_t hello_sent = 0;
    std::array<iovec, kMaxIov> iov{};
    msghdr msg{};
    uint8_t probe_byte = 0;
    __kernel_timespec connect_timeout{};
    int32_t backoff_ms = 0;
    int64_t retry_at_ms = 0;
    int64_t up_since_ms = 0;
    bool quiet = false;  // a failure was logged: say nothing more until it connects again
    size_t dropped_while_down_bytes = 0;  // queue-limit drops since the link went down
  };

  enum class InState : uint8_t { kFree, kHello, kOpen, kClosing };

  // One accepted connection: its hello, then frames, read into `buffer` (or, for the bulk of
  // a large frame, straight into `frame`).
  struct InConn {
    uint32_t generation = 0;
    InState state = InState::kFree;
    int fd = -1;
    PeerChannel channel = PeerChannel::kElection;  // of the listener that accepted it
    std::string remote;
    int64_t hello_deadline_ms = 0;
    std::array<uint8_t, kHelloBytes> hello{};
    size_t hello_have = 0;
    uint32_t member = 0;  // from the hello
    int64_t peer_id = 0;
    std::array<uint8_t, kFrameHeaderBytes> header{};
    size_t header_have = 0;
    bool in_payload = false;
    size_t frame_bytes = 0;
    std::string frame;
    std::unique_ptr<uint8_t[]> buffer;  // kRecvBufferBytes, kept across reuses of the slot
    bool recv_in_flight = false;
    bool recv_direct = false;  // the recv in flight writes into `frame` from direct_offset
    size_t direct_offset = 0;
  };

  struct InRef {
    uint32_t slot = 0;
    uint32_t generation = 0;
    bool set = false;
  };

  // One iteration's steps, in order (see run()).
  void reap();
  void take_outbox();
  void start_connects(int64_t now_ms);
  void expire_hellos(int64_t now_ms);
  void flush_sends();
  void arm_recvs();
  void arm_accepts(int64_t now_ms);
  void finish_closes();
  void publish_inbox();
  void wait_for_work(int64_t now_ms);
  void shutdown();

  // Completion handlers.
  void handle(const io_uring_cqe& cqe);
  void on_accept(uint32_t channel, const io_uring_cqe& cqe);
  void on_connect(Link& link, const io_uring_cqe& cqe);
  void on_send(Link& link, const io_uring_cqe& cqe);
  void on_probe(Link& link, const io_uring_cqe& cqe);
  void on_recv(uint32_t slot, const io_uring_cqe& cqe);

  // Outgoing links.
  void enqueue(Link& link, OutFrame* frame);
  void begin_connect(Link& link, int64_t now_ms);
  void link_up(Link& link);
  void close_link(Link& link, std::string_view reason);
  void drop_unsent(Link& link);
  void pop_frames(Link& link, size_t count, bool sent);
  void advance(Link& link, size_t sent_bytes);
  void schedule_retry(Link& link, int64_t now_ms);
  void submit_send(Link& link);
  void arm_probe(Link& link);
  uint32_t link_index(const Link& link) const {
    return link.member * 2 + static_cast<uint32_t>(link.channel);
  }

  // Accepted connections.
  void adopt(int fd, PeerChannel channel);
  void consume(uint32_t slot, std::span<const uint8_t> input);
  void identify(uint32_t slot);
  void deliver(uint32_t slot);
  void close_in(uint32_t slot, std::string_view reason);
  void refuse(uint32_t slot, const std::string& reason);
  void arm_recv(uint32_t slot);
  bool inbox_full();

  void arm_accept(uint32_t channel);
  void arm_doorbell();
  void cancel(uint64_t target);
  bool stop_requested() const { return owner_.stop_requested_.load(std::memory_order_acquire); }
  const char* name(const Link& link) const { return peer_channel_name(link.channel); }

  PeerNet& owner_;
  const PeerNetConfig& config_;
  std::vector<Link> links_;
  std::vector<InConn> in_;
  std::vector<uint32_t> free_in_;
  std::vector<InRef> current_in_;  // index: member*2+channel: the connection frames come from

  std::vector<PeerFrame> batch_;  // received this iteration, for the engine
  size_t batch_bytes_ = 0;
  bool reading_paused_ = false;  // the engine is behind: no recv is armed (inbox_full())
  std::string last_refusal_;  // a refusal repeating the last one is logged at debug level

  bool busy_ = false;  // the completion burst was cut short: do not sleep
  bool stopping_ = false;
  bool accept_armed_[2] = {false, false};
  bool accept_failing_[2] = {false, false};
  int64_t accept_retry_at_ms_[2] = {0, 0};
  bool doorbell_armed_ = false;
  uint64_t doorbell_value_ = 0;  // target of the eventfd read
  // ~Loop() closes the ring first, so the kernel lets go of our buffers before they are freed.
  std::unique_ptr<Uring> uring_;
};

PeerNet::Loop::Loop(PeerNet& owner) : owner_(owner), config_(owner.config_) {}

PeerNet::Loop::~Loop() {
  uring_.reset();
  for (Link& link : links_) {
    if (link.state == LinkState::kDown) pop_frames(link, SIZE_MAX, false);
  }
}

Status PeerNet::Loop::init() {
  auto uring = Uring::create("peer-net", kSqEntries, kCqEntries, kRequiredOps);
  if (!uring) return uring.status();
  uring_ = std::move(*uring);
  const size_t members = config_.members.size();
  links_.resize(members * 2);
  for (uint32_t m = 0; m < members; ++m) {
    if (static_cast<int>(m) == owner_.my_index_) continue;
    for (uint32_t ch = 0; ch < 2; ++ch) {
      Link& link = links_[m * 2 + ch];
      link.used = true;
      link.member = m;
      link.channel = static_cast<PeerChannel>(ch);
      link.peer_id = config_.members[m].id;
      link.endpoint = &owner_.endpoints_[m * 2 + ch];
      link.hello = make_hello(link.channel, config_.my_id);
      link.backoff_ms = config_.connect_retry_min_ms;
      link.connect_timeout.tv_sec = config_.connect_timeout_ms / 1000;
      link.connect_timeout.tv_nsec = int64_t{config_.connect_timeout_ms % 1000} * 1000000;
    }
  }
  in_.resize(members * 2 + kSpareIncoming);
  for (uint32_t slot = static_cast<uint32_t>(in_.size()); slot-- > 0;) free_in_.push_back(slot);
  current_in_.resize(members * 2);
  arm_accept(0);
  arm_accept(1);
  arm_doorbell();
  return Status::ok();
}

// One iteration reads top to bottom: take completions and what the engine sent, start due
// connects, drop silent newcomers, one gathered send per link, re-arm receives and accepts,
// close what finished closing, hand received frames to the engine, submit once and sleep.
void PeerNet::Loop::run() {
  while (!stop_requested()) {
    busy_ = false;
    reap();
    const int64_t now_ms = mono_ms();
    take_outbox();
    start_connects(now_ms);
    expire_hellos(now_ms);
    flush_sends();
    arm_recvs();
    arm_accepts(now_ms);
    finish_closes();
    publish_inbox();
    wait_for_work(now_ms);
  }
  shutdown();
}

void PeerNet::Loop::reap() {
  const unsigned n = uring_->reap(kCqeBurstMax, [this](const io_uring_cqe& cqe) { handle(cqe); });
  if (n == kCqeBurstMax) busy_ = true;
}

void PeerNet::Loop::handle(const io_uring_cqe& cqe) {
  const uint32_t slot = tag_slot(cqe.user_data);
  const Op op = tag_op(cqe.user_data);
  if (op == Op::kConnect || op == Op::kSend || op == Op::kProbe) {
    RK_ASSERT(slot < links_.size() && links_[slot].generation == tag_generation(cqe.user_data));
  }
  if (op == Op::kRecv) {
    RK_ASSERT(slot < in_.size() && in_[slot].generation == tag_generation(cqe.user_data));
  }
  switch (op) {
    case Op::kAccept: on_accept(slot, cqe); break;
    case Op::kDoorbell:
      doorbell_armed_ = false;
      if (!stopping_) arm_doorbell();
      break;
    case Op::kConnect: on_connect(links_[slot], cqe); break;
    case Op::kSend: on_send(links_[slot], cqe); break;
    case Op::kProbe: on_probe(links_[slot], cqe); break;
    case Op::kRecv: on_recv(slot, cqe); break;
    case Op::kConnectTimeout:  // its connect reports -ECANCELED when it fired
    case Op::kCancel: break;
  }
}

// --- engine -> links ----------------------------------------------------------------------

void PeerNet::Loop::take_outbox() {
  OutFrame* list = owner_.outbox_.exchange(nullptr, std::memory_order_acquire);
  OutFrame* oldest_first = nullptr;
  while (list != nullptr) {  // the stack holds newest first
    OutFrame* next = list->next;
    list->next = oldest_first;
    oldest_first = list;
    list = next;
  }
  while (oldest_first != nullptr) {
    OutFrame* frame = oldest_first;
    oldest_first = frame->next;
    frame->next = nullptr;
    enqueue(links_[frame->link], frame);
  }
}

void PeerNet::Loop::enqueue(Link& link, OutFrame* frame) {
  RK_ASSERT(link.used);
  if (link.tail != nullptr) {
    link.tail->next = frame;
  } else {
    link.head = frame;
  }
  link.tail = frame;
  link.queued_bytes += frame->wire_bytes();
  if (link.queued_bytes <= config_.max_queued_bytes_per_link) return;
  const std::string over = std::to_string(link.queued_bytes) + " bytes queued, over the limit of " +
                           std::to_string(config_.max_queued_bytes_per_link) + ": queue dropped";
  if (link.state == LinkState::kUp) {
    close_link(link, over);
    return;
  }
  // Down: the first drop is logged, later ones are counted and reported when it connects.
  if (link.dropped_while_down_bytes == 0) {
    RK_WARN("peer link to %lld (%s, %s): %s (until it connects, further drops are only counted)",
            ll(link.peer_id), name(link), link.endpoint->text.c_str(), over.c_str());
  }
  const size_t before = link.queued_bytes;
  drop_unsent(link);
  link.dropped_while_down_bytes += before - link.queued_bytes;
}

// Frees `count` frames (or all) from the front of the queue; `sent` counts them as written.
void PeerNet::Loop::pop_frames(Link& link, size_t count, bool sent) {
  MemberCounters& counters = owner_.counters_[link.member];
  while (count-- > 0 && link.head != nullptr) {
    OutFrame* frame = link.head;
    link.head = frame->next;
    link.queued_bytes -= frame->wire_bytes();
    if (sent) {
      counters.frames_out.fetch_add(1, std::memory_order_relaxed);
      counters.bytes_out.fetch_add(frame->wire_bytes(), std::memory_order_relaxed);
    }
    delete frame;
  }
  if (link.head == nullptr) link.tail = nullptr;
}

// Frees every frame the kernel is not reading from right now; the ones it is (the send in
// flight) are freed when it reports.
void PeerNet::Loop::drop_unsent(Link& link) {
  const size_t keep = link.send_in_flight ? link.in_flight_frames : 0;
  if (keep == 0) {
    pop_frames(link, SIZE_MAX, false);
    link.head_sent = 0;
  } else {
    OutFrame* last_kept = link.head;
    for (size_t i = 1; i < keep; ++i) last_kept = last_kept->next;
    OutFrame* rest = last_kept->next;
    last_kept->next = nullptr;
    link.tail = last_kept;
    while (rest != nullptr) {
      OutFrame* next = rest->next;
      link.queued_bytes -= rest->wire_bytes();
      delete rest;
      rest = next;
    }
  }
  link.discard_frames = keep;
}

// --- outgoing connections -----------------------------------------------------------------

void PeerNet::Loop::start_connects(int64_t now_ms) {
  for (Link& link : links_) {
    if (link.used && link.state == LinkState::kDown && now_ms >= link.retry_at_ms) {
      begin_connect(link, now_ms);
    }
  }
}

void PeerNet::Loop::begin_connect(Link& link, int64_t now_ms) {
  const Endpoint& to = *link.endpoint;
  const int fd = ::socket(to.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    if (!link.quiet) {
      RK_WARN("peer link to %lld (%s, %s): socket: %s; retrying quietly", ll(link.peer_id),
              name(link), to.text.c_str(), errno_text(errno).c_str());
      link.quiet = true;
    }
    schedule_retry(link, now_ms);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  link.fd = fd;
  ++link.generation;
  link.state = LinkState::kConnecting;
  link.connect_in_flight = true;
  // The connect and its timeout must go to the kernel in one submission (a chain does not
  // survive a submit boundary), so make room for both first.
  if (io_uring_sq_space_left(uring_->raw()) < 2) uring_->submit();
  const uint32_t index = link_index(link);
  io_uring_sqe* sqe = uring_->get_sqe();
  io_uring_prep_connect(sqe, fd, reinterpret_cast<const sockaddr*>(&to.addr), to.addr_len);
  sqe->flags |= IOSQE_IO_LINK;
  io_uring_sqe_set_data64(sqe, tag(Op::kConnect, index, link.generation));
  sqe = uring_->get_sqe();
  io_uring_prep_link_timeout(sqe, &link.connect_timeout, 0);
  io_uring_sqe_set_data64(sqe, tag(Op::kConnectTimeout, index, link.generation));
}

void PeerNet::Loop::on_connect(Link& link, const io_uring_cqe& cqe) {
  link.connect_in_flight = false;
  if (link.state != LinkState::kConnecting) return;  // closed meanwhile (stop)
  if (cqe.res < 0) {
    const std::string reason =
        cqe.res == -ECANCELED
            ? "timed out after " + std::to_string(config_.connect_timeout_ms) + " ms"
            : errno_text(-cqe.res);
    close_link(link, reason);
    return;
  }
  link_up(link);
}

void PeerNet::Loop::link_up(Link& link) {
  link.state = LinkState::kUp;
  link.up_since_ms = mono_ms();
  link.quiet = false;
  link.hello_sent = 0;
  MemberCounters& counters = owner_.counters_[link.member];
  counters.connects.fetch_add(1, std::memory_order_relaxed);
  counters.connected[static_cast<int>(link.channel)].store(true, std::memory_order_relaxed);
  if (link.dropped_while_down_bytes > 0) {
    RK_INFO("peer link to %lld (%s, %s): connected; %zu bytes were dropped at the queue limit "
            "while it was down", ll(link.peer_id), name(link), link.endpoint->text.c_str(),
            link.dropped_while_down_bytes);
    link.dropped_while_down_bytes = 0;
  } else {
    RK_INFO("peer link to %lld (%s, %s): connected", ll(link.peer_id), name(link),
            link.endpoint->text.c_str());
  }
  arm_probe(link);
}

// Ends the connection attempt or the connection. A broken connection takes its queued frames
// with it; a failed connect keeps them for the next attempt. The socket is closed in
// finish_closes() once nothing in flight refers to it. An empty reason logs nothing (stop).
void PeerNet::Loop::close_link(Link& link, std::string_view reason) {
  RK_ASSERT(link.state == LinkState::kConnecting || link.state == LinkState::kUp);
  const int64_t now_ms = mono_ms();
  if (link.state == LinkState::kConnecting) {
    if (!reason.empty() && !link.quiet) {
      RK_WARN("peer link to %lld (%s, %s): cannot connect: %.*s; retrying quietly",
              ll(link.peer_id), name(link), link.endpoint->text.c_str(),
              static_cast<int>(reason.size()), reason.data());
    }
    if (link.connect_in_flight) cancel(tag(Op::kConnect, link_index(link), link.generation));
  } else {
    if (!reason.empty()) {
      RK_WARN("peer link to %lld (%s, %s): lost: %.*s; %zu queued bytes dropped with it",
              ll(link.peer_id), name(link), link.endpoint->text.c_str(),
              static_cast<int>(reason.size()), reason.data(), link.queued_bytes);
    }
    owner_.counters_[link.member].connected[static_cast<int>(link.channel)].store(
        false, std::memory_order_relaxed);
    ::shutdown(link.fd, SHUT_RDWR);  // ends a send stalled on a peer that stopped reading
    if (link.send_in_flight) cancel(tag(Op::kSend, link_index(link), link.generation));
    if (link.probe_in_flight) cancel(tag(Op::kProbe, link_index(link), link.generation));
    drop_unsent(link);
    // A connection that lasted restarts the backoff; one that broke at once keeps doubling it.
    if (now_ms - link.up_since_ms >= config_.connect_retry_max_ms) {
      link.backoff_ms = config_.connect_retry_min_ms;
    }
  }
  link.quiet = true;
  link.state = LinkState::kClosing;
  schedule_retry(link, now_ms);
}

void PeerNet::Loop::schedule_retry(Link& link, int64_t now_ms) {
  link.retry_at_ms = now_ms + link.backoff_ms;
  link.backoff_ms = std::min(link.backoff_ms * 2, config_.connect_retry_max_ms);
}

void PeerNet::Loop::flush_sends() {
  for (Link& link : links_) {
    if (link.state != LinkState::kUp || link.send_in_flight) continue;
    if (link.hello_sent < kHelloBytes || link.head != nullptr) submit_send(link);
  }
}

// Gathers the unsent hello and as many queued frames as kMaxIov allows into one sendmsg.
void PeerNet::Loop::submit_send(Link& link) {
  size_t n = 0;
  if (link.hello_sent < kHelloBytes) {
    link.iov[n++] = {link.hello.data() + link.hello_sent, kHelloBytes - link.hello_sent};
  }
  size_t frames = 0;
  size_t skip = link.head_sent;
  for (OutFrame* f = link.head; f != nullptr && n + 2 <= kMaxIov; f = f->next, ++frames) {
    if (skip < kFrameHeaderBytes) {
      link.iov[n++] = {f->header.data() + skip, kFrameHeaderBytes - skip};
      skip = 0;
    } else {
      skip -= kFrameHeaderBytes;
    }
    if (f->bytes.size() > skip) link.iov[n++] = {f->bytes.data() + skip, f->bytes.size() - skip};
    skip = 0;
  }
  link.in_flight_frames = frames;
  link.msg = msghdr{};
  link.msg.msg_iov = link.iov.data();
  link.msg.msg_iovlen = n;
  io_uring_sqe* sqe = uring_->get_sqe();
  io_uring_prep_sendmsg(sqe, link.fd, &link.msg, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, tag(Op::kSend, link_index(link), link.generation));
  link.send_in_flight = true;
}

void PeerNet::Loop::on_send(Link& link, const io_uring_cqe& cqe) {
  link.send_in_flight = false;
  if (link.state != LinkState::kUp) return;  // closing: finish_closes() frees the frames
  if (cqe.res == -EAGAIN || cqe.res == -EINTR) {
    link.in_flight_frames = 0;  // nothing written; flush_sends() sends again
    return;
  }
  if (cqe.res <= 0) {
    close_link(link, cqe.res == 0 ? "send wrote nothing" : "send: " + errno_text(-cqe.res));
    return;
  }
  advance(link, static_cast<size_t>(cqe.res));
}

void PeerNet::Loop::advance(Link& link, size_t sent_bytes) {
  if (link.hello_sent < kHelloBytes) {
    const size_t take = std::min(sent_bytes, kHelloBytes - link.hello_sent);
    link.hello_sent += take;
    sent_bytes -= take;
  }
  while (sent_bytes > 0) {
    RK_ASSERT(link.head != nullptr);
    const size_t left = link.head->wire_bytes() - link.head_sent;
    if (sent_bytes < left) {
      link.head_sent += sent_bytes;
      break;
    }
    sent_bytes -= left;
    link.head_sent = 0;
    pop_frames(link, 1, true);
  }
  link.in_flight_frames = 0;
}

void PeerNet::Loop::arm_probe(Link& link) {
  io_uring_sqe* sqe = uring_->get_sqe();
  io_uring_prep_recv(sqe, link.fd, &link.probe_byte, 1, 0);
  io_uring_sqe_set_data64(sqe, tag(Op::kProbe, link_index(link), link.generation));
  link.probe_in_flight = true;
}

// The other member never writes on our link, so any completion of the probe means the
// connection ended (or the other end does not speak this protocol).
void PeerNet::Loop::on_probe(Link& link, const io_uring_cqe& cqe) {
  link.probe_in_flight = false;
  if (link.state != LinkState::kUp) return;
  if (cqe.res == -EAGAIN || cqe.res == -EINTR) {
    arm_probe(link);
  } else if (cqe.res == 0) {
    close_link(link, "closed by the other end");
  } else if (cqe.res > 0) {
    close_link(link, "the other end wrote on a one-way connection");
  } else {
    close_link(link, errno_text(-cqe.res));
  }
}

// --- accepted connections -----------------------------------------------------------------

void PeerNet::Loop::on_accept(uint32_t channel, const io_uring_cqe& cqe) {
  RK_ASSERT(channel < 2);
  if (!(cqe.flags & IORING_CQE_F_MORE)) accept_armed_[channel] = false;
  if (cqe.res >= 0) {
    accept_failing_[channel] = false;
    if (stopping_) {
      ::close(cqe.res);
    } else {
      adopt(cqe.res, static_cast<PeerChannel>(channel));
    }
    return;
  }
  if (stopping_ || cqe.res == -ECANCELED) return;
  if (!accept_failing_[channel]) {
    RK_WARN("peer network: accept on the %s port: %s; retrying every %d ms",
            peer_channel_name(static_cast<PeerChannel>(channel)), errno_text(-cqe.res).c_str(),
            kAcceptRetryMs);
    accept_failing_[channel] = true;
  }
  accept_retry_at_ms_[channel] = mono_ms() + kAcceptRetryMs;
}

void PeerNet::Loop::adopt(int fd, PeerChannel channel) {
  if (free_in_.empty()) {
    RK_WARN("peer network: refusing a %s connection from %s: %zu connections open already",
            peer_channel_name(channel), remote_text(fd).c_str(), in_.size());
    ::close(fd);
    return;
  }
  const uint32_t slot = free_in_.back();
  free_in_.pop_back();
  InConn& c = in_[slot];
  RK_ASSERT(c.state == InState::kFree);
  if (!c.buffer) c.buffer = std::make_unique<uint8_t[]>(kRecvBufferBytes);
  c.state = InState::kHello;
  c.fd = fd;
  c.channel = channel;
  c.remote = remote_text(fd);
  c.hello_deadline_ms = mono_ms() + config_.connect_timeout_ms;
  c.hello_have = 0;
  c.header_have = 0;
  c.in_payload = false;
  c.frame.clear();
}

void PeerNet::Loop::expire_hellos(int64_t now_ms) {
  for (uint32_t slot = 0; slot < in_.size(); ++slot) {
    if (in_[slot].state == InState::kHello && now_ms >= in_[slot].hello_deadline_ms) {
      refuse(slot, "no hello within " + std::to_string(config_.connect_timeout_ms) + " ms");
    }
  }
}

bool PeerNet::Loop::inbox_full() {
  std::atomic<size_t>& bytes = owner_.inbox_bytes_;
  bool full = bytes.load(std::memory_order_seq_cst) > kInboxPauseBytes;
  if (full && !reading_paused_) {
    // Announce the pause before the re-check, so a receive() in between sees it and wakes us.
    owner_.inbox_paused_.store(true, std::memory_order_seq_cst);
    full = bytes.load(std::memory_order_seq_cst) > kInboxPauseBytes;
    if (full) {
      RK_WARN("peer network: %zu bytes of received frames not taken by the engine: reading "
              "paused", bytes.load());
    }
  }
  if (!full && reading_paused_) RK_INFO("peer network: the engine caught up: reading again");
  if (!full) owner_.inbox_paused_.store(false, std::memory_order_relaxed);
  reading_paused_ = full;
  return full;
}

void PeerNet::Loop::arm_recvs() {
  if (inbox_full()) return;
  for (uint32_t slot = 0; slot < in_.size(); ++slot) {
    const InConn& c = in_[slot];
    const bool reading = c.state == InState::kHello || c.state == InState::kOpen;
    if (reading && !c.recv_in_flight) arm_recv(slot);
  }
}

// The bulk of a large frame is read straight into the frame; the rest through the buffer.
void PeerNet::Loop::arm_recv(uint32_t slot) {
  InConn& c = in_[slot];
  const size_t payload_left = c.in_payload ? c.frame_bytes - c.frame.size() : 0;
  io_uring_sqe* sqe = uring_->get_sqe();
  c.recv_direct = c.state == InState::kOpen && payload_left >= kRecvBufferBytes;
  if (c.recv_direct) {
    const size_t chunk = std::min(payload_left, kDirectRecvMax);
    c.direct_offset = c.frame.size();
    c.frame.resize(c.direct_offset + chunk);
    io_uring_prep_recv(sqe, c.fd, c.frame.data() + c.direct_offset, chunk, 0);
  } else {
    io_uring_prep_recv(sqe, c.fd, c.buffer.get(), kRecvBufferBytes, 0);
  }
  io_uring_sqe_set_data64(sqe, tag(Op::kRecv, slot, c.generation));
  c.recv_in_flight = true;
}

void PeerNet::Loop::on_recv(uint32_t slot, const io_uring_cqe& cqe) {
  InConn& c = in_[slot];
  c.recv_in_flight = false;
  if (c.recv_direct) c.frame.resize(c.direct_offset + static_cast<size_t>(std::max(cqe.res, 0)));
  if (c.state == InState::kClosing) return;
  if (cqe.res > 0) {
    if (!c.recv_direct) {
      consume(slot, {c.buffer.get(), static_cast<size_t>(cqe.res)});
    } else if (c.frame.size() == c.frame_bytes) {
      deliver(slot);
    }
    return;
  }
  if (cqe.res == -EAGAIN || cqe.res == -EINTR) return;  // arm_recvs() re-arms
  if (c.state == InState::kHello) {
    refuse(slot, cqe.res == 0 ? "closed before its hello" : errno_text(-cqe.res));
  } else {
    close_in(slot, cqe.res == 0 ? "closed by the other end" : errno_text(-cqe.res));
  }
}

// Splits received bytes into the hello, then frame headers and payloads.
void PeerNet::Loop::consume(uint32_t slot, std::span<const uint8_t> input) {
  InConn& c = in_[slot];
  while (!input.empty() && c.state != InState::kClosing) {
    if (c.state == InState::kHello) {
      const size_t take = std::min(input.size(), kHelloBytes - c.hello_have);
      std::memcpy(c.hello.data() + c.hello_have, input.data(), take);
      c.hello_have += take;
      input = input.subspan(take);
      if (c.hello_have == kHelloBytes) identify(slot);
      continue;
    }
    if (!c.in_payload) {
      const size_t take = std::min(input.size(), kFrameHeaderBytes - c.header_have);
      std::memcpy(c.header.data() + c.header_have, input.data(), take);
      c.header_have += take;
      input = input.subspan(take);
      if (c.header_have < kFrameHeaderBytes) continue;
      c.header_have = 0;
      const size_t length = get_be(c.header.data(), kFrameHeaderBytes);
      if (length > config_.max_frame_bytes) {
        RK_WARN("peer network: closing the %s connection from member %lld (%s): a frame of "
                "%zu bytes, over max_frame_bytes %zu", peer_channel_name(c.channel),
                ll(c.peer_id), c.remote.c_str(), length, config_.max_frame_bytes);
        close_in(slot, "");
        return;
      }
      c.in_payload = true;
      c.frame_bytes = length;
      c.frame.clear();
      c.frame.reserve(std::min(length, kFrameReserveMax));
      if (length == 0) deliver(slot);
      continue;
    }
    const size_t take = std::min(input.size(), c.frame_bytes - c.frame.size());
    c.frame.append(reinterpret_cast<const char*>(input.data()), take);
    input = input.subspan(take);
    if (c.frame.size() == c.frame_bytes) deliver(slot);
  }
}

void PeerNet::Loop::identify(uint32_t slot) {
  InConn& c = in_[slot];
  const uint8_t* h = c.hello.data();
  const uint64_t magic = get_be(h, 4);
  const uint64_t version = get_be(h + 4, 2);
  const int64_t id = static_cast<int64_t>(get_be(h + 8, 8));
  if (magic != kHelloMagic) return refuse(slot, "not a ringkeeper peer hello (bad magic)");
  if (version != kProtocolVersion) {
    return refuse(slot, "peer protocol version " + std::to_string(version) + ", expected " +
                            std::to_string(kProtocolVersion));
  }
  if (h[6] != static_cast<uint8_t>(c.channel) || h[7] != 0) {
    return refuse(slot, "hello names channel " + std::to_string(h[6]) + ", reserved byte " +
                            std::to_string(h[7]) + " (expected " +
                            std::to_string(static_cast<int>(c.channel)) + ", 0)");
  }
  const int index = owner_.member_index(id);
  if (index < 0) return refuse(slot, "unknown member " + std::to_string(id));
  if (index == owner_.my_index_) return refuse(slot, "it claims my own id " + std::to_string(id));
  c.state = InState::kOpen;
  c.member = static_cast<uint32_t>(index);
  c.peer_id = id;
  last_refusal_.clear();
  InRef& current = current_in_[c.member * 2 + static_cast<uint32_t>(c.channel)];
  const InRef older = current;
  current = {slot, c.generation, true};  // first, so the older one's close is no news
  if (older.set && in_[older.slot].generation == older.generation &&
      in_[older.slot].state == InState::kOpen) {
    close_in(older.slot, "replaced by a newer connection");
  }
  RK_INFO("peer network: %s connection from member %lld (%s) accepted",
          peer_channel_name(c.channel), ll(id), c.remote.c_str());
}

void PeerNet::Loop::deliver(uint32_t slot) {
  InConn& c = in_[slot];
  MemberCounters& counters = owner_.counters_[c.member];
  counters.frames_in.fetch_add(1, std::memory_order_relaxed);
  counters.bytes_in.fetch_add(kFrameHeaderBytes + c.frame.size(), std::memory_order_relaxed);
  batch_bytes_ += c.frame.size();
  batch_.push_back(PeerFrame{c.peer_id, c.channel, std::move(c.frame)});
  c.frame = std::string();
  c.in_payload = false;
}

// A connection that never became a member's: logged as a refusal, a repeat at debug level.
void PeerNet::Loop::refuse(uint32_t slot, const std::string& reason) {
  InConn& c = in_[slot];
  const std::string what = std::string(peer_channel_name(c.channel)) + " port: " + reason;
  if (what != last_refusal_) {
    RK_WARN("peer network: refused a connection from %s on the %s (repeats not logged)",
            c.remote.c_str(), what.c_str());
    last_refusal_ = what;
  } else {
    RK_DEBUG("peer network: refused a connection from %s on the %s", c.remote.c_str(),
             what.c_str());
  }
  close_in(slot, "");
}

// Shuts the socket down, which ends the recv in flight; finish_closes() closes it.
void PeerNet::Loop::close_in(uint32_t slot, std::string_view reason) {
  InConn& c = in_[slot];
  RK_ASSERT(c.state == InState::kHello || c.state == InState::kOpen);
  if (!reason.empty()) {
    RK_INFO("peer network: %s connection from member %lld (%s) closed: %.*s",
            peer_channel_name(c.channel), ll(c.peer_id), c.remote.c_str(),
            static_cast<int>(reason.size()), reason.data());
  }
  if (c.state == InState::kOpen) {
    // The member's current connection ended: the engine hears of it in order with its frames.
    InRef& current = current_in_[c.member * 2 + static_cast<uint32_t>(c.channel)];
    if (current.set && current.slot == slot && current.generation == c.generation) {
      current.set = false;
      batch_.push_back(PeerFrame{c.peer_id, c.channel, std::string(), true});
    }
  }
  c.state = InState::kClosing;
  ::shutdown(c.fd, SHUT_RDWR);
  if (c.recv_in_flight) cancel(tag(Op::kRecv, slot, c.generation));
}

void PeerNet::Loop::finish_closes() {
  for (Link& link : links_) {
    if (link.state != LinkState::kClosing || link.connect_in_flight || link.send_in_flight ||
        link.probe_in_flight) {
      continue;
    }
    ::close(link.fd);
    link.fd = -1;
    pop_frames(link, link.discard_frames, false);
    link.discard_frames = 0;
    link.in_flight_frames = 0;
    link.head_sent = 0;
    link.state = LinkState::kDown;
  }
  for (uint32_t slot = 0; slot < in_.size(); ++slot) {
    InConn& c = in_[slot];
    if (c.state != InState::kClosing || c.recv_in_flight) continue;
    ::close(c.fd);
    c.fd = -1;
    c.state = InState::kFree;
    c.frame = std::string();  // a large frame's memory goes now, not at the slot's next use
    c.peer_id = 0;
    ++c.generation;
    free_in_.push_back(slot);
  }
}

// --- network -> engine, waiting, stopping -------------------------------------------------

void PeerNet::Loop::publish_inbox() {
  if (batch_.empty()) return;
  auto* batch = new InBatch();
  batch->frames = std::move(batch_);
  batch->bytes = batch_bytes_;
  batch_ = {};
  batch_bytes_ = 0;
  owner_.inbox_bytes_.fetch_add(batch->bytes, std::memory_order_seq_cst);
  batch->next = owner_.inbox_.load(std::memory_order_relaxed);
  while (!owner_.inbox_.compare_exchange_weak(batch->next, batch, std::memory_order_release,
                                              std::memory_order_relaxed)) {
  }
  if (owner_.wake_fd_ >= 0) {
    const uint64_t one = 1;
    // Only EAGAIN (the counter at its maximum) can fail, and then the fd is readable anyway.
    ssize_t ignored = ::write(owner_.wake_fd_, &one, sizeof(one));
    (void)ignored;
  }
}

void PeerNet::Loop::arm_accepts(int64_t now_ms) {
  for (uint32_t ch = 0; ch < 2; ++ch) {
    if (!accept_armed_[ch] && now_ms >= accept_retry_at_ms_[ch]) arm_accept(ch);
  }
}

void PeerNet::Loop::wait_for_work(int64_t now_ms) {
  if (busy_) {
    uring_->submit();
    return;
  }
  // Sleep until the next timer: a due reconnect, a hello deadline or an accept retry.
  int64_t wake_ms = now_ms + kIdleWaitMs;
  for (const Link& link : links_) {
    if (link.used && link.state == LinkState::kDown) wake_ms = std::min(wake_ms, link.retry_at_ms);
  }
  for (const InConn& c : in_) {
    if (c.state == InState::kHello) wake_ms = std::min(wake_ms, c.hello_deadline_ms);
  }
  for (uint32_t ch = 0; ch < 2; ++ch) {
    if (!accept_armed_[ch]) wake_ms = std::min(wake_ms, accept_retry_at_ms_[ch]);
  }
  const int timeout_ms = static_cast<int>(std::clamp<int64_t>(wake_ms - now_ms, 0, kIdleWaitMs));
  Doorbell& doorbell = owner_.doorbell_;
  doorbell.prepare_sleep();
  const bool engine_caught_up =
      reading_paused_ && owner_.inbox_bytes_.load(std::memory_order_seq_cst) <= kInboxPauseBytes;
  if (owner_.outbox_.load(std::memory_order_relaxed) != nullptr || stop_requested() ||
      engine_caught_up) {
    doorbell.cancel_sleep();
    uring_->submit();
    return;
  }
  uring_->submit_and_wait(timeout_ms);
  doorbell.cancel_sleep();
}

// stop(): cancel the accepts, end every connection, then reap until every operation in flight
// has reported (bounded by kStopDrainMs). Frames received meanwhile still go to the inbox.
void PeerNet::Loop::shutdown() {
  stopping_ = true;
  for (uint32_t ch = 0; ch < 2; ++ch) {
    // Stop listening now (stop() closes the fd after the join): until then the kernel would
    // complete handshakes that other members take for a connection.
    ::shutdown(owner_.listen_fds_[ch], SHUT_RDWR);
    if (accept_armed_[ch]) cancel(tag(Op::kAccept, ch));
  }
  if (doorbell_armed_) cancel(tag(Op::kDoorbell));
  for (Link& link : links_) {
    if (link.state == LinkState::kConnecting || link.state == LinkState::kUp) close_link(link, "");
  }
  for (uint32_t slot = 0; slot < in_.size(); ++slot) {
    if (in_[slot].state == InState::kHello || in_[slot].state == InState::kOpen) close_in(slot, "");
  }
  const int64_t deadline_ms = mono_ms() + kStopDrainMs;
  auto in_flight = [this] {
    if (accept_armed_[0] || accept_armed_[1] || doorbell_armed_) return true;
    for (const Link& link : links_) {
      if (link.state != LinkState::kDown) return true;
    }
    for (const InConn& c : in_) {
      if (c.state != InState::kFree) return true;
    }
    return false;
  };
  while (true) {
    reap();
    finish_closes();
    if (!in_flight()) break;
    if (mono_ms() > deadline_ms) {
      RK_ERROR("peer network: stop gave up waiting for operations in flight");
      break;
    }
    uring_->submit_and_wait(10);
  }
  publish_inbox();
  RK_INFO("peer network: stopped");
}

void PeerNet::Loop::arm_accept(uint32_t channel) {
  io_uring_sqe* sqe = uring_->get_sqe();
  const int fd = owner_.listen_fds_[channel];
  if (uring_->caps().multishot_accept) {
    io_uring_prep_multishot_accept(sqe, fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  } else {
    io_uring_prep_accept(sqe, fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  }
  io_uring_sqe_set_data64(sqe, tag(Op::kAccept, channel));
  accept_armed_[channel] = true;
}

void PeerNet::Loop::arm_doorbell() {
  io_uring_sqe* sqe = uring_->get_sqe();
  io_uring_prep_read(sqe, owner_.doorbell_.fd(), &doorbell_value_, sizeof(doorbell_value_), 0);
  io_uring_sqe_set_data64(sqe, tag(Op::kDoorbell));
  doorbell_armed_ = true;
}

void PeerNet::Loop::cancel(uint64_t target) {
  io_uring_sqe* sqe = uring_->get_sqe();
  io_uring_prep_cancel64(sqe, target, 0);
  io_uring_sqe_set_data64(sqe, tag(Op::kCancel));
}

// --- PeerNet ------------------------------------------------------------------------------

PeerNet::PeerNet(PeerNetConfig config, int wake_fd)
    : config_(std::move(config)), wake_fd_(wake_fd) {
  my_index_ = member_index(config_.my_id);
  counters_ = std::make_unique<MemberCounters[]>(config_.members.size());
}

PeerNet::~PeerNet() {
  stop();
  OutFrame* out = outbox_.exchange(nullptr);
  while (out != nullptr) {
    OutFrame* next = out->next;
    delete out;
    out = next;
  }
  InBatch* in = inbox_.exchange(nullptr);
  while (in != nullptr) {
    InBatch* next = in->next;
    delete in;
    in = next;
  }
}

int PeerNet::member_index(int64_t id) const {
  for (size_t i = 0; i < config_.members.size(); ++i) {
    if (config_.members[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

Status PeerNet::validate() const {
  const auto& members = config_.members;
  if (members.empty() || members.size() > kMaxMembers) {
    return Status::error("need 1 to " + std::to_string(kMaxMembers) + " members");
  }
  for (size_t i = 0; i < members.size(); ++i) {
    const PeerAddress& m = members[i];
    const std::string who = "member " + std::to_string(m.id);
    if (member_index(m.id) != static_cast<int>(i)) return Status::error(who + " listed twice");
    if (m.host.empty()) return Status::error(who + " has no host");
    if (static_cast<int>(i) == my_index_) {
      if (m.quorum_port != 0 && m.quorum_port == m.election_port) {
        return Status::error(who + " (me) has the same quorum and election port");
      }
    } else if (m.quorum_port == 0 || m.election_port == 0) {
      return Status::error(who + " needs a quorum and an election port");
    }
  }
  if (my_index_ < 0) {
    return Status::error("my id " + std::to_string(config_.my_id) + " is not a member");
  }
  if (config_.connect_retry_min_ms <= 0 ||
      config_.connect_retry_max_ms < config_.connect_retry_min_ms) {
    return Status::error("need 0 < connect_retry_min_ms <= connect_retry_max_ms");
  }
  if (config_.connect_timeout_ms <= 0) return Status::error("connect_timeout_ms must be > 0");
  if (config_.max_frame_bytes == 0 ||
      config_.max_frame_bytes > std::numeric_limits<uint32_t>::max()) {
    return Status::error("max_frame_bytes must be in [1, 2^32)");
  }
  if (config_.max_queued_bytes_per_link == 0) {
    return Status::error("max_queued_bytes_per_link must be > 0");
  }
  return Status::ok();
}

Status PeerNet::resolve_members() {
  endpoints_.resize(config_.members.size() * 2);
  for (size_t m = 0; m < config_.members.size(); ++m) {
    if (static_cast<int>(m) == my_index_) continue;
    const PeerAddress& member = config_.members[m];
    for (int ch = 0; ch < 2; ++ch) {
      const uint16_t port = channel_port(member, static_cast<PeerChannel>(ch));
      Endpoint& to = endpoints_[m * 2 + ch];
      to.text = host_port(member.host, port);
      addrinfo hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      hints.ai_flags = AI_NUMERICSERV;
      addrinfo* found = nullptr;
      const std::string port_text = std::to_string(port);
      if (int rc = getaddrinfo(member.host.c_str(), port_text.c_str(), &hints, &found); rc != 0) {
        return Status::error("cannot resolve member " + std::to_string(member.id) + " at " +
                             to.text + ": " + gai_strerror(rc));
      }
      std::memcpy(&to.addr, found->ai_addr, found->ai_addrlen);
      to.addr_len = found->ai_addrlen;
      freeaddrinfo(found);
    }
  }
  return Status::ok();
}

Status PeerNet::listen_on(PeerChannel channel) {
  const PeerAddress& me = config_.members[my_index_];
  const std::string& host = config_.listen_host.empty() ? me.host : config_.listen_host;
  const uint16_t port = channel_port(me, channel);
  const std::string where = host_port(host, port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port_text = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), port_text.c_str(), &hints, &found); rc != 0) {
    return Status::error("cannot resolve " + where + ": " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(found, freeaddrinfo);
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::error("socket for " + where + ": " + errno_text(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));  // restart over TIME_WAIT
  if (bind(fd, found->ai_addr, found->ai_addrlen) != 0 || listen(fd, kListenBacklog) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::error("cannot listen on " + where + " (" + peer_channel_name(channel) +
                         " port): " + errno_text(err));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  const int ch = static_cast<int>(channel);
  bound_ports_[ch] = ntohs(bound.ss_family == AF_INET6
                               ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                               : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  listen_fds_[ch] = fd;
  return Status::ok();
}

Status PeerNet::open() {
  RK_ASSERT(listen_fds_[0] < 0 && listen_fds_[1] < 0);
  Status st = validate();
  if (st) st = resolve_members();
  if (st && doorbell_.fd() < 0) st = doorbell_.open();
  if (st) st = listen_on(PeerChannel::kQuorum);
  if (st) st = listen_on(PeerChannel::kElection);
  if (!st) {
    for (int& fd : listen_fds_) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
    return Status::error("peer network: " + st.message());
  }
  return Status::ok();
}

Status PeerNet::start() {
  std::lock_guard lock(lifecycle_mutex_);
  RK_ASSERT(listen_fds_[0] >= 0 && listen_fds_[1] >= 0 && !thread_.joinable());
  Status st = start_loop_thread<Loop>(*this, thread_);
  if (!st) {
    return Status::error("peer network: " + st.message());
  }
  RK_INFO("peer network: member %lld listening on quorum port %u and election port %u, "
          "%zu other members", ll(config_.my_id), unsigned{bound_ports_[1]},
          unsigned{bound_ports_[0]}, config_.members.size() - 1);
  return Status::ok();
}

void PeerNet::stop() {
  std::lock_guard lock(lifecycle_mutex_);
  stop_requested_.store(true, std::memory_order_release);
  if (thread_.joinable()) {
    doorbell_.ring();
    thread_.join();
  }
  for (int& fd : listen_fds_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

bool PeerNet::send(int64_t to, PeerChannel channel, std::string frame) {
  RK_ASSERT(channel == PeerChannel::kElection || channel == PeerChannel::kQuorum);
  const int index = member_index(to);
  if (index < 0 || index == my_index_) return false;
  if (frame.size() > config_.max_frame_bytes) {
    RK_ERROR("peer network: not sending a %zu-byte frame to %lld: over max_frame_bytes %zu",
             frame.size(), ll(to), config_.max_frame_bytes);
    return false;
  }
  auto* out = new OutFrame();
  out->link = static_cast<uint32_t>(index) * 2 + static_cast<uint32_t>(channel);
  put_be(out->header.data(), frame.size(), kFrameHeaderBytes);
  out->bytes = std::move(frame);
  out->next = outbox_.load(std::memory_order_relaxed);
  while (!outbox_.compare_exchange_weak(out->next, out, std::memory_order_release,
                                        std::memory_order_relaxed)) {
  }
  if (doorbell_.fd() >= 0) doorbell_.ring();
  return true;
}

size_t PeerNet::receive(std::vector<PeerFrame>& out) {
  InBatch* list = inbox_.exchange(nullptr, std::memory_order_acquire);
  InBatch* oldest_first = nullptr;
  while (list != nullptr) {
    InBatch* next = list->next;
    list->next = oldest_first;
    oldest_first = list;
    list = next;
  }
  size_t count = 0;
  size_t bytes = 0;
  while (oldest_first != nullptr) {
    std::unique_ptr<InBatch> batch(oldest_first);
    oldest_first = batch->next;
    for (PeerFrame& frame : batch->frames) out.push_back(std::move(frame));
    count += batch->frames.size();
    bytes += batch->bytes;
  }
  if (bytes == 0) return count;
  inbox_bytes_.fetch_sub(bytes, std::memory_order_seq_cst);
  if (inbox_paused_.load(std::memory_order_seq_cst)) doorbell_.ring();
  return count;
}

std::vector<PeerNet::LinkStats> PeerNet::stats() const {
  std::vector<LinkStats> out;
  for (size_t i = 0; i < config_.members.size(); ++i) {
    if (static_cast<int>(i) == my_index_) continue;
    const MemberCounters& c = counters_[i];
    out.push_back(LinkStats{config_.members[i].id,
                            c.connected[1].load(std::memory_order_relaxed),
                            c.connected[0].load(std::memory_order_relaxed),
                            c.frames_out.load(std::memory_order_relaxed),
                            c.frames_in.load(std::memory_order_relaxed),
                            c.bytes_out.load(std::memory_order_relaxed),
                            c.bytes_in.load(std::memory_order_relaxed),
                            c.connects.load(std::memory_order_relaxed)});
  }
  return out;
}

}  // namespace rk
