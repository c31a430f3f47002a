// Seeded mutation fuzzing of the decoders: valid frames are bit-flipped, cut, padded, spliced
// and given hostile length fields; every decode must either fail cleanly or give a value that
// re-encodes and decodes to the same thing. Replay one seed with RK_FUZZ_SEED=<n>
// (and RK_FUZZ_ITERATIONS=<n>); run under ASan to also catch out-of-bounds reads.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "net/client_codec.h"

namespace rk {
namespace {

constexpr int kIterationsPerSeed = 50000;
constexpr uint64_t kSeeds[] = {1, 2, 3, 0x5eed5eed};

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string hex(const std::string& s) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string payload_of(const std::string& frame) { return frame.substr(4); }

// The seeds to run: all of kSeeds, or the one named by RK_FUZZ_SEED.
std::vector<uint64_t> seeds() {
  if (const char* seed = std::getenv("RK_FUZZ_SEED")) return {std::strtoull(seed, nullptr, 0)};
  return {std::begin(kSeeds), std::end(kSeeds)};
}

int iterations() {
  const char* count = std::getenv("RK_FUZZ_ITERATIONS");
  return count ? std::atoi(count) : kIterationsPerSeed;
}

Request op(OpCode type, std::string path) {
  Request q;
  q.type = type;
  q.path = std::move(path);
  return q;
}

std::vector<std::string> request_corpus() {
  AclList acl = {{perm::kAll, {"world", "anyone"}}, {perm::kRead, {"digest", "u:h"}}};
  std::vector<Request> requests;
  Request create = op(OpCode::kCreate, "/a/b");
  create.data = "data";
  create.acl = acl;
  create.flags = 1;
  requests.push_back(create);
  Request ttl = create;
  ttl.type = OpCode::kCreateTtl;
  ttl.ttl = 60000;
  requests.push_back(ttl);
  Request set = op(OpCode::kSetData, "/s");
  set.data_is_null = true;
  set.version = 3;
  requests.push_back(set);
  Request del = op(OpCode::kDelete, "/d");
  del.version = 1;
  requests.push_back(del);
  Request get = op(OpCode::kGetData, "/g");
  get.watch = true;
  requests.push_back(get);
  Request set_acl = op(OpCode::kSetAcl, "/x");
  set_acl.acl = acl;
  requests.push_back(set_acl);
  Request check = op(OpCode::kCheck, "/c");
  check.version = 2;
  Request multi = op(OpCode::kMulti, "");
  multi.ops = {create, ttl, set, del, check};
  requests.push_back(multi);
  Request multi_read = op(OpCode::kMultiRead, "");
  multi_read.ops = {get, op(OpCode::kGetChildren, "/k")};
  requests.push_back(multi_read);
  Request watches = op(OpCode::kSetWatches2, "");
  watches.watches.relative_zxid = 77;
  watches.watches.data = {"/1", "/2"};
  watches.watches.child = {"/3"};
  watches.watches.persistent_recursive = {"/4"};
  requests.push_back(watches);
  Request auth = op(OpCode::kAuth, "digest");
  auth.data = "u:p";
  requests.push_back(auth);
  Request reconfig = op(OpCode::kReconfig, "");
  reconfig.joining = "server.5=h:1:2";
  requests.push_back(reconfig);
  Request add_watch = op(OpCode::kAddWatch, "/w");
  add_watch.flags = 1;
  requests.push_back(add_watch);
  requests.push_back(op(OpCode::kGetChildren2, "/k"));
  requests.push_back(op(OpCode::kSync, "/"));
  requests.push_back(op(OpCode::kPing, ""));
  requests.push_back(op(OpCode::kWhoAmI, ""));

  std::vector<std::string> corpus;
  int32_t xid = 1;
  for (Request& request : requests) {
    request.xid = xid++;
    std::string frame;
    encode_request(request, frame);
    corpus.push_back(payload_of(frame));
  }
  return corpus;
}

std::vector<std::pair<OpCode, std::string>> response_corpus() {
  Stat stat;
  stat.czxid = 5;
  stat.version = 2;
  stat.data_length = 4;
  std::vector<Response> responses;
  Response get;
  get.type = OpCode::kGetData;
  get.data = "abcd";
  get.stat = stat;
  responses.push_back(get);
  Response acl;
  acl.type = OpCode::kGetAcl;
  acl.acl = {{perm::kAll, {"world", "anyone"}}};
  responses.push_back(acl);
  Response children;
  children.type = OpCode::kGetChildren2;
  children.children = {"a", "bb", "ccc"};
  responses.push_back(children);
  Response whoami;
  whoami.type = OpCode::kWhoAmI;
  whoami.client_ids = {{"ip", "10.0.0.1"}};
  responses.push_back(whoami);
  Response multi;
  multi.type = OpCode::kMulti;
  OpResult created;
  created.type = OpCode::kCreate2;
  created.path = "/n";
  OpResult failed;
  failed.type = OpCode::kError;
  failed.err = Err::kNodeExists;
  multi.results = {created, failed};
  responses.push_back(multi);
  Response multi_read;
  multi_read.type = OpCode::kMultiRead;
  OpResult read;
  read.type = OpCode::kGetData;
  read.data_is_null = true;
  OpResult listed;
  listed.type = OpCode::kGetChildren;
  listed.children = {"x"};
  multi_read.results = {read, listed};
  responses.push_back(multi_read);

  std::vector<std::pair<OpCode, std::string>> corpus;
  for (Response& response : responses) {
    response.xid = 9;
    response.zxid = 0x100000002LL;
    std::string frame;
    encode_response(response, frame);
    corpus.emplace_back(response.type, payload_of(frame));
  }
  WatchEvent event;
  event.type = EventType::kNodeCreated;
  event.path = "/e";
  event.zxid = 12;
  std::string frame;
  encode_watch_event(event, frame);
  corpus.emplace_back(OpCode::kExists, payload_of(frame));
  return corpus;
}

// Applies one to four random edits, favouring the ones that reach deep into a decoder:
// length and count fields set to values just wrong enough.
class Mutator {
 public:
  Mutator(uint64_t seed, const std::vector<std::string>& corpus) : rng_(seed), corpus_(corpus) {}

  std::string next() {
    std::string bytes = corpus_[pick(corpus_.size())];
    size_t edits = 1 + pick(4);
    for (size_t i = 0; i < edits; ++i) edit(bytes);
    return bytes;
  }

 private:
  size_t pick(size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  void edit(std::string& b) {
    switch (pick(8)) {
      case 0:
        if (!b.empty()) b[pick(b.size())] ^= static_cast<char>(1 << pick(8));
        break;
      case 1:
        if (!b.empty()) b[pick(b.size())] = static_cast<char>(pick(256));
        break;
      case 2:
        b.resize(pick(b.size() + 1));
        break;
      case 3:
        b.insert(pick(b.size() + 1), std::string(1 + pick(8), static_cast<char>(pick(256))));
        break;
      case 4:
        if (!b.empty()) b.erase(pick(b.size()), 1 + pick(8));
        break;
      case 5:
        splice(b);
        break;
      default:
        set_length_field(b);
        break;
    }
  }

  // The head of this frame followed by the tail of another.
  void splice(std::string& b) {
    const std::string& other = corpus_[pick(corpus_.size())];
    b = b.substr(0, pick(b.size() + 1)) + other.substr(pick(other.size() + 1));
  }

  void set_length_field(std::string& b) {
    if (b.size() < 4) return;
    size_t at = pick(b.size() - 3);
    int64_t rest = static_cast<int64_t>(b.size() - at - 4);
    const int64_t choices[] = {-1, -2, std::numeric_limits<int32_t>::max(),
                               std::numeric_limits<int32_t>::min(), 0, rest, rest + 1,
                               rest / 4, rest / 4 + 1, static_cast<int64_t>(pick(16))};
    auto value = static_cast<uint32_t>(choices[pick(std::size(choices))]);
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>(value >> (24 - 8 * i));
  }

  std::mt19937_64 rng_;
  const std::vector<std::string>& corpus_;
};

bool same(const WatchSet& a, const WatchSet& b) {
  return a.relative_zxid == b.relative_zxid && a.data == b.data && a.exist == b.exist &&
         a.child == b.child && a.persistent == b.persistent &&
         a.persistent_recursive == b.persistent_recursive;
}

bool same(const Request& a, const Request& b) {
  if (a.ops.size() != b.ops.size()) return false;
  for (size_t i = 0; i < a.ops.size(); ++i) {
    if (!same(a.ops[i], b.ops[i])) return false;
  }
  return a.xid == b.xid && a.type == b.type && a.path == b.path && a.data == b.data &&
         a.data_is_null == b.data_is_null && a.acl == b.acl && a.flags == b.flags &&
         a.version == b.version && a.ttl == b.ttl && a.watch == b.watch &&
         same(a.watches, b.watches) && a.joining == b.joining && a.leaving == b.leaving &&
         a.new_members == b.new_members && a.cur_config_id == b.cur_config_id;
}

bool same(const OpResult& a, const OpResult& b) {
  return a.type == b.type && a.err == b.err && a.path == b.path && a.stat == b.stat &&
         a.data == b.data && a.data_is_null == b.data_is_null && a.children == b.children;
}

bool same(const Response& a, const Response& b) {
  if (a.results.size() != b.results.size()) return false;
  for (size_t i = 0; i < a.results.size(); ++i) {
    if (!same(a.results[i], b.results[i])) return false;
  }
  return a.xid == b.xid && a.zxid == b.zxid && a.err == b.err && a.type == b.type &&
         a.path == b.path && a.stat == b.stat && a.data == b.data &&
         a.data_is_null == b.data_is_null && a.children == b.children && a.acl == b.acl &&
         a.number == b.number && a.client_ids == b.client_ids;
}

bool same(const WatchEvent& a, const WatchEvent& b) {
  return a.type == b.type && a.state == b.state && a.path == b.path && a.zxid == b.zxid;
}

// Decoding must be a function of the bytes and encoding must lose nothing a decoder filled:
// decode → encode → decode gives an equal value, and encoding both gives equal bytes.
testing::AssertionResult request_is_stable(const std::string& input, bool* accepted) {
  Result<Request> first = decode_request(as_bytes(input));
  *accepted = first.is_ok();
  if (!first.is_ok()) return testing::AssertionSuccess();
  std::string frame1;
  encode_request(*first, frame1);
  Result<Request> second = decode_request(as_bytes(payload_of(frame1)));
  if (!second.is_ok()) {
    return testing::AssertionFailure() << "re-encoding does not decode: "
                                       << second.status().message();
  }
  if (!same(*first, *second)) {
    return testing::AssertionFailure() << "a field changed across re-encoding: " << hex(frame1);
  }
  std::string frame2;
  encode_request(*second, frame2);
  if (frame1 != frame2) {
    return testing::AssertionFailure() << "decode changed the request: " << hex(frame1)
                                       << " vs " << hex(frame2);
  }
  return testing::AssertionSuccess();
}

testing::AssertionResult response_is_stable(const std::string& input, OpCode type,
                                            bool* accepted) {
  WatchEvent event;
  Result<Response> first = decode_response(as_bytes(input), type, &event);
  *accepted = first.is_ok();
  if (!first.is_ok()) return testing::AssertionSuccess();
  std::string frame1;
  if (first->xid == kNotificationXid) {
    first->err = Err::kOk;  // a notification's header err is not looked at; we send 0
    encode_watch_event(event, frame1);
  } else {
    encode_response(*first, frame1);
  }
  WatchEvent event2;
  Result<Response> second = decode_response(as_bytes(payload_of(frame1)), type, &event2);
  if (!second.is_ok()) {
    return testing::AssertionFailure() << "re-encoding does not decode: "
                                       << second.status().message();
  }
  if (!same(*first, *second) || !same(event, event2)) {
    return testing::AssertionFailure() << "a field changed across re-encoding: " << hex(frame1);
  }
  std::string frame2;
  if (second->xid == kNotificationXid) {
    encode_watch_event(event2, frame2);
  } else {
    encode_response(*second, frame2);
  }
  if (frame1 != frame2) {
    return testing::AssertionFailure() << "decode changed the reply: " << hex(frame1) << " vs "
                                       << hex(frame2);
  }
  return testing::AssertionSuccess();
}

TEST(CodecFuzz, MutatedRequestsDecodeCleanlyOrRoundTrip) {
  std::vector<std::string> corpus = request_corpus();
  for (uint64_t seed : seeds()) {
    Mutator mutator(seed, corpus);
    int accepted_count = 0;
    for (int i = 0; i < iterations(); ++i) {
      std::string input = mutator.next();
      bool accepted = false;
      ASSERT_TRUE(request_is_stable(input, &accepted))
          << "RK_FUZZ_SEED=" << seed << " iteration " << i << " input " << hex(input);
      accepted_count += accepted;
    }
    // Some mutants must get through, or the round-trip half of the check tests nothing.
    EXPECT_GT(accepted_count, iterations() / 50) << "RK_FUZZ_SEED=" << seed;
  }
}

TEST(CodecFuzz, MutatedRepliesDecodeCleanlyOrRoundTrip) {
  std::vector<std::pair<OpCode, std::string>> corpus = response_corpus();
  std::vector<std::string> frames;
  for (const auto& [type, frame] : corpus) frames.push_back(frame);
  for (uint64_t seed : seeds()) {
    Mutator mutator(seed, frames);
    std::mt19937_64 type_rng(seed);
    int accepted_count = 0;
    for (int i = 0; i < iterations(); ++i) {
      std::string input = mutator.next();
      // The request type is the caller's knowledge; any one of the corpus types may be asked.
      OpCode type = corpus[type_rng() % corpus.size()].first;
      bool accepted = false;
      ASSERT_TRUE(response_is_stable(input, type, &accepted))
          << "RK_FUZZ_SEED=" << seed << " iteration " << i << " opcode "
          << static_cast<int>(type) << " input " << hex(input);
      accepted_count += accepted;
    }
    EXPECT_GT(accepted_count, iterations() / 100) << "RK_FUZZ_SEED=" << seed;
  }
}

TEST(CodecFuzz, MutatedConnectRequestsDecodeCleanlyOrRoundTrip) {
  std::vector<std::string> corpus;
  for (bool read_only : {false, true}) {
    ConnectRequest connect;
    connect.last_zxid_seen = 0x100000005LL;
    connect.timeout_ms = 10000;
    connect.session_id = 0x123;
    connect.passwd = std::string(16, 'p');
    connect.has_read_only = read_only;
    std::string frame;
    encode_connect_request(connect, frame);
    corpus.push_back(payload_of(frame));
  }
  for (uint64_t seed : seeds()) {
    Mutator mutator(seed, corpus);
    for (int i = 0; i < iterations() / 4; ++i) {
      std::string input = mutator.next();
      Result<ConnectRequest> first = decode_connect_request(as_bytes(input));
      if (!first.is_ok()) continue;
      std::string frame;
      encode_connect_request(*first, frame);
      Result<ConnectRequest> second = decode_connect_request(as_bytes(payload_of(frame)));
      ASSERT_TRUE(second.is_ok()) << "RK_FUZZ_SEED=" << seed << " iteration " << i;
      bool same = second->protocol_version == first->protocol_version &&
                  second->last_zxid_seen == first->last_zxid_seen &&
                  second->timeout_ms == first->timeout_ms &&
                  second->session_id == first->session_id && second->passwd == first->passwd &&
                  second->read_only == first->read_only &&
                  second->has_read_only == first->has_read_only;
      ASSERT_TRUE(same) << "RK_FUZZ_SEED=" << seed << " iteration " << i << " input "
                        << hex(input);
    }
  }
}

}  // namespace
}  // namespace rk
