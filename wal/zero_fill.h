// How the txn log prepares its segments ahead of need (zoo.cfg ringkeeper.txnLogZeroFill).
#pragma once

#include <cstdint>

namespace rk {

// How a segment's blocks are made. Either way every block is allocated ahead (a full disk
// shows while preparing, not while committing) and reads as zeros.
enum class ZeroFill : uint8_t {
  // Written, zeroed blocks by the device's Write Zeroes where the kernel (6.17+) and device
  // offer it; otherwise fallocate only: unwritten extents, which the file system converts as
  // records land, so an fdatasync may also commit that conversion. Writes nothing ahead.
  kDevice,
  // As kDevice, but without Write Zeroes every block is written with zeros ahead: no extent
  // conversion is left for the fdatasyncs, at the cost of writing every segment twice.
  kWrites,
};

}  // namespace rk
