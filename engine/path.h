// Znode path rules: ZooKeeper's PathUtils.validatePath, parent/name splitting, and the
// reserved paths a client may not delete.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace rk {

inline constexpr std::string_view kRootPath = "/";
inline constexpr std::string_view kZookeeperPath = "/zookeeper";
inline constexpr std::string_view kQuotaPath = "/zookeeper/quota";
inline constexpr std::string_view kConfigPath = "/zookeeper/config";

// True if `path` is a well-formed absolute znode path, as PathUtils.validatePath decides:
// starts with '/', no trailing '/', no empty, "." or ".." components, no NUL, no control or
// private-use characters. The path is UTF-8; characters Java holds as surrogate pairs (above
// U+FFFF) and malformed UTF-8 (which Java decodes to U+FFFD) are rejected as Java does.
bool is_valid_path(std::string_view path);

// The parent of an absolute path: "/a/b" -> "/a", "/a" -> "/". `path` must contain a '/'.
std::string_view parent_path(std::string_view path);

// The last component: "/a/b" -> "b", "/" -> "".
std::string_view node_name(std::string_view path);

// "/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config" (DataTree.isSpecialPath).
bool is_special_path(std::string_view path);

// The hash every path-keyed table of the engine uses, so a path hashed once can be looked up
// in all of them (validation probes the in-flight changes, then the tree, then records a
// change for the same path).
inline size_t path_hash(std::string_view path) { return std::hash<std::string_view>{}(path); }

// A path and its path_hash(). The view must outlive the lookups it is used for.
struct HashedPath {
  std::string_view path;
  size_t hash;
};
inline HashedPath hashed_path(std::string_view path) { return HashedPath{path, path_hash(path)}; }

// Hash and equality for tables keyed by std::string that are probed with a string_view or a
// HashedPath (whose hash is not computed again). Deliberately not noexcept: libstdc++ then
// keeps each node's hash, so a rehash or a bucket walk never hashes a stored key again.
struct PathHash {
  using is_transparent = void;
  size_t operator()(std::string_view path) const { return path_hash(path); }
  size_t operator()(const HashedPath& key) const { return key.hash; }
};
struct PathEq {
  using is_transparent = void;
  static std::string_view view(std::string_view path) { return path; }
  static std::string_view view(const HashedPath& key) { return key.path; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return view(a) == view(b);
  }
};

}  // namespace rk
