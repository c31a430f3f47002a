// The engine thread's loop: drain every reactor's ring, handle the requests, end the txn
// batch (group commit), commit what is durable, run timers, hand the answers back.
#include "server/engine_core.h"

#include <algorithm>

#include "base/clock.h"
#include "base/log.h"

namespace rk {

EngineCore::EngineCore(const EngineConfig& config, TxnLog& log, CommandHandler commands)
    : config_(config), log_(log), commands_(std::move(commands)) {}

EngineCore::~EngineCore() {
  stop();
  for (auto& ring : inbound_) {
    while (auto message = ring->try_pop()) delete *message;
  }
  for (auto& queue : outbound_) {
    for (Outbound* message : queue) delete message;
  }
}

void EngineCore::attach(std::vector<Reactor*> reactors) {
  RK_ASSERT(!thread_.joinable());
  reactors_ = std::move(reactors);
  inbound_.clear();
  for (size_t i = 0; i < reactors_.size(); ++i) {
    inbound_.push_back(std::make_unique<SpscRing<Inbound*, kInboundRingSize>>());
  }
  outbound_.assign(reactors_.size(), {});
}

Status EngineCore::start() {
  RK_ASSERT(!thread_.joinable());
  Status bell = doorbell_.open();
  if (!bell) return bell;
  processor_ = std::make_unique<Processor>(config_, mono_ms(), *this);
  thread_ = std::thread([this] { run(); });
  return Status::ok();
}

void EngineCore::stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true);
  doorbell_.ring();
  thread_.join();
}

size_t EngineCore::publish(uint32_t reactor_id, std::span<Inbound* const> burst) {
  auto& ring = *inbound_[reactor_id];
  size_t pushed = 0;
  while (pushed < burst.size() && ring.try_push(burst[pushed])) ++pushed;
  if (pushed > 0) doorbell_.ring();
  return pushed;
}

void EngineCore::send(Outbound&& message) {
  RK_ASSERT(message.conn.reactor < outbound_.size());
  outbound_[message.conn.reactor].push_back(new Outbound(std::move(message)));
}

void EngineCore::log(const Txn& txn) { log_.append(txn); }

size_t EngineCore::drain_inbound(int64_t now_wall_ms, int64_t now_mono_ms) {
  Inbound* burst[kDrainBurstMax];
  size_t total = 0;
  for (auto& ring : inbound_) {
    size_t n = ring->pop_burst(std::span<Inbound*>(burst, kDrainBurstMax));
    for (size_t i = 0; i < n; ++i) {
      std::unique_ptr<Inbound> message(burst[i]);
      if (message->kind == Inbound::Kind::kCommand) {
        Outbound reply;
        reply.kind = Outbound::Kind::kText;
        reply.conn = message->conn;
        reply.text = commands_(message->command, *processor_);
        send(std::move(reply));
      } else {
        processor_->handle(std::move(*message), now_wall_ms, now_mono_ms);
      }
    }
    total += n;
  }
  return total;
}

void EngineCore::deliver_outbound() {
  for (size_t r = 0; r < reactors_.size(); ++r) {
    auto& queue = outbound_[r];
    if (queue.empty()) continue;
    while (!queue.empty() && reactors_[r]->deliver(queue.front())) queue.pop_front();
    reactors_[r]->wake();
  }
}

void EngineCore::run() {
  // Timers (session expiry, containers, TTLs) run at least this often.
  const int64_t tick_period_ms = std::clamp<int64_t>(config_.tick_ms / 4, 10, 500);
  int64_t next_tick_ms = mono_ms() + tick_period_ms;
  while (!stopping_.load(std::memory_order_relaxed)) {
    int64_t now_mono = mono_ms();
    size_t handled = drain_inbound(wall_ms(), now_mono);
    log_.flush();
    log_.poll();
    Zxid durable = log_.durable_zxid();
    if (durable > committed_zxid_) {
      committed_zxid_ = durable;
      processor_->commit(durable);
    }
    if (now_mono >= next_tick_ms) {
      processor_->tick(wall_ms(), now_mono);
      next_tick_ms = now_mono + tick_period_ms;
    }
    deliver_outbound();
    bool backlog = std::any_of(outbound_.begin(), outbound_.end(),
                               [](const auto& q) { return !q.empty(); });
    if (handled > 0 || log_.durable_zxid() > committed_zxid_) continue;
    // Nothing to do: sleep until a reactor rings, the next timer, or a short retry when a
    // reactor's ring was full.
    doorbell_.prepare_sleep();
    bool work = std::any_of(inbound_.begin(), inbound_.end(),
                            [](const auto& ring) { return !ring->empty(); });
    if (work || stopping_.load()) {
      doorbell_.cancel_sleep();
      continue;
    }
    int64_t wait_ms = backlog ? 1 : std::max<int64_t>(1, next_tick_ms - mono_ms());
    doorbell_.wait(static_cast<int>(wait_ms));
    doorbell_.cancel_sleep();
  }
  // The reactors stopped first and published their last kClosed messages: take them, so
  // sessions see their connections go.
  drain_inbound(wall_ms(), mono_ms());
}

}  // namespace rk
