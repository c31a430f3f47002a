// Interning the ACLs a snapshot load decodes: every node with the same ACL shares one list,
// as the live tree does, and a load allocates per distinct ACL rather than per node.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "engine/acl.h"
#include "snapshot/snapshot_generated.h"

namespace rk {

// Owned by one snapshot load (one thread).
class AclCache {
 public:
  AclRef intern(const snapfb::Acl* acl);

 private:
  std::unordered_map<uint64_t, std::vector<AclRef>> by_hash_;  // content hash -> lists
};

}  // namespace rk
