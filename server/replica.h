// An ensemble member's replication, on the engine thread: the ZAB core (quorum::Peer) fed
// with peer frames, ticks and the txn log's durability, its effects carried out on the
// storage, the processor and the network; and the learner service (forwarded writes,
// sessions, touches, syncs) between the processor and the leader (DESIGN.md § Replication).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/processor.h"
#include "net/peer_net.h"
#include "quorum/codec.h"
#include "quorum/peer.h"
#include "server/config.h"
#include "server/storage.h"

namespace rk {

// What the four-letter words and `ringkeeper status` show of a member.
struct ReplicaStatus {
  std::string mode = "standalone";  // leader, follower, observer; "" while looking
  std::string peer_state;           // mntr zk_peer_state: "leading - broadcast", ...
  bool serving = true;
  quorum::ServerId leader = 0;
  quorum::Epoch epoch = 0;
  size_t quorum_size = 0;  // voting members
  size_t learners = 0;
  size_t synced_followers = 0;
  size_t synced_observers = 0;
  int64_t leader_since_mono_ms = 0;
};

class Replica final : public quorum::StateSource {
 public:
  Replica(const ServerConfig& config, Storage& storage);
  ~Replica() override;
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // Main thread: binds the quorum and election ports and starts the peer network, which
  // rings `wake_fd` (the engine's doorbell) when frames arrive.
  Status open(int wake_fd);
  // Main thread, as the engine's boot: recovers the member's storage into `processor`
  // (the snapshot applied, the log after it learned but not applied), then starts looking
  // for a leader. From then on every call comes from the engine thread.
  Status boot(Processor& processor, int wake_fd);
  void stop();

  // Engine thread. Takes peer frames, the log's durability and ticks into the peer and
  // carries out its effects; returns the longest the engine may sleep.
  int64_t step(int64_t now_wall_ms, int64_t now_mono_ms);
  // Engine thread: proposes what the processor logged since the last call (leader) and
  // hands the log its batch.
  void end_burst();

  // EngineOutput calls routed here by the engine core.
  void on_logged(const Txn& txn);
  void forward_write(SessionId session, const std::vector<Id>& ids, const Request& request);
  void forward_session(SessionId session, int32_t timeout_ms);
  void forward_sync(SessionId session, int32_t xid);

  ReplicaStatus status() const;  // engine thread
  // mntr lines of the peer links.
  void metrics(std::vector<std::pair<std::string, std::string>>& out) const;

  // StateSource: the applied state, for a learner too far behind for a DIFF.
  quorum::StateImage capture() override;

 private:
  void run_effects();
  void apply_role(const quorum::effect::RoleChanged& change);
  void on_frame(PeerFrame& frame);
  void on_service(quorum::ServerId from, quorum::ServiceMessage& message);
  void send_to_leader(const quorum::ServiceMessage& message);
  void send_message(quorum::ServerId to, const quorum::Message& message);
  void send_touches();
  [[noreturn]] void fail(const char* what, const Status& status);

  const ServerConfig& config_;
  Storage& storage_;
  std::unique_ptr<PeerNet> net_;
  std::unique_ptr<quorum::Peer> peer_;
  Processor* processor_ = nullptr;

  std::vector<Txn> batch_;       // leader: logged by the processor, not proposed yet
  Zxid reported_durable_ = 0;    // the last durable zxid told to the peer
  int64_t next_tick_ms_ = 0;
  uint64_t ticks_ = 0;
  int64_t now_wall_ms_ = 0;
  int64_t now_mono_ms_ = 0;
  int64_t leader_since_mono_ms_ = 0;  // when this member last became leader

  // Scratch reused across steps.
  std::vector<PeerFrame> frames_;
  std::vector<std::pair<SessionId, int32_t>> touched_;
};

}  // namespace rk
