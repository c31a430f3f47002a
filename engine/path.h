// Znode path rules: ZooKeeper's PathUtils.validatePath, parent/name splitting, and the
// reserved paths a client may not delete.
#pragma once

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

}  // namespace rk
