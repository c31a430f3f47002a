// Always-on assertions for states that cannot happen. Bytes from disk or the network are
// never checked with these: untrusted input returns a Status instead.
#pragma once

#include <cstdio>
#include <cstdlib>

#define RK_ASSERT(cond)                                                                  \
  do {                                                                                   \
    if (!(cond)) [[unlikely]] {                                                          \
      std::fprintf(stderr, "ringkeeper: assertion failed: %s at %s:%d\n", #cond, __FILE__, \
                   __LINE__);                                                            \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)
