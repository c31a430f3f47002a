// The engine thread's loop: drain every reactor's ring, handle the requests, end the txn
// batch (group commit), commit what is durable, run timers, hand the answers back.
#include "server/engine_core.h"

#include <algorithm>

#include "base/clock.h"
#include "base/log.h"
#include "server/replica.h"

namespace rk {

EngineCore::EngineCore(const EngineConfig& config, TxnLog& log, EngineChore* chore,
                       CommandHandler commands)
    : config_(config), log_(log), chore_(chore), commands_(std::move(commands)) {}

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

Status EngineCore::open_doorbell() {
  if (doorbell_.fd() >= 0) return Status::ok();
  return doorbell_.open();
}

Status EngineCore::start(const Boot& boot) {
  RK_ASSERT(!thread_.joinable());
  Status bell = open_doorbell();
  if (!bell) return bell;
  processor_ = std::make_unique<Processor>(config_, mono_ms(), *this);
  if (boot) {
    Status booted = boot(*processor_);
    if (!booted) return booted;
  }
  committed_zxid_ = processor_->last_processed_zxid();
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

void EngineCore::send_owned(std::unique_ptr<Outbound> message) {
  RK_ASSERT(message->conn.reactor < outbound_.size());
  outbound_[message->conn.reactor].push_back(message.release());
}

void EngineCore::log(const Txn& txn) {
  if (replica_ != nullptr) {
    replica_->on_logged(txn);
  } else {
    log_.append(txn);
  }
}

void EngineCore::forward_write(SessionId session, const std::vector<Id>& ids, const Request& request) {
  replica_->forward_write(session, ids, request);
}

void EngineCore::forward_session(SessionId session, int32_t timeout_ms) {
  replica_->forward_session(session, timeout_ms);
}

void EngineCore::forward_sync(SessionId session, int32_t xid) { replica_->forward_sync(session, xid); }

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

// The log stops and resumes writes (contract in wal/txn_log.h); called after the commit of
// everything durable, so only txns that will never be written are aborted.
void EngineCore::check_log_health() {
  const Status& health = log_.health();
  if (!health.is_ok() && !processor_->writes_refused()) {
    RK_ERROR("writes stopped, reads go on: %s", health.message().c_str());
    processor_->refuse_writes(Err::kSystemError);
  } else if (health.is_ok() && processor_->writes_refused()) {
    RK_INFO("the txn log takes writes again: writes resumed");
    processor_->resume_writes();
  }
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
    int64_t replica_wait_ms = EngineChore::kNoWait;
    if (replica_ != nullptr) {
      replica_wait_ms = replica_->step(wall_ms(), now_mono);
    } else {
      log_.flush();
      log_.poll();
      Zxid durable = log_.durable_zxid();
      if (durable > committed_zxid_) {
        committed_zxid_ = durable;
        processor_->commit(durable);
      }
      check_log_health();
    }
    if (now_mono >= next_tick_ms) {
      processor_->tick(wall_ms(), now_mono);
      next_tick_ms = now_mono + tick_period_ms;
      if (replica_ != nullptr) replica_->end_burst();
    }
    int64_t chore_wait_ms = chore_ != nullptr ? chore_->run(*processor_, log_, wall_ms())
                                              : EngineChore::kNoWait;
    deliver_outbound();
    bool backlog = std::any_of(outbound_.begin(), outbound_.end(),
                               [](const auto& q) { return !q.empty(); });
    // A replica reads the log's durability itself (committed_zxid_ stays behind).
    bool durable_news = replica_ == nullptr && log_.durable_zxid() > committed_zxid_;
    if (handled > 0 || chore_wait_ms == 0 || replica_wait_ms == 0 || durable_news) continue;
    // Nothing to do: sleep until a reactor rings, the next timer, or a short retry when a
    // reactor's ring was full.
    doorbell_.prepare_sleep();
    bool work = std::any_of(inbound_.begin(), inbound_.end(),
                            [](const auto& ring) { return !ring->empty(); });
    if (work || stopping_.load()) {
      doorbell_.cancel_sleep();
      continue;
    }
    // Log completions write the doorbell's eventfd; a refused log is looked at again soon.
    int64_t wait_ms = backlog ? 1 : std::max<int64_t>(1, next_tick_ms - mono_ms());
    if (processor_->writes_refused()) wait_ms = std::min<int64_t>(wait_ms, 100);
    wait_ms = std::min({wait_ms, chore_wait_ms, replica_wait_ms});
    doorbell_.wait(static_cast<int>(wait_ms));
    doorbell_.cancel_sleep();
  }
  // The reactors stopped first and published their last kClosed messages: take them, so
  // sessions see their connections go.
  drain_inbound(wall_ms(), mono_ms());
}

}  // namespace rk
