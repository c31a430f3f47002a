// Jute codec costs per message: the server's request decode and reply encode, and the client
// side (used by tests and tools) for create, getData and setData.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <span>
#include <string>

#include "net/client_codec.h"

namespace rk {
namespace {

Request make_request(OpCode type, size_t value_bytes) {
  Request q;
  q.xid = 42;
  q.type = type;
  q.path = "/rkbench/k123456";
  if (type == OpCode::kCreate || type == OpCode::kSetData) q.data.assign(value_bytes, 'v');
  if (type == OpCode::kCreate) q.acl = {Acl{perm::kAll, Id{"world", "anyone"}}};
  return q;
}

Response make_response(OpCode type, size_t value_bytes) {
  Response r;
  r.xid = 42;
  r.zxid = 0x100000abcLL;
  r.type = type;
  r.path = "/rkbench/k123456";
  r.stat = Stat{1, 2, 3, 4, 5, 6, 7, 0, static_cast<int32_t>(value_bytes), 0, 9};
  if (type == OpCode::kGetData) r.data.assign(value_bytes, 'v');
  return r;
}

// The payload of a frame: what the decoders take.
std::span<const uint8_t> payload_of(const std::string& frame) {
  return {reinterpret_cast<const uint8_t*>(frame.data()) + 4, frame.size() - 4};
}

void BM_DecodeRequest(benchmark::State& state, OpCode type) {
  std::string frame;
  encode_request(make_request(type, static_cast<size_t>(state.range(0))), frame);
  for (auto _ : state) {
    auto decoded = decode_request(payload_of(frame));
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * frame.size()));
}

void BM_EncodeRequest(benchmark::State& state, OpCode type) {
  Request q = make_request(type, static_cast<size_t>(state.range(0)));
  std::string out;
  for (auto _ : state) {
    out.clear();
    encode_request(q, out);
    benchmark::DoNotOptimize(out.data());
  }
}

void BM_EncodeResponse(benchmark::State& state, OpCode type) {
  Response r = make_response(type, static_cast<size_t>(state.range(0)));
  std::string out;
  for (auto _ : state) {
    out.clear();
    encode_response(r, out);
    benchmark::DoNotOptimize(out.data());
  }
}

void BM_DecodeResponse(benchmark::State& state, OpCode type) {
  std::string frame;
  encode_response(make_response(type, static_cast<size_t>(state.range(0))), frame);
  for (auto _ : state) {
    auto decoded = decode_response(payload_of(frame), type);
    benchmark::DoNotOptimize(decoded);
  }
}

BENCHMARK_CAPTURE(BM_DecodeRequest, create, OpCode::kCreate)->Arg(100)->Arg(1024);
BENCHMARK_CAPTURE(BM_DecodeRequest, get_data, OpCode::kGetData)->Arg(0);
BENCHMARK_CAPTURE(BM_DecodeRequest, set_data, OpCode::kSetData)->Arg(100)->Arg(1024);
BENCHMARK_CAPTURE(BM_EncodeRequest, create, OpCode::kCreate)->Arg(100)->Arg(1024);
BENCHMARK_CAPTURE(BM_EncodeRequest, get_data, OpCode::kGetData)->Arg(0);
BENCHMARK_CAPTURE(BM_EncodeRequest, set_data, OpCode::kSetData)->Arg(100)->Arg(1024);
BENCHMARK_CAPTURE(BM_EncodeResponse, create, OpCode::kCreate)->Arg(0);
BENCHMARK_CAPTURE(BM_EncodeResponse, get_data, OpCode::kGetData)->Arg(100)->Arg(1024);
BENCHMARK_CAPTURE(BM_EncodeResponse, set_data, OpCode::kSetData)->Arg(0);
BENCHMARK_CAPTURE(BM_DecodeResponse, create, OpCode::kCreate)->Arg(0);
BENCHMARK_CAPTURE(BM_DecodeResponse, get_data, OpCode::kGetData)->Arg(100)->Arg(1024);
BENCHMARK_CAPTURE(BM_DecodeResponse, set_data, OpCode::kSetData)->Arg(0);

}  // namespace
}  // namespace rk
