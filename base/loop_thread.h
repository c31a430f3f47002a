// Starting a thread that owns an event loop whose set-up (an io_uring made on that thread,
// its buffers) can fail: the starter learns the outcome before it goes on.
#pragma once

#include <future>
#include <thread>
#include <utility>

#include "base/status.h"

namespace rk {

// Starts `thread` running `Loop loop(owner); loop.init(); loop.run();` and waits until
// init() reports. On failure the thread has ended (joined) and init()'s status is returned.
template <typename Loop, typename Owner>
Status start_loop_thread(Owner& owner, std::thread& thread) {
  std::promise<Status> ready;
  std::future<Status> setup = ready.get_future();
  thread = std::thread([&owner, &ready] {
    Loop loop(owner);
    Status st = loop.init();
    const bool ok = st.is_ok();
    ready.set_value(std::move(st));  // `ready` is not touched after this
    if (ok) loop.run();
  });
  Status st = setup.get();
  if (!st) thread.join();
  return st;
}

}  // namespace rk
