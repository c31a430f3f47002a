// ACLs: validation and expansion of a requested ACL (PrepRequestProcessor.fixupACL), the
// permission check (ZooKeeperServer.checkACL), and the built-in auth schemes: world, auth,
// digest (user:base64(sha1(user:password))), ip (IPv4 with optional /bits), super.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/types.h"

namespace rk {

// Node ACLs are shared, immutable lists: most nodes carry world:anyone:cdrwa.
using AclRef = std::shared_ptr<const AclList>;

const AclRef& open_acl_unsafe();  // world:anyone, all permissions
const AclRef& read_acl_unsafe();  // world:anyone, read only
// Shares open_acl_unsafe() when equal to it (no copy, no allocation), else a new list.
AclRef make_acl(AclList&& acl);
AclRef make_acl(const AclList& acl);

// Validates `requested` and expands "auth" entries to the caller's authenticated ids.
// Duplicates are removed first. Returns kInvalidAcl for an empty list, an unknown scheme,
// a malformed digest or ip id, world with an id other than "anyone", or "auth" when the
// caller holds no authenticated id.
Err fixup_acl(const AclList& requested, const std::vector<Id>& auth_ids, AclList& out);

// True if any entry granting a bit of `perm` matches one of `ids`. An empty ACL and the
// "super" id permit everything.
bool acl_permits(const AclList& acl, int32_t perm, const std::vector<Id>& ids);

// "user:password" -> "user:" + base64(sha1("user:password")).
std::string digest_auth_id(std::string_view user_password);

// IPv4 "a.b.c.d" or "a.b.c.d/bits" (IPAuthenticationProvider.isValid / matches).
bool is_valid_ip_expr(std::string_view expr);
bool ip_matches(std::string_view ip, std::string_view expr);

// The host part of "ip:port" or "[v6]:port".
std::string host_of(std::string_view remote);

// whoAmI's user for an id: digest -> the user before ':', ip -> the address, others -> "".
std::string auth_user(const Id& id);

}  // namespace rk
