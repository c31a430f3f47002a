// Tests for `ringkeeper status` against a tiny in-test server that answers one four-letter word.
#include "server/status_cmd.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>

namespace rk {
namespace {

// Listens on 127.0.0.1 at an ephemeral port; serve_once() accepts one connection, records the
// four bytes it receives, writes `answer` and closes.
class FakeServer {
 public:
  FakeServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    RK_ASSERT(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    RK_ASSERT(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    RK_ASSERT(::listen(fd_, 4) == 0);
    socklen_t len = sizeof(addr);
    RK_ASSERT(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
  }
  ~FakeServer() {
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }

  uint16_t port() const { return port_; }
  // What the client sent; valid after the client finished (the thread is joined first).
  std::string received() {
    if (thread_.joinable()) thread_.join();
    return received_;
  }

  void serve_once(std::string answer) {
    thread_ = std::thread([this, answer = std::move(answer)] {
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      char command[4];
      size_t got = 0;
      while (got < sizeof(command)) {
        ssize_t n = ::recv(client, command + got, sizeof(command) - got, 0);
        if (n <= 0) break;
        got += static_cast<size_t>(n);
      }
      received_.assign(command, got);
      size_t sent = 0;
      while (sent < answer.size()) {
        ssize_t n = ::send(client, answer.data() + sent, answer.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
      ::close(client);
    });
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::string received_;
};

// Captures what run_status prints.
class Capture {
 public:
  Capture() : file_(std::tmpfile()) { RK_ASSERT(file_ != nullptr); }
  ~Capture() { std::fclose(file_); }
  std::FILE* file() { return file_; }
  std::string text() {
    std::fflush(file_);
    std::rewind(file_);
    std::string out;
    char buffer[512];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof(buffer), file_)) > 0) out.append(buffer, n);
    return out;
  }

 private:
  std::FILE* file_;
};

constexpr const char* kSrvrAnswer =
    "Zookeeper version: 3.8.4-ringkeeper, built on 2024-01-01\n"
    "Latency min/avg/max: 0/0.0/0\n"
    "Received: 3\n"
    "Sent: 2\n"
    "Connections: 1\n"
    "Outstanding: 0\n"
    "Zxid: 0x0\n"
    "Mode: standalone\n"
    "Node count: 5\n";

ServerConfig config_for(uint16_t port, std::string address) {
  ServerConfig config;
  config.client_port = port;
  config.client_port_address = std::move(address);
  return config;
}

TEST(StatusCmdTest, PrintsPortAddressAndModeFromSrvr) {
  FakeServer server;
  server.serve_once(kSrvrAnswer);
  Capture out, err;
  int rc = run_status(config_for(server.port(), "127.0.0.1"), out.file(), err.file());
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(server.received(), "srvr");
  EXPECT_EQ(out.text(), "Client port found: " + std::to_string(server.port()) +
                            ". Client address: 127.0.0.1.\nMode: standalone\n");
  EXPECT_EQ(err.text(), "");
}

TEST(StatusCmdTest, WildcardAddressDialsLoopback) {
  EXPECT_EQ(status_host(config_for(1, "")), "127.0.0.1");
  EXPECT_EQ(status_host(config_for(1, "0.0.0.0")), "127.0.0.1");
  EXPECT_EQ(status_host(config_for(1, "::")), "127.0.0.1");
  EXPECT_EQ(status_host(config_for(1, "10.1.2.3")), "10.1.2.3");

  FakeServer server;
  server.serve_once("Mode: leader\r\n");
  Capture out, err;
  EXPECT_EQ(run_status(config_for(server.port(), "0.0.0.0"), out.file(), err.file()), 0);
  EXPECT_NE(out.text().find("Client address: 127.0.0.1.\nMode: leader\n"), std::string::npos)
      << out.text();
}

TEST(StatusCmdTest, AnswerWithoutModeIsAnError) {
  FakeServer server;
  server.serve_once("srvr is not executed because it is not in the whitelist.\n");
  Capture out, err;
  EXPECT_EQ(run_status(config_for(server.port(), "127.0.0.1"), out.file(), err.file()), 1);
  EXPECT_EQ(err.text().rfind("Error contacting service. It is probably not running.\n", 0), 0u)
      << err.text();
  EXPECT_EQ(out.text().find("Mode:"), std::string::npos);
}

TEST(StatusCmdTest, NothingListeningIsAnError) {
  uint16_t port;
  {
    FakeServer closed;  // bound then closed: nothing listens on this port afterwards
    port = closed.port();
  }
  Capture out, err;
  EXPECT_EQ(run_status(config_for(port, "127.0.0.1"), out.file(), err.file()), 1);
  EXPECT_EQ(err.text().rfind("Error contacting service. It is probably not running.\n", 0), 0u);
  EXPECT_NE(err.text().find("Connection refused"), std::string::npos) << err.text();
}

TEST(StatusCmdTest, ServerThatNeverAnswersFailsAtTheDeadline) {
  FakeServer silent;  // listens, never accepts: the connect succeeds, no answer ever comes
  Result<std::string> answer = query_four_letter_word("127.0.0.1", silent.port(), "srvr", 100);
  ASSERT_FALSE(answer.is_ok());
  EXPECT_NE(answer.status().message().find("timed out"), std::string::npos)
      << answer.status().message();
}

TEST(StatusCmdTest, ParseModeFindsTheModeLine) {
  EXPECT_EQ(parse_mode(kSrvrAnswer), "standalone");
  EXPECT_EQ(parse_mode("Mode: follower"), "follower");
  EXPECT_EQ(parse_mode("a\r\nMode: observer \r\nb\r\n"), "observer");
  EXPECT_EQ(parse_mode("Zxid: 0x0\nNode count: 4\n"), "");
  EXPECT_EQ(parse_mode("XMode: leader\n"), "");
  EXPECT_EQ(parse_mode(""), "");
}

}  // namespace
}  // namespace rk
