// Writing and reading snapshots of a still tree: every node kind survives, sessions and
// zxids come back, the writer reports and cleans up, and backpressure holds.
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include "snapshot/format.h"
#include "snapshot_test_util.h"
#include "tests/engine/engine_harness.h"

namespace rk {
namespace {

using namespace rk::testing;

// Every node kind, a deep path, and many siblings.
void populate(EngineHarness& h, Client& a, Client& b) {
  populate_every_kind(h, a, b);
  ASSERT_EQ(h.call(a, op_create("/d1")).err, Err::kOk);
  ASSERT_EQ(h.call(a, op_create("/d1/d2")).err, Err::kOk);
  ASSERT_EQ(h.call(a, op_create("/d1/d2/d3", std::string(3000, 'z'))).err, Err::kOk);
  ASSERT_EQ(h.call(a, op_create("/many")).err, Err::kOk);
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(h.call(a, op_create("/many/n" + std::to_string(i), std::string(i, 'v'))).err, Err::kOk);
  }
  ASSERT_EQ(h.call(a, op_set_data("/many/n7", "changed")).err, Err::kOk);
}

TEST(SnapshotRoundTrip, EveryNodeKindSessionsAndZxidsComeBack) {
  for (size_t chunk_bytes : {size_t{200}, size_t{4096}, size_t{1} << 20}) {
    EngineHarness h(extended_types());
    Client a = h.connect();
    Client b = h.connect(8000);
    populate(h, a, b);
    TempDir dir;
    Zxid zxid = h.proc().last_processed_zxid();
    std::string path = write_snapshot(dir.path(), h.tree(), h.proc().sessions(), zxid, chunk_bytes);
    EXPECT_EQ(path, dir.path() + "/" + snapshot_file_name(zxid));
    Result<LoadedSnapshot> loaded = read_snapshot(path, true);
    ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
    EXPECT_EQ(shape(loaded->tree), shape(h.tree())) << "chunk bytes " << chunk_bytes;
    EXPECT_EQ(loaded->digest, tree_digest(h.tree()));
    EXPECT_EQ(loaded->node_count, h.tree().node_count());
    EXPECT_EQ(loaded->start_zxid, zxid);
    EXPECT_EQ(loaded->end_zxid, zxid);
    EXPECT_EQ(loaded->time_ms, 1'700'000'000'000);
    std::vector<std::pair<SessionId, int32_t>> expected = {{a.session, a.timeout_ms}, {b.session, b.timeout_ms}};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(loaded->sessions, expected);
    const Node* acl_node = loaded->tree.find("/acl");
    ASSERT_NE(acl_node, nullptr);
    EXPECT_EQ(acl_node->acl()->size(), 2u);
    // ACLs are shared like the live tree's: the open ACL is the one open_acl_unsafe() list.
    EXPECT_EQ(loaded->tree.find("/many/n1")->acl().get(), open_acl_unsafe().get());
    EXPECT_EQ(loaded->tree.find("/many/n1")->acl().get(), loaded->tree.find("/many/n2")->acl().get());
  }
}

TEST(SnapshotRoundTrip, FreshTreeAndNoSessions) {
  DataTree tree;
  SessionTable sessions(1, 2000, 0);
  TempDir dir;
  std::string path = write_snapshot(dir.path(), tree, sessions, 0);
  Result<LoadedSnapshot> loaded = read_snapshot(path);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_EQ(shape(loaded->tree), shape(tree));
  EXPECT_TRUE(loaded->sessions.empty());
  EXPECT_EQ(path, dir.path() + "/snapshot.0");
}

TEST(SnapshotWriter, ReportsResultAndWakesTheEngine) {
  EngineHarness h(extended_types());
  Client a = h.connect();
  Client b = h.connect();
  populate(h, a, b);
  TempDir dir;
  int wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ASSERT_GE(wake, 0);
  SnapshotOptions options;
  options.dir = dir.path();
  options.wake_fd = wake;
  options.chunk_bytes = 1024;
  options.queue_chunks_max = 1;
  auto writer = SnapshotWriter::start(options, 0x1234, 5, h.proc().sessions());
  ASSERT_TRUE(writer.is_ok());
  finish_writer(**writer, h.tree(), 0x1240, 7);
  ASSERT_TRUE((*writer)->status().is_ok()) << (*writer)->status().message();
  SnapshotResult r = (*writer)->result();
  EXPECT_EQ(r.path, dir.path() + "/snapshot.1234");
  EXPECT_EQ(r.node_count, h.tree().node_count());
  EXPECT_EQ(r.bytes, std::filesystem::file_size(r.path));
  EXPECT_EQ(r.start_zxid, 0x1234);
  EXPECT_EQ(r.end_zxid, 0x1240);
  uint64_t count = 0;
  EXPECT_EQ(::read(wake, &count, sizeof(count)), 8);
  EXPECT_EQ(count, 1u);
  ::close(wake);
  EXPECT_FALSE(std::filesystem::exists(r.path + ".tmp"));
  Result<LoadedSnapshot> loaded = read_snapshot(r.path, true);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_EQ(loaded->end_zxid, 0x1240);
}

TEST(SnapshotWriter, FailureIsAStatusAndLeavesNothing) {
  DataTree tree;
  SessionTable sessions(1, 2000, 0);
  TempDir dir;
  int wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  SnapshotOptions options;
  options.dir = dir.path() + "/missing";
  options.wake_fd = wake;
  auto writer = SnapshotWriter::start(options, 9, 0, sessions);
  ASSERT_TRUE(writer.is_ok());
  finish_writer(**writer, tree, 9);
  EXPECT_FALSE((*writer)->status().is_ok());
  EXPECT_NE((*writer)->status().message().find("missing/snapshot.9.tmp"), std::string::npos)
      << (*writer)->status().message();
  uint64_t count = 0;
  EXPECT_EQ(::read(wake, &count, sizeof(count)), 8);
  ::close(wake);
  options.dir = "";
  EXPECT_FALSE(SnapshotWriter::start(options, 9, 0, sessions).is_ok());
}

TEST(SnapshotWriter, AbandonedSnapshotRemovesItsTempFile) {
  EngineHarness h(extended_types());
  Client a = h.connect();
  Client b = h.connect();
  populate(h, a, b);
  TempDir dir;
  SnapshotOptions options;
  options.dir = dir.path();
  options.chunk_bytes = 256;
  {
    auto writer = SnapshotWriter::start(options, 77, 0, h.proc().sessions());
    ASSERT_TRUE(writer.is_ok());
    for (int i = 0; i < 5; ++i) (*writer)->step(h.tree(), 3, 77);
    EXPECT_FALSE((*writer)->done());
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(SnapshotWriter, FullQueueStopsSerialization) {
  // The temp name is a FIFO with no reader: the file thread blocks opening it and takes
  // nothing off its queue, like a disk that cannot keep up. step() must then do no work.
  EngineHarness h(extended_types());
  Client a = h.connect();
  Client b = h.connect();
  populate(h, a, b);
  TempDir dir;
  std::string fifo = dir.path() + "/snapshot.1.tmp";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  SnapshotOptions options;
  options.dir = dir.path();
  options.chunk_bytes = 64;
  options.queue_chunks_max = 1;
  auto writer = SnapshotWriter::start(options, 1, 0, h.proc().sessions());
  ASSERT_TRUE(writer.is_ok());
  for (int i = 0; i < 10; ++i) (*writer)->step(h.tree(), 1'000'000, 1);
  EXPECT_EQ((*writer)->nodes_written(), 0u);  // header queued, sessions waiting: no room
  EXPECT_FALSE((*writer)->done());
  std::string drained;
  std::thread reader([&] {
    int fd = ::open(fifo.c_str(), O_RDONLY | O_CLOEXEC);
    char buf[65536];
    for (ssize_t n; fd >= 0 && (n = ::read(fd, buf, sizeof(buf))) > 0;) drained.append(buf, static_cast<size_t>(n));
    if (fd >= 0) ::close(fd);
  });
  finish_writer(**writer, h.tree(), 1);
  reader.join();
  // Every node went through once the queue moved; a FIFO cannot be fsynced, so the
  // snapshot then fails at the seal, and cleans up.
  EXPECT_EQ((*writer)->nodes_written(), h.tree().node_count());
  EXPECT_EQ(drained.size(), (*writer)->result().bytes);
  EXPECT_NE((*writer)->status().message().find("fsync"), std::string::npos) << (*writer)->status().message();
  EXPECT_FALSE(std::filesystem::exists(fifo));
}

}  // namespace
}  // namespace rk
