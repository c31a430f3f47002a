// Answers four-letter words on the engine thread: gathers a ServerSnapshot from the
// processor, the reactors' counters and the config, then lets server/admin lay out the text.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/processor.h"
#include "net/reactor.h"
#include "server/admin.h"
#include "server/config.h"
#include "server/replica.h"

namespace rk {

// Owned by run_server; run() is called on the engine thread only.
class FourLetterWords {
 public:
  explicit FourLetterWords(const ServerConfig& config);
  void attach(std::vector<Reactor*> reactors) { reactors_ = std::move(reactors); }
  // `mode` is what srvr/stat/mntr print ("standalone", later leader/follower/observer).
  // `metrics` are extra mntr lines (storage counters).
  // `replica` is an ensemble member's state (null: standalone).
  std::string run(std::string_view cmd, Processor& processor,
                  std::vector<std::pair<std::string, std::string>> metrics = {},
                  const ReplicaStatus* replica = nullptr);

 private:
  ServerSnapshot snapshot(Processor& processor, const ReplicaStatus* replica) const;
  ConfSnapshot conf() const;

  const ServerConfig& config_;
  std::set<std::string> whitelist_;
  std::vector<Reactor*> reactors_;
  int64_t started_mono_ms_;
};

}  // namespace rk
