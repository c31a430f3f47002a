#!/usr/bin/python3
# Drives a server with the stock command-line client, zkCli.sh, without a TTY: one command per
# invocation (exact stdout/stderr/exit status per command) and whole scripts through stdin.
# Usage: test_zkcli.py --server zookeeper | --server ringkeeper --binary PATH [unittest args]
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"
CLI_TIMEOUT_S = 60
SERVER = None
# Lines the CLI prints around every command whatever the server answers.
NOISE = re.compile(r"^(SLF4J: .*|Connecting to .*|WATCHER::|WatchedEvent state:.*|"
                   r"Welcome to ZooKeeper!|JLine support is .*|)$")
STAT_KEYS = ["cZxid", "ctime", "mZxid", "mtime", "pZxid", "cversion", "dataVersion",
             "aclVersion", "ephemeralOwner", "dataLength", "numChildren"]


def setUpModule():
    global SERVER
    SERVER = harness.Server(name="zkcli").start()


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()


def clean(text):
    return [line for line in text.splitlines() if not NOISE.match(line)]


def cli(*args, script=None):
    """Runs zkCli.sh once; returns (exit status, stdout lines, stderr lines) without noise.
    With `script`, the commands are fed on stdin (no TTY) and args are ignored."""
    command = [ZKCLI, "-server", SERVER.hostport] + ([] if script else list(args))
    env = dict(os.environ, TZ="UTC")   # stat times are printed in local time
    proc = subprocess.run(command, input=(script or ""), capture_output=True, text=True,
                          timeout=CLI_TIMEOUT_S, env=env, cwd="/tmp")
    return proc.returncode, clean(proc.stdout), clean(proc.stderr)


def parse_stat(lines):
    stat = {}
    for line in lines:
        key, sep, value = line.partition(" = ")
        if sep and key in STAT_KEYS:
            stat[key] = value
    return stat


class ZkCliTest(unittest.TestCase):
    def setUp(self):
        self.root = "/zkcli_" + self.id().split(".")[-1]

    def assertCli(self, args, rc=0, out=(), err=(), script=None):
        result = cli(*args, script=script)
        self.assertEqual(result, (rc, list(out), list(err)), "zkCli %s" % (script or args,))
        return result

    def assertStatShape(self, stat):
        self.assertEqual(list(stat), STAT_KEYS)
        for key in ("cZxid", "mZxid", "pZxid", "ephemeralOwner"):
            self.assertRegex(stat[key], r"^0x[0-9a-f]+$", key)
        for key in ("ctime", "mtime"):
            self.assertRegex(stat[key], r"^\w{3} \w{3} \d\d \d\d:\d\d:\d\d UTC \d{4}$", key)

    def test_create_get_set_stat(self):
        self.assertCli(["create", self.root, "hello"], err=["Created " + self.root])
        self.assertCli(["get", self.root], out=["hello"])
        rc, out, err = cli("stat", self.root)
        self.assertEqual((rc, err), (0, []))
        created = parse_stat(out)
        self.assertStatShape(created)
        self.assertEqual(created["cZxid"], created["mZxid"])
        self.assertEqual(created["cZxid"], created["pZxid"])
        self.assertEqual(created["ctime"], created["mtime"])
        self.assertEqual([created[k] for k in ("cversion", "dataVersion", "aclVersion",
                                               "ephemeralOwner", "dataLength", "numChildren")],
                         ["0", "0", "0", "0x0", "5", "0"])
        self.assertCli(["set", self.root, "world!"])
        rc, out, err = cli("get", "-s", self.root)
        self.assertEqual((rc, out[0], err), (0, "world!", []))
        changed = parse_stat(out[1:])
        self.assertStatShape(changed)
        self.assertEqual(changed["cZxid"], created["cZxid"])
        self.assertGreater(int(changed["mZxid"], 16), int(created["mZxid"], 16))
        self.assertEqual((changed["dataVersion"], changed["dataLength"]), ("1", "6"))
        self.assertCli(["set", "-v", "0", self.root, "stale"], rc=1,
                       err=["version No is not valid : " + self.root])
        self.assertCli(["set", "-v", "1", self.root, "fresh"])
        self.assertCli(["get", self.root], out=["fresh"])

    def test_ls(self):
        self.assertCli(["create", self.root], err=["Created " + self.root])
        for name in ("b", "c", "a"):
            self.assertCli(["create", self.root + "/" + name, name],
                           err=["Created %s/%s" % (self.root, name)])
        self.assertCli(["ls", self.root], out=["[a, b, c]"])
        self.assertCli(["create", self.root + "/a/deep"], err=["Created %s/a/deep" % self.root])
        self.assertCli(["ls", "-R", self.root], out=[
            self.root, self.root + "/a", self.root + "/b", self.root + "/c",
            self.root + "/a/deep"])
        rc, out, err = cli("ls", "-s", self.root)
        self.assertEqual((rc, out[0], err), (0, "[a, b, c]", []))
        self.assertEqual(parse_stat(out[1:])["numChildren"], "3")
        self.assertCli(["ls", self.root + "/nope"], rc=1,
                       err=["Node does not exist: %s/nope" % self.root])

    def test_create_sequential(self):
        self.assertCli(["create", self.root], err=["Created " + self.root])
        for n in range(3):
            self.assertCli(["create", "-s", self.root + "/job-", "x"],
                           err=["Created %s/job-%010d" % (self.root, n)])

    def test_create_ephemeral_lives_with_the_session(self):
        self.assertCli(["create", self.root], err=["Created " + self.root])
        script = ("create -e %s/e data\nls %s\nget %s/e\nquit\n" %
                  (self.root, self.root, self.root))
        self.assertCli([], script=script, out=["[e]", "data"],
                       err=["Created %s/e" % self.root])
        # The CLI's session ended with the script, and the ephemeral with it.
        self.assertCli(["ls", self.root], out=["[]"])

    def test_create_errors(self):
        self.assertCli(["create", self.root], err=["Created " + self.root])
        self.assertCli(["create", self.root], rc=1, err=["Node already exists: " + self.root])
        self.assertCli(["create", self.root + "/x/y"], rc=1,
                       err=["Node does not exist: %s/x/y" % self.root])
        self.assertCli(["create", "-e", self.root + "/e"], err=["Created %s/e" % self.root])

    def test_container_and_ttl(self):
        self.assertCli(["create", "-c", self.root, "c"], err=["Created " + self.root])
        self.assertCli(["create", "-t", "600000", self.root + "/ttl", "t"],
                       err=["Created %s/ttl" % self.root])
        self.assertCli(["get", self.root + "/ttl"], out=["t"])

    def test_delete_and_deleteall(self):
        self.assertCli(["create", self.root], err=["Created " + self.root])
        self.assertCli(["create", self.root + "/kid"], err=["Created %s/kid" % self.root])
        self.assertCli(["create", self.root + "/kid/grandkid"],
                       err=["Created %s/kid/grandkid" % self.root])
        self.assertCli(["delete", self.root], rc=1, err=["Node not empty: " + self.root])
        self.assertCli(["delete", "-v", "4", self.root + "/kid/grandkid"], rc=1,
                       err=["version No is not valid : %s/kid/grandkid" % self.root])
        self.assertCli(["delete", "-v", "0", self.root + "/kid/grandkid"])
        self.assertCli(["delete", self.root + "/kid/grandkid"], rc=1,
                       err=["Node does not exist: %s/kid/grandkid" % self.root])
        self.assertCli(["create", self.root + "/kid/again"], err=["Created %s/kid/again" %
                                                                  self.root])
        self.assertCli(["deleteall", self.root])
        self.assertCli(["get", self.root], rc=1, err=["Node does not exist: " + self.root])

    def test_reserved_zookeeper_node(self):
        self.assertCli(["ls", "/zookeeper"], out=["[config, quota]"])
        rc, out, err = cli("get", "-s", "/zookeeper")
        self.assertEqual((rc, err), (0, []))
        self.assertEqual(out, [   # the empty data prints as an empty line, dropped by clean()
            "cZxid = 0x0", "ctime = Thu Jan 01 00:00:00 UTC 1970", "mZxid = 0x0",
            "mtime = Thu Jan 01 00:00:00 UTC 1970", "pZxid = 0x0", "cversion = -2",
            "dataVersion = 0", "aclVersion = 0", "ephemeralOwner = 0x0", "dataLength = 0",
            "numChildren = 2"])
        self.assertCli(["getAcl", "/zookeeper/config"], out=["'world,'anyone", ": r"])

    def test_acl_auth_script(self):
        r = self.root
        script = "\n".join([
            "create %s x" % r,
            "create %s/mine x auth::cdrwa" % r,   # "auth" without any authenticated id
            "addauth digest u:p",
            "create %s/mine x auth::cdrwa" % r,
            "getAcl %s/mine" % r,
            "setAcl %s world:anyone:r" % r,
            "getAcl %s" % r,
            "set %s y" % r,
            "delete %s/mine" % r,
            "delete %s/missing" % r,             # NoAuth on the parent comes before NoNode
            "quit", ""])
        self.assertCli([], script=script, rc=1,
                       out=["'digest,'u:Jq7wMyA/w2Vd5WIDAKdu4OIIFEQ=", ": cdrwa",
                            "'world,'anyone", ": r"],
                       err=["Created " + r,
                            "KeeperErrorCode = InvalidACL for %s/mine" % r,
                            "Acl is not valid : %s/mine" % r,
                            "Created %s/mine" % r, "Insufficient permission : " + r,
                            "Insufficient permission : %s/mine" % r,
                            "Insufficient permission : %s/missing" % r])

    def test_whoami_and_sync(self):
        rc, out, err = cli(script="addauth digest someone:pw\nwhoami\nsync /\nquit\n")
        self.assertEqual((rc, err), (0, []))
        self.assertEqual(out[0], "Auth scheme: User")
        self.assertEqual(sorted(out[1:3]), ["digest: someone", "ip: 127.0.0.1"])
        self.assertEqual(out[3:], ["Sync is OK"])

    def test_unknown_command(self):
        rc, out, err = cli("nosuchcommand")
        self.assertEqual(rc, 127)   # decided by the CLI alone; the server stays usable
        self.assertEqual(err[-1], "Command not found: Command not found nosuchcommand")
        self.assertCli(["ls", "/zookeeper"], out=["[config, quota]"])


if __name__ == "__main__":
    harness.main()
