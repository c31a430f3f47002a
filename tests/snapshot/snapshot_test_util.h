// Helpers for snapshot tests: a temp directory, running a writer to the end under a
// deadline, and a full comparison of two trees.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "engine/tree_digest.h"
#include "snapshot/reader.h"
#include "snapshot/writer.h"

namespace rk::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rk-snap-XXXXXX").string();
    RK_ASSERT(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::chrono::steady_clock::time_point deadline_in(int seconds) {
  return std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
}

// Steps `writer` over an unchanging tree until done (or the deadline).
inline void finish_writer(SnapshotWriter& writer, const DataTree& tree, Zxid applied_zxid, size_t budget = 1000) {
  auto deadline = deadline_in(30);
  while (!writer.done() && std::chrono::steady_clock::now() < deadline) {
    writer.step(tree, budget, applied_zxid);
    if (!writer.done()) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  ASSERT_TRUE(writer.done()) << "snapshot did not finish in time";
}

// Writes a complete snapshot of `tree`; returns its path.
inline std::string write_snapshot(const std::string& dir, const DataTree& tree, const SessionTable& sessions,
                                  Zxid zxid, size_t chunk_bytes = 1 << 20) {
  SnapshotOptions options;
  options.dir = dir;
  options.chunk_bytes = chunk_bytes;
  auto writer = SnapshotWriter::start(options, zxid, 1'700'000'000'000, sessions);
  EXPECT_TRUE(writer.is_ok());
  if (!writer) return "";
  finish_writer(**writer, tree, zxid);
  EXPECT_TRUE((*writer)->status().is_ok()) << (*writer)->status().message();
  return (*writer)->result().path;
}

struct TreeShape {
  std::map<std::string, std::vector<std::string>> children;
  std::map<SessionId, std::set<std::string>> ephemerals;
  std::set<std::string> containers, ttls;
  int64_t data_size = 0;
  size_t node_count = 0;
  uint64_t digest = 0;
  bool operator==(const TreeShape&) const = default;
};

inline TreeShape shape(const DataTree& tree) {
  TreeShape s;
  tree.for_each([&](const Node& n) { s.children[std::string(n.path())] = n.child_names(); });
  for (const auto& [id, paths] : tree.all_ephemerals()) s.ephemerals[id] = paths;
  s.containers = tree.containers();
  s.ttls = tree.ttls();
  s.data_size = tree.approximate_data_size();
  s.node_count = tree.node_count();
  s.digest = tree_digest(tree);
  return s;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace rk::testing
