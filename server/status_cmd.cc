// `ringkeeper status`: one blocking TCP exchange ("srvr" in, text until EOF out) with a deadline,
// then the "Mode: " line, printed the way zkServer.sh status prints it.
#include "server/status_cmd.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/clock.h"

namespace rk {
namespace {

constexpr int kStatusTimeoutMs = 5000;
// A srvr answer is a few hundred bytes; anything past this is not a ZooKeeper answer.
constexpr size_t kAnswerBytesMax = 1 << 20;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

int remaining_ms(int64_t deadline_ms) {
  int64_t left = deadline_ms - mono_ms();
  return left < 0 ? 0 : static_cast<int>(left);
}

// Waits until `fd` is ready for `events`; false on timeout. EINTR just retries.
bool wait_for(int fd, short events, int64_t deadline_ms) {
  while (true) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, remaining_ms(deadline_ms));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

// Connects a non-blocking socket to one resolved address before the deadline.
Status connect_one(int fd, const addrinfo& ai, int64_t deadline_ms) {
  if (::connect(fd, ai.ai_addr, ai.ai_addrlen) == 0) return Status::ok();
  if (errno != EINPROGRESS) return Status::error(std::strerror(errno));
  if (!wait_for(fd, POLLOUT, deadline_ms)) return Status::error("timed out connecting");
  int error = 0;
  socklen_t len = sizeof(error);
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
  return error == 0 ? Status::ok() : Status::error(std::strerror(error));
}

Status send_all(int fd, std::string_view bytes, int64_t deadline_ms) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno == EAGAIN) {
      if (!wait_for(fd, POLLOUT, deadline_ms)) return Status::error("timed out sending");
    } else if (n < 0 && errno != EINTR) {
      return Status::error(std::string("send: ") + std::strerror(errno));
    }
  }
  return Status::ok();
}

Result<std::string> read_to_eof(int fd, int64_t deadline_ms) {
  std::string answer;
  char buffer[4096];
  while (answer.size() < kAnswerBytesMax) {
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n == 0) return answer;
    if (n > 0) {
      answer.append(buffer, static_cast<size_t>(n));
    } else if (errno == EAGAIN) {
      if (!wait_for(fd, POLLIN, deadline_ms)) return Status::error("timed out reading the answer");
    } else if (errno != EINTR) {
      return Status::error(std::string("recv: ") + std::strerror(errno));
    }
  }
  return Status::error("answer larger than " + std::to_string(kAnswerBytesMax) + " bytes");
}

// Tries each resolved address in turn; returns the first connected socket.
Result<int> connect_any(const std::string& host, uint16_t port, int64_t deadline_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list); rc != 0) {
    return Status::error("resolve " + host + ": " + ::gai_strerror(rc));
  }
  std::string last_error = "no address";
  int connected = -1;
  for (addrinfo* ai = list; ai != nullptr && connected < 0; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                      ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    if (Status s = connect_one(fd, *ai, deadline_ms); s) {
      connected = fd;
    } else {
      last_error = s.message();
      ::close(fd);
    }
  }
  ::freeaddrinfo(list);
  if (connected < 0) return Status::error("connect " + host + ":" + service + ": " + last_error);
  return connected;
}

}  // namespace

std::string status_host(const ServerConfig& config) {
  const std::string& address = config.client_port_address;
  if (address.empty() || address == "0.0.0.0" || address == "::" || address == "[::]") {
    return "127.0.0.1";
  }
  return address;
}

Result<std::string> query_four_letter_word(const std::string& host, uint16_t port,
                                           std::string_view command, int timeout_ms) {
  const int64_t deadline_ms = mono_ms() + timeout_ms;
  Result<int> fd = connect_any(host, port, deadline_ms);
  if (!fd) return fd.status();
  Fd socket(*fd);
  if (Status s = send_all(socket.get(), command, deadline_ms); !s) return s;
  return read_to_eof(socket.get(), deadline_ms);
}

std::string parse_mode(std::string_view answer) {
  constexpr std::string_view kPrefix = "Mode: ";
  size_t start = 0;
  while (start < answer.size()) {
    size_t end = answer.find('\n', start);
    if (end == std::string_view::npos) end = answer.size();
    std::string_view line = answer.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.starts_with(kPrefix)) {
      line.remove_prefix(kPrefix.size());
      while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
      return std::string(line);
    }
    start = end + 1;
  }
  return "";
}

int run_status(const ServerConfig& config, std::FILE* out, std::FILE* err) {
  const std::string host = status_host(config);
  std::fprintf(out, "Client port found: %u. Client address: %s.\n",
               static_cast<unsigned>(config.client_port), host.c_str());
  std::fflush(out);
  Result<std::string> answer =
      query_four_letter_word(host, config.client_port, "srvr", kStatusTimeoutMs);
  std::string mode = answer ? parse_mode(*answer) : "";
  if (mode.empty()) {
    std::fprintf(err, "Error contacting service. It is probably not running.\n");
    std::fprintf(err, "(%s)\n", answer ? "the srvr answer has no Mode line"
                                       : answer.status().message().c_str());
    return 1;
  }
  std::fprintf(out, "Mode: %s\n", mode.c_str());
  return 0;
}

}  // namespace rk
