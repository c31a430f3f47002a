// ACL interning for snapshot loads.
#include "snapshot/acl_cache.h"

#include <xxhash.h>

namespace rk {
namespace {

std::string_view view(const flatbuffers::String* s) { return s == nullptr ? std::string_view() : s->string_view(); }

}  // namespace

AclRef AclCache::intern(const snapfb::Acl* acl) {
  AclList list;
  if (acl->entries() != nullptr) {
    list.reserve(acl->entries()->size());
    for (const snapfb::AclEntry* e : *acl->entries()) {
      list.push_back(Acl{e->perms(), Id{std::string(view(e->scheme())), std::string(view(e->id()))}});
    }
  }
  uint64_t h = XXH3_64bits_withSeed(nullptr, 0, list.size());
  for (const Acl& a : list) {
    h = XXH3_64bits_withSeed(a.id.scheme.data(), a.id.scheme.size(), h ^ static_cast<uint32_t>(a.perms));
    h = XXH3_64bits_withSeed(a.id.id.data(), a.id.id.size(), h);
  }
  std::vector<AclRef>& same_hash = by_hash_[h];
  for (const AclRef& known : same_hash) {
    if (*known == list) return known;
  }
  same_hash.push_back(make_acl(std::move(list)));
  return same_hash.back();
}

}  // namespace rk
