// Connection pieces with logic of their own: frame reassembly and the output queue.
#include "net/connection.h"

#include <algorithm>

#include "base/assert.h"
#include "net/client_codec.h"

namespace rk {
namespace {

FrameEvent frame(std::span<const uint8_t> payload) {
  FrameEvent event;
  event.kind = FrameEvent::Kind::kFrame;
  event.payload = payload;
  return event;
}

}  // namespace

// --- FrameReader ------------------------------------------------------------------------

FrameEvent FrameReader::on_header() {
  FrameEvent event;
  if (at_stream_start_) {
    at_stream_start_ = false;
    if (auto word = four_letter_word(header_)) {
      event.kind = FrameEvent::Kind::kFourLetter;
      event.word = *word;
      return event;
    }
  }
  const uint32_t raw = (uint32_t{header_[0]} << 24) | (uint32_t{header_[1]} << 16) |
                       (uint32_t{header_[2]} << 8) | uint32_t{header_[3]};
  const int32_t length = static_cast<int32_t>(raw);
  header_have_ = 0;
  if (length < 0 || length > max_packet_bytes_) {
    event.kind = FrameEvent::Kind::kBadLength;
    event.length = length;
    return event;
  }
  frame_bytes_ = length;
  return event;  // kNeedMore: the caller goes on to the payload
}

FrameEvent FrameReader::next(std::span<const uint8_t>& input) {
  if (partial_returned_) {
    partial_returned_ = false;
    partial_.clear();
    // A big frame's buffer is not kept around by an idle connection.
    if (partial_.capacity() > 64 * 1024) partial_.shrink_to_fit();
  }
  if (frame_bytes_ < 0) {
    const size_t take = std::min(header_.size() - header_have_, input.size());
    std::copy_n(input.begin(), take, header_.begin() + header_have_);
    header_have_ += take;
    input = input.subspan(take);
    if (header_have_ < header_.size()) return {};
    FrameEvent event = on_header();
    if (event.kind != FrameEvent::Kind::kNeedMore) return event;
  }
  const size_t frame_bytes = static_cast<size_t>(frame_bytes_);
  if (partial_.empty() && input.size() >= frame_bytes) {
    FrameEvent event = frame(input.first(frame_bytes));
    input = input.subspan(frame_bytes);
    frame_bytes_ = -1;
    return event;
  }
  const size_t take = std::min(frame_bytes - partial_.size(), input.size());
  partial_.insert(partial_.end(), input.begin(), input.begin() + take);
  input = input.subspan(take);
  if (partial_.size() < frame_bytes) return {};
  frame_bytes_ = -1;
  partial_returned_ = true;
  return frame(partial_);
}

// --- OutputQueue ------------------------------------------------------------------------

std::string& OutputQueue::append_target() {
  const bool back_in_flight = pieces_.size() <= in_flight_pieces_;
  if (pieces_.empty() || back_in_flight || pieces_.back().size() >= kCoalesceBytes) {
    pieces_.emplace_back();
  }
  return pieces_.back();
}

size_t OutputQueue::prepare_send(std::span<iovec> iov) {
  RK_ASSERT(in_flight_pieces_ == 0);
  size_t n = 0;
  for (size_t i = 0; i < pieces_.size() && n < iov.size(); ++i) {
    std::string& piece = pieces_[i];
    const size_t skip = i == 0 ? front_offset_ : 0;
    if (piece.size() == skip) continue;  // an empty piece (nothing was appended)
    iov[n].iov_base = piece.data() + skip;
    iov[n].iov_len = piece.size() - skip;
    ++n;
    in_flight_pieces_ = i + 1;
  }
  return n;
}

void OutputQueue::complete_send(size_t sent_bytes) {
  RK_ASSERT(sent_bytes <= queued_bytes_);
  queued_bytes_ -= sent_bytes;
  while (!pieces_.empty()) {
    const size_t left = pieces_.front().size() - front_offset_;
    if (sent_bytes < left) {
      front_offset_ += sent_bytes;
      sent_bytes = 0;
      break;
    }
    sent_bytes -= left;
    pieces_.pop_front();
    front_offset_ = 0;
  }
  RK_ASSERT(sent_bytes == 0);
  in_flight_pieces_ = 0;
}

void OutputQueue::clear() {
  RK_ASSERT(in_flight_pieces_ == 0);
  pieces_.clear();
  front_offset_ = 0;
  queued_bytes_ = 0;
}

// --- Connection -------------------------------------------------------------------------

void Connection::reset(int socket_fd, std::string peer_ip, std::string peer_remote,
                       int32_t max_packet_bytes) {
  RK_ASSERT(state == ConnState::kFree);
  state = ConnState::kOpen;
  phase = ConnPhase::kHandshake;
  fd = socket_fd;
  ip = std::move(peer_ip);
  remote = std::move(peer_remote);
  produced_inbound = recv_armed = read_paused = peer_eof = send_in_flight = false;
  in_ready_list = in_send_list = false;
  close_reason = nullptr;
  chunks.clear();
  reader = FrameReader(max_packet_bytes);
  output.clear();
}

void Connection::release() {
  RK_ASSERT(state == ConnState::kClosing && !recv_armed && !send_in_flight);
  state = ConnState::kFree;
  fd = -1;
  ++generation;
  chunks.clear();
  reader = FrameReader();
  output.clear();
}

}  // namespace rk
