// Four-letter words: the expected texts were captured from a stock ZooKeeper 3.8.0 server
// (with one kazoo session holding watches and an ephemeral) and the snapshot below carries
// the same values, so every byte of layout is checked against the real thing.
#include "server/admin.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

namespace rk {
namespace {

constexpr SessionId kSession = 0x1000092030d0000LL;
const std::set<std::string> kAll = {"*"};

ConnectionSnapshot fresh_connection(std::string address) {
  ConnectionSnapshot c;
  c.remote_address = std::move(address);
  c.interest_ops = 0;
  c.packets_received = 1;
  return c;
}

ConnectionSnapshot session_connection() {
  ConnectionSnapshot c;
  c.remote_address = "/127.0.0.1:38714";
  c.interest_ops = 1;
  c.packets_received = 13;
  c.packets_sent = 14;
  c.session_id = kSession;
  c.last_operation = "PING";
  c.established_wall_ms = 1795314731576;
  c.session_timeout_ms = 10000;
  c.last_cxid = 0xb;
  c.last_zxid = 5;
  c.last_response_mono_ms = 9592857;
  c.last_latency_ms = 1;
  c.min_latency_ms = 0;
  c.max_latency_ms = 11;
  c.latency_total_ms = 37;  // 13 answers, avglat = 37 / 13 = 2
  c.latency_count = 13;
  return c;
}

ServerSnapshot standalone() {
  ServerSnapshot s;
  s.version = "3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC";
  s.mode = "standalone";
  s.last_zxid = 5;
  s.latency_min_ms = 0;
  s.latency_max_ms = 11;
  s.latency_total_ms = 37;  // 37 / 13 = 2.846153... -> 2.8462
  s.latency_count = 13;
  s.packets_received = 32;
  s.packets_sent = 34;
  s.alive_connections = 2;
  s.node_count = 8;
  s.connections = {fresh_connection("/127.0.0.1:60790"), session_connection()};
  s.watching_connections = 1;
  s.watched_paths = 2;
  s.watch_total = 2;
  s.watches_by_session = {{kSession, {"/missing", "/app/cfg"}}};
  s.watches_by_path = {{"/missing", {kSession}}, {"/app/cfg", {kSession}}};
  s.ephemerals_by_session = {{kSession, {"/app/eph"}}};
  s.session_buckets = {{1795314742000, {}}, {1795314746000, {kSession}}};
  s.data_dir_size = 67109337;
  s.log_dir_size = 67109337;
  s.conf.client_port = 42181;
  s.conf.data_dir = "/tmp/zkref/data/version-2";
  s.conf.data_log_dir = "/tmp/zkref/data/version-2";
  s.conf.tick_time_ms = 2000;
  s.conf.max_client_cnxns = 60;
  s.conf.min_session_timeout_ms = 4000;
  s.conf.max_session_timeout_ms = 40000;
  s.trace_mask = 306;
  return s;
}

class FourLetterTest : public ::testing::Test {
 protected:
  // Dates print in the local zone, like java.util.Date; pin it.
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    saved_tz_ = tz ? tz : "";
    had_tz_ = tz != nullptr;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  void TearDown() override {
    if (had_tz_) {
      setenv("TZ", saved_tz_.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }

 private:
  std::string saved_tz_;
  bool had_tz_ = false;
};

TEST_F(FourLetterTest, Ruok) { EXPECT_EQ(run_four_letter("ruok", standalone(), kAll), "imok"); }

TEST_F(FourLetterTest, Srvr) {
  EXPECT_EQ(run_four_letter("srvr", standalone(), kAll),
            "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\n"
            "Latency min/avg/max: 0/2.8462/11\n"
            "Received: 32\n"
            "Sent: 34\n"
            "Connections: 2\n"
            "Outstanding: 0\n"
            "Zxid: 0x5\n"
            "Mode: standalone\n"
            "Node count: 8\n");
}

TEST_F(FourLetterTest, StatListsClientsBriefly) {
  EXPECT_EQ(run_four_letter("stat", standalone(), kAll),
            "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\n"
            "Clients:\n"
            " /127.0.0.1:60790[0](queued=0,recved=1,sent=0)\n"
            " /127.0.0.1:38714[1](queued=0,recved=13,sent=14)\n"
            "\n"
            "Latency min/avg/max: 0/2.8462/11\n"
            "Received: 32\n"
            "Sent: 34\n"
            "Connections: 2\n"
            "Outstanding: 0\n"
            "Zxid: 0x5\n"
            "Mode: standalone\n"
            "Node count: 8\n");
}

TEST_F(FourLetterTest, StatOfLeaderAndReadOnly) {
  ServerSnapshot s = standalone();
  s.mode = "leader";
  s.last_proposal_size = 120;
  s.min_proposal_size = 36;
  s.max_proposal_size = 4096;
  std::string out = run_four_letter("srvr", s, kAll);
  EXPECT_NE(out.find("Mode: leader\nNode count: 8\nProposal sizes last/min/max: 120/36/4096\n"),
            std::string::npos);
  s.mode = "read-only";
  s.read_only = true;
  out = run_four_letter("srvr", s, kAll);
  EXPECT_EQ(out.find("READ-ONLY mode; serving only read-only clients\n"),
            out.find('\n') + 1);
  EXPECT_EQ(out.find("Proposal sizes"), std::string::npos);
}

TEST_F(FourLetterTest, ConsShowsSessionFields) {
  EXPECT_EQ(run_four_letter("cons", standalone(), kAll),
            " /127.0.0.1:60790[0](queued=0,recved=1,sent=0)\n"
            " /127.0.0.1:38714[1](queued=0,recved=13,sent=14,sid=0x1000092030d0000,lop=PING,"
            "est=1795314731576,to=10000,lcxid=0xb,lzxid=0x5,lresp=9592857,llat=1,minlat=0,"
            "avglat=2,maxlat=11)\n"
            "\n");
}

TEST_F(FourLetterTest, ConsAfterResetOmitsCxidAndPrintsNegativeZxidUnsigned) {
  ServerSnapshot s = standalone();
  ConnectionSnapshot c = session_connection();
  c.packets_received = c.packets_sent = 0;
  c.last_operation = "NA";
  c.last_cxid = -1;
  c.last_zxid = -1;
  c.last_response_mono_ms = c.last_latency_ms = c.max_latency_ms = 0;
  c.latency_total_ms = c.latency_count = 0;
  s.connections = {c};
  EXPECT_EQ(run_four_letter("cons", s, kAll),
            " /127.0.0.1:38714[1](queued=0,recved=0,sent=0,sid=0x1000092030d0000,lop=NA,"
            "est=1795314731576,to=10000,lzxid=0xffffffffffffffff,lresp=0,llat=0,minlat=0,"
            "avglat=0,maxlat=0)\n"
            "\n");
}

TEST_F(FourLetterTest, Conf) {
  EXPECT_EQ(run_four_letter("conf", standalone(), kAll),
            "clientPort=42181\n"
            "secureClientPort=-1\n"
            "dataDir=/tmp/zkref/data/version-2\n"
            "dataDirSize=67109337\n"
            "dataLogDir=/tmp/zkref/data/version-2\n"
            "dataLogSize=67109337\n"
            "tickTime=2000\n"
            "maxClientCnxns=60\n"
            "minSessionTimeout=4000\n"
            "maxSessionTimeout=40000\n"
            "clientPortListenBacklog=-1\n"
            "serverId=0\n");
}

TEST_F(FourLetterTest, ConfOfQuorumMemberAddsMembership) {
  ServerSnapshot s = standalone();
  s.conf.quorum = true;
  s.conf.server_id = 2;
  s.conf.init_limit = 10;
  s.conf.sync_limit = 5;
  s.conf.election_port = "3888";
  s.conf.quorum_port = "2888";
  s.conf.members = {{"server.1", "a:2888:3888:participant;0.0.0.0:2181"},
                    {"server.2", "b:2888:3888:participant;0.0.0.0:2181"}};
  s.conf.config_version = 0x100000000LL;
  std::string out = run_four_letter("conf", s, kAll);
  EXPECT_NE(out.find("serverId=2\ninitLimit=10\nsyncLimit=5\nelectionAlg=3\nelectionPort=3888\n"
                     "quorumPort=2888\npeerType=0\nmembership: \n"
                     "server.1=a:2888:3888:participant;0.0.0.0:2181\n"
                     "server.2=b:2888:3888:participant;0.0.0.0:2181\n"
                     "version=100000000"),
            std::string::npos);
  EXPECT_EQ(out.back(), '0');  // QuorumMaj.toString ends without a line end
}

TEST_F(FourLetterTest, WatchSummaryByConnectionAndByPath) {
  ServerSnapshot s = standalone();
  EXPECT_EQ(run_four_letter("wchs", s, kAll), "1 connections watching 2 paths\nTotal watches:2\n");
  EXPECT_EQ(run_four_letter("wchc", s, kAll),
            "0x1000092030d0000\n\t/missing\n\t/app/cfg\n\n");
  EXPECT_EQ(run_four_letter("wchp", s, kAll),
            "/missing\n\t0x1000092030d0000\n/app/cfg\n\t0x1000092030d0000\n\n");
  s.watches_by_session.clear();
  s.watches_by_path.clear();
  EXPECT_EQ(run_four_letter("wchc", s, kAll), "\n");
  EXPECT_EQ(run_four_letter("wchp", s, kAll), "\n");
}

TEST_F(FourLetterTest, Dump) {
  ServerSnapshot s = standalone();
  s.connections[0].remote_address = "/127.0.0.1:60840";
  s.connections[0].expire_at_wall_ms = 1795314752000;
  s.connections[1].expire_at_wall_ms = 1795314752000;
  EXPECT_EQ(run_four_letter("dump", s, kAll),
            "SessionTracker dump:\n"
            "Session Sets (2)/(1):\n"
            "0 expire at Sun Nov 22 02:32:22 UTC 2026:\n"
            "1 expire at Sun Nov 22 02:32:26 UTC 2026:\n"
            "\t0x1000092030d0000\n"
            "ephemeral nodes dump:\n"
            "Sessions with Ephemerals (1):\n"
            "0x1000092030d0000:\n"
            "\t/app/eph\n"
            "Connections dump:\n"
            "Connections Sets (1)/(2):\n"
            "2 expire at Sun Nov 22 02:32:32 UTC 2026:\n"
            "\tip: /127.0.0.1:60840 sessionId: 0x0\n"
            "\tip: /127.0.0.1:38714 sessionId: 0x1000092030d0000\n");
}

TEST_F(FourLetterTest, DumpOnFollowerListsGlobalSessionsInSignedOrder) {
  ServerSnapshot s = standalone();
  s.mode = "follower";
  s.connections.clear();
  s.ephemerals_by_session.clear();
  s.learner_sessions = {{0x0200000000000001LL, 6000}, {-0x7f00000000000000LL, 4000}};
  EXPECT_EQ(run_four_letter("dump", s, kAll),
            "SessionTracker dump:\n"
            "Global Sessions(2):\n"
            "0x8100000000000000\t4000ms\n"
            "0x200000000000001\t6000ms\n"
            "ephemeral nodes dump:\n"
            "Sessions with Ephemerals (0):\n"
            "Connections dump:\n"
            "Connections Sets (0)/(0):\n");
}

TEST_F(FourLetterTest, DirsIsroGtmkEnvi) {
  ServerSnapshot s = standalone();
  EXPECT_EQ(run_four_letter("dirs", s, kAll), "datadir_size: 67109337\nlogdir_size: 67109337\n");
  EXPECT_EQ(run_four_letter("isro", s, kAll), "rw");
  EXPECT_EQ(run_four_letter("gtmk", s, kAll), "306");
  s.environment = {{"zookeeper.version", s.version}, {"host.name", "localhost"}};
  EXPECT_EQ(run_four_letter("envi", s, kAll),
            "Environment:\n"
            "zookeeper.version=3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\n"
            "host.name=localhost\n");
  s.read_only = true;
  EXPECT_EQ(run_four_letter("isro", s, kAll), "ro");
  s.digest_log = {{0x100000005LL, 1234567}};
  EXPECT_EQ(run_four_letter("hash", s, kAll), "100000005: 1234567\n");
}

TEST_F(FourLetterTest, MntrStandalone) {
  ServerSnapshot s = standalone();
  s.uptime_ms = 25509;
  s.watch_count = 3;
  s.ephemerals_count = 1;
  s.approximate_data_size = 70;
  s.global_sessions = 1;
  s.open_file_descriptor_count = 267;
  s.max_file_descriptor_count = 20000;
  s.last_client_response_size = 16;
  s.max_client_response_size = 93;
  s.min_client_response_size = 16;
  s.extra_metrics = {{"fsync_latency_us_max", "812"}};
  EXPECT_EQ(run_four_letter("mntr", s, kAll),
            "zk_version\t3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\n"
            "zk_server_state\tstandalone\n"
            "zk_avg_latency\t2.8462\n"
            "zk_max_latency\t11\n"
            "zk_min_latency\t0\n"
            "zk_packets_received\t32\n"
            "zk_packets_sent\t34\n"
            "zk_num_alive_connections\t2\n"
            "zk_outstanding_requests\t0\n"
            "zk_uptime\t25509\n"
            "zk_znode_count\t8\n"
            "zk_watch_count\t3\n"
            "zk_ephemerals_count\t1\n"
            "zk_approximate_data_size\t70\n"
            "zk_global_sessions\t1\n"
            "zk_local_sessions\t0\n"
            "zk_open_file_descriptor_count\t267\n"
            "zk_max_file_descriptor_count\t20000\n"
            "zk_connection_drop_probability\t0.0\n"
            "zk_last_client_response_size\t16\n"
            "zk_max_client_response_size\t93\n"
            "zk_min_client_response_size\t16\n"
            "zk_outstanding_tls_handshake\t0\n"
            "zk_auth_failed_count\t0\n"
            "zk_non_mtls_remote_conn_count\t0\n"
            "zk_non_mtls_local_conn_count\t0\n"
            "zk_fsync_latency_us_max\t812\n");
}

TEST_F(FourLetterTest, MntrLeaderAndFollowerKeys) {
  ServerSnapshot s = standalone();
  s.mode = "leader";
  s.peer_state = "leading - broadcast";
  s.quorum_size = 3;
  s.learners = 2;
  s.synced_followers = 2;
  std::string out = run_four_letter("mntr", s, kAll);
  EXPECT_NE(out.find("zk_server_state\tleader\nzk_peer_state\tleading - broadcast\n"),
            std::string::npos);
  EXPECT_NE(out.find("zk_quorum_size\t3\nzk_learners\t2\nzk_synced_followers\t2\n"
                     "zk_synced_non_voting_followers\t0\nzk_synced_observers\t0\n"
                     "zk_pending_syncs\t0\nzk_leader_uptime\t0\nzk_last_proposal_size\t-1\n"
                     "zk_max_proposal_size\t-1\nzk_min_proposal_size\t-1\n"),
            std::string::npos);
  s.mode = "follower";
  s.peer_state = "following - broadcast";
  out = run_four_letter("mntr", s, kAll);
  EXPECT_NE(out.find("zk_quorum_size\t3\nzk_synced_observers\t0\n"), std::string::npos);
  EXPECT_EQ(out.find("zk_learners"), std::string::npos);
}

TEST_F(FourLetterTest, AverageLatencyRoundsHalfUpToFourDecimals) {
  ServerSnapshot s = standalone();
  auto avg_line = [&s]() {
    std::string out = run_four_letter("srvr", s, kAll);
    size_t start = out.find("Latency min/avg/max: ");
    return out.substr(start, out.find('\n', start) - start);
  };
  s.latency_total_ms = 1;
  s.latency_count = 32;  // 0.03125 exactly: HALF_UP gives 0.0313 (half-even would give 0.0312)
  EXPECT_EQ(avg_line(), "Latency min/avg/max: 0/0.0313/11");
  s.latency_total_ms = 2;
  s.latency_count = 3;  // 0.6666.. -> 0.6667
  EXPECT_EQ(avg_line(), "Latency min/avg/max: 0/0.6667/11");
  s.latency_total_ms = 12;
  s.latency_count = 1;  // Java prints 12.0
  EXPECT_EQ(avg_line(), "Latency min/avg/max: 0/12.0/11");
  s.latency_total_ms = 1;
  s.latency_count = 10000;  // 1.0E-4, as Double.toString writes small values
  EXPECT_EQ(avg_line(), "Latency min/avg/max: 0/1.0E-4/11");
  s.latency_total_ms = 99999;
  s.latency_count = 100000;  // 0.99999 -> 1.0 (carry through every digit)
  EXPECT_EQ(avg_line(), "Latency min/avg/max: 0/1.0/11");
  s.latency_count = 0;
  EXPECT_EQ(avg_line(), "Latency min/avg/max: 0/0.0/11");
}

TEST_F(FourLetterTest, WhitelistRefusesButAlwaysAllowsSrvr) {
  ServerSnapshot s = standalone();
  std::set<std::string> only_ruok = {"ruok"};
  EXPECT_EQ(run_four_letter("stat", s, only_ruok),
            "stat is not executed because it is not in the whitelist.\n");
  EXPECT_EQ(run_four_letter("ruok", s, only_ruok), "imok");
  EXPECT_NE(run_four_letter("srvr", s, {}).find("Mode: standalone\n"), std::string::npos);
  EXPECT_EQ(run_four_letter("mntr", s, {}),
            "mntr is not executed because it is not in the whitelist.\n");
}

TEST_F(FourLetterTest, UnknownWordIsNotACommand) {
  EXPECT_FALSE(is_four_letter_word("abcd"));
  EXPECT_TRUE(is_four_letter_word("wchp"));
  EXPECT_EQ(run_four_letter("abcd", standalone(), kAll), "");
}

TEST_F(FourLetterTest, NotServing) {
  ServerSnapshot s = standalone();
  s.serving = false;
  const std::string not_serving = "This ZooKeeper instance is not currently serving requests\n";
  for (const char* cmd : {"srvr", "stat", "cons", "conf", "mntr", "wchs", "dump", "dirs", "crst",
                          "srst"}) {
    FourLetterEffects effects;
    EXPECT_EQ(run_four_letter(cmd, s, kAll, &effects), not_serving) << cmd;
    EXPECT_FALSE(effects.reset_server_stats || effects.reset_connection_stats) << cmd;
  }
  EXPECT_EQ(run_four_letter("ruok", s, kAll), "imok");
  EXPECT_EQ(run_four_letter("isro", s, kAll), "null");
  EXPECT_EQ(run_four_letter("hash", s, kAll),
            "This ZooKeeper instance is not currently serving requests");
}

TEST_F(FourLetterTest, ResetsAreReportedToTheCaller) {
  FourLetterEffects effects;
  EXPECT_EQ(run_four_letter("srst", standalone(), kAll, &effects), "Server stats reset.\n");
  EXPECT_TRUE(effects.reset_server_stats);
  EXPECT_FALSE(effects.reset_connection_stats);
  FourLetterEffects cnxn_effects;
  EXPECT_EQ(run_four_letter("crst", standalone(), kAll, &cnxn_effects),
            "Connection stats reset.\n");
  EXPECT_TRUE(cnxn_effects.reset_connection_stats);
  EXPECT_FALSE(cnxn_effects.reset_server_stats);
  FourLetterEffects refused;
  run_four_letter("srst", standalone(), {}, &refused);
  EXPECT_FALSE(refused.reset_server_stats);
}

TEST(LastOperationName, MatchesFinalRequestProcessor) {
  EXPECT_STREQ(last_operation_name(OpCode::kGetData), "GETD");
  EXPECT_STREQ(last_operation_name(OpCode::kCreate2), "CREA");
  EXPECT_STREQ(last_operation_name(OpCode::kGetChildren2), "GETC");
  EXPECT_STREQ(last_operation_name(OpCode::kCreateSession), "SESS");
  EXPECT_STREQ(last_operation_name(OpCode::kAuth), "NA");
}

}  // namespace
}  // namespace rk
