// Socket handling of one load-generator session.
#include "bench/rkbench/connection.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bit>
#include <climits>
#include <cstring>

namespace rkbench {

Connection::Connection(int index, int depth)
    : index_(index), depth_(static_cast<size_t>(depth)) {
  size_t capacity = std::bit_ceil(depth_ + 1);
  ring_.resize(capacity);
  ring_mask_ = capacity - 1;
  in_.resize(kInBytesInitial);
}

Connection::~Connection() { close_socket(); }

void Connection::close_socket() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

namespace {

// Reads exactly `n` bytes from a blocking socket; false on EOF or error.
bool read_exactly(int fd, uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t r = ::recv(fd, p, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool write_all(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t r = ::send(fd, p, n, MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// Reads one frame's payload into `payload`; false on EOF, error or an oversized frame.
bool read_frame(int fd, std::vector<uint8_t>& payload) {
  uint8_t len_bytes[4];
  if (!read_exactly(fd, len_bytes, 4)) return false;
  uint32_t len = get_be32(len_bytes);
  if (len > Connection::kFrameBytesMax) return false;
  payload.resize(len);
  return read_exactly(fd, payload.data(), len);
}

}  // namespace

std::string Connection::open(const std::string& host, int port, int timeout_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string port_text = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), port_text.c_str(), &hints, &found); rc != 0)
    return std::string("resolve ") + host + ": " + gai_strerror(rc);
  std::string error = "no address for " + host;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      fd_ = fd;
      break;
    }
    error = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(found);
  if (fd_ < 0) return error;
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  out_.clear();
  encode_connect(timeout_ms, out_);
  std::vector<uint8_t> payload;
  if (!write_all(fd_, out_.data(), out_.size()) || !read_frame(fd_, payload))
    return "handshake: connection closed by the server";
  out_.clear();
  auto reply = decode_connect(payload);
  if (!reply) return "handshake: session refused";
  session_id_ = reply->session_id;
  timeout_ms_ = reply->timeout_ms;
  return {};
}

int32_t Connection::call_blocking() {
  std::vector<uint8_t> payload;
  bool ok = write_all(fd_, out_.data(), out_.size());
  out_.clear();
  // Skip pings' answers and notifications until the reply to our request.
  while (ok && read_frame(fd_, payload)) {
    if (payload.size() < kReplyHeaderBytes) return INT32_MIN;
    ReplyHeader h = decode_reply_header(payload.data());
    if (h.xid >= 0) return h.err;
  }
  return INT32_MIN;
}

void Connection::set_nonblocking() {
  int flags = ::fcntl(fd_, F_GETFL);
  ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
}

bool Connection::flush() {
  if (out_.empty()) return true;
  if (!writable_) return true;
  ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      writable_ = false;
      return true;
    }
    return false;
  }
  size_t sent = static_cast<size_t>(n);
  if (sent == out_.size()) {
    out_.clear();
  } else {
    out_.erase(out_.begin(), out_.begin() + static_cast<ptrdiff_t>(sent));
    writable_ = false;
  }
  return true;
}

long Connection::receive(bool& drained) {
  size_t space = in_.size() - in_len_;
  if (space < 4096) {
    // Only an unfinished frame can remain; make room for it (bounded by kFrameBytesMax).
    in_.resize(std::min(in_.size() * 2, kFrameBytesMax + 4));
    space = in_.size() - in_len_;
  }
  ssize_t n = ::recv(fd_, in_.data() + in_len_, space, 0);
  if (n == 0) return -1;
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      drained = true;
      return 0;
    }
    return -1;
  }
  in_len_ += static_cast<size_t>(n);
  drained = static_cast<size_t>(n) < space;
  return n;
}

void Connection::consume(size_t bytes) {
  if (bytes == 0) return;
  std::memmove(in_.data(), in_.data() + bytes, in_len_ - bytes);
  in_len_ -= bytes;
}

}  // namespace rkbench
