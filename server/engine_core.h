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

class EngineCore final : public EngineLink, public EngineOutput {
 public:
  // Answers a four-letter word; runs on the engine thread so it may read the processor.
  using CommandHandler = std::function<std::string(std::string_view cmd, Processor&)>;

  EngineCore(const EngineConfig& config, TxnLog& log, CommandHandler commands);
  ~EngineCore() override;

  // Before start(): the reactors whose connections this engine serves (index = reactor id).
  void attach(std::vector<Reactor*> reactors);
  Status start();
  void stop();

  // Reactor threads: hand a burst over. Each reactor has its own ring, so one producer each.
  size_t publish(uint32_t reactor_id, std::span<Inbound* const> burst) override;

 private:
  static constexpr size_t kInboundRingSize = 8192;
  static constexpr size_t kDrainBurstMax = 1024;  // per reactor per iteration

  void run();
  size_t drain_inbound(int64_t now_wall_ms, int64_t now_mono_ms);
  void deliver_outbound();
  void send(Outbound&& message) override;
  void log(const Txn& txn) override;

  EngineConfig config_;
  TxnLog& log_;
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
