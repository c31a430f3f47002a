// The engine thread: owns the Processor and the txn log, and moves bursts between the
// reactors and the engine (DESIGN.md, the path of a write, steps 2-7). One per server.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "base/doorbell.h"
#include "base/spsc_ring.h"
#include "engine/processor.h"
#include "net/reactor.h"
#include "wal/txn_log.h"

namespace rk {

class Replica;

// Work the engine loop runs besides the processor (snapshots). Engine thread only.
class EngineChore {
 public:
  virtual ~EngineChore() = default;
  // Once per loop iteration, after commits. Returns the longest the loop may sleep before
  // calling again: 0 when there is more to do at once, kNoWait when it only needs the
  // doorbell.
  static constexpr int64_t kNoWait = INT64_MAX;
  virtual int64_t run(Processor& processor, TxnLog& log, int64_t now_wall_ms) = 0;
};

class EngineCore final : public EngineLink, public EngineOutput {
 public:
  // Answers a four-letter word; runs on the engine thread so it may read the processor.
  using CommandHandler = std::function<std::string(std::string_view cmd, Processor&)>;
  // Fills a fresh processor from storage before the engine thread starts.
  using Boot = std::function<Status(Processor&)>;

  // `chore` may be null.
  EngineCore(const EngineConfig& config, TxnLog& log, EngineChore* chore, CommandHandler commands);
  ~EngineCore() override;

  // Before start(): the reactors whose connections this engine serves (index = reactor id).
  void attach(std::vector<Reactor*> reactors);
  // Before start(), ensemble members only: commits come from the replica (a quorum's
  // durability), not from the local log's, and writes go to the replica to be proposed.
  void attach(Replica* replica) { replica_ = replica; }
  // The doorbell's eventfd: whatever the engine waits for (log completions) may write it.
  // Valid after open_doorbell().
  Status open_doorbell();
  int wake_fd() const { return doorbell_.fd(); }
  // Creates the processor, runs `boot` on it on the calling thread, then starts the loop.
  Status start(const Boot& boot = {});
  void stop();

  // Reactor threads: hand a burst over. Each reactor has its own ring, so one producer each.
  size_t publish(uint32_t reactor_id, std::span<Inbound* const> burst) override;

 private:
  static constexpr size_t kInboundRingSize = 8192;
  static constexpr size_t kDrainBurstMax = 1024;  // per reactor per iteration

  void run();
  size_t drain_inbound(int64_t now_wall_ms, int64_t now_mono_ms);
  void deliver_outbound();
  void check_log_health();
  void send(Outbound&& message) override;
  void send_owned(std::unique_ptr<Outbound> message) override;
  void log(const Txn& txn) override;
  void forward_write(SessionId session, const std::vector<Id>& ids, const Request& request) override;
  void forward_session(SessionId session, int32_t timeout_ms) override;
  void forward_sync(SessionId session, int32_t xid) override;

  EngineConfig config_;
  TxnLog& log_;
  EngineChore* chore_;
  Replica* replica_ = nullptr;
  CommandHandler commands_;
  std::unique_ptr<Processor> processor_;
  std::vector<Reactor*> reactors_;
  std::vector<std::unique_ptr<SpscRing<Inbound*, kInboundRingSize>>> inbound_;
  std::vector<std::deque<Outbound*>> outbound_;  // per reactor, waiting for room in its ring
  Doorbell doorbell_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  Zxid committed_zxid_ = 0;
};

}  // namespace rk
