// The worker loop: edge-triggered epoll over non-blocking sockets. Per readable connection:
// one recv for every reply that arrived, then one send carrying every request that may be
// issued — so syscalls are paid per batch, not per operation.
#include "bench/rkbench/worker.h"

#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <thread>

namespace rkbench {
namespace {

constexpr int kEventsMax = 256;
constexpr int64_t kPingCheckIntervalNs = 100'000'000;
constexpr int64_t kDrainTimeoutNs = 10'000'000'000;  // a server that stops answering
constexpr int64_t kIdleWaitNs = 50'000'000;
constexpr int32_t kNodeExists = -110;
constexpr int32_t kConnectionLoss = -4;

}  // namespace

int64_t now_ns() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

RunClock::RunClock(int workers, int64_t warmup, int64_t duration)
    : warmup_ns(warmup), duration_ns(duration), ready(workers, MarkSetupStart{this}),
      setup_done(workers, MarkLoadStart{this}) {}

void MarkSetupStart::operator()() noexcept { clock->setup_start_ns = now_ns(); }

void MarkLoadStart::operator()() noexcept {
  int64_t now = now_ns();
  clock->setup_end_ns = now;
  clock->measure_start_ns = now + clock->warmup_ns;
  clock->measure_end_ns =
      clock->duration_ns > 0 ? now + clock->warmup_ns + clock->duration_ns : INT64_MAX;
  clock->load_started = true;
  clock->load_started.notify_all();
}

Worker::Worker(const Options& options, int index, int first_conn, int conn_count,
               RunClock& clock)
    : options_(options), index_(index), clock_(clock),
      value_(options.value_bytes, 'v'), rng_(0x9E3779B97F4A7C15ULL * (index + 1)),
      multi_keys_(static_cast<size_t>(options.multi_ops)) {
  create_prefix_ = "/rkbench/c/" + options.tag + "-";
  if (!options.sequential) create_prefix_ += std::to_string(index) + "-";
  for (int i = 0; i < conn_count; i++)
    conns_.push_back(std::make_unique<Connection>(first_conn + i, options.depth));
  uint32_t sum = 0;
  for (size_t i = 0; i < kMixOpCount; i++) cumulative_[i] = sum += options.weights[i];
  uint64_t threads = static_cast<uint64_t>(options.threads);
  setup_next_key_ = options.keys * index / threads;
  setup_end_key_ = options.keys * (index + 1) / threads;
  if (options.ops_max > 0)
    measured_quota_ = options.ops_max / threads + (index == 0 ? options.ops_max % threads : 0);
  if (options.rate_ops_s > 0)
    open_interval_ns_ = static_cast<int64_t>(1e9 * options.connections / options.rate_ops_s);
}

Worker::~Worker() {
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void Worker::run() {
  bool opened = open_all();
  clock_.ready.arrive_and_wait();
  if (opened && options_.setup && options_.uses_keys()) pump(Phase::kSetup);
  clock_.setup_done.arrive_and_wait();
  if (opened && !options_.setup_only) pump(Phase::kLoad);
  clock_.drained.fetch_add(1);
  clock_.drained.notify_all();
  while (!clock_.close_now.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (opened) pump(Phase::kClose);
  for (auto& c : conns_) c->close_socket();
}

bool Worker::open_all() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  for (auto& c : conns_) {
    std::string error = c->open(options_.host, options_.port, options_.session_timeout_ms);
    if (!error.empty()) {
      result_.failure = "connection " + std::to_string(c->index()) + ": " + error;
      return false;
    }
    c->set_nonblocking();
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
    ev.data.ptr = c.get();
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c->fd(), &ev);
  }
  return true;
}

bool Worker::phase_exhausted(Phase phase, int64_t now) const {
  switch (phase) {
    case Phase::kSetup: return setup_next_key_ >= setup_end_key_;
    case Phase::kLoad:
      return now >= clock_.measure_end_ns.load(std::memory_order_relaxed) ||
             (measured_quota_ > 0 && measured_issued_ >= measured_quota_);
    case Phase::kClose: return true;  // refill() issues the one close itself
  }
  return true;
}

void Worker::pump(Phase phase) {
  int64_t now = now_ns();
  // Open loop: connections start staggered over one interval so sends do not bunch.
  if (phase == Phase::kLoad && open_interval_ns_ > 0) {
    for (auto& c : conns_)
      c->next_due_ns_ = now + open_interval_ns_ * c->index() / options_.connections;
  }
  for (auto& c : conns_) {
    if (c->dead_) continue;
    refill(phase, *c, now);
    if (!c->flush()) fail(*c);
  }
  int64_t drain_deadline_ns = INT64_MAX;
  epoll_event events[kEventsMax];
  while (true) {
    now = now_ns();
    if (phase_exhausted(phase, now)) {
      if (in_flight_ == 0) break;
      if (drain_deadline_ns == INT64_MAX) drain_deadline_ns = now + kDrainTimeoutNs;
      if (now >= drain_deadline_ns) {
        std::fprintf(stderr, "rkbench: %zu requests unanswered after the drain timeout\n",
                     in_flight_);
        for (auto& c : conns_) if (!c->dead_ && c->in_flight() > 0) fail(*c);
        break;
      }
    }
    // Wake for the next open-loop send, the ping check, or the end of the phase.
    int64_t wake_ns = std::min(now + kIdleWaitNs, next_ping_check_ns_);
    if (phase == Phase::kLoad) {
      wake_ns = std::min(wake_ns, clock_.measure_end_ns.load(std::memory_order_relaxed));
      if (open_interval_ns_ > 0)
        for (auto& c : conns_)
          if (!c->dead_ && !c->ring_full()) wake_ns = std::min(wake_ns, c->next_due_ns_);
    }
    int64_t wait_ns = std::max<int64_t>(0, wake_ns - now);
    timespec timeout{wait_ns / 1'000'000'000, wait_ns % 1'000'000'000};
    int n = ::epoll_pwait2(epoll_fd_, events, kEventsMax, &timeout, nullptr);
    for (int i = 0; i < n; i++) {
      auto& c = *static_cast<Connection*>(events[i].data.ptr);
      if (c.dead_) continue;
      if (events[i].events & EPOLLOUT) c.writable_ = true;
      if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) read_replies(phase, c);
      if (c.dead_) continue;
      refill(phase, c, now_ns());
      if (!c.flush()) fail(c);
    }
    now = now_ns();
    if (phase == Phase::kLoad && open_interval_ns_ > 0) {
      for (auto& c : conns_) {
        if (c->dead_ || c->next_due_ns_ > now) continue;
        if (refill(phase, *c, now) > 0 && !c->flush()) fail(*c);
      }
    }
    if (now >= next_ping_check_ns_) {
      send_pings(now);
      next_ping_check_ns_ = now + kPingCheckIntervalNs;
    }
  }
}

size_t Worker::refill(Phase phase, Connection& c, int64_t now) {
  size_t issued = 0;
  if (phase == Phase::kClose) {
    if (c.close_sent_ || c.dead_) return 0;
    int32_t xid = c.next_xid();
    c.push({now, xid, kCloseKind});
    encode_header_only(xid, Op::kCloseSession, c.out_);
    c.close_sent_ = true;
    in_flight_++;
    return 1;
  }
  while (!c.ring_full() && !phase_exhausted(phase, now)) {
    if (phase == Phase::kSetup) {
      issue_setup(c, now);
    } else if (open_interval_ns_ > 0) {
      if (c.next_due_ns_ > now) break;
      if (c.next_due_ns_ >= clock_.measure_end_ns.load(std::memory_order_relaxed)) break;
      issue_load(c, c.next_due_ns_);
      c.next_due_ns_ += open_interval_ns_;
    } else {
      issue_load(c, now);
    }
    issued++;
  }
  if (issued > 0) c.last_send_ns_ = now;
  in_flight_ += issued;
  return issued;
}

void Worker::issue_setup(Connection& c, int64_t now) {
  int32_t xid = c.next_xid();
  encode_create(xid, key_path(setup_next_key_++), value_, 0, c.out_);
  c.push({now, xid, static_cast<uint8_t>(MixOp::kCreate)});
}

std::string_view Worker::key_path(uint64_t key) {
  static constexpr std::string_view kPrefix = "/rkbench/k";
  std::copy(kPrefix.begin(), kPrefix.end(), key_buf_);
  auto [end, ec] = std::to_chars(key_buf_ + kPrefix.size(), key_buf_ + sizeof key_buf_, key);
  return std::string_view(key_buf_, static_cast<size_t>(end - key_buf_));
}

// Sequential creates all use one prefix (the server appends the counter); others name
// <tag>-<worker>-<connection>-<n>, so this connection can delete them later by name.
std::string_view Worker::create_path(const Connection& c, uint64_t n) {
  std::copy(create_prefix_.begin(), create_prefix_.end(), create_buf_);
  char* p = create_buf_ + create_prefix_.size();
  if (!options_.sequential) {
    char* end = create_buf_ + sizeof create_buf_;
    p = std::to_chars(p, end, c.index()).ptr;
    *p++ = '-';
    p = std::to_chars(p, end, n).ptr;
  }
  return std::string_view(create_buf_, static_cast<size_t>(p - create_buf_));
}

void Worker::issue_load(Connection& c, int64_t start_ns) {
  uint32_t draw = static_cast<uint32_t>(next_random() % cumulative_.back());
  size_t pick = 0;
  while (draw >= cumulative_[pick]) pick++;
  auto op = static_cast<MixOp>(pick);
  if (op == MixOp::kDelete && c.deleted_ >= c.created_) op = MixOp::kCreate;
  int32_t flags = (options_.ephemeral ? 1 : 0) | (options_.sequential ? 2 : 0);
  int32_t xid = c.next_xid();
  switch (op) {
    case MixOp::kCreate:
      encode_create(xid, create_path(c, c.created_++), value_, flags, c.out_);
      break;
    case MixOp::kDelete: encode_delete(xid, create_path(c, c.deleted_++), c.out_); break;
    case MixOp::kSetData:
      encode_set_data(xid, key_path(next_random() % options_.keys), value_, c.out_);
      break;
    case MixOp::kGetData:
      encode_read(xid, Op::kGetData, key_path(next_random() % options_.keys), c.out_);
      break;
    case MixOp::kExists:
      encode_read(xid, Op::kExists, key_path(next_random() % options_.keys), c.out_);
      break;
    case MixOp::kGetChildren:
      encode_read(xid, Op::kGetChildren, key_path(next_random() % options_.keys), c.out_);
      break;
    case MixOp::kMulti: {
      MultiSpec spec{options_.multi_create ? Op::kCreate : Op::kSetData, value_, flags};
      // The encoder asks for each path twice (to size, then to write): draw keys first.
      for (uint64_t& key : multi_keys_) key = next_random() % options_.keys;
      uint64_t first = c.created_;
      encode_multi(xid, spec, options_.multi_ops, [&](int i) {
        return options_.multi_create ? create_path(c, first + i) : key_path(multi_keys_[i]);
      }, c.out_);
      if (options_.multi_create) c.created_ += options_.multi_ops;
      break;
    }
  }
  c.push({start_ns, xid, static_cast<uint8_t>(op)});
  if (start_ns >= clock_.measure_start_ns.load(std::memory_order_relaxed)) measured_issued_++;
}

void Worker::read_replies(Phase phase, Connection& c) {
  bool drained = false;
  while (!drained) {
    long n = c.receive(drained);
    if (n < 0) {
      fail(c);
      return;
    }
    int64_t now = now_ns();
    size_t pos = 0;
    while (c.in_len_ - pos >= 4) {
      uint32_t len = get_be32(c.in_.data() + pos);
      if (len > Connection::kFrameBytesMax || len < kReplyHeaderBytes) {
        std::fprintf(stderr, "rkbench: bad frame length %u on connection %d\n", len, c.index());
        fail(c);
        return;
      }
      if (c.in_len_ - pos - 4 < len) break;
      complete(phase, c, decode_reply_header(c.in_.data() + pos + 4), now);
      if (c.dead_) return;
      pos += 4 + len;
    }
    c.consume(pos);
  }
}

void Worker::complete(Phase phase, Connection& c, const ReplyHeader& h, int64_t now) {
  if (h.xid == kPingXid || h.xid == kNotificationXid) return;
  if (c.in_flight() == 0 || c.front().xid != h.xid) {
    std::fprintf(stderr, "rkbench: reply xid %d out of order on connection %d\n", h.xid,
                 c.index());
    fail(c);
    return;
  }
  InFlight f = c.front();
  c.pop();
  in_flight_--;
  if (f.kind == kCloseKind) return;
  if (phase == Phase::kSetup) {
    if (h.err == 0) result_.setup_created++;
    else if (h.err != kNodeExists) result_.setup_errors++;
    return;
  }
  if (f.start_ns < clock_.measure_start_ns.load(std::memory_order_relaxed)) return;  // warm-up
  result_.completed++;
  result_.latency.record(static_cast<uint64_t>(now - f.start_ns));
  result_.last_completion_ns = now;
  if (h.err != 0) result_.errors[std::min(-h.err, kErrorCodesMax)]++;
}

void Worker::fail(Connection& c) {
  if (c.dead_) return;
  bool closed_cleanly = c.close_sent_ && c.in_flight() == 0;  // the server closes after it
  if (!closed_cleanly)
    std::fprintf(stderr, "rkbench: connection %d (session 0x%llx) failed with %zu in flight\n",
               c.index(), static_cast<unsigned long long>(c.session_id()), c.in_flight());
  c.dead_ = true;
  in_flight_ -= c.in_flight();
  result_.lost += c.in_flight();
  result_.errors[-kConnectionLoss] += c.in_flight();
  while (c.in_flight() > 0) c.pop();
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd(), nullptr);
  c.close_socket();
}

// ZooKeeper expires a session that sends nothing for its timeout; ping at a third of it.
void Worker::send_pings(int64_t now) {
  for (auto& c : conns_) {
    if (c->dead_ || c->close_sent_) continue;
    int64_t idle_max_ns = int64_t{c->negotiated_timeout_ms()} * 1'000'000 / 3;
    if (now - c->last_send_ns_ < idle_max_ns) continue;
    encode_header_only(kPingXid, Op::kPing, c->out_);
    c->last_send_ns_ = now;
    if (!c->flush()) fail(*c);
  }
}

}  // namespace rkbench
