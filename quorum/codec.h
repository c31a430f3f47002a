// The byte form of every message ensemble members send each other: one flatbuffer per frame
// (quorum/wire.fbs, quorum/PROTOCOL.md § Wire form). The transport adds its own length
// prefix; these functions see only the flatbuffer bytes.
//
// Frames come from the network, so decode_frame treats them as untrusted: it verifies the
// flatbuffer, then checks every field, and returns an error naming the problem for anything
// it would not send itself. What Peer asserts of a message on its own (a non-empty Proposal,
// txn zxids rising) holds for every decoded one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <variant>

#include "base/status.h"
#include "quorum/messages.h"
#include "quorum/service.h"

namespace rk::quorum {

using Frame = std::variant<Message, ServiceMessage>;

// Frame.version. A decoder accepts only this one: members of an ensemble run one version.
inline constexpr uint32_t kWireVersion = 1;

// The largest frame either side handles: flatbuffers' own limit (offsets are 32-bit signed),
// just under 2 GiB. A state image must fit in one frame with the rest of its NewLeader.
inline constexpr size_t kFrameBytesMax = (size_t{1} << 31) - 2;

// Appends one frame holding `m` to `out`. The buffer is sized once from an upper bound of the
// message's size; txns go through one scratch string. Big payloads (a state image, a client
// request) are copied into the frame once, and the frame once into `out`.
// A message that cannot fit in kFrameBytesMax, or a Proposal without txns, is a bug in the
// sender and fails an assert.
void encode_frame(const Message& m, std::string& out);
void encode_frame(const ServiceMessage& m, std::string& out);

// Decodes one frame. Errors: a frame that fails flatbuffers verification or is too big, another
// version, an unknown or missing message type, a missing field the message needs, an enum out
// of range, txn bytes decode_txn refuses, txns whose zxids do not rise above the point they
// follow (Proposal.prev_zxid; NewLeader.prev_zxid, or image_zxid for SNAP), a Proposal without
// txns, a SNAP without image bytes, a non-positive session timeout.
// `bytes` should start at an 8-byte boundary (flatbuffers reads scalars in place); otherwise
// they are copied to one first.
Result<Frame> decode_frame(std::span<const uint8_t> bytes);

}  // namespace rk::quorum
