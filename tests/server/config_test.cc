// Tests for zoo.cfg parsing: Properties syntax, every key and default, error messages that name
// file:line:key, server.N forms and quorum rules, and dataDir/myid.
#include "server/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace rk {
namespace {

// A minimal valid standalone file; tests append lines to it.
constexpr const char* kBase = "tickTime=2000\ndataDir=/var/rk\nclientPort=2181\n";

ServerConfig parse_ok(const std::string& text) {
  Result<ServerConfig> config = parse_config(text, "zoo.cfg");
  EXPECT_TRUE(config.is_ok()) << (config ? "" : config.status().message());
  return config ? *config : ServerConfig{};
}

std::string parse_error(const std::string& text) {
  Result<ServerConfig> config = parse_config(text, "zoo.cfg");
  EXPECT_FALSE(config.is_ok()) << "parsed, but should not have:\n" << text;
  return config ? "" : config.status().message();
}

bool has_warning(const ServerConfig& config, std::string_view needle) {
  for (const std::string& w : config.warnings) {
    if (w.find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST(ConfigTest, DefaultsMatchZooKeeper) {
  ServerConfig c = parse_ok("dataDir=/var/rk\nclientPort=2181\n");
  EXPECT_EQ(c.tick_time_ms, 3000);
  EXPECT_EQ(c.data_dir, "/var/rk");
  EXPECT_EQ(c.data_log_dir, "/var/rk");
  EXPECT_EQ(c.client_port, 2181);
  EXPECT_EQ(c.client_port_address, "");
  EXPECT_EQ(c.max_client_cnxns, 60);
  EXPECT_EQ(c.min_session_timeout_ms, 6000);
  EXPECT_EQ(c.max_session_timeout_ms, 60000);
  EXPECT_EQ(c.pre_alloc_size_kib, 65536);
  EXPECT_EQ(c.snap_count, 100000);
  EXPECT_EQ(c.snap_retain_count, 3);
  EXPECT_EQ(c.purge_interval_hours, 0);
  EXPECT_TRUE(c.force_sync);
  EXPECT_EQ(c.fsync_warning_threshold_ms, 1000);
  EXPECT_EQ(c.four_letter_words, std::vector<std::string>{"srvr"});
  EXPECT_EQ(c.jute_max_buffer_bytes, 0xfffff);
  EXPECT_EQ(c.init_limit_ticks, 0);
  EXPECT_EQ(c.sync_limit_ticks, 0);
  EXPECT_EQ(c.election_alg, 3);
  EXPECT_EQ(c.peer_type, PeerRole::kParticipant);
  EXPECT_TRUE(c.standalone_enabled);
  EXPECT_FALSE(c.reconfig_enabled);
  EXPECT_TRUE(c.sync_enabled);
  EXPECT_TRUE(c.digest_enabled);
  EXPECT_FALSE(c.extended_types_enabled);
  EXPECT_EQ(c.super_digest, "");
  EXPECT_EQ(c.container_check_interval_ms, 60000);
  EXPECT_TRUE(c.admin_enable_server);
  EXPECT_EQ(c.admin_server_port, 8080);
  EXPECT_EQ(c.reactor_threads, 0);
  EXPECT_EQ(c.log_level, LogLevel::kInfo);
  EXPECT_TRUE(c.members.empty());
  EXPECT_FALSE(c.is_quorum());
  EXPECT_EQ(c.my_id, -1);
  EXPECT_TRUE(c.warnings.empty());
}

TEST(ConfigTest, EveryKeyIsRead) {
  ServerConfig c = parse_ok(
      "tickTime=500\n"
      "dataDir=/d\n"
      "dataLogDir=/l\n"
      "clientPort=3000\n"
      "clientPortAddress=10.0.0.1\n"
      "maxClientCnxns=0\n"
      "minSessionTimeout=1500\n"
      "maxSessionTimeout=90000\n"
      "initLimit=10\n"
      "syncLimit=5\n"
      "preAllocSize=1024\n"
      "snapCount=5000\n"
      "autopurge.snapRetainCount=7\n"
      "autopurge.purgeInterval=24\n"
      "forceSync=no\n"
      "fsync.warningthresholdms=250\n"
      "4lw.commands.whitelist=ruok, stat ,mntr\n"
      "jute.maxbuffer=4194304\n"
      "electionAlg=3\n"
      "peerType=observer\n"
      "standaloneEnabled=true\n"
      "reconfigEnabled=TRUE\n"
      "syncEnabled=false\n"
      "admin.enableServer=false\n"
      "admin.serverPort=9090\n"
      "digest.enabled=false\n"
      "extendedTypesEnabled=true\n"
      "DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=\n"
      "znode.container.checkIntervalMs=1000\n"
      "ringkeeper.reactorThreads=4\n"
      "ringkeeper.txnLogZeroFill=writes\n"
      "ringkeeper.logLevel=DEBUG\n");
  EXPECT_EQ(c.tick_time_ms, 500);
  EXPECT_EQ(c.data_dir, "/d");
  EXPECT_EQ(c.data_log_dir, "/l");
  EXPECT_EQ(c.client_port, 3000);
  EXPECT_EQ(c.client_port_address, "10.0.0.1");
  EXPECT_EQ(c.max_client_cnxns, 0);
  EXPECT_EQ(c.min_session_timeout_ms, 1500);
  EXPECT_EQ(c.max_session_timeout_ms, 90000);
  EXPECT_EQ(c.init_limit_ticks, 10);
  EXPECT_EQ(c.sync_limit_ticks, 5);
  EXPECT_EQ(c.pre_alloc_size_kib, 1024);
  EXPECT_EQ(c.txn_log_zero_fill, ZeroFill::kWrites);
  EXPECT_EQ(c.snap_count, 5000);
  EXPECT_EQ(c.snap_retain_count, 7);
  EXPECT_EQ(c.purge_interval_hours, 24);
  EXPECT_FALSE(c.force_sync);
  EXPECT_EQ(c.fsync_warning_threshold_ms, 250);
  EXPECT_EQ(c.four_letter_words, (std::vector<std::string>{"ruok", "stat", "mntr", "srvr"}));
  EXPECT_EQ(c.jute_max_buffer_bytes, 4194304);
  EXPECT_EQ(c.election_alg, 3);
  EXPECT_EQ(c.peer_type, PeerRole::kObserver);
  EXPECT_TRUE(c.standalone_enabled);
  EXPECT_TRUE(c.reconfig_enabled);
  EXPECT_FALSE(c.sync_enabled);
  EXPECT_FALSE(c.admin_enable_server);
  EXPECT_EQ(c.admin_server_port, 9090);
  EXPECT_FALSE(c.digest_enabled);
  EXPECT_TRUE(c.extended_types_enabled);
  EXPECT_EQ(c.super_digest, "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
  EXPECT_EQ(c.container_check_interval_ms, 1000);
  EXPECT_EQ(c.reactor_threads, 4);
  EXPECT_EQ(c.log_level, LogLevel::kDebug);
  EXPECT_TRUE(c.warnings.empty()) << c.warnings.front();
}

TEST(ConfigTest, ZooKeeperPrefixedSystemPropertiesAreAccepted) {
  ServerConfig c = parse_ok(std::string(kBase) +
                            "zookeeper.jute.maxbuffer=0x200000\n"
                            "zookeeper.extendedTypesEnabled=true\n"
                            "zookeeper.DigestAuthenticationProvider.superDigest=super:abc\n"
                            "zookeeper.znode.container.checkIntervalMs=5000\n");
  EXPECT_EQ(c.jute_max_buffer_bytes, 0x200000);
  EXPECT_TRUE(c.extended_types_enabled);
  EXPECT_EQ(c.super_digest, "super:abc");
  EXPECT_EQ(c.container_check_interval_ms, 5000);
  EXPECT_TRUE(c.warnings.empty());
}

TEST(ConfigTest, PropertiesSyntax) {
  ServerConfig c = parse_ok(
      "# a comment\n"
      "! another comment\n"
      "   \t\n"
      "   # indented comment\n"
      "  tickTime   =   2500   \n"
      "dataDir: /var/lib/rk\r\n"
      "clientPort 2182\r\n"
      "maxClientCnxns=\\\n"
      "          17\n"
      "4lw.commands.whitelist=ruok,\\\n"
      "   stat\n"
      "ringkeeper.logLevel\t=\twarn");
  EXPECT_EQ(c.tick_time_ms, 2500);
  EXPECT_EQ(c.data_dir, "/var/lib/rk");
  EXPECT_EQ(c.client_port, 2182);
  EXPECT_EQ(c.max_client_cnxns, 17);
  EXPECT_EQ(c.four_letter_words, (std::vector<std::string>{"ruok", "stat", "srvr"}));
  EXPECT_EQ(c.log_level, LogLevel::kWarn);
}

TEST(ConfigTest, EscapesInKeysAndValues) {
  ServerConfig c = parse_ok(
      "dataDir=/var/with\\ space/\\u0072k\n"
      "clientPort=2181\n"
      "odd\\=key=1\n");
  EXPECT_EQ(c.data_dir, "/var/with space/rk");
  ASSERT_EQ(c.entries.size(), 3u);
  EXPECT_EQ(c.entries[2].key, "odd=key");
  EXPECT_EQ(parse_error(std::string(kBase) + "x=\\u12\n"), "zoo.cfg:4: malformed \\uxxxx escape");
  // An even number of trailing backslashes is an escaped backslash, not a continuation.
  ServerConfig even = parse_ok("DigestAuthenticationProvider.superDigest=super:ab\\\\\n"
                               "dataDir=/d\nclientPort=2181\n");
  EXPECT_EQ(even.super_digest, "super:ab\\");
  EXPECT_EQ(even.data_dir, "/d");
}

TEST(ConfigTest, LineNumbersCountEveryLineEndingStyle) {
  std::string message = parse_error("dataDir=/d\r\nclientPort=1\rx=\\\ny\n\ntickTime=abc\n");
  EXPECT_EQ(message, "zoo.cfg:6: tickTime: expected a positive integer, got \"abc\"");
}

TEST(ConfigTest, EntriesKeepFileOrderAndTheLaterDuplicateWins) {
  ServerConfig c = parse_ok("clientPort=1\ndataDir=/a\ntickTime=100\nclientPort=2\n");
  ASSERT_EQ(c.entries.size(), 3u);
  EXPECT_EQ(c.entries[0].key, "clientPort");
  EXPECT_EQ(c.entries[0].value, "2");
  EXPECT_EQ(c.entries[1].key, "dataDir");
  EXPECT_EQ(c.entries[2].key, "tickTime");
  EXPECT_EQ(c.client_port, 2);
  EXPECT_TRUE(has_warning(c, "zoo.cfg:4: clientPort set again (was on line 1)"));
}

TEST(ConfigTest, AnEarlierMalformedDuplicateIsNotAnError) {
  // java.util.Properties keeps only the last value, so ZooKeeper never sees the first one.
  ServerConfig c = parse_ok(std::string(kBase) + "tickTime=abc\ntickTime=100\n");
  EXPECT_EQ(c.tick_time_ms, 100);
}

TEST(ConfigTest, UnknownKeysWarnWithFileAndLine) {
  ServerConfig c = parse_ok(std::string(kBase) + "globalOutstandingLimit=1000\n");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0], "zoo.cfg:4: unknown key \"globalOutstandingLimit\" ignored");
}

TEST(ConfigTest, IgnoredFeaturesWarn) {
  ServerConfig c = parse_ok(std::string(kBase) +
                            "metricsProvider.className=org.x.Prometheus\n"
                            "metricsProvider.httpPort=7000\n"
                            "admin.enableServer=true\n");
  EXPECT_TRUE(has_warning(c, "zoo.cfg:4: metricsProvider.className: metrics providers"));
  EXPECT_TRUE(has_warning(c, "zoo.cfg:5: metricsProvider.httpPort"));
  EXPECT_TRUE(has_warning(c, "zoo.cfg:6: admin.enableServer"));
  EXPECT_TRUE(c.admin_enable_server);
}

TEST(ConfigTest, MalformedValuesNameFileLineAndKey) {
  struct Case {
    std::string line;
    std::string expected;  // message after "zoo.cfg:4: "
  };
  const Case cases[] = {
      {"tickTime=abc", "tickTime: expected a positive integer, got \"abc\""},
      {"tickTime=0", "tickTime: expected a positive integer, got \"0\""},
      {"tickTime=99999999999", "tickTime: expected a positive integer, got \"99999999999\""},
      {"tickTime=", "tickTime: expected a positive integer, got \"\""},
      {"tickTime=12ms", "tickTime: expected a positive integer, got \"12ms\""},
      {"dataDir=", "dataDir: expected a directory, got \"\""},
      {"dataLogDir=", "dataLogDir: expected a directory, got \"\""},
      {"clientPort=65536", "clientPort: expected a port number (1-65535), got \"65536\""},
      {"clientPort=-1", "clientPort: expected a port number (1-65535), got \"-1\""},
      {"clientPortAddress=", "clientPortAddress: expected a host name or address, got \"\""},
      {"maxClientCnxns=-2", "maxClientCnxns: expected a non-negative integer, got \"-2\""},
      {"minSessionTimeout=-5", "minSessionTimeout: expected -1 or a non-negative integer (ms)"},
      {"maxSessionTimeout=x", "maxSessionTimeout: expected -1 or a non-negative integer (ms)"},
      {"initLimit=ten", "initLimit: expected a non-negative integer, got \"ten\""},
      {"syncLimit=-1", "syncLimit: expected a non-negative integer, got \"-1\""},
      {"preAllocSize=0", "preAllocSize: expected a positive size in KiB"},
      {"snapCount=lots", "snapCount: expected an integer, got \"lots\""},
      {"autopurge.snapRetainCount=x", "autopurge.snapRetainCount: expected an integer"},
      {"autopurge.purgeInterval=1h", "autopurge.purgeInterval: expected an integer (hours)"},
      {"forceSync=maybe", "forceSync: expected yes or no, got \"maybe\""},
      {"fsync.warningthresholdms=-1", "fsync.warningthresholdms: expected a non-negative"},
      {"jute.maxbuffer=0", "jute.maxbuffer: expected a positive number of bytes, got \"0\""},
      {"zookeeper.jute.maxbuffer=big", "zookeeper.jute.maxbuffer: expected a positive number"},
      {"electionAlg=1", "electionAlg: expected 3 (the only election algorithm"},
      {"peerType=witness", "peerType: expected participant or observer, got \"witness\""},
      {"standaloneEnabled=yes", "standaloneEnabled: expected true or false, got \"yes\""},
      {"reconfigEnabled=1", "reconfigEnabled: expected true or false, got \"1\""},
      {"syncEnabled=on", "syncEnabled: expected true or false, got \"on\""},
      {"admin.enableServer=no", "admin.enableServer: expected true or false, got \"no\""},
      {"admin.serverPort=0", "admin.serverPort: expected a port number (1-65535), got \"0\""},
      {"digest.enabled=2", "digest.enabled: expected true or false, got \"2\""},
      {"extendedTypesEnabled=y", "extendedTypesEnabled: expected true or false, got \"y\""},
      {"DigestAuthenticationProvider.superDigest=nocolon",
       "DigestAuthenticationProvider.superDigest: expected super:<digest>, got \"nocolon\""},
      {"znode.container.checkIntervalMs=0", "znode.container.checkIntervalMs: expected a positive"},
      {"ringkeeper.reactorThreads=1000", "ringkeeper.reactorThreads: expected an integer from 0"},
      {"ringkeeper.txnLogZeroFill=zeros", "ringkeeper.txnLogZeroFill: expected device or writes"},
      {"ringkeeper.logLevel=loud", "ringkeeper.logLevel: expected one of debug, info, warn, error"},
      {"group.1=1:2:3", "group.1: hierarchical quorums"},
      {"weight.1=1", "weight.1: hierarchical quorums"},
      {"dynamicConfigFile=/etc/zoo.cfg.dynamic", "dynamicConfigFile: a separate dynamic config"},
  };
  for (const Case& c : cases) {
    std::string message = parse_error(std::string(kBase) + c.line + "\n");
    EXPECT_EQ(message.rfind("zoo.cfg:4: " + c.expected, 0), 0u)
        << "line: " << c.line << "\nmessage: " << message;
  }
}

TEST(ConfigTest, DataDirIsRequired) {
  EXPECT_EQ(parse_error("tickTime=2000\nclientPort=2181\n"),
            "zoo.cfg: dataDir is not set (it is required)");
}

TEST(ConfigTest, ClientPortIsRequiredStandalone) {
  EXPECT_EQ(parse_error("dataDir=/d\n"), "zoo.cfg: clientPort is not set");
  EXPECT_EQ(parse_error("dataDir=/d\nclientPort=0\n"), "zoo.cfg: clientPort is not set");
}

TEST(ConfigTest, ClientPortAddressNeedsClientPort) {
  std::string message = parse_error("dataDir=/d\nclientPortAddress=1.2.3.4\n"
                                    "server.1=a:1:2\nserver.2=b:1:2\ninitLimit=5\nsyncLimit=2\n");
  EXPECT_EQ(message, "zoo.cfg:2: clientPortAddress: set but clientPort is not set");
}

TEST(ConfigTest, RelativeDirsResolveAgainstTheWorkingDirectory) {
  ServerConfig c = parse_ok("dataDir=data\ndataLogDir=./logs/../txlog\nclientPort=1\n");
  const std::filesystem::path cwd = std::filesystem::current_path();
  EXPECT_EQ(c.data_dir, (cwd / "data").string());
  EXPECT_EQ(c.data_log_dir, (cwd / "txlog").string());
}

TEST(ConfigTest, SessionTimeoutsDeriveFromTickTimeUnlessSet) {
  ServerConfig derived = parse_ok("dataDir=/d\nclientPort=1\ntickTime=100\n");
  EXPECT_EQ(derived.min_session_timeout_ms, 200);
  EXPECT_EQ(derived.max_session_timeout_ms, 2000);
  // Order in the file does not matter: tickTime after the timeouts still counts.
  ServerConfig minus_one = parse_ok(
      "minSessionTimeout=-1\nmaxSessionTimeout=-1\ndataDir=/d\nclientPort=1\ntickTime=100\n");
  EXPECT_EQ(minus_one.min_session_timeout_ms, 200);
  EXPECT_EQ(minus_one.max_session_timeout_ms, 2000);
  ServerConfig only_max = parse_ok("dataDir=/d\nclientPort=1\ntickTime=100\nmaxSessionTimeout=500\n");
  EXPECT_EQ(only_max.min_session_timeout_ms, 200);
  EXPECT_EQ(only_max.max_session_timeout_ms, 500);
}

TEST(ConfigTest, MinSessionTimeoutAboveMaxIsAnError) {
  EXPECT_EQ(parse_error(std::string(kBase) + "minSessionTimeout=5000\nmaxSessionTimeout=4000\n"),
            "zoo.cfg:4: minSessionTimeout: minSessionTimeout (5000 ms) must not be larger than "
            "maxSessionTimeout (4000 ms)");
  // Derived max (20 x 2000) below an explicit min.
  EXPECT_EQ(parse_error(std::string(kBase) + "minSessionTimeout=50000\n").rfind("zoo.cfg:4:", 0),
            0u);
}

TEST(ConfigTest, SnapRetainCountBelowThreeBecomesThreeWithAWarning) {
  ServerConfig c = parse_ok(std::string(kBase) + "autopurge.snapRetainCount=1\n");
  EXPECT_EQ(c.snap_retain_count, 3);
  EXPECT_TRUE(has_warning(c, "zoo.cfg:4: autopurge.snapRetainCount 1 is below the minimum"));
}

TEST(ConfigTest, SnapCountBelowTwoBecomesTwoWithAWarning) {
  ServerConfig c = parse_ok(std::string(kBase) + "snapCount=1\n");
  EXPECT_EQ(c.snap_count, 2);
  EXPECT_TRUE(has_warning(c, "zoo.cfg:4: snapCount 1 is below the minimum"));
}

TEST(ConfigTest, NegativePurgeIntervalDisablesPurging) {
  ServerConfig c = parse_ok(std::string(kBase) + "autopurge.purgeInterval=-1\n");
  EXPECT_EQ(c.purge_interval_hours, 0);
  EXPECT_TRUE(has_warning(c, "zoo.cfg:4: autopurge.purgeInterval"));
}

TEST(ConfigTest, ForceSyncAndBooleansIgnoreCase) {
  ServerConfig c = parse_ok(std::string(kBase) + "forceSync=NO\ndigest.enabled=False\n");
  EXPECT_FALSE(c.force_sync);
  EXPECT_FALSE(c.digest_enabled);
  EXPECT_TRUE(parse_ok(std::string(kBase) + "forceSync=Yes\n").force_sync);
  EXPECT_EQ(parse_ok(kBase).txn_log_zero_fill, ZeroFill::kDevice);
  EXPECT_EQ(parse_ok(std::string(kBase) + "ringkeeper.txnLogZeroFill=Device\n").txn_log_zero_fill,
            ZeroFill::kDevice);
}

TEST(ConfigTest, FourLetterWordWhitelist) {
  ServerConfig all = parse_ok(std::string(kBase) + "4lw.commands.whitelist=*\n");
  for (const char* word : {"conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk",
                           "srst", "srvr", "stat", "wchc", "wchp", "wchs", "mntr", "isro", "hash"}) {
    EXPECT_TRUE(all.four_letter_word_allowed(word)) << word;
  }
  EXPECT_FALSE(all.four_letter_word_allowed("kill"));

  ServerConfig some = parse_ok(std::string(kBase) + "4lw.commands.whitelist=ruok,,bogus, conf\n");
  EXPECT_TRUE(some.four_letter_word_allowed("ruok"));
  EXPECT_TRUE(some.four_letter_word_allowed("conf"));
  EXPECT_TRUE(some.four_letter_word_allowed("srvr"));  // always on: zkServer.sh status uses it
  EXPECT_FALSE(some.four_letter_word_allowed("stat"));
  EXPECT_FALSE(some.four_letter_word_allowed("bogus"));
  EXPECT_TRUE(has_warning(some, "zoo.cfg:4: 4lw.commands.whitelist: unknown four-letter word"));

  ServerConfig none = parse_ok(kBase);
  EXPECT_TRUE(none.four_letter_word_allowed("srvr"));
  EXPECT_FALSE(none.four_letter_word_allowed("ruok"));
}

// ---------------------------------------------------------------------------------------------
// server.N

constexpr const char* kEnsemble =
    "tickTime=2000\ndataDir=/d\nclientPort=2181\ninitLimit=10\nsyncLimit=5\n";

TEST(ConfigTest, ServerLinesDefineTheEnsemble) {
  ServerConfig c = parse_ok(std::string(kEnsemble) +
                            "server.3=zk3.example.com:2888:3888\n"
                            "server.1=10.0.0.1:2888:3888:participant\n"
                            "server.2=zk2:2889:3889:observer;2182\n"
                            "server.4=[fe80::1]:2888:3888;[::1]:2183\n"
                            "server.5=zk5:2888:3888:PARTICIPANT;127.0.0.1:2184\n");
  ASSERT_EQ(c.members.size(), 5u);
  EXPECT_TRUE(c.is_quorum());
  const QuorumMember& m1 = c.members[0];
  EXPECT_EQ(m1.id, 1);
  EXPECT_EQ(m1.host, "10.0.0.1");
  EXPECT_EQ(m1.quorum_port, 2888);
  EXPECT_EQ(m1.election_port, 3888);
  EXPECT_EQ(m1.role, PeerRole::kParticipant);
  EXPECT_EQ(m1.client_port, 0);
  const QuorumMember& m2 = c.members[1];
  EXPECT_EQ(m2.host, "zk2");
  EXPECT_EQ(m2.quorum_port, 2889);
  EXPECT_EQ(m2.election_port, 3889);
  EXPECT_EQ(m2.role, PeerRole::kObserver);
  EXPECT_EQ(m2.client_port, 2182);
  EXPECT_EQ(m2.client_address, "");
  EXPECT_EQ(c.members[2].host, "zk3.example.com");
  const QuorumMember& m4 = c.members[3];
  EXPECT_EQ(m4.host, "fe80::1");
  EXPECT_EQ(m4.client_address, "::1");
  EXPECT_EQ(m4.client_port, 2183);
  EXPECT_EQ(c.members[4].client_address, "127.0.0.1");
  EXPECT_EQ(c.members[4].client_port, 2184);
  EXPECT_EQ(c.members[4].role, PeerRole::kParticipant);
}

TEST(ConfigTest, MalformedServerLinesNameFileLineAndKey) {
  struct Case {
    std::string line;
    std::string expected;
  };
  const Case cases[] = {
      {"server.x=a:1:2", "server.x: expected server.N with N a number from 0 to 255"},
      {"server.256=a:1:2", "server.256: expected server.N"},
      {"server.=a:1:2", "server.: expected server.N"},
      {"server.2=a:2888", "server.2: expected host:quorumPort:electionPort"},
      {"server.2=a:1:2:3:4", "server.2: expected host:quorumPort:electionPort"},
      {"server.2=:1:2", "server.2: expected host:quorumPort:electionPort"},
      {"server.2=a:x:2", "server.2: ports must be numbers 1-65535, got \"a:x:2\""},
      {"server.2=a:1:70000", "server.2: ports must be numbers 1-65535"},
      {"server.2=a:2888:2888", "server.2: quorum and election ports must differ"},
      {"server.2=a:1:2:witness", "server.2: unknown role \"witness\""},
      {"server.2=a:1:2;x", "server.2: client port must be a number 1-65535"},
      {"server.2=a:1:2;h:1:2", "server.2: bad client address"},
      {"server.2=a:1:2;1;2", "server.2: more than one ';'"},
      {"server.2=a:1:2|b:1:2", "server.2: several addresses per server"},
      {"server.2=[::1:1:2", "server.2: expected host:quorumPort:electionPort"},
  };
  for (const Case& c : cases) {
    std::string message =
        parse_error(std::string(kEnsemble) + "server.1=h:1:2\n" + c.line + "\nserver.3=h:1:2\n");
    EXPECT_EQ(message.rfind("zoo.cfg:7: " + c.expected, 0), 0u)
        << "line: " << c.line << "\nmessage: " << message;
  }
}

TEST(ConfigTest, DuplicateServerIdsAreRejected) {
  EXPECT_EQ(parse_error(std::string(kEnsemble) + "server.1=a:1:2\nserver.01=b:1:2\n"),
            "zoo.cfg:7: server.01: server id 1 already defined on line 6");
}

TEST(ConfigTest, QuorumNeedsInitAndSyncLimit) {
  const std::string servers = "server.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\n";
  EXPECT_EQ(parse_error("dataDir=/d\nsyncLimit=2\n" + servers), "zoo.cfg: initLimit is not set");
  EXPECT_EQ(parse_error("dataDir=/d\ninitLimit=2\n" + servers), "zoo.cfg: syncLimit is not set");
}

TEST(ConfigTest, OneParticipantRunsStandaloneUnlessStandaloneIsDisabled) {
  ServerConfig lone = parse_ok(std::string(kBase) + "server.1=a:1:2\n");
  EXPECT_FALSE(lone.is_quorum());
  EXPECT_TRUE(has_warning(lone, "zoo.cfg:4: only one server.N line"));
  ServerConfig forced =
      parse_ok(std::string(kEnsemble) + "standaloneEnabled=false\nserver.1=a:1:2\n");
  EXPECT_TRUE(forced.is_quorum());
}

TEST(ConfigTest, MemberCountRules) {
  EXPECT_EQ(parse_error(std::string(kEnsemble) + "server.1=a:1:2:observer\n"),
            "zoo.cfg:6: observers without participants");
  EXPECT_EQ(parse_error(std::string(kEnsemble) + "server.1=a:1:2\nserver.2=b:1:2:observer\n"),
            "zoo.cfg:6: observers without a quorum");
  EXPECT_EQ(parse_error(std::string(kEnsemble) + "standaloneEnabled=false\n"),
            "zoo.cfg:6: standaloneEnabled: false requires at least one participant server.N line");
  ServerConfig two = parse_ok(std::string(kEnsemble) + "server.1=a:1:2\nserver.2=b:1:2\n");
  EXPECT_TRUE(two.is_quorum());
  EXPECT_TRUE(has_warning(two, "no server failure will be tolerated"));
  ServerConfig four = parse_ok(std::string(kEnsemble) +
                               "server.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\nserver.4=d:1:2\n");
  EXPECT_TRUE(has_warning(four, "consider an odd number of servers"));
  ServerConfig three = parse_ok(std::string(kEnsemble) +
                                "server.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\n"
                                "server.4=d:1:2:observer\n");
  EXPECT_TRUE(three.warnings.empty()) << three.warnings.front();
}

// ---------------------------------------------------------------------------------------------
// Files: load_config and dataDir/myid.

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/rk_config_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  // A three-member ensemble with dataDir in the temp dir; `extra` is appended.
  std::string write_ensemble(const std::string& extra) {
    write("zoo.cfg", "tickTime=2000\ninitLimit=5\nsyncLimit=2\ndataDir=" + dir_.string() + "\n" +
                         "server.1=h1:2888:3888\nserver.2=h2:2888:3888;2182\n"
                         "server.3=h3:2888:3888;127.0.0.3:2183\n"
                         "server.4=h4:2888:3888:observer\n" +
                         extra);
    return (dir_ / "zoo.cfg").string();
  }

  std::filesystem::path dir_;
};

TEST_F(ConfigFileTest, LoadsAFileAndNamesItInErrors) {
  write("zoo.cfg", "dataDir=" + dir_.string() + "\nclientPort=2181\n");
  Result<ServerConfig> ok = load_config((dir_ / "zoo.cfg").string());
  ASSERT_TRUE(ok.is_ok()) << ok.status().message();
  EXPECT_EQ(ok->source_path, (dir_ / "zoo.cfg").string());
  EXPECT_EQ(ok->client_port, 2181);
  EXPECT_EQ(ok->my_id, -1);

  write("bad.cfg", "dataDir=/d\nclientPort=2181\ntickTime=abc\n");
  Result<ServerConfig> bad = load_config((dir_ / "bad.cfg").string());
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().message(),
            (dir_ / "bad.cfg").string() + ":3: tickTime: expected a positive integer, got \"abc\"");
}

TEST_F(ConfigFileTest, MissingFileIsAnError) {
  Result<ServerConfig> missing = load_config((dir_ / "nope.cfg").string());
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("nope.cfg: cannot open config file"),
            std::string::npos);
}

TEST_F(ConfigFileTest, ReadsMyIdAndTakesClientPortFromStaticClientPort) {
  write("myid", "1\n");
  Result<ServerConfig> c = load_config(write_ensemble("clientPort=2181\n"));
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->my_id, 1);
  EXPECT_EQ(c->self().id, 1);
  EXPECT_EQ(c->self().client_port, 2181);
  EXPECT_EQ(c->client_port, 2181);
}

TEST_F(ConfigFileTest, ClientPortComesFromThisServersLine) {
  write("myid", "2");
  Result<ServerConfig> c = load_config(write_ensemble(""));
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->my_id, 2);
  EXPECT_EQ(c->client_port, 2182);
  EXPECT_EQ(c->client_port_address, "");

  write("myid", "3\n");
  Result<ServerConfig> c3 = load_config(write_ensemble("clientPort=2183\n"));
  ASSERT_TRUE(c3.is_ok()) << c3.status().message();
  EXPECT_EQ(c3->client_port, 2183);
  EXPECT_EQ(c3->client_port_address, "127.0.0.3");
}

TEST_F(ConfigFileTest, ClientPortMustAgreeWithThisServersLine) {
  write("myid", "2\n");
  Result<ServerConfig> c = load_config(write_ensemble("clientPort=2181\n"));
  ASSERT_FALSE(c.is_ok());
  EXPECT_NE(c.status().message().find("differ from the client address on server.2"),
            std::string::npos)
      << c.status().message();
  write("myid", "3\n");
  Result<ServerConfig> c3 =
      load_config(write_ensemble("clientPort=2183\nclientPortAddress=127.0.0.9\n"));
  ASSERT_FALSE(c3.is_ok());
}

TEST_F(ConfigFileTest, NoClientPortAnywhereIsAnError) {
  write("myid", "1\n");
  Result<ServerConfig> c = load_config(write_ensemble(""));
  ASSERT_FALSE(c.is_ok());
  EXPECT_NE(c.status().message().find("clientPort is not set"), std::string::npos);
}

TEST_F(ConfigFileTest, MyIdMustExistAndBeAMember) {
  Result<ServerConfig> missing = load_config(write_ensemble("clientPort=2181\n"));
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().message().rfind((dir_ / "myid").string() + ": cannot read myid", 0),
            0u)
      << missing.status().message();

  write("myid", "one\n");
  Result<ServerConfig> word = load_config(write_ensemble("clientPort=2181\n"));
  ASSERT_FALSE(word.is_ok());
  EXPECT_EQ(word.status().message(),
            (dir_ / "myid").string() + ": expected a server id from 0 to 255, got \"one\"");

  write("myid", "\n");
  EXPECT_FALSE(load_config(write_ensemble("clientPort=2181\n")).is_ok());

  write("myid", "9\n");
  Result<ServerConfig> stranger = load_config(write_ensemble("clientPort=2181\n"));
  ASSERT_FALSE(stranger.is_ok());
  EXPECT_NE(stranger.status().message().find("myid 9 has no server.9 line"), std::string::npos);
}

TEST_F(ConfigFileTest, ObserverRoleComesFromTheServerList) {
  write("myid", "4\n");
  Result<ServerConfig> c = load_config(write_ensemble("clientPort=2181\n"));
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->peer_type, PeerRole::kObserver);
  EXPECT_EQ(c->self().role, PeerRole::kObserver);
  EXPECT_TRUE(has_warning(*c, "peerType differs from server.4"));

  write("myid", "1\n");
  Result<ServerConfig> p = load_config(write_ensemble("clientPort=2181\npeerType=participant\n"));
  ASSERT_TRUE(p.is_ok());
  EXPECT_TRUE(p->warnings.empty()) << p->warnings.front();
}

TEST_F(ConfigFileTest, LoneServerLineDoesNotNeedMyId) {
  write("zoo.cfg", "dataDir=" + dir_.string() + "\nclientPort=2181\nserver.1=h:1:2\n");
  Result<ServerConfig> c = load_config((dir_ / "zoo.cfg").string());
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_FALSE(c->is_quorum());
  EXPECT_EQ(c->my_id, -1);
}

TEST_F(ConfigFileTest, ShippedDefaultConfigParses) {
  // conf/zoo.cfg as shipped: standalone, dataDir "data" relative to the working directory.
  const std::filesystem::path repo = std::filesystem::path(__FILE__).parent_path() / "../..";
  Result<ServerConfig> c = load_config((repo / "conf/zoo.cfg").string());
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->tick_time_ms, 2000);
  EXPECT_EQ(c->client_port, 2181);
  EXPECT_EQ(c->client_port_address, "127.0.0.1");
  EXPECT_EQ(c->data_dir, (std::filesystem::current_path() / "data").string());
  EXPECT_TRUE(c->four_letter_word_allowed("mntr"));
  EXPECT_FALSE(c->is_quorum());
  EXPECT_TRUE(c->warnings.empty()) << c->warnings.front();
}

}  // namespace
}  // namespace rk
