// Reactor over real sockets on 127.0.0.1, with a small engine thread on the other side of the
// EngineLink; plus FrameReader and OutputQueue on their own.
#include "net/reactor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>
#include <vector>

#include "base/clock.h"
#include "net/client_codec.h"
#include "net/connection.h"

namespace rk {
namespace {

constexpr int kDeadlineMs = 10000;  // only so that a bug fails the test instead of hanging it
constexpr SessionId kRefusedSession = 0x5eed;
const std::string kBigPath = "/big";
const std::string kClosePath = "/close";
const std::string kStalePath = "/stale";

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Polls `done` until it holds or the deadline passes; the caller asserts on `done` itself.
bool eventually(const std::function<bool()>& done) {
  const int64_t deadline_ms = mono_ms() + kDeadlineMs;
  while (!done()) {
    if (mono_ms() > deadline_ms) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// --- the engine side ----------------------------------------------------------------------

struct ConnKey {
  uint32_t slot, generation;
  bool operator<(const ConnKey& o) const {
    return std::tie(slot, generation) < std::tie(o.slot, o.generation);
  }
};

// Answers connects, pings, exists (NoNode), getData (a big payload for /big; reply then kClose
// for /close) and four-letter words, on its own thread, blocking on a Doorbell when idle.
// Records every Inbound kind per connection.
class TestEngine : public EngineLink {
 public:
  explicit TestEngine(size_t big_bytes = 100 * 1024) : big_bytes_(big_bytes) {
    RK_ASSERT(bell_.open().is_ok());
  }

  size_t publish(uint32_t reactor_id, std::span<Inbound* const> burst) override {
    size_t take = burst.size();
    if (refuse_publishes_.load() > 0) {  // simulate a full engine ring: accept one at most
      refuse_publishes_.fetch_sub(1);
      refused_.fetch_add(1);
      take = std::min<size_t>(take, 1);
    }
    {
      std::lock_guard lock(mutex_);
      queue_.insert(queue_.end(), burst.begin(), burst.begin() + static_cast<ptrdiff_t>(take));
    }
    bell_.ring();
    return take;
  }

  void start(std::vector<Reactor*> reactors) {
    reactors_ = std::move(reactors);
    thread_ = std::thread([this] { run(); });
  }
  void stop() {
    if (!thread_.joinable()) return;
    stopping_.store(true);
    bell_.ring_always();
    thread_.join();
  }

  std::map<ConnKey, std::vector<Inbound::Kind>> log() {
    std::lock_guard lock(mutex_);
    return log_;
  }
  size_t count(Inbound::Kind kind) {
    size_t n = 0;
    for (const auto& [key, kinds] : log()) n += std::count(kinds.begin(), kinds.end(), kind);
    return n;
  }
  std::atomic<int> refuse_publishes_{0};
  std::atomic<int> refused_{0};
  std::vector<std::string> remotes() {
    std::lock_guard lock(mutex_);
    return remotes_;
  }

 private:
  void run() {
    for (;;) {
      std::deque<Inbound*> batch;
      {
        std::lock_guard lock(mutex_);
        batch.swap(queue_);
      }
      if (batch.empty()) {
        if (stopping_.load()) return;
        bell_.prepare_sleep();
        bool empty;
        {
          std::lock_guard lock(mutex_);
          empty = queue_.empty();
        }
        if (empty && !stopping_.load()) bell_.wait(kDeadlineMs);
        bell_.cancel_sleep();
        continue;
      }
      for (Inbound* raw : batch) handle(std::unique_ptr<Inbound>(raw));
      for (Reactor* reactor : reactors_) reactor->wake();
    }
  }

  void send(Outbound* message) {
    Reactor* reactor = reactors_.at(message->conn.reactor);
    while (!reactor->deliver(message)) {
      reactor->wake();
      std::this_thread::yield();
    }
  }

  Outbound* reply_to(const Inbound& in, Response response) {
    auto* out = new Outbound();
    out->kind = Outbound::Kind::kReply;
    out->conn = in.conn;
    out->reply = std::move(response);
    return out;
  }

  void handle(std::unique_ptr<Inbound> in) {
    {
      std::lock_guard lock(mutex_);
      log_[{in->conn.slot, in->conn.generation}].push_back(in->kind);
      if (!in->remote.empty()) remotes_.push_back(in->remote);
    }
    switch (in->kind) {
      case Inbound::Kind::kConnect: return handle_connect(*in);
      case Inbound::Kind::kRequest: return handle_request(*in);
      case Inbound::Kind::kCommand: {
        auto* out = new Outbound();
        out->kind = Outbound::Kind::kText;
        out->conn = in->conn;
        out->text = in->command == "ruok" ? "imok" : "unknown command\n";
        return send(out);
      }
      case Inbound::Kind::kClosed: last_closed_ = in->conn; return;
    }
  }

  void handle_connect(const Inbound& in) {
    auto* out = new Outbound();
    out->kind = Outbound::Kind::kConnectReply;
    out->conn = in.conn;
    out->connect.passwd = std::string(16, '\0');
    if (in.connect.session_id != kRefusedSession) {
      out->connect.timeout_ms = in.connect.timeout_ms;
      out->connect.session_id = next_session_++;
      out->connect.passwd = std::string(16, 'p');
    }
    send(out);
  }

  void handle_request(const Inbound& in) {
    const Request& request = in.request;
    Response response;
    response.xid = request.xid;
    response.zxid = 7;
    response.type = request.type;
    if (request.type == OpCode::kExists) response.err = Err::kNoNode;
    if (request.type == OpCode::kGetData && request.path == kStalePath) {
      // A late reply for a connection that is gone, sent before this one's own reply.
      Response stale;
      stale.xid = 999;
      stale.type = OpCode::kGetData;
      auto* late = new Outbound();
      late->kind = Outbound::Kind::kReply;
      late->conn = last_closed_;
      late->reply = stale;
      send(late);
    }
    if (request.type == OpCode::kGetData) {
      response.data = request.path == kBigPath ? std::string(big_bytes_, 'x') : request.path;
    }
    send(reply_to(in, std::move(response)));
    if (request.type == OpCode::kGetData && request.path == kClosePath) {
      auto* out = new Outbound();
      out->kind = Outbound::Kind::kClose;
      out->conn = in.conn;
      send(out);
    }
  }

  const size_t big_bytes_;
  Doorbell bell_;
  std::vector<Reactor*> reactors_;  // index = reactor id
  ConnRef last_closed_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::deque<Inbound*> queue_;
  std::map<ConnKey, std::vector<Inbound::Kind>> log_;
  std::vector<std::string> remotes_;
  SessionId next_session_ = 0x100;
};

// --- the client side ----------------------------------------------------------------------

std::string connect_frame(SessionId session_id = 0) {
  ConnectRequest request;
  request.timeout_ms = 30000;
  request.session_id = session_id;
  request.passwd = std::string(16, '\0');
  std::string out;
  encode_connect_request(request, out);
  return out;
}

std::string request_frame(OpCode type, int32_t xid, const std::string& path = "/") {
  Request request;
  request.type = type;
  request.xid = xid;
  request.path = path;
  std::string out;
  encode_request(request, out);
  return out;
}

std::string ping_frame() { return request_frame(OpCode::kPing, kPingXid); }

std::string raw_length(int32_t length) {
  const uint32_t v = htonl(static_cast<uint32_t>(length));
  return std::string(reinterpret_cast<const char*>(&v), 4);
}

// A blocking client socket; every read gives up after kDeadlineMs.
class Client {
 public:
  explicit Client(uint16_t port, int rcvbuf_bytes = 0) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    RK_ASSERT(fd_ >= 0);
    if (rcvbuf_bytes > 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes, sizeof(int));
    timeval tv{kDeadlineMs / 1000, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool connected() const { return connected_; }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  bool send_byte_by_byte(std::string_view bytes) {
    for (char c : bytes) {
      if (!send(std::string_view(&c, 1))) return false;
    }
    return true;
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

  std::optional<std::string> read_frame() {
    char header[4];
    if (!read_exact(header, 4)) return std::nullopt;
    uint32_t length;
    std::memcpy(&length, header, 4);
    std::string payload(ntohl(length), '\0');
    if (!read_exact(payload.data(), payload.size())) return std::nullopt;
    return payload;
  }
  std::optional<ConnectResponse> handshake(SessionId session_id = 0) {
    if (!send(connect_frame(session_id))) return std::nullopt;
    auto frame = read_frame();
    if (!frame) return std::nullopt;
    auto response = decode_connect_response(bytes_of(*frame));
    if (!response) return std::nullopt;
    return *response;
  }
  std::optional<Response> read_reply(OpCode type) {
    auto frame = read_frame();
    if (!frame) return std::nullopt;
    auto response = decode_response(bytes_of(*frame), type);
    if (!response) return std::nullopt;
    return *response;
  }
  bool ping() {
    if (!send(ping_frame())) return false;
    auto reply = read_reply(OpCode::kPing);
    return reply && reply->xid == kPingXid;
  }
  // Everything the server sends until it closes; nullopt if it did not close in time.
  std::optional<std::string> read_until_closed() {
    std::string all;
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n > 0) {
        all.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0 || errno == ECONNRESET) return all;
      return std::nullopt;  // timeout: the server kept the connection open
    }
  }
  bool closed_by_server() { return read_until_closed().has_value(); }

 private:
  bool read_exact(char* out, size_t n) {
    while (n > 0) {
      ssize_t got = ::recv(fd_, out, n, 0);
      if (got <= 0) return false;
      out += got;
      n -= static_cast<size_t>(got);
    }
    return true;
  }
  int fd_ = -1;
  bool connected_ = false;
};

// --- fixture ------------------------------------------------------------------------------

class ReactorTest : public ::testing::Test {
 protected:
  void start(ReactorConfig config = {}, size_t big_bytes = 100 * 1024) {
    config.address = "127.0.0.1";
    config.port = 0;
    limiter_ = std::make_unique<ConnLimiter>(config.max_client_cnxns);
    engine_ = std::make_unique<TestEngine>(big_bytes);
    reactor_ = std::make_unique<Reactor>(0, config, *limiter_, *engine_);
    ASSERT_TRUE(reactor_->open().is_ok());
    port_ = reactor_->bound_port();
    ASSERT_NE(port_, 0);
    engine_->start({reactor_.get()});
    Status st = reactor_->start();
    ASSERT_TRUE(st.is_ok()) << st.message();
  }

  // Stops the reactor first (it publishes the last kClosed), then the engine, and checks the
  // promise every test relies on: each connection that produced an Inbound got exactly one
  // kClosed, as its last Inbound, and the per-IP counts are back to zero.
  void TearDown() override {
    if (!reactor_) return;
    reactor_->stop();
    engine_->stop();
    for (const auto& [key, kinds] : engine_->log()) {
      ASSERT_FALSE(kinds.empty());
      EXPECT_EQ(std::count(kinds.begin(), kinds.end(), Inbound::Kind::kClosed), 1)
          << "slot " << key.slot << " generation " << key.generation;
      EXPECT_EQ(kinds.back(), Inbound::Kind::kClosed);
    }
    EXPECT_EQ(limiter_->count("127.0.0.1"), 0u);
    EXPECT_EQ(reactor_->counters().connections_open, 0u);
  }

  std::unique_ptr<ConnLimiter> limiter_;  // before the reactor, which holds a reference
  std::unique_ptr<TestEngine> engine_;
  std::unique_ptr<Reactor> reactor_;
  uint16_t port_ = 0;
};

TEST_F(ReactorTest, SeveralClientsHandshakeAndPing) {
  start();
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<SessionId> sessions;
  for (int i = 0; i < 6; ++i) {
    clients.push_back(std::make_unique<Client>(port_));
    auto response = clients.back()->handshake();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->timeout_ms, 30000);
    EXPECT_EQ(response->passwd, std::string(16, 'p'));
    sessions.push_back(response->session_id);
  }
  std::sort(sessions.begin(), sessions.end());
  EXPECT_EQ(std::unique(sessions.begin(), sessions.end()), sessions.end());
  for (int round = 0; round < 3; ++round) {
    for (auto& client : clients) EXPECT_TRUE(client->ping());
  }
  for (const std::string& remote : engine_->remotes()) {
    EXPECT_EQ(remote.rfind("127.0.0.1:", 0), 0u) << remote;
  }
  const ReactorCounters counters = reactor_->counters();
  EXPECT_EQ(counters.connections_open, 6u);
  EXPECT_EQ(counters.connections_accepted, 6u);
  EXPECT_EQ(counters.packets_in, 6u + 18u);
  EXPECT_EQ(counters.packets_out, 6u + 18u);
  EXPECT_GT(counters.bytes_in, 0u);
  EXPECT_GT(counters.bytes_out, 0u);
}

TEST_F(ReactorTest, FramesSentByteByByte) {
  start();
  Client client(port_);
  ASSERT_TRUE(client.send_byte_by_byte(connect_frame()));
  auto frame = client.read_frame();
  ASSERT_TRUE(frame.has_value());
  ASSERT_TRUE(decode_connect_response(bytes_of(*frame)));
  ASSERT_TRUE(client.send_byte_by_byte(request_frame(OpCode::kGetData, 5, "/a/b/c")));
  auto reply = client.read_reply(OpCode::kGetData);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->xid, 5);
  EXPECT_EQ(reply->data, "/a/b/c");
}

// Receive buffers of 16 bytes: every frame straddles several buffers.
TEST_F(ReactorTest, FramesStraddlingTinyReceiveBuffers) {
  ReactorConfig config;
  config.recv_buffer_count = 8;
  config.recv_buffer_bytes = 16;
  start(config);
  Client client(port_);
  ASSERT_TRUE(client.handshake().has_value());
  const std::string path = "/" + std::string(300, 'p');
  std::string burst;
  for (int xid = 1; xid <= 20; ++xid) burst += request_frame(OpCode::kGetData, xid, path);
  ASSERT_TRUE(client.send(burst));
  for (int xid = 1; xid <= 20; ++xid) {
    auto reply = client.read_reply(OpCode::kGetData);
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->xid, xid);
    EXPECT_EQ(reply->data, path);
  }
}

// Several clients flooding a ring of two buffers: receives run out of buffers (ENOBUFS) and
// must be re-armed when buffers come back, without losing or reordering anything.
TEST_F(ReactorTest, ClientsShareAStarvedBufferRing) {
  ReactorConfig config;
  config.recv_buffer_count = 2;
  config.recv_buffer_bytes = 64;
  start(config);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<Client>(port_));
    ASSERT_TRUE(clients.back()->handshake().has_value());
  }
  std::string burst;
  for (int xid = 1; xid <= 100; ++xid) burst += request_frame(OpCode::kExists, xid, "/node");
  for (auto& client : clients) ASSERT_TRUE(client->send(burst));
  for (auto& client : clients) {
    for (int xid = 1; xid <= 100; ++xid) {
      auto reply = client->read_reply(OpCode::kExists);
      ASSERT_TRUE(reply.has_value());
      EXPECT_EQ(reply->xid, xid);
      EXPECT_EQ(reply->err, Err::kNoNode);
    }
  }
}

TEST_F(ReactorTest, ManyFramesInOneWriteAnsweredInOrder) {
  start();
  Client client(port_);
  std::string burst = connect_frame();
  for (int xid = 1; xid <= 500; ++xid) burst += request_frame(OpCode::kExists, xid, "/x");
  ASSERT_TRUE(client.send(burst));
  auto frame = client.read_frame();
  ASSERT_TRUE(frame.has_value());
  ASSERT_TRUE(decode_connect_response(bytes_of(*frame)));
  for (int xid = 1; xid <= 500; ++xid) {
    auto reply = client.read_reply(OpCode::kExists);
    ASSERT_TRUE(reply.has_value());
    ASSERT_EQ(reply->xid, xid);
  }
}

TEST_F(ReactorTest, FourLetterWordIsAnsweredThenClosed) {
  start();
  Client client(port_);
  ASSERT_TRUE(client.send("ruok"));
  EXPECT_EQ(client.read_until_closed(), "imok");
  // Half-closing right after the word still gets the answer.
  Client half(port_);
  ASSERT_TRUE(half.send("srvr"));
  half.shutdown_write();
  EXPECT_EQ(half.read_until_closed(), "unknown command\n");
  EXPECT_EQ(engine_->count(Inbound::Kind::kCommand), 2u);
}

TEST_F(ReactorTest, BadInputClosesOnlyThatConnection) {
  start();
  Client good(port_);
  ASSERT_TRUE(good.handshake().has_value());

  Client oversize(port_);
  ASSERT_TRUE(oversize.send(raw_length(0xfffff + 1)));
  EXPECT_TRUE(oversize.closed_by_server());

  Client negative(port_);
  ASSERT_TRUE(negative.send(raw_length(-5)));
  EXPECT_TRUE(negative.closed_by_server());

  Client bad_connect(port_);
  ASSERT_TRUE(bad_connect.send(raw_length(3) + "abc"));
  EXPECT_TRUE(bad_connect.closed_by_server());

  Client bad_request(port_);
  ASSERT_TRUE(bad_request.handshake().has_value());
  ASSERT_TRUE(bad_request.send(raw_length(2) + "zz"));  // shorter than a request header
  EXPECT_TRUE(bad_request.closed_by_server());

  EXPECT_TRUE(good.ping());
  // Only the two connections that completed a handshake owed the engine a kClosed (and only
  // the bad_request one is gone so far).
  ASSERT_TRUE(eventually([&] { return engine_->count(Inbound::Kind::kClosed) == 1; }));
  EXPECT_EQ(engine_->count(Inbound::Kind::kConnect), 2u);
}

TEST_F(ReactorTest, LargestAllowedFrameIsAccepted) {
  ReactorConfig config;
  config.max_packet_bytes = 4096;
  start(config);
  Client client(port_);
  ASSERT_TRUE(client.handshake().has_value());
  // A getData frame of exactly 4096 payload bytes: xid, type, path (len + bytes), watch.
  const std::string path = "/" + std::string(4096 - 4 - 4 - 4 - 1 - 1, 'q');
  const std::string frame = request_frame(OpCode::kGetData, 9, path);
  ASSERT_EQ(frame.size(), 4u + 4096u);
  ASSERT_TRUE(client.send(frame));
  auto reply = client.read_reply(OpCode::kGetData);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->data, path);
  ASSERT_TRUE(client.send(request_frame(OpCode::kGetData, 10, path + "q")));  // one byte over
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(ReactorTest, PerIpLimitRefusesTheExtraConnection) {
  ReactorConfig config;
  config.max_client_cnxns = 2;
  start(config);
  auto first = std::make_unique<Client>(port_);
  Client second(port_);
  ASSERT_TRUE(first->handshake().has_value());
  ASSERT_TRUE(second.handshake().has_value());
  Client third(port_);
  EXPECT_TRUE(third.closed_by_server());
  EXPECT_EQ(reactor_->counters().connections_refused, 1u);
  // Closing one frees its place.
  first->close();
  ASSERT_TRUE(eventually([&] { return limiter_->count("127.0.0.1") == 1; }));
  Client fourth(port_);
  EXPECT_TRUE(fourth.handshake().has_value());
  EXPECT_TRUE(fourth.ping());
}

TEST_F(ReactorTest, EngineCloseFlushesTheReplyThenCloses) {
  start();
  Client client(port_);
  ASSERT_TRUE(client.handshake().has_value());
  ASSERT_TRUE(client.send(request_frame(OpCode::kGetData, 3, kClosePath)));
  auto reply = client.read_reply(OpCode::kGetData);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->data, kClosePath);
  EXPECT_TRUE(client.closed_by_server());
  ASSERT_TRUE(eventually([&] { return engine_->count(Inbound::Kind::kClosed) == 1; }));
}

TEST_F(ReactorTest, RefusedHandshakeIsSentThenClosed) {
  start();
  Client client(port_);
  auto response = client.handshake(kRefusedSession);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->session_id, 0);
  EXPECT_EQ(response->timeout_ms, 0);
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(ReactorTest, EngineBacklogDelaysButLosesNothing) {
  start();
  Client client(port_);
  ASSERT_TRUE(client.handshake().has_value());
  engine_->refuse_publishes_.store(50);
  std::string burst;
  for (int xid = 1; xid <= 200; ++xid) burst += request_frame(OpCode::kExists, xid, "/y");
  ASSERT_TRUE(client.send(burst));
  for (int xid = 1; xid <= 200; ++xid) {
    auto reply = client.read_reply(OpCode::kExists);
    ASSERT_TRUE(reply.has_value());
    ASSERT_EQ(reply->xid, xid);
  }
  EXPECT_GT(engine_->refused_.load(), 0);
}

// A client that sends requests with big replies and never reads: its output backs up past
// the limit and the reactor closes it, while another client is unaffected.
TEST_F(ReactorTest, OutputBacklogOverTheLimitClosesTheConnection) {
  ReactorConfig config;
  config.output_pause_bytes = 64 * 1024;
  config.output_limit_bytes = 1024 * 1024;
  start(config, 256 * 1024);
  Client other(port_);
  ASSERT_TRUE(other.handshake().has_value());
  Client hog(port_, 4096);
  ASSERT_TRUE(hog.handshake().has_value());
  std::string burst;
  for (int xid = 1; xid <= 64; ++xid) burst += request_frame(OpCode::kGetData, xid, kBigPath);
  ASSERT_TRUE(hog.send(burst));  // 64 x 256 KiB of replies: far more than socket buffers
  ASSERT_TRUE(eventually([&] { return engine_->count(Inbound::Kind::kClosed) == 1; }));
  EXPECT_TRUE(other.ping());
}

// A slow reader: replies far larger than the socket buffers go out in many partial sends,
// reading pauses and resumes, and every byte arrives intact and in order.
TEST_F(ReactorTest, SlowReaderGetsEveryByteThroughPartialSends) {
  ReactorConfig config;
  config.output_pause_bytes = 256 * 1024;
  config.output_limit_bytes = 64 * 1024 * 1024;
  start(config, 256 * 1024);
  Client client(port_, 4096);
  ASSERT_TRUE(client.handshake().has_value());
  std::string burst;
  for (int xid = 1; xid <= 40; ++xid) burst += request_frame(OpCode::kGetData, xid, kBigPath);
  ASSERT_TRUE(client.send(burst));
  for (int xid = 1; xid <= 40; ++xid) {
    auto reply = client.read_reply(OpCode::kGetData);
    ASSERT_TRUE(reply.has_value());
    ASSERT_EQ(reply->xid, xid);
    ASSERT_EQ(reply->data, std::string(256 * 1024, 'x'));
  }
  EXPECT_TRUE(client.ping());
}

// Requests followed at once by the client's EOF are all handed to the engine, then kClosed.
TEST_F(ReactorTest, InputBeforeEofIsHandledThenClosed) {
  start();
  Client client(port_);
  std::string burst = connect_frame();
  for (int xid = 1; xid <= 10; ++xid) burst += request_frame(OpCode::kExists, xid, "/z");
  ASSERT_TRUE(client.send(burst));
  client.shutdown_write();
  ASSERT_TRUE(eventually([&] { return engine_->count(Inbound::Kind::kClosed) == 1; }));
  const auto log = engine_->log();
  ASSERT_EQ(log.size(), 1u);
  const std::vector<Inbound::Kind>& kinds = log.begin()->second;
  ASSERT_EQ(kinds.size(), 12u);
  EXPECT_EQ(kinds.front(), Inbound::Kind::kConnect);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), Inbound::Kind::kRequest), 10);
}

// The engine answers a connection that has closed, whose slot a new connection now holds:
// the new connection must not see it.
TEST_F(ReactorTest, OutboundForAReusedSlotIsDropped) {
  start();
  auto first = std::make_unique<Client>(port_);
  ASSERT_TRUE(first->handshake().has_value());
  first->close();
  ASSERT_TRUE(eventually([&] { return engine_->count(Inbound::Kind::kClosed) == 1; }));
  Client second(port_);
  ASSERT_TRUE(second.handshake().has_value());
  const auto log = engine_->log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log.begin()->first.slot, std::next(log.begin())->first.slot);  // same slot reused
  ASSERT_TRUE(second.send(request_frame(OpCode::kGetData, 5, kStalePath)));
  auto reply = second.read_reply(OpCode::kGetData);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->xid, 5);  // not the stale 999
  EXPECT_TRUE(second.ping());
}

TEST_F(ReactorTest, StopClosesEveryConnection) {
  start();
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::make_unique<Client>(port_));
    ASSERT_TRUE(clients.back()->handshake().has_value());
  }
  Client idle(port_);  // connected, never spoke: owes the engine nothing
  ASSERT_TRUE(eventually([&] { return reactor_->counters().connections_open == 6; }));
  reactor_->stop();
  for (auto& client : clients) EXPECT_TRUE(client->closed_by_server());
  EXPECT_TRUE(idle.closed_by_server());
  EXPECT_EQ(engine_->count(Inbound::Kind::kClosed), 5u);  // published before stop() returned
}

// Two reactors on one port (SO_REUSEPORT): the kernel spreads connections; each reply goes
// back through the reactor named in its ConnRef.
TEST(ReactorPair, ShareAPortAndRouteRepliesByConnRef) {
  ConnLimiter limiter(60);
  TestEngine engine;
  ReactorConfig config;
  config.address = "127.0.0.1";
  config.port = 0;
  Reactor first(0, config, limiter, engine);
  ASSERT_TRUE(first.open().is_ok());
  config.port = first.bound_port();
  Reactor second(1, config, limiter, engine);
  ASSERT_TRUE(second.open().is_ok());
  engine.start({&first, &second});
  ASSERT_TRUE(first.start().is_ok());
  ASSERT_TRUE(second.start().is_ok());
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 16; ++i) {
    clients.push_back(std::make_unique<Client>(config.port));
    ASSERT_TRUE(clients.back()->handshake().has_value());
    ASSERT_TRUE(clients.back()->ping());
  }
  EXPECT_EQ(first.counters().connections_accepted + second.counters().connections_accepted, 16u);
  first.stop();
  second.stop();
  engine.stop();
  EXPECT_EQ(engine.count(Inbound::Kind::kClosed), 16u);
  EXPECT_EQ(limiter.count("127.0.0.1"), 0u);
}

TEST(ReactorOpen, BadConfigAndBusyPortAreErrors) {
  ConnLimiter limiter(60);
  TestEngine engine;
  ReactorConfig config;
  config.address = "127.0.0.1";
  config.port = 0;
  config.recv_buffer_count = 100;  // not a power of two
  Reactor bad(0, config, limiter, engine);
  EXPECT_FALSE(bad.open().is_ok());

  config.recv_buffer_count = 64;
  config.max_client_cnxns = 10;  // not the limiter's 60
  Reactor mismatched(0, config, limiter, engine);
  EXPECT_FALSE(mismatched.open().is_ok());

  config.max_client_cnxns = 60;
  Reactor first(0, config, limiter, engine);
  ASSERT_TRUE(first.open().is_ok());
  // A second reactor joins the first one's port (SO_REUSEPORT) ...
  config.port = first.bound_port();
  Reactor second(1, config, limiter, engine);
  EXPECT_TRUE(second.open().is_ok());
  EXPECT_EQ(second.bound_port(), first.bound_port());
  // ... but a plain socket holding a port makes open() fail with a message.
  int plain = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(plain, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(plain, 1), 0);
  socklen_t len = sizeof(addr);
  getsockname(plain, reinterpret_cast<sockaddr*>(&addr), &len);
  config.port = ntohs(addr.sin_port);
  Reactor blocked(2, config, limiter, engine);
  Status st = blocked.open();
  EXPECT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("Address already in use"), std::string::npos) << st.message();
  ::close(plain);
}

// --- FrameReader and OutputQueue ----------------------------------------------------------

TEST(FrameReader, ReturnsWholeFramesInPlaceAndCopiesOnlyStraddlers) {
  const std::string stream = raw_length(3) + "abc" + raw_length(0) + raw_length(2) + "de";
  FrameReader reader(100);
  std::span<const uint8_t> input = bytes_of(stream);
  FrameEvent a = reader.next(input);
  ASSERT_EQ(a.kind, FrameEvent::Kind::kFrame);
  EXPECT_EQ(a.payload.data(), bytes_of(stream).data() + 4);  // no copy
  EXPECT_EQ(std::string(a.payload.begin(), a.payload.end()), "abc");
  FrameEvent empty = reader.next(input);
  ASSERT_EQ(empty.kind, FrameEvent::Kind::kFrame);
  EXPECT_TRUE(empty.payload.empty());
  FrameEvent d = reader.next(input);
  EXPECT_EQ(std::string(d.payload.begin(), d.payload.end()), "de");
  EXPECT_TRUE(input.empty());
  EXPECT_EQ(reader.next(input).kind, FrameEvent::Kind::kNeedMore);
}

TEST(FrameReader, ReassemblesAcrossEverySplit) {
  const std::string stream = raw_length(5) + "hello" + raw_length(6) + "world!";
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    FrameReader reader(100);
    std::vector<std::string> frames;
    for (std::string_view part : {std::string_view(stream).substr(0, cut),
                                  std::string_view(stream).substr(cut)}) {
      std::span<const uint8_t> input = bytes_of(part);
      for (;;) {
        FrameEvent event = reader.next(input);
        if (event.kind == FrameEvent::Kind::kNeedMore) break;
        ASSERT_EQ(event.kind, FrameEvent::Kind::kFrame);
        frames.emplace_back(event.payload.begin(), event.payload.end());
      }
      EXPECT_TRUE(input.empty());
    }
    EXPECT_EQ(frames, (std::vector<std::string>{"hello", "world!"})) << "cut at " << cut;
    EXPECT_EQ(reader.buffered_bytes(), 0u);
  }
}

TEST(FrameReader, FourLetterWordOnlyAtStreamStart) {
  FrameReader first(100);
  std::string ruok = "ruok";
  std::span<const uint8_t> input = bytes_of(ruok);
  FrameEvent word = first.next(input);
  ASSERT_EQ(word.kind, FrameEvent::Kind::kFourLetter);
  EXPECT_EQ(word.word, "ruok");

  FrameReader later(0x7fffffff);
  const std::string stream = raw_length(1) + "x" + "ruok";
  input = bytes_of(stream);
  EXPECT_EQ(later.next(input).kind, FrameEvent::Kind::kFrame);
  EXPECT_EQ(later.next(input).kind, FrameEvent::Kind::kNeedMore);  // "ruok" read as a length
  EXPECT_EQ(later.buffered_bytes(), 0u);  // the length was read, waiting for its payload
}

TEST(FrameReader, RejectsNegativeAndOversizeLengths) {
  for (int32_t length : {-1, 101, std::numeric_limits<int32_t>::min()}) {
    FrameReader reader(100);
    const std::string stream = raw_length(length) + "rest";
    std::span<const uint8_t> input = bytes_of(stream);
    FrameEvent event = reader.next(input);
    EXPECT_EQ(event.kind, FrameEvent::Kind::kBadLength);
    EXPECT_EQ(event.length, length);
  }
  FrameReader at_limit(100);
  const std::string ok = raw_length(100) + std::string(100, 'z');
  std::span<const uint8_t> input = bytes_of(ok);
  EXPECT_EQ(at_limit.next(input).kind, FrameEvent::Kind::kFrame);
}

TEST(OutputQueue, PartialSendsAndCoalescing) {
  OutputQueue queue;
  std::string& first = queue.append_target();
  first += "hello";
  queue.added(5);
  std::string& same = queue.append_target();  // nothing in flight: coalesced
  EXPECT_EQ(&same, &first);
  same += "world";
  queue.added(5);
  std::array<iovec, 4> iov{};
  ASSERT_EQ(queue.prepare_send(iov), 1u);
  EXPECT_EQ(iov[0].iov_len, 10u);
  // While in flight, new bytes go to a new piece and the in-flight memory is untouched.
  std::string& next = queue.append_target();
  EXPECT_NE(&next, &first);
  next += "!!";
  queue.added(2);
  EXPECT_EQ(std::string(static_cast<char*>(iov[0].iov_base), iov[0].iov_len), "helloworld");
  queue.complete_send(3);  // short send
  EXPECT_EQ(queue.queued_bytes(), 9u);
  EXPECT_FALSE(queue.in_flight());
  ASSERT_EQ(queue.prepare_send(iov), 2u);
  EXPECT_EQ(std::string(static_cast<char*>(iov[0].iov_base), iov[0].iov_len), "loworld");
  EXPECT_EQ(std::string(static_cast<char*>(iov[1].iov_base), iov[1].iov_len), "!!");
  queue.complete_send(9);
  EXPECT_TRUE(queue.empty());
}

TEST(ConnLimiter, CountsPerIpAndHonoursZeroAsUnlimited) {
  ConnLimiter limiter(2);
  EXPECT_TRUE(limiter.try_acquire("10.0.0.1"));
  EXPECT_TRUE(limiter.try_acquire("10.0.0.1"));
  EXPECT_FALSE(limiter.try_acquire("10.0.0.1"));
  EXPECT_TRUE(limiter.try_acquire("10.0.0.2"));  // another IP has its own count
  limiter.release("10.0.0.1");
  EXPECT_TRUE(limiter.try_acquire("10.0.0.1"));
  EXPECT_EQ(limiter.count("10.0.0.1"), 2u);
  ConnLimiter unlimited(0);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(unlimited.try_acquire("10.0.0.3"));
  EXPECT_EQ(unlimited.count("10.0.0.3"), 100u);
}

}  // namespace
}  // namespace rk
