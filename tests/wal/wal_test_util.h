// Shared by the txn log tests: a fresh temp dir per test, txn makers, segment images made by
// hand, and a bounded drive loop for the log.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "engine/txn.h"
#include "wal/record.h"
#include "wal/recovery.h"
#include "wal/txn_log.h"

namespace rk::testing {

// A directory removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/rk-wal-XXXXXX";
    char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A setData txn whose payload is about `data_bytes` + 50 bytes.
inline Txn make_set_data(Zxid zxid, size_t data_bytes = 50) {
  Txn txn = make_txn(0x1000 + zxid % 7, static_cast<int32_t>(zxid % 1000), zxid,
                     1'700'000'000'000 + zxid, OpCode::kSetData);
  txn.path = "/node/" + std::to_string(zxid % 97);
  txn.data = std::string(data_bytes, static_cast<char>('a' + zxid % 26));
  txn.version = static_cast<int32_t>(zxid % 1000);
  return txn;
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline uint64_t file_size(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

inline std::vector<std::string> dir_names(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Frames for txns with these zxids, as a writer would lay them out in segment `identity`.
inline std::string segment_image(Zxid identity, const std::vector<Zxid>& zxids) {
  std::string image;
  for (Zxid zxid : zxids) image += make_frame(make_set_data(zxid), identity);
  return image;
}

// All txns recovered from dir after after_zxid.
struct Recovered {
  Result<LogRecoveryReport> report = Status::error("not run");
  std::vector<Txn> txns;
};
inline Recovered recover_all(const std::string& dir, Zxid after_zxid = 0) {
  Recovered out;
  out.report = recover_log(dir, after_zxid, [&](Txn&& txn) { out.txns.push_back(std::move(txn)); });
  return out;
}

// Polls the log until pred() holds; false if the deadline passed first.
inline bool drive_until(TxnLog& log, const std::function<bool()>& pred,
                        std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    log.flush();
    log.poll();
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return false;
}

}  // namespace rk::testing
