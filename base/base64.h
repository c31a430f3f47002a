// Base64 with the standard alphabet and '=' padding (RFC 4648 section 4), as ZooKeeper's
// digest ids use it.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace rk {

std::string base64_encode(std::string_view bytes);

// Strict: rejects characters outside the alphabet, bad padding and lengths not a multiple of 4.
Result<std::string> base64_decode(std::string_view text);

}  // namespace rk
