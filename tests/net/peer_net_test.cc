// PeerNet over real sockets on 127.0.0.1: members exchanging frames, members that start late,
// restart, hang or lie in their hello, and raw sockets speaking the wire format by hand.
#include "net/peer_net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/clock.h"

namespace rk {
namespace {

constexpr int kDeadlineMs = 10000;  // only so that a bug fails the test instead of hanging it
constexpr PeerChannel kQuorum = PeerChannel::kQuorum;
constexpr PeerChannel kElection = PeerChannel::kElection;

// Polls `done` until it holds or the deadline passes; the caller asserts on the result.
bool eventually(const std::function<bool()>& done, int timeout_ms = kDeadlineMs) {
  const int64_t deadline_ms = mono_ms() + timeout_ms;
  while (!done()) {
    if (mono_ms() > deadline_ms) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

sockaddr_in loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

uint16_t bound_port(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

// A port that was free a moment ago: bind port 0, note the port, let it go.
uint16_t free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = loopback(0);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const uint16_t port = bound_port(fd);
  close(fd);
  return port;
}

// A listening socket that never reads: a member that hangs. It accepts only when told to.
class RawListener {
 public:
  explicit RawListener(int backlog = 16) : fd_(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) {
    sockaddr_in addr = loopback(0);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, backlog), 0);
  }
  ~RawListener() {
    for (int fd : accepted_) close(fd);
    close(fd_);
  }
  uint16_t port() const { return bound_port(fd_); }
  // Takes every connection waiting in the accept queue (kept open, never read).
  void accept_waiting() {
    for (int fd; (fd = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK)) >= 0;) {
      accepted_.push_back(fd);
    }
  }

 private:
  int fd_;
  std::vector<int> accepted_;
};

// A listener whose accept queue is full, so the kernel drops new SYNs: connecting to it hangs.
struct FullListener {
  FullListener() : listener(0) {
    sockaddr_in addr = loopback(listener.port());
    for (int& fd : fillers) {
      fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));  // EINPROGRESS
    }
  }
  ~FullListener() {
    for (int fd : fillers) close(fd);
  }
  RawListener listener;
  int fillers[2] = {-1, -1};  // with backlog 0, the first fills the queue
};

PeerAddress local_member(int64_t id) { return {id, "127.0.0.1", free_port(), free_port()}; }

PeerNetConfig config_for(int64_t my_id, const std::vector<PeerAddress>& members) {
  PeerNetConfig config;
  config.my_id = my_id;
  config.members = members;
  config.connect_retry_min_ms = 10;
  config.connect_retry_max_ms = 100;
  config.connect_timeout_ms = 1000;
  return config;
}

// One member under test: its PeerNet, the eventfd it wakes, and everything it received.
struct Node {
  explicit Node(const PeerNetConfig& config)
      : wake_fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)), net(config, wake_fd) {}
  ~Node() {
    net.stop();
    close(wake_fd);
  }

  Status start() {
    if (Status st = net.open(); !st) return st;
    return net.start();
  }

  // Takes frames, sleeping on the eventfd in between, until `count` have arrived in total.
  bool receive_until(size_t count, int timeout_ms = kDeadlineMs) {
    const int64_t deadline_ms = mono_ms() + timeout_ms;
    while (true) {
      net.receive(received);
      if (received.size() >= count) return true;
      const int64_t left_ms = deadline_ms - mono_ms();
      if (left_ms <= 0) return false;
      pollfd pfd{wake_fd, POLLIN, 0};
      if (poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left_ms, 100))) == 1) {
        uint64_t count_value = 0;
        EXPECT_EQ(read(wake_fd, &count_value, sizeof(count_value)), 8);
      }
    }
  }

  // The payloads received from `from` on `channel`, in arrival order.
  std::vector<std::string> from(int64_t from_id, PeerChannel channel) const {
    std::vector<std::string> out;
    for (const PeerFrame& f : received) {
      if (f.from == from_id && f.channel == channel && !f.closed) out.push_back(f.bytes);
    }
    return out;
  }

  // How many times the connection from `from` on `channel` was reported ended.
  size_t closes(int64_t from_id, PeerChannel channel) const {
    size_t n = 0;
    for (const PeerFrame& f : received) n += f.from == from_id && f.channel == channel && f.closed;
    return n;
  }

  PeerNet::LinkStats link(int64_t id) const {
    for (const PeerNet::LinkStats& s : net.stats()) {
      if (s.id == id) return s;
    }
    ADD_FAILURE() << "no link stats for " << id;
    return {};
  }

  int wake_fd;
  PeerNet net;
  std::vector<PeerFrame> received;
};

std::unique_ptr<Node> started_node(int64_t my_id, const std::vector<PeerAddress>& members,
                                   const std::function<void(PeerNetConfig&)>& tweak = {}) {
  PeerNetConfig config = config_for(my_id, members);
  if (tweak) tweak(config);
  auto node = std::make_unique<Node>(config);
  Status st = node->start();
  EXPECT_TRUE(st.is_ok()) << st.message();
  return node;
}

std::string pattern(size_t bytes, uint32_t seed) {
  std::string out(bytes, '\0');
  for (size_t i = 0; i < bytes; ++i) out[i] = static_cast<char>((i * 131 + seed * 7) >> 3);
  return out;
}

// --- the wire format, written out by hand -------------------------------------------------

std::string be(uint64_t value, size_t bytes) {
  std::string out;
  for (size_t i = bytes; i-- > 0;) out.push_back(static_cast<char>(value >> (8 * i)));
  return out;
}

std::string hello(int64_t id, PeerChannel channel, uint32_t magic = 0x524B504E,
                  uint16_t version = 1) {
  return be(magic, 4) + be(version, 2) + be(static_cast<uint8_t>(channel), 1) + be(0, 1) +
         be(static_cast<uint64_t>(id), 8);
}

// prefix + i (spelled out: GCC 12 warns falsely on numbered("literal", i)).
std::string numbered(const char* prefix, int i) {
  std::string out = prefix;
  out += std::to_string(i);
  return out;
}

std::string framed(const std::string& payload) { return be(payload.size(), 4) + payload; }

int connect_raw(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = loopback(port);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  return fd;
}

void send_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    ASSERT_GT(n, 0) << std::strerror(errno);
    done += static_cast<size_t>(n);
  }
}

// True once the other end has closed `fd` (EOF or reset), within the deadline.
bool closed_by_other_end(int fd, int timeout_ms = kDeadlineMs) {
  const int64_t deadline_ms = mono_ms() + timeout_ms;
  while (mono_ms() < deadline_ms) {
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, 50) != 1) continue;
    char byte;
    const ssize_t n = recv(fd, &byte, 1, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return true;
  }
  return false;
}

// --- tests --------------------------------------------------------------------------------

TEST(PeerNetTest, ThreeMembersExchangeFramesInOrderOnBothChannels) {
  const std::vector<PeerAddress> members = {local_member(1), local_member(2), local_member(3)};
  std::map<int64_t, std::unique_ptr<Node>> nodes;
  for (const PeerAddress& m : members) nodes[m.id] = started_node(m.id, members);

  constexpr int kSmall = 300;
  constexpr int kBigAt = 100;
  auto expected = [&](int64_t from, int64_t to, PeerChannel ch) {
    std::vector<std::string> frames;
    for (int seq = 0; seq < kSmall; ++seq) {
      if (seq == kBigAt) {
        const size_t big = ch == kQuorum ? (5 << 20) + 3 : 3 << 20;
        frames.push_back(pattern(big, static_cast<uint32_t>(from * 10 + to)));
      }
      frames.push_back(seq == 7 ? std::string() : std::to_string(from) + ">" +
                                                      std::to_string(to) + "/" +
                                                      peer_channel_name(ch) + "#" +
                                                      std::to_string(seq));
    }
    return frames;
  };
  for (const auto& [from, node] : nodes) {
    for (const auto& [to, unused] : nodes) {
      if (from == to) continue;
      for (PeerChannel ch : {kQuorum, kElection}) {
        for (std::string& frame : expected(from, to, ch)) {
          ASSERT_TRUE(node->net.send(to, ch, std::move(frame)));
        }
      }
    }
  }

  const size_t per_receiver = 2 * 2 * (kSmall + 1);
  for (const auto& [to, node] : nodes) {
    ASSERT_TRUE(node->receive_until(per_receiver)) << "member " << to << " got "
                                                   << node->received.size();
    EXPECT_EQ(node->received.size(), per_receiver);
    for (const auto& [from, unused] : nodes) {
      if (from == to) continue;
      for (PeerChannel ch : {kQuorum, kElection}) {
        EXPECT_TRUE(node->from(from, ch) == expected(from, to, ch))
            << from << " -> " << to << " on " << peer_channel_name(ch);
      }
    }
  }
  // Every frame counted once on each side, length prefixes included, both links connected.
  for (const auto& [from, node] : nodes) {
    for (const auto& [to, peer] : nodes) {
      if (from == to) continue;
      Node* sender = node.get();
      ASSERT_TRUE(eventually([&] { return sender->link(to).frames_out == 2 * (kSmall + 1); }));
      const PeerNet::LinkStats out = node->link(to);
      const PeerNet::LinkStats in = peer->link(from);
      EXPECT_EQ(in.frames_in, out.frames_out);
      EXPECT_EQ(in.bytes_in, out.bytes_out);
      EXPECT_GT(out.bytes_out, size_t{8} << 20);
      EXPECT_TRUE(out.quorum_connected && out.election_connected);
      EXPECT_EQ(out.connects, 2u);
    }
  }
}

TEST(PeerNetTest, ABurstOfSmallFramesArrivesInOrderAndWakesTheEngine) {
  const std::vector<PeerAddress> members = {local_member(1), local_member(2)};
  auto a = started_node(1, members);
  auto b = started_node(2, members);

  // The first frame alone: the wake fd must become readable before anyone calls receive().
  ASSERT_TRUE(a->net.send(2, kQuorum, "first"));
  pollfd pfd{b->wake_fd, POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, kDeadlineMs), 1);
  ASSERT_TRUE(b->receive_until(1));

  constexpr int kFrames = 100000;
  for (int i = 0; i < kFrames; ++i) {
    ASSERT_TRUE(a->net.send(2, i % 10 == 0 ? kElection : kQuorum, std::to_string(i)));
  }
  ASSERT_TRUE(b->receive_until(1 + kFrames)) << b->received.size();
  std::vector<std::string> quorum = b->from(1, kQuorum);
  std::vector<std::string> election = b->from(1, kElection);
  ASSERT_EQ(quorum.size(), 1u + kFrames - kFrames / 10);
  ASSERT_EQ(election.size(), size_t{kFrames / 10});
  EXPECT_EQ(quorum[0], "first");
  size_t q = 1, e = 0;
  for (int i = 0; i < kFrames; ++i) {
    const std::string& got = i % 10 == 0 ? election[e++] : quorum[q++];
    ASSERT_EQ(got, std::to_string(i));
  }
}

TEST(PeerNetTest, FramesQueuedBeforeAMemberStartsReachItWhenItComesUp) {
  const std::vector<PeerAddress> members = {local_member(1), local_member(2)};
  auto a = started_node(1, members);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(a->net.send(2, kQuorum, numbered("q", i)));
    ASSERT_TRUE(a->net.send(2, kElection, numbered("e", i)));
  }
  // Let a few connects fail first (setup, not an assertion).
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_FALSE(a->link(2).quorum_connected);
  EXPECT_EQ(a->link(2).connects, 0u);

  auto b = started_node(2, members);
  ASSERT_TRUE(b->receive_until(100));
  for (const auto& [ch, prefix] : {std::pair{kQuorum, "q"}, std::pair{kElection, "e"}}) {
    const std::vector<std::string> got = b->from(1, ch);
    ASSERT_EQ(got.size(), 50u);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(got[i], numbered(prefix, i));
  }
}

TEST(PeerNetTest, AStoppedAndRestartedMemberIsReconnectedTo) {
  const std::vector<PeerAddress> members = {local_member(1), local_member(2)};
  auto a = started_node(1, members);
  auto b = started_node(2, members);
  ASSERT_TRUE(a->net.send(2, kQuorum, "before"));
  ASSERT_TRUE(b->receive_until(1));
  ASSERT_TRUE(eventually([&] { return a->link(2).election_connected; }));

  b.reset();  // stop() closes its listeners and every connection
  ASSERT_TRUE(eventually([&] {
    const PeerNet::LinkStats s = a->link(2);
    return !s.quorum_connected && !s.election_connected;
  })) << "member 1 did not notice member 2 going away";

  b = started_node(2, members);
  ASSERT_TRUE(eventually([&] {
    const PeerNet::LinkStats s = a->link(2);
    return s.quorum_connected && s.election_connected && s.connects >= 4;
  }));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(a->net.send(2, kQuorum, numbered("after", i)));
  ASSERT_TRUE(b->net.send(1, kElection, "back"));
  ASSERT_TRUE(b->receive_until(20));
  const std::vector<std::string> got = b->from(1, kQuorum);
  ASSERT_EQ(got.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(got[i], numbered("after", i));
  // Member 2's two connections ending were reported once each, ahead of its new frames.
  ASSERT_TRUE(a->receive_until(3));
  EXPECT_EQ(a->from(2, kElection), std::vector<std::string>{"back"});
  EXPECT_EQ(a->closes(2, kQuorum), 1u);
  EXPECT_EQ(a->closes(2, kElection), 1u);
  EXPECT_TRUE(a->received.front().closed);
}

TEST(PeerNetTest, BadHellosCloseOnlyThatConnection) {
  const std::vector<PeerAddress> members = {local_member(1), local_member(2)};
  auto a = started_node(1, members, [](PeerNetConfig& c) { c.connect_timeout_ms = 300; });
  auto b = started_node(2, members);
  ASSERT_TRUE(b->net.send(1, kQuorum, "warm-up"));
  ASSERT_TRUE(a->receive_until(1));

  const uint16_t quorum_port = a->net.bound_quorum_port();
  const std::vector<std::pair<const char*, std::string>> bad = {
      {"not our protocol", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"bad magic", hello(2, kQuorum, 0xdeadbeef)},
      {"newer version", hello(2, kQuorum, 0x524B504E, 2)},
      {"election hello on the quorum port", hello(2, kElection)},
      {"unknown member", hello(42, kQuorum) + framed("spoofed")},
      {"my own id", hello(1, kQuorum) + framed("spoofed")},
      {"no hello at all (timeout)", ""},
  };
  for (const auto& [what, bytes] : bad) {
    const int fd = connect_raw(quorum_port);
    if (!bytes.empty()) send_all(fd, bytes);
    EXPECT_TRUE(closed_by_other_end(fd)) << what;
    close(fd);
  }
  // The real member's connection was never touched, and nothing spoofed got through.
  ASSERT_TRUE(b->net.send(1, kQuorum, "still here"));
  ASSERT_TRUE(a->receive_until(2));
  EXPECT_EQ(a->from(2, kQuorum), (std::vector<std::string>{"warm-up", "still here"}));
  EXPECT_EQ(a->received.size(), 2u);
  EXPECT_EQ(b->link(1).connects, 2u);
  EXPECT_EQ(a->link(2).frames_in, 2u);
}

TEST(PeerNetTest, AnOversizeFrameClosesOnlyThatConnection) {
  RawListener member9;  // listed, so hellos naming 9 are accepted
  std::vector<PeerAddress> members = {local_member(1), local_member(2)};
  members.push_back({9, "127.0.0.1", member9.port(), free_port()});
  constexpr size_t kMax = 1 << 20;
  auto limit = [](PeerNetConfig& c) { c.max_frame_bytes = kMax; };
  auto a = started_node(1, members, limit);
  auto b = started_node(2, members, limit);

  const int fd = connect_raw(a->net.bound_quorum_port());
  send_all(fd, hello(9, kQuorum) + framed("first") + be(kMax + 1, 4) + std::string(1000, 'x'));
  EXPECT_TRUE(closed_by_other_end(fd));
  close(fd);
  ASSERT_TRUE(a->receive_until(2));  // the frame, then the connection's end
  EXPECT_EQ(a->from(9, kQuorum), std::vector<std::string>{"first"});
  EXPECT_EQ(a->closes(9, kQuorum), 1u);

  // A frame of exactly the limit passes; another connection as member 9 works again.
  ASSERT_TRUE(b->net.send(1, kQuorum, pattern(kMax, 5)));
  EXPECT_FALSE(b->net.send(1, kQuorum, std::string(kMax + 1, 'x')));
  const int again = connect_raw(a->net.bound_quorum_port());
  send_all(again, hello(9, kQuorum) + framed("again"));
  ASSERT_TRUE(a->receive_until(4));
  EXPECT_EQ(a->from(2, kQuorum), std::vector<std::string>{pattern(kMax, 5)});
  EXPECT_EQ(a->from(9, kQuorum), (std::vector<std::string>{"first", "again"}));
  EXPECT_EQ(b->link(1).connects, 2u);
  close(again);
}

TEST(PeerNetTest, ANewerConnectionFromTheSameMemberReplacesTheOlder) {
  RawListener member9;
  std::vector<PeerAddress> members = {local_member(1)};
  members.push_back({9, "127.0.0.1", member9.port(), free_port()});
  auto a = started_node(1, members);

  const int older = connect_raw(a->net.bound_election_port());
  send_all(older, hello(9, kElection) + framed("one"));
  ASSERT_TRUE(a->receive_until(1));
  const int newer = connect_raw(a->net.bound_election_port());
  send_all(newer, hello(9, kElection) + framed("two"));
  EXPECT_TRUE(closed_by_other_end(older));
  ASSERT_TRUE(a->receive_until(2));
  EXPECT_EQ(a->from(9, kElection), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(a->closes(9, kElection), 0u);  // replaced, not lost
  close(newer);
  ASSERT_TRUE(a->receive_until(3));  // the current one ending is news
  EXPECT_EQ(a->closes(9, kElection), 1u);
  close(older);
}

TEST(PeerNetTest, AHungMemberDoesNotHoldUpTheOthers) {
  RawListener hung_quorum, hung_election;  // accept nothing, read nothing: a SIGSTOPped member
  std::vector<PeerAddress> members = {local_member(1), local_member(2)};
  members.push_back({9, "127.0.0.1", hung_quorum.port(), hung_election.port()});
  auto a = started_node(1, members, [](PeerNetConfig& c) {
    c.max_queued_bytes_per_link = 4 << 20;
  });
  auto b = started_node(2, members);
  ASSERT_TRUE(eventually([&] { return a->link(9).quorum_connected; }));

  constexpr int kRounds = 64;
  const std::string mib = pattern(1 << 20, 9);
  int64_t send_us = 0;
  for (int i = 0; i < kRounds; ++i) {
    std::string big = mib;
    const int64_t start_us = mono_us();
    ASSERT_TRUE(a->net.send(9, kQuorum, std::move(big)));
    ASSERT_TRUE(a->net.send(9, kElection, numbered("vote", i)));
    ASSERT_TRUE(a->net.send(2, kQuorum, std::to_string(i)));
    send_us += mono_us() - start_us;
  }
  ASSERT_TRUE(b->receive_until(kRounds));
  const std::vector<std::string> got = b->from(1, kQuorum);
  ASSERT_EQ(got.size(), size_t{kRounds});
  for (int i = 0; i < kRounds; ++i) EXPECT_EQ(got[i], std::to_string(i));
  EXPECT_LT(send_us, 1000000) << "send() must never wait for the network";
  // The kernel's buffers took a few MiB; the rest was dropped at the queue limit.
  EXPECT_LT(a->link(9).bytes_out, uint64_t{kRounds / 2} << 20);
  EXPECT_TRUE(a->link(2).quorum_connected);

  const int64_t stop_start_ms = mono_ms();
  a->net.stop();
  EXPECT_LT(mono_ms() - stop_start_ms, 1000);
}

TEST(PeerNetTest, AConnectThatHangsTimesOutAndIsRetried) {
  FullListener full;
  std::vector<PeerAddress> members = {local_member(1)};
  members.push_back({3, "127.0.0.1", full.listener.port(), full.listener.port()});
  auto a = started_node(1, members, [](PeerNetConfig& c) { c.connect_timeout_ms = 200; });
  // The first connect's SYN and the kernel's retransmit at 1 s are dropped (setup).
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  ASSERT_FALSE(a->link(3).quorum_connected) << "the accept queue was expected to be full";
  // Room again. A connect left hanging would wait for the kernel's next SYN retransmit, at 2 s
  // (kernels >= 6.7 retransmit SYNs every second at first, older ones at 3 s); a connect that
  // timed out after 200 ms and was retried gets through well before.
  ASSERT_TRUE(eventually([&] {
    full.listener.accept_waiting();
    const PeerNet::LinkStats s = a->link(3);
    return s.quorum_connected && s.election_connected;
  }, 600));
}

TEST(PeerNetTest, StopIsPromptWhileLinksAreDownOrConnecting) {
  FullListener full;  // member 3: connects hang
  std::vector<PeerAddress> members = {local_member(1), local_member(2)};  // 2: nobody listens
  members.push_back({3, "127.0.0.1", full.listener.port(), full.listener.port()});
  auto a = started_node(1, members, [](PeerNetConfig& c) { c.connect_timeout_ms = 30000; });
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(a->net.send(2, kQuorum, "x"));
    ASSERT_TRUE(a->net.send(3, kElection, "y"));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // connects in flight (setup)
  EXPECT_FALSE(a->link(2).quorum_connected);
  EXPECT_FALSE(a->link(3).election_connected);

  const int64_t start_ms = mono_ms();
  a->net.stop();
  EXPECT_LT(mono_ms() - start_ms, 1000);
  a->net.stop();  // idempotent
}

TEST(PeerNetTest, OpenRefusesBadConfigsAndSendRefusesNonMembers) {
  const std::vector<PeerAddress> members = {local_member(1), local_member(2)};
  {
    PeerNet net(config_for(7, members), -1);
    Status st = net.open();
    ASSERT_FALSE(st.is_ok());
    EXPECT_NE(st.message().find("not a member"), std::string::npos) << st.message();
  }
  {
    PeerNet net(config_for(1, {members[0], members[1], members[1]}), -1);
    Status st = net.open();
    ASSERT_FALSE(st.is_ok());
    EXPECT_NE(st.message().find("listed twice"), std::string::npos) << st.message();
  }
  {
    RawListener taken;
    std::vector<PeerAddress> clash = members;
    clash[0].quorum_port = taken.port();
    PeerNet net(config_for(1, clash), -1);
    Status st = net.open();
    ASSERT_FALSE(st.is_ok());
    const std::string where = "127.0.0.1:" + std::to_string(taken.port());
    EXPECT_NE(st.message().find(where), std::string::npos) << st.message();
  }
  {
    std::vector<PeerAddress> mine_free = members;
    mine_free[0].quorum_port = 0;
    mine_free[0].election_port = 0;
    PeerNetConfig config = config_for(1, mine_free);
    config.max_frame_bytes = 100;
    PeerNet net(config, -1);
    ASSERT_TRUE(net.open().is_ok());
    EXPECT_NE(net.bound_quorum_port(), 0);
    EXPECT_NE(net.bound_election_port(), net.bound_quorum_port());
    EXPECT_FALSE(net.send(1, kQuorum, "to myself"));
    EXPECT_FALSE(net.send(5, kQuorum, "to a stranger"));
    EXPECT_FALSE(net.send(2, kQuorum, std::string(101, 'x')));
    EXPECT_TRUE(net.send(2, kQuorum, std::string(100, 'x')));  // waits; freed unsent
  }
}

}  // namespace
}  // namespace rk
