// Fuzzy snapshots under mutation: a snapshot serialized while random real txns change the
// tree, loaded and followed by a replay of every txn after its start zxid, is the live tree.
#include <random>

#include "snapshot_test_util.h"
#include "tests/engine/engine_harness.h"

namespace rk {
namespace {

using namespace rk::testing;

EngineConfig fuzzy_config() {
  EngineConfig c;
  c.extended_types_enabled = true;
  c.container_check_interval_ms = 500;
  return c;
}

// Random writes through real requests, over a small namespace so creates, deletes and
// updates keep hitting nodes the snapshot is walking.
class Workload {
 public:
  Workload(EngineHarness& h, uint64_t seed) : h_(h), rng_(seed) {
    for (int i = 0; i < 3; ++i) clients_.push_back(h_.connect(4000 + 2000 * i));
  }

  void op() {
    Client& c = clients_[pick(clients_.size())];
    // An idle client's session may have expired in a tick (its ephemerals went with a
    // closeSession txn): carry on with a new one.
    if (h_.proc().sessions().find(c.session) == nullptr) c = h_.connect(4000 + 2000 * static_cast<int32_t>(pick(3)));
    std::string path = random_path();
    switch (pick(12)) {
      case 0:
      case 1:
      case 2: (void)h_.call(c, op_create(path, data())); break;
      case 3: (void)h_.call(c, op_create(path, "", CreateMode::kEphemeral)); break;
      case 4: (void)h_.call(c, op_create(path + "-", data(), CreateMode::kPersistentSequential)); break;
      case 5: (void)h_.call(c, op_create(path, "", CreateMode::kContainer, open_acl(), OpCode::kCreateContainer)); break;
      case 6: {
        Request ttl = op_create(path, data(), CreateMode::kPersistentWithTtl, open_acl(), OpCode::kCreateTtl);
        ttl.ttl = 200 + static_cast<int64_t>(pick(2000));
        (void)h_.call(c, ttl);
        break;
      }
      case 7:
      case 8: (void)h_.call(c, op_delete(path)); break;
      case 9: (void)h_.call(c, op_set_data(path, data())); break;
      case 10: (void)h_.call(c, op_set_acl(path, pick(2) ? open_acl() : AclList{{perm::kRead, {"ip", "10.0.0.1"}}}));
        break;
      case 11: (void)h_.call(c, op_multi({op_create(path, data()), op_set_data(path, "m"), op_delete(random_path())}));
        break;
    }
    if (pick(40) == 0) churn_session();
    if (pick(20) == 0) {
      h_.advance(static_cast<int64_t>(pick(1500)));
      h_.tick();  // expiries, container and TTL sweeps
      h_.commit_all();
    }
  }

 private:
  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  std::string data() { return std::string(pick(40), static_cast<char>('a' + pick(26))); }
  std::string random_path() {
    std::string path;
    for (size_t depth = 1 + pick(3); depth > 0; --depth) path += "/" + std::string(1, static_cast<char>('a' + pick(4)));
    return path;
  }
  void churn_session() {
    size_t i = pick(clients_.size());
    Request close;
    close.type = OpCode::kCloseSession;
    (void)h_.call(clients_[i], close);
    clients_[i] = h_.connect(4000 + 2000 * static_cast<int32_t>(pick(3)));
  }

  EngineHarness& h_;
  std::mt19937_64 rng_;
  std::vector<Client> clients_;
};

std::set<SessionId> session_ids(const SessionTable& table) {
  std::set<SessionId> ids;
  for (const Session& s : table.all()) ids.insert(s.id);
  return ids;
}

// Returns through `later_nodes` how many snapshot nodes already held a change made after the
// start zxid: proof the image was fuzzy, not a still picture.
void run_seed(uint64_t seed, size_t& later_nodes) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  EngineHarness h(fuzzy_config());
  Workload work(h, seed);
  for (int i = 0; i < 400; ++i) work.op();

  TempDir dir;
  SnapshotOptions options;
  options.dir = dir.path();
  options.chunk_bytes = 128 + seed % 512;  // many chunks: the file thread lags and refuses
  options.queue_chunks_max = 1 + seed % 3;
  const Zxid start_zxid = h.proc().last_processed_zxid();
  auto writer = SnapshotWriter::start(options, start_zxid, h.wall_ms, h.proc().sessions());
  ASSERT_TRUE(writer.is_ok());
  std::mt19937_64 rng(seed ^ 0x5eed);
  auto deadline = deadline_in(30);
  while (!(*writer)->done() && std::chrono::steady_clock::now() < deadline) {
    (*writer)->step(h.tree(), 1 + rng() % 4, h.proc().last_processed_zxid());
    for (size_t n = rng() % 4; n > 0; --n) work.op();
  }
  ASSERT_TRUE((*writer)->done()) << "snapshot did not finish in time";
  ASSERT_TRUE((*writer)->status().is_ok()) << (*writer)->status().message();
  for (int i = 0; i < 20; ++i) work.op();

  Result<LoadedSnapshot> loaded = read_snapshot((*writer)->result().path, true);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_EQ(loaded->start_zxid, start_zxid);
  EXPECT_GE(loaded->end_zxid, start_zxid);
  loaded->tree.for_each([&](const Node& n) {
    later_nodes += std::max(n.stat.mzxid, n.stat.pzxid) > start_zxid;
  });
  RecordingOutput out;
  Processor restored(fuzzy_config(), h.mono_ms, out);
  restored.restore(std::move(loaded->tree), loaded->sessions, loaded->start_zxid, h.mono_ms);
  size_t replayed = 0;
  for (const Txn& txn : h.out.logged) {
    if (txn.zxid <= start_zxid) continue;
    restored.replay(txn);
    ++replayed;
  }
  EXPECT_GT(replayed, 10u);  // the tree did change while it was written
  EXPECT_EQ(tree_digest(restored.tree()), tree_digest(h.tree()));
  EXPECT_EQ(shape(restored.tree()), shape(h.tree()));
  EXPECT_EQ(session_ids(restored.sessions()), session_ids(h.proc().sessions()));
  EXPECT_EQ(restored.last_processed_zxid(), h.proc().last_processed_zxid());
}

TEST(FuzzySnapshot, LoadPlusReplayEqualsTheLiveTree) {
  size_t later_nodes = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    run_seed(seed, later_nodes);
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_GT(later_nodes, 200u);
}

}  // namespace
}  // namespace rk
