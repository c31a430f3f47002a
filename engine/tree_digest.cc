// Node and tree digests. A node's fields are laid out with their lengths in one buffer and
// hashed once, seeded with the digest of its ACL: lengths keep "ab"+"c" and "a"+"bc" apart,
// and a whole tree costs one hash per node plus one per distinct ACL list.
#include "engine/tree_digest.h"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack for large nodes
#include <xxhash.h>

#include <cstring>

namespace rk {
namespace {

constexpr size_t kStatBytes = 6 * sizeof(int64_t) + 3 * sizeof(int32_t) + 1;
constexpr size_t kInlineBytes = 512;  // nodes up to this size are hashed from a stack buffer

template <typename T>
char* put(char* at, T value) {
  std::memcpy(at, &value, sizeof(value));
  return at + sizeof(value);
}

uint64_t acl_digest(const AclRef& acl) {
  if (!acl) return 0;  // never made by a txn; digests as no ACL at all
  uint64_t h = XXH3_64bits_withSeed(nullptr, 0, acl->size());
  for (const Acl& entry : *acl) {
    h = XXH3_64bits_withSeed(entry.id.scheme.data(), entry.id.scheme.size(), h ^ static_cast<uint32_t>(entry.perms));
    h = XXH3_64bits_withSeed(entry.id.id.data(), entry.id.id.size(), h);
  }
  return h;
}

// The fixed part after path and data: every stat field and the null flag.
void put_stat(char* at, const NodeStat& s, bool data_is_null) {
  at = put(at, s.czxid);
  at = put(at, s.mzxid);
  at = put(at, s.pzxid);
  at = put(at, s.ctime);
  at = put(at, s.mtime);
  at = put(at, s.ephemeral_owner);
  at = put(at, s.version);
  at = put(at, s.cversion);
  at = put(at, s.aversion);
  put(at, static_cast<uint8_t>(data_is_null));
}

uint64_t digest_with_acl(std::string_view path, std::string_view data, bool data_is_null, const NodeStat& node_stat,
                         uint64_t acl_seed) {
  const uint64_t lengths[2] = {path.size(), data.size()};
  char stat[kStatBytes];
  put_stat(stat, node_stat, data_is_null);
  const size_t total = sizeof(lengths) + path.size() + data.size() + kStatBytes;
  if (total <= kInlineBytes) {
    char buf[kInlineBytes];
    char* at = buf;
    std::memcpy(at, lengths, sizeof(lengths));
    at += sizeof(lengths);
    std::memcpy(at, path.data(), path.size());
    at += path.size();
    std::memcpy(at, data.data(), data.size());
    at += data.size();
    std::memcpy(at, stat, kStatBytes);
    return XXH3_64bits_withSeed(buf, total, acl_seed);
  }
  // Same bytes, same hash, without copying a large node.
  XXH3_state_t state;
  // A stack state must be initialized before a seeded reset: that reset keeps the secret
  // derived for a seed equal to the stale one it finds, and stack garbage can match.
  XXH3_INITSTATE(&state);
  XXH3_64bits_reset_withSeed(&state, acl_seed);
  XXH3_64bits_update(&state, lengths, sizeof(lengths));
  XXH3_64bits_update(&state, path.data(), path.size());
  XXH3_64bits_update(&state, data.data(), data.size());
  XXH3_64bits_update(&state, stat, kStatBytes);
  return XXH3_64bits_digest(&state);
}

}  // namespace

uint64_t node_digest(const Node& node) {
  return digest_with_acl(node.path(), node.data(), node.data_is_null(), node.stat, acl_digest(node.acl()));
}

uint64_t node_digest(std::string_view path, const NodeRecord& record) {
  return digest_with_acl(path, record.data, record.data_is_null, record.stat, acl_digest(record.acl));
}

uint64_t NodeDigester::acl(const AclRef& acl) {
  if (acl.get() != last_acl_.get()) {
    last_digest_ = acl_digest(acl);
    last_acl_ = acl;
  }
  return last_digest_;
}

uint64_t NodeDigester::digest(const Node& node) {
  return digest_with_acl(node.path(), node.data(), node.data_is_null(), node.stat, acl(node.acl()));
}

uint64_t NodeDigester::digest(std::string_view path, const NodeRecord& record) {
  return digest_with_acl(path, record.data, record.data_is_null, record.stat, acl(record.acl));
}

uint64_t tree_digest(const DataTree& tree) {
  uint64_t sum = 0;
  NodeDigester digester;
  tree.for_each([&](const Node& node) { sum += digester.digest(node); });
  return sum;
}

}  // namespace rk
