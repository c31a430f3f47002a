// The server's per-request work on one thread, in the order the reactor and engine threads do
// it: decode a burst of frames into Inbound messages, handle them in the Processor, frame and
// seal the txns as the log does, commit, then encode every Outbound into its connection's
// output. No sockets, no io_uring, no clock: the instruction count of a run depends only on
// its arguments, so `valgrind --tool=callgrind --collect-atstart=no` gives a repeatable cost
// per operation (the measured loop toggles collection itself).
//
//   rk_request_path create|set|get [ops] [value_bytes]
#include <valgrind/callgrind.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/processor.h"
#include "net/client_codec.h"
#include "wal/record.h"

namespace rk {
namespace {

constexpr uint32_t kConnections = 16;
constexpr uint32_t kDepth = 32;  // requests per connection per burst, as rkbench's default
constexpr size_t kBurst = kConnections * kDepth;
constexpr uint32_t kKeys = 1000;
constexpr int64_t kWallMs = 1'700'000'000'000;
constexpr int64_t kMonoMs = 1000;

// What the engine thread hands on: txn frames for the log, messages for the reactors.
class Sink final : public EngineOutput {
 public:
  void send(Outbound&& message) override { outbound_.push_back(new Outbound(std::move(message))); }
  void send_owned(std::unique_ptr<Outbound> message) override { outbound_.push_back(message.release()); }
  void log(const Txn& txn) override { append_unsealed_frame(txn, frames_); }

  // The log's part of a burst: seal the batch (the write itself is the kernel's).
  void seal() {
    seal_frames(std::span<char>(frames_.data(), frames_.size()), 1);
    frames_.clear();
  }
  // The reactors' part: encode each message as Reactor::Loop::deliver does, then free it.
  void deliver(std::vector<std::string>& outputs) {
    for (Outbound* message : outbound_) {
      std::unique_ptr<Outbound> owned(message);
      std::string& out = outputs[message->conn.slot];
      if (message->kind == Outbound::Kind::kReply) encode_response(message->reply, out);
      if (message->kind == Outbound::Kind::kConnectReply) encode_connect_response(message->connect, out);
    }
    outbound_.clear();
  }

 private:
  std::string frames_;
  std::vector<Outbound*> outbound_;
};

class Harness {
 public:
  Harness() : processor_(config(), kMonoMs, sink_), outputs_(kConnections) {}

  void connect_all() {
    std::vector<Inbound*> burst;
    for (uint32_t slot = 0; slot < kConnections; ++slot) {
      auto* inbound = new Inbound();
      inbound->kind = Inbound::Kind::kConnect;
      inbound->conn = ConnRef{0, slot, 1};
      inbound->connect.timeout_ms = 30000;
      inbound->connect.passwd.assign(16, '\0');
      inbound->remote = "127.0.0.1:" + std::to_string(40000 + slot);
      burst.push_back(inbound);
    }
    engine(burst);
  }

  // One burst of frames through the reactor's decode, the engine and back.
  void run(const std::vector<std::string>& frames, uint32_t first_slot) {
    std::vector<Inbound*> burst;
    burst.reserve(frames.size());
    for (size_t i = 0; i < frames.size(); ++i) {
      std::span<const uint8_t> payload(reinterpret_cast<const uint8_t*>(frames[i].data()) + 4,
                                       frames[i].size() - 4);
      auto* inbound = new Inbound();
      inbound->kind = Inbound::Kind::kRequest;
      if (!decode_request(payload, inbound->request)) std::abort();
      inbound->conn = ConnRef{0, static_cast<uint32_t>((first_slot + i) % kConnections), 1};
      burst.push_back(inbound);
    }
    engine(burst);
  }

  void clear_outputs() {
    for (std::string& out : outputs_) out.clear();
  }
  Zxid last_zxid() const { return processor_.last_processed_zxid(); }

 private:
  static EngineConfig config() {
    EngineConfig c;
    c.server_id = 1;
    return c;
  }

  void engine(std::vector<Inbound*>& burst) {
    for (Inbound* message : burst) {
      std::unique_ptr<Inbound> owned(message);
      processor_.handle(std::move(*owned), kWallMs, kMonoMs);
    }
    burst.clear();
    sink_.seal();
    processor_.commit(processor_.last_logged_zxid());
    sink_.deliver(outputs_);
  }

  Sink sink_;
  Processor processor_;
  std::vector<std::string> outputs_;
};

std::string frame_of(OpCode type, int32_t xid, std::string path, const std::string& value) {
  Request q;
  q.xid = xid;
  q.type = type;
  q.path = std::move(path);
  if (type == OpCode::kCreate || type == OpCode::kSetData) q.data = value;
  if (type == OpCode::kCreate) q.acl = {Acl{perm::kAll, Id{"world", "anyone"}}};
  std::string frame;
  encode_request(q, frame);
  return frame;
}

std::string key_path(uint64_t i) { return "/rkbench/k" + std::to_string(i % kKeys); }

// The requests of the measured phase, encoded up front, in bursts.
std::vector<std::vector<std::string>> measured_bursts(std::string_view op, uint64_t ops,
                                                      const std::string& value) {
  std::vector<std::vector<std::string>> bursts;
  for (uint64_t i = 0; i < ops; ++i) {
    if (i % kBurst == 0) bursts.emplace_back();
    auto xid = static_cast<int32_t>(i + 1);
    uint64_t conn = i % kConnections;
    if (op == "create") {
      std::string path = "/rkbench/c/t-0-" + std::to_string(conn) + "-" + std::to_string(i);
      bursts.back().push_back(frame_of(OpCode::kCreate, xid, std::move(path), value));
    } else if (op == "set") {
      bursts.back().push_back(frame_of(OpCode::kSetData, xid, key_path(i * 7919), value));
    } else {
      bursts.back().push_back(frame_of(OpCode::kGetData, xid, key_path(i * 7919), ""));
    }
  }
  return bursts;
}

// rkbench's set-up: /rkbench, /rkbench/c and the keys, not measured.
void set_up(Harness& h, const std::string& value) {
  std::vector<std::string> frames{frame_of(OpCode::kCreate, 1, "/rkbench", ""),
                                  frame_of(OpCode::kCreate, 2, "/rkbench/c", "")};
  h.run(frames, 0);
  frames.clear();
  for (uint32_t k = 0; k < kKeys; ++k) frames.push_back(frame_of(OpCode::kCreate, 3, key_path(k), value));
  h.run(frames, 0);
  h.clear_outputs();
}

}  // namespace
}  // namespace rk

int main(int argc, char** argv) {
  using namespace rk;
  if (argc < 2) {
    std::fprintf(stderr, "usage: rk_request_path create|set|get [ops] [value_bytes]\n");
    return 2;
  }
  std::string_view op = argv[1];
  uint64_t ops = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 100000;
  size_t value_bytes = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : (op == "set" ? 1024 : 100);
  std::string value(value_bytes, 'v');

  Harness h;
  h.connect_all();
  set_up(h, value);
  auto bursts = measured_bursts(op, ops, value);

  auto start = std::chrono::steady_clock::now();
  CALLGRIND_TOGGLE_COLLECT;
  for (const auto& burst : bursts) {
    h.run(burst, 0);
    h.clear_outputs();
  }
  CALLGRIND_TOGGLE_COLLECT;
  auto elapsed = std::chrono::steady_clock::now() - start;
  double ns = std::chrono::duration<double, std::nano>(elapsed).count();
  std::printf("%.*s ops %llu value %zu last_zxid %lld: %.0f ns/op\n", static_cast<int>(op.size()),
              op.data(), static_cast<unsigned long long>(ops), value_bytes,
              static_cast<long long>(h.last_zxid()), ns / static_cast<double>(ops));
  return 0;
}
