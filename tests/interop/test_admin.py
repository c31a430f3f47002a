#!/usr/bin/python3
# What an operator sees of a running server: the four-letter words on the client port (with
# kazoo sessions, ephemerals and watches in place so the answers have something to say),
# `ringkeeper status`, and start-up refusing a bad zoo.cfg with the file, line and key named.
#
#   test_admin.py --server ringkeeper --binary PATH   (status and config cases need it)
#   test_admin.py --server zookeeper                  the four-letter words against stock
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from kazoo.client import KazooClient  # noqa: E402

COMMAND_TIMEOUT_S = 30


def mntr_values(text):
    values = {}
    for row in text.splitlines():
        key, sep, value = row.partition("\t")
        if sep:
            values[key] = value
    return values


class FourLetterWordsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server().start()
        cls.zk = KazooClient(hosts=cls.server.hostport, timeout=10)
        cls.zk.start(timeout=15)
        cls.session_hex = "0x%x" % cls.zk.client_id[0]
        cls.zk.create("/admin_eph", b"abc", ephemeral=True)
        cls.zk.create("/admin_dir", b"")
        cls.zk.exists("/admin_eph", watch=lambda event: None)        # a data watch
        cls.zk.get_children("/admin_dir", watch=lambda event: None)  # a child watch

    @classmethod
    def tearDownClass(cls):
        cls.zk.stop()
        cls.zk.close()
        cls.server.stop()

    def word(self, cmd):
        return self.server.four_letter(cmd)

    def test_ruok_and_isro(self):
        self.assertEqual(self.word("ruok"), "imok")
        self.assertEqual(self.word("isro"), "rw")

    def test_srvr_and_stat(self):
        for cmd in ("srvr", "stat"):
            text = self.word(cmd)
            self.assertRegex(text, r"(?m)^Zookeeper version: 3\.\d+\.\d+")
            self.assertRegex(text, r"(?m)^Latency min/avg/max: \d+/[\d.]+/\d+$")
            self.assertRegex(text, r"(?m)^Received: \d+$")
            self.assertRegex(text, r"(?m)^Sent: \d+$")
            self.assertRegex(text, r"(?m)^Outstanding: 0$")
            self.assertRegex(text, r"(?m)^Zxid: 0x[0-9a-f]+$")
            self.assertRegex(text, r"(?m)^Mode: standalone$")
            # /, /zookeeper, /zookeeper/quota, /zookeeper/config and ours, counted as
            # ZooKeeper counts them (its table holds the root twice).
            self.assertRegex(text, r"(?m)^Node count: 7$")
        stat = self.word("stat")
        self.assertIn("Clients:\n", stat)
        self.assertRegex(stat, r"(?m)^ /127\.0\.0\.1:\d+\[1\]\(queued=0,recved=\d+,sent=\d+\)$")

    def test_mntr(self):
        values = mntr_values(self.word("mntr"))
        self.assertEqual(values["zk_server_state"], "standalone")
        self.assertEqual(values["zk_znode_count"], "7")
        self.assertEqual(values["zk_ephemerals_count"], "1")
        self.assertEqual(values["zk_watch_count"], "2")
        self.assertEqual(values["zk_global_sessions"], "1")
        self.assertEqual(values["zk_outstanding_requests"], "0")
        for key in ("zk_avg_latency", "zk_max_latency", "zk_min_latency", "zk_packets_received",
                    "zk_packets_sent", "zk_num_alive_connections", "zk_uptime",
                    "zk_approximate_data_size", "zk_open_file_descriptor_count",
                    "zk_max_file_descriptor_count"):
            self.assertIn(key, values)
            float(values[key])
        self.assertGreater(int(values["zk_packets_received"]), 0)

    def test_conf(self):
        text = self.word("conf")
        self.assertRegex(text, r"(?m)^clientPort=%d$" % self.server.port)
        self.assertRegex(text, r"(?m)^tickTime=2000$")
        self.assertRegex(text, r"(?m)^maxClientCnxns=60$")
        self.assertRegex(text, r"(?m)^minSessionTimeout=4000$")
        self.assertRegex(text, r"(?m)^maxSessionTimeout=40000$")
        self.assertRegex(text, r"(?m)^dataDir=%s" % re.escape(self.server.workdir))

    def test_cons_and_crst(self):
        text = self.word("cons")
        line = [l for l in text.splitlines() if "sid=%s," % self.session_hex in l]
        self.assertEqual(len(line), 1, text)
        self.assertRegex(line[0], r"lop=\w+,est=\d+,to=\d+,lcxid=0x[0-9a-f]+,lzxid=0x[0-9a-f]+,")
        self.assertEqual(self.word("crst"), "Connection stats reset.\n")
        after = [l for l in self.word("cons").splitlines() if self.session_hex in l]
        self.assertRegex(after[0], r"recved=\d+,sent=\d+,sid=")

    def test_srst(self):
        self.assertEqual(self.word("srst"), "Server stats reset.\n")
        self.assertRegex(self.word("srvr"), r"(?m)^Received: [0-2]$")

    def test_watch_words(self):
        self.assertRegex(self.word("wchs"), r"^1 connections watching \d+ paths\nTotal watches:\d+\n")
        wchc = self.word("wchc")
        self.assertIn("%s\n" % self.session_hex, wchc)
        self.assertIn("\t/admin_eph\n", wchc)
        wchp = self.word("wchp")
        self.assertIn("/admin_eph\n\t%s\n" % self.session_hex, wchp)

    def test_dump(self):
        text = self.word("dump")
        self.assertIn("SessionTracker dump:", text)
        self.assertIn("Sessions with Ephemerals (1):\n%s:\n\t/admin_eph\n" % self.session_hex,
                      text)
        year = time.gmtime().tm_year
        for when in re.findall(r"expire at \w{3} \w{3} \d\d [\d:]{8} UTC (\d{4})", text):
            self.assertIn(int(when), (year, year + 1))

    def test_envi_and_dirs(self):
        envi = self.word("envi")
        self.assertTrue(envi.startswith("Environment:\n"))
        self.assertRegex(envi, r"(?m)^zookeeper\.version=3\.")
        self.assertRegex(envi, r"(?m)^os\.name=Linux$")
        dirs = self.word("dirs")
        self.assertRegex(dirs, r"^datadir_size: \d+\nlogdir_size: \d+\n")


class CommandLineTest(unittest.TestCase):
    def setUp(self):
        if harness.OPTIONS.server != "ringkeeper":
            self.skipTest("ringkeeper's own command line")

    def run_binary(self, *args):
        return subprocess.run([harness.OPTIONS.binary] + list(args), capture_output=True,
                              text=True, timeout=COMMAND_TIMEOUT_S, stdin=subprocess.DEVNULL)

    def test_status_reports_the_mode_then_fails_when_nothing_answers(self):
        server = harness.Server().start()
        cfg = os.path.join(server.workdir, "zoo.cfg")
        try:
            result = self.run_binary("status", cfg)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("Mode: standalone", result.stdout)
            self.assertIn(str(server.port), result.stdout)
        finally:
            stopped_copy = os.path.join(tempfile.mkdtemp(prefix="rk-interop-status-"), "zoo.cfg")
            with open(cfg) as src, open(stopped_copy, "w") as dst:
                dst.write(src.read())
            server.stop()
        result = self.run_binary("status", stopped_copy)
        self.assertNotEqual(result.returncode, 0)
        self.assertNotIn("Mode:", result.stdout)
        self.assertRegex(result.stderr + result.stdout, r"(?i)(not running|refused|no answer)")

    def test_bad_config_line_fails_start_naming_file_line_and_key(self):
        workdir = tempfile.mkdtemp(prefix="rk-interop-badcfg-")
        cfg = os.path.join(workdir, "zoo.cfg")
        with open(cfg, "w") as f:
            f.write("tickTime=2000\ndataDir=%s\nclientPort=%d\nmaxClientCnxns=lots\n" %
                    (os.path.join(workdir, "data"), harness.free_port()))
        result = self.run_binary(cfg)
        self.assertNotEqual(result.returncode, 0)
        message = result.stderr + result.stdout
        self.assertIn(cfg, message)
        self.assertIn(":4", message)
        self.assertIn("maxClientCnxns", message)

    def test_unknown_key_is_only_a_warning(self):
        server = harness.Server(extra_cfg={"someFutureKey": "1"}).start()
        try:
            self.assertEqual(server.four_letter("ruok"), "imok")
            with open(server.log_path) as log:
                self.assertIn("someFutureKey", log.read())
        finally:
            server.stop()


if __name__ == "__main__":
    harness.main()
