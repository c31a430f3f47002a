// Node and tree digests. Each field group is hashed separately and chained through the seed,
// so moving bytes between path and data (or between ACL fields) changes the digest.
#include "engine/tree_digest.h"

#include <xxhash.h>

#include <cstring>

namespace rk {
namespace {

template <typename T>
char* put(char* at, T value) {
  std::memcpy(at, &value, sizeof(value));
  return at + sizeof(value);
}

uint64_t acl_digest(const AclList& acl, uint64_t seed) {
  uint64_t h = XXH3_64bits_withSeed(nullptr, 0, seed ^ acl.size());
  for (const Acl& entry : acl) {
    h = XXH3_64bits_withSeed(entry.id.scheme.data(), entry.id.scheme.size(), h ^ static_cast<uint32_t>(entry.perms));
    h = XXH3_64bits_withSeed(entry.id.id.data(), entry.id.id.size(), h);
  }
  return h;
}

}  // namespace

uint64_t node_digest(std::string_view path, const Node& node) {
  const NodeStat& s = node.stat;
  char stat[6 * sizeof(int64_t) + 3 * sizeof(int32_t) + 1];
  char* at = stat;
  at = put(at, s.czxid);
  at = put(at, s.mzxid);
  at = put(at, s.pzxid);
  at = put(at, s.ctime);
  at = put(at, s.mtime);
  at = put(at, s.ephemeral_owner);
  at = put(at, s.version);
  at = put(at, s.cversion);
  at = put(at, s.aversion);
  at = put(at, static_cast<uint8_t>(node.data_is_null));
  uint64_t h = XXH3_64bits(path.data(), path.size());
  h = XXH3_64bits_withSeed(node.data.data(), node.data.size(), h);
  h = XXH3_64bits_withSeed(stat, static_cast<size_t>(at - stat), h);
  // A node without an ACL list (never made by a txn) digests as an empty one.
  static const AclList kNoAcl;
  return acl_digest(node.acl ? *node.acl : kNoAcl, h);
}

uint64_t tree_digest(const DataTree& tree) {
  uint64_t sum = 0;
  tree.for_each([&](const std::string& path, const Node& node) { sum += node_digest(path, node); });
  return sum;
}

}  // namespace rk
