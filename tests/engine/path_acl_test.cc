// Path validation (PathUtils.validatePath) and ACL rules (fixupACL, checkACL, digest, ip).
#include <gtest/gtest.h>

#include "engine/acl.h"
#include "engine/path.h"

namespace rk {
namespace {

TEST(Path, ValidPaths) {
  for (const char* p : {"/", "/a", "/a/b", "/a.b", "/..a", "/a..", "/.a/b.", "/zookeeper", "/é", "/a b"}) {
    EXPECT_TRUE(is_valid_path(p)) << p;
  }
}

TEST(Path, InvalidPaths) {
  for (const char* p : {"", "a", "a/b", "/a/", "//", "/a//b", "/.", "/..", "/a/.", "/a/./b", "/a/../b",
                        "/a\x01", "/a\x7f", "/\xef\xbf\xbf",  // U+FFFF
                        "/\xee\x80\x80",                      // U+E000, private use
                        "/\xf0\x9f\x98\x80",                  // U+1F600: a surrogate pair in Java
                        "/\xc2\x80",                          // U+0080, C1 control
                        "/\xff"}) {                           // malformed UTF-8
    EXPECT_FALSE(is_valid_path(p)) << p;
  }
  EXPECT_FALSE(is_valid_path(std::string_view("/a\0b", 4)));
}

TEST(Path, ParentAndName) {
  EXPECT_EQ(parent_path("/a"), "/");
  EXPECT_EQ(parent_path("/a/b/c"), "/a/b");
  EXPECT_EQ(node_name("/a/b/c"), "c");
  EXPECT_EQ(node_name("/"), "");
  EXPECT_TRUE(is_special_path("/zookeeper/config"));
  EXPECT_FALSE(is_special_path("/zookeeper/other"));
}

TEST(Acl, DigestIdMatchesZooKeeper) {
  // Values computed independently with the JDK's SHA1 and Base64.
  EXPECT_EQ(digest_auth_id("alice:secret"), "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=");
  EXPECT_EQ(digest_auth_id("bob:"), "bob:tK1fpNO1hB0F++FhHpSq0Fa4tv0=");
}

TEST(Acl, FixupValidatesSchemes) {
  AclList out;
  std::vector<Id> none;
  EXPECT_EQ(fixup_acl({}, none, out), Err::kInvalidAcl);
  EXPECT_EQ(fixup_acl({{perm::kAll, {"world", "anyone"}}}, none, out), Err::kOk);
  EXPECT_EQ(fixup_acl({{perm::kAll, {"world", "someone"}}}, none, out), Err::kInvalidAcl);
  EXPECT_EQ(fixup_acl({{perm::kAll, {"nosuch", "x"}}}, none, out), Err::kInvalidAcl);
  EXPECT_EQ(fixup_acl({{perm::kAll, {"super", ""}}}, none, out), Err::kInvalidAcl);
  EXPECT_EQ(fixup_acl({{perm::kAll, {"digest", "user:hash"}}}, none, out), Err::kOk);
  EXPECT_EQ(fixup_acl({{perm::kAll, {"digest", "nocolon"}}}, none, out), Err::kInvalidAcl);
  EXPECT_EQ(fixup_acl({{perm::kAll, {"digest", "a:b:c"}}}, none, out), Err::kInvalidAcl);
  EXPECT_EQ(fixup_acl({{perm::kAll, {"digest", "user:"}}}, none, out), Err::kInvalidAcl);
  EXPECT_EQ(fixup_acl({{perm::kAll, {"ip", "10.1.2.3"}}}, none, out), Err::kOk);
  EXPECT_EQ(fixup_acl({{perm::kAll, {"ip", "10.1.0.0/16"}}}, none, out), Err::kOk);
  EXPECT_EQ(fixup_acl({{perm::kAll, {"ip", "10.1.0.0/33"}}}, none, out), Err::kInvalidAcl);
  EXPECT_EQ(fixup_acl({{perm::kAll, {"ip", "10.1.2"}}}, none, out), Err::kInvalidAcl);
  EXPECT_EQ(fixup_acl({{perm::kAll, {"ip", "300.1.2.3"}}}, none, out), Err::kInvalidAcl);
}

TEST(Acl, AuthSchemeExpandsToAuthenticatedIdsOnly) {
  AclList out;
  std::vector<Id> ip_only{{"ip", "10.0.0.1"}};
  EXPECT_EQ(fixup_acl({{perm::kRead, {"auth", ""}}}, ip_only, out), Err::kInvalidAcl);
  std::vector<Id> ids{{"ip", "10.0.0.1"}, {"digest", "alice:xyz"}, {"super", ""}};
  ASSERT_EQ(fixup_acl({{perm::kRead, {"auth", ""}}, {perm::kRead, {"auth", ""}}}, ids, out), Err::kOk);
  ASSERT_EQ(out.size(), 1u);  // duplicates removed first; only digest is an authenticated id
  EXPECT_EQ(out[0], (Acl{perm::kRead, {"digest", "alice:xyz"}}));
}

TEST(Acl, PermitsWorldDigestIpSuper) {
  AclList acl{{perm::kRead, {"world", "anyone"}},
              {perm::kWrite, {"digest", "alice:xyz"}},
              {perm::kDelete, {"ip", "192.168.0.0/16"}}};
  std::vector<Id> anon{{"ip", "10.0.0.1"}};
  std::vector<Id> alice{{"ip", "10.0.0.1"}, {"digest", "alice:xyz"}};
  std::vector<Id> lan{{"ip", "192.168.7.9"}};
  std::vector<Id> super{{"super", ""}};
  EXPECT_TRUE(acl_permits(acl, perm::kRead, anon));
  EXPECT_FALSE(acl_permits(acl, perm::kWrite, anon));
  EXPECT_TRUE(acl_permits(acl, perm::kWrite, alice));
  EXPECT_FALSE(acl_permits(acl, perm::kDelete, alice));
  EXPECT_TRUE(acl_permits(acl, perm::kDelete, lan));
  EXPECT_FALSE(acl_permits(acl, perm::kAdmin, lan));
  EXPECT_TRUE(acl_permits(acl, perm::kAdmin, super));
  EXPECT_TRUE(acl_permits({}, perm::kAdmin, anon));  // an empty ACL allows everything
}

TEST(Acl, IpMatching) {
  EXPECT_TRUE(ip_matches("10.1.2.3", "10.1.2.3"));
  EXPECT_FALSE(ip_matches("10.1.2.4", "10.1.2.3"));
  EXPECT_TRUE(ip_matches("10.1.200.3", "10.1.0.0/16"));
  EXPECT_TRUE(ip_matches("10.1.2.3", "10.1.2.0/25"));
  EXPECT_FALSE(ip_matches("10.1.2.200", "10.1.2.0/25"));
  EXPECT_TRUE(ip_matches("1.2.3.4", "9.9.9.9/0"));
  EXPECT_FALSE(ip_matches("::1", "10.1.2.3"));
  EXPECT_EQ(host_of("10.0.0.1:5000"), "10.0.0.1");
  EXPECT_EQ(host_of("[::1]:5000"), "::1");
}

}  // namespace
}  // namespace rk
