// ACL checks and the auth schemes, following ZooKeeper 3.8's PrepRequestProcessor.fixupACL,
// ZooKeeperServer.checkACL, DigestAuthenticationProvider and IPAuthenticationProvider.
#include "engine/acl.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

#include "base/base64.h"
#include "base/sha1.h"

namespace rk {
namespace {

// Java's String.split(":").length: pieces between separators, trailing empty pieces dropped.
size_t java_split_count(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  while (!parts.empty() && parts.back().empty()) parts.pop_back();
  if (s.empty()) return 1;  // Java keeps the single empty piece of an empty input
  return parts.size();
}

std::optional<int> parse_int(std::string_view s) {
  int v = 0;
  if (s.empty()) return std::nullopt;
  const char* begin = s.data();
  if (*begin == '+') ++begin;  // Integer.parseInt accepts a leading sign
  auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || begin == s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

std::optional<std::array<uint8_t, 4>> parse_ipv4(std::string_view addr) {
  std::array<uint8_t, 4> out{};
  for (int i = 0; i < 4; ++i) {
    size_t dot = addr.find('.');
    if ((i < 3) != (dot != std::string_view::npos)) return std::nullopt;
    auto v = parse_int(addr.substr(0, dot));
    if (!v || *v < 0 || *v > 255) return std::nullopt;
    out[i] = static_cast<uint8_t>(*v);
    addr = i < 3 ? addr.substr(dot + 1) : std::string_view();
  }
  return out;
}

void mask_bits(std::array<uint8_t, 4>& addr, int bits) {
  for (int i = 0; i < 4; ++i) {
    int keep = std::clamp(bits - 8 * i, 0, 8);
    addr[i] &= static_cast<uint8_t>(0xFF00 >> keep);
  }
}

// Splits "addr[/bits]"; bits defaults to 32. nullopt if malformed.
std::optional<std::pair<std::array<uint8_t, 4>, int>> parse_ip_expr(std::string_view expr) {
  size_t slash = expr.find('/');
  auto addr = parse_ipv4(expr.substr(0, slash));
  if (!addr) return std::nullopt;
  int bits = 32;
  if (slash != std::string_view::npos) {
    auto b = parse_int(expr.substr(slash + 1));
    if (!b || *b < 0 || *b > 32) return std::nullopt;
    bits = *b;
  }
  return std::make_pair(*addr, bits);
}

bool is_authenticated_scheme(std::string_view scheme) { return scheme == "digest"; }

bool id_matches(const Id& auth, const Id& acl_id) {
  if (auth.scheme != acl_id.scheme) return false;
  if (acl_id.scheme == "digest") return auth.id == acl_id.id;
  if (acl_id.scheme == "ip") return ip_matches(auth.id, acl_id.id);
  return false;  // no provider for other schemes
}

}  // namespace

const AclRef& open_acl_unsafe() {
  static const AclRef acl = std::make_shared<const AclList>(AclList{{perm::kAll, {"world", "anyone"}}});
  return acl;
}

const AclRef& read_acl_unsafe() {
  static const AclRef acl = std::make_shared<const AclList>(AclList{{perm::kRead, {"world", "anyone"}}});
  return acl;
}

AclRef make_acl(AclList&& acl) {
  if (acl == *open_acl_unsafe()) return open_acl_unsafe();
  return std::make_shared<const AclList>(std::move(acl));
}

AclRef make_acl(const AclList& acl) {
  if (acl == *open_acl_unsafe()) return open_acl_unsafe();
  return std::make_shared<const AclList>(acl);
}

Err fixup_acl(const AclList& requested, const std::vector<Id>& auth_ids, AclList& out) {
  out.clear();
  if (requested.empty()) return Err::kInvalidAcl;
  out.reserve(requested.size());
  // Duplicates are skipped where they repeat an earlier entry, which visits the entries a
  // de-duplicated copy would hold, in the same order, without making the copy.
  for (auto at = requested.begin(); at != requested.end(); ++at) {
    const Acl& a = *at;
    if (std::find(requested.begin(), at, a) != at) continue;
    const Id& id = a.id;
    if (id.scheme == "world" && id.id == "anyone") {
      out.push_back(a);
    } else if (id.scheme == "auth") {
      bool expanded = false;
      for (const Id& cid : auth_ids) {
        if (!is_authenticated_scheme(cid.scheme)) continue;
        out.push_back(Acl{a.perms, cid});
        expanded = true;
      }
      if (!expanded) return Err::kInvalidAcl;
    } else if (id.scheme == "digest") {
      if (java_split_count(id.id, ':') != 2) return Err::kInvalidAcl;
      out.push_back(a);
    } else if (id.scheme == "ip") {
      if (!is_valid_ip_expr(id.id)) return Err::kInvalidAcl;
      out.push_back(a);
    } else {
      return Err::kInvalidAcl;
    }
  }
  return Err::kOk;
}

bool acl_permits(const AclList& acl, int32_t perm, const std::vector<Id>& ids) {
  if (acl.empty()) return true;
  for (const Id& id : ids) {
    if (id.scheme == "super") return true;
  }
  for (const Acl& a : acl) {
    if ((a.perms & perm) == 0) continue;
    if (a.id.scheme == "world" && a.id.id == "anyone") return true;
    for (const Id& id : ids) {
      if (id_matches(id, a.id)) return true;
    }
  }
  return false;
}

std::string digest_auth_id(std::string_view user_password) {
  Sha1Digest d = sha1(user_password);
  std::string_view user = user_password.substr(0, user_password.find(':'));
  std::string out(user);
  out += ':';
  out += base64_encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
  return out;
}

bool is_valid_ip_expr(std::string_view expr) { return parse_ip_expr(expr).has_value(); }

bool ip_matches(std::string_view ip, std::string_view expr) {
  auto acl = parse_ip_expr(expr);
  if (!acl) return false;
  auto remote = parse_ipv4(ip);
  if (!remote) return false;
  auto [acl_addr, bits] = *acl;
  mask_bits(acl_addr, bits);
  mask_bits(*remote, bits);
  return acl_addr == *remote;
}

std::string host_of(std::string_view remote) {
  if (!remote.empty() && remote[0] == '[') {
    size_t close = remote.find(']');
    return std::string(remote.substr(1, close == std::string_view::npos ? close : close - 1));
  }
  size_t colon = remote.rfind(':');
  if (colon == std::string_view::npos || remote.find(':') != colon) return std::string(remote);
  return std::string(remote.substr(0, colon));
}

std::string auth_user(const Id& id) {
  if (id.scheme == "digest") return std::string(std::string_view(id.id).substr(0, id.id.find(':')));
  if (id.scheme == "ip") return id.id;
  return "";
}

}  // namespace rk
