// libFuzzer entry point for the client protocol decoders (not part of the default build):
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I. net/jute.cc \
//       net/client_codec.cc tests/net/fuzz_decode_request.cc -o fuzz_decode_request
//   ./fuzz_decode_request -runs=200000 [corpus_dir]
// Every input goes to decode_request, decode_connect_request and decode_response; whatever
// decodes must re-encode to bytes that decode and re-encode to the very same bytes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "net/client_codec.h"

namespace {

std::span<const uint8_t> payload_of(const std::string& frame) {
  return {reinterpret_cast<const uint8_t*>(frame.data()) + 4, frame.size() - 4};
}

void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "codec fuzz: %s\n", what);
    std::abort();
  }
}

void check_request(std::span<const uint8_t> input) {
  rk::Result<rk::Request> first = rk::decode_request(input);
  if (!first.is_ok()) return;
  std::string frame1;
  rk::encode_request(*first, frame1);
  rk::Result<rk::Request> second = rk::decode_request(payload_of(frame1));
  require(second.is_ok(), "re-encoded request does not decode");
  std::string frame2;
  rk::encode_request(*second, frame2);
  require(frame1 == frame2, "request changed across re-encoding");
}

void check_connect(std::span<const uint8_t> input) {
  rk::Result<rk::ConnectRequest> first = rk::decode_connect_request(input);
  if (!first.is_ok()) return;
  std::string frame1;
  rk::encode_connect_request(*first, frame1);
  rk::Result<rk::ConnectRequest> second = rk::decode_connect_request(payload_of(frame1));
  require(second.is_ok(), "re-encoded ConnectRequest does not decode");
  std::string frame2;
  rk::encode_connect_request(*second, frame2);
  require(frame1 == frame2, "ConnectRequest changed across re-encoding");
}

// The first byte picks the opcode the reply is decoded for.
void check_response(std::span<const uint8_t> input) {
  static constexpr rk::OpCode kTypes[] = {
      rk::OpCode::kCreate,  rk::OpCode::kCreate2,     rk::OpCode::kGetData,
      rk::OpCode::kGetAcl,  rk::OpCode::kGetChildren2, rk::OpCode::kMulti,
      rk::OpCode::kMultiRead, rk::OpCode::kWhoAmI,    rk::OpCode::kAddWatch,
      rk::OpCode::kSync};
  if (input.empty()) return;
  rk::OpCode type = kTypes[input[0] % std::size(kTypes)];
  input = input.subspan(1);
  rk::WatchEvent event;
  rk::Result<rk::Response> first = rk::decode_response(input, type, &event);
  if (!first.is_ok() || first->xid == rk::kNotificationXid) return;
  std::string frame1;
  rk::encode_response(*first, frame1);
  rk::Result<rk::Response> second = rk::decode_response(payload_of(frame1), type);
  require(second.is_ok(), "re-encoded reply does not decode");
  std::string frame2;
  rk::encode_response(*second, frame2);
  require(frame1 == frame2, "reply changed across re-encoding");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> input(data, size);
  check_request(input);
  check_connect(input);
  check_response(input);
  return 0;
}
