#!/usr/bin/python3
# Drives a server with the stock kazoo client: every operation, create mode, ACL scheme and
# watch type, sessions (close, expiry, reconnect + setWatches) and the jute.maxbuffer limit.
# Usage: test_kazoo.py --server zookeeper | --server ringkeeper --binary PATH [unittest args]
import logging
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import zkwire  # noqa: E402

from kazoo.client import KazooClient  # noqa: E402
from kazoo.exceptions import (  # noqa: E402
    AuthFailedError, BadArgumentsError, BadVersionError, ConnectionLoss, InvalidACLError,
    NoAuthError, NoChildrenForEphemeralsError, NodeExistsError, NoNodeError, NotEmptyError,
    RolledBackError, RuntimeInconsistency)
from kazoo.protocol.serialization import Watch  # noqa: E402
from kazoo.protocol.states import EventType, KazooState  # noqa: E402
from kazoo.security import (  # noqa: E402
    ACL, CREATOR_ALL_ACL, Id, OPEN_ACL_UNSAFE, Permissions, make_acl, make_digest_acl)

WAIT_S = 30.0          # bound for anything that needs the server to act on its own
CHECK_INTERVAL_MS = 1000  # container/TTL sweeper period requested from the server
SERVER = None

logging.getLogger("kazoo").setLevel(
    logging.DEBUG if os.environ.get("INTEROP_KAZOO_DEBUG") else logging.CRITICAL)


def setUpModule():
    global SERVER
    SERVER = harness.Server(tick_ms=1000, name="kazoo",
                            sysprops={"znode.container.checkIntervalMs": CHECK_INTERVAL_MS})
    SERVER.start()


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()


class RawRequest:
    """A request kazoo 2.8 has no API for, sent through kazoo's own connection."""

    def __init__(self, op, body):
        self.type = op
        self.body = body

    def serialize(self):
        return self.body

    def deserialize(self, buffer, offset):
        return zkwire.decode_result(self.type, zkwire.Reader(buffer, offset))


def raw_call(client, op, body=b""):
    result = client.handler.async_result()
    client._call(RawRequest(op, body), result)
    return result.get(timeout=WAIT_S)


class EventRecorder:
    """Records every notification a client's connection reads, in order, on the connection
    thread. A watch event triggered by a write always reaches a client before the reply to
    any request that client sends after the write completed, so after one round trip the
    record is complete and "no (more) events" can be asserted without waiting on a clock."""

    def __init__(self, client):
        self.events = []
        self.lock = threading.Lock()
        connection = client._connection
        original = connection._read_watch_event

        def record(buffer, offset):
            watch, _ = Watch.deserialize(buffer, offset)
            with self.lock:
                self.events.append((watch.type, watch.path))
            return original(buffer, offset)
        connection._read_watch_event = record

    def take(self):
        with self.lock:
            events, self.events = self.events, []
        return events


class KazooTestCase(unittest.TestCase):
    def setUp(self):
        self.clients = []
        self.proxies = []
        self.root = "/" + self.id().split(".")[-1]

    def tearDown(self):
        for client in self.clients:
            try:
                client.stop()
                client.close()
            except Exception:  # the test may have left it broken on purpose
                pass
        for proxy in self.proxies:
            proxy.close()

    def client(self, hostport=None, timeout_s=10.0, record=True, **kwargs):
        c = KazooClient(hosts=hostport or SERVER.hostport, timeout=timeout_s, **kwargs)
        c.recorder = EventRecorder(c) if record else None
        c.start(timeout=WAIT_S)
        self.clients.append(c)
        return c

    def proxy(self):
        p = harness.Proxy(SERVER.host, SERVER.port)
        self.proxies.append(p)
        return p

    def barrier(self, client):
        """One round trip: every notification sent before it has been recorded."""
        client.exists("/")

    def flush_callbacks(self, client):
        """Waits until the client's watch-callback thread ran everything queued so far."""
        done = threading.Event()
        client.handler.callback_queue.put(done.set)
        self.assertTrue(done.wait(WAIT_S), "kazoo callback thread stuck")


class CreateTests(KazooTestCase):
    def test_persistent_and_stat(self):
        zk = self.client()
        self.assertEqual(zk.create(self.root, b"hello"), self.root)
        data, stat = zk.get(self.root)
        self.assertEqual(data, b"hello")
        self.assertEqual((stat.version, stat.cversion, stat.aversion), (0, 0, 0))
        self.assertEqual(stat.ephemeralOwner, 0)
        self.assertEqual(stat.dataLength, 5)
        self.assertEqual(stat.numChildren, 0)
        self.assertEqual(stat.czxid, stat.mzxid)
        self.assertEqual(stat.pzxid, stat.czxid)
        self.assertEqual(stat.ctime, stat.mtime)

    def test_create2_returns_stat(self):
        zk = self.client()
        path, stat = zk.create(self.root, b"abc", include_data=True)
        self.assertEqual(path, self.root)
        self.assertEqual(stat, zk.exists(self.root))
        self.assertEqual(stat.dataLength, 3)

    def test_ephemeral(self):
        zk = self.client()
        zk.create(self.root)
        zk.create(self.root + "/e", ephemeral=True)
        stat = zk.exists(self.root + "/e")
        self.assertEqual(stat.ephemeralOwner, zk.client_id[0])
        with self.assertRaises(NoChildrenForEphemeralsError):
            zk.create(self.root + "/e/child")
        with self.assertRaises(NoChildrenForEphemeralsError):
            zk.create(self.root + "/e/seq-", sequence=True)

    def test_sequential_numbers_follow_parent_cversion(self):
        zk = self.client()
        zk.create(self.root)
        first = zk.create(self.root + "/n-", sequence=True)
        second = zk.create(self.root + "/n-", b"x", sequence=True)
        self.assertEqual(first, self.root + "/n-0000000000")
        self.assertEqual(second, self.root + "/n-0000000001")
        # The suffix counts the child creates under the parent (deletes do not count), while
        # the cversion clients see counts creates and deletes: 2 * creates - children.
        zk.create(self.root + "/plain")
        zk.delete(self.root + "/plain")
        self.assertEqual(zk.exists(self.root).cversion, 4)
        third = zk.create(self.root + "/", sequence=True)
        self.assertEqual(third, self.root + "/0000000003")
        self.assertEqual(zk.exists(self.root).cversion, 5)

    def test_ephemeral_sequential(self):
        zk = self.client()
        zk.create(self.root)
        path = zk.create(self.root + "/lock-", ephemeral=True, sequence=True)
        self.assertEqual(path, self.root + "/lock-0000000000")
        self.assertEqual(zk.exists(path).ephemeralOwner, zk.client_id[0])

    def test_container_is_removed_after_last_child_goes(self):
        zk = self.client()
        path, stat = raw_call(zk, zkwire.CREATE_CONTAINER,
                              zkwire.create_body(self.root, b"c", flags=zkwire.CONTAINER))
        self.assertEqual(path, self.root)
        # Containers (and TTL nodes) report ephemeralOwner 0 to clients.
        self.assertEqual(stat.ephemeralOwner, 0)
        self.assertEqual(stat, zk.exists(self.root))
        zk.create(self.root + "/child")
        gone = threading.Event()
        zk.exists(self.root, watch=lambda event: gone.set())
        zk.delete(self.root + "/child")
        self.assertTrue(gone.wait(WAIT_S), "container was not removed")
        self.assertIsNone(zk.exists(self.root))

    def test_ttl_node(self):
        zk = self.client()
        path, stat = raw_call(zk, zkwire.CREATE_TTL, zkwire.create_body(
            self.root, b"t", flags=zkwire.PERSISTENT_WITH_TTL, ttl=3600 * 1000))
        self.assertEqual(path, self.root)
        self.assertEqual(stat.ephemeralOwner, 0)
        seq_path, _ = raw_call(zk, zkwire.CREATE_TTL, zkwire.create_body(
            self.root + "/s-", flags=zkwire.PERSISTENT_SEQUENTIAL_WITH_TTL, ttl=3600 * 1000))
        self.assertEqual(seq_path, self.root + "/s-0000000000")
        for bad_ttl in (0, -5, 1 << 40):
            with self.assertRaises(BadArgumentsError, msg="ttl %d" % bad_ttl):
                raw_call(zk, zkwire.CREATE_TTL, zkwire.create_body(
                    self.root + "/bad", flags=zkwire.PERSISTENT_WITH_TTL, ttl=bad_ttl))
        # A TTL mode with the plain create opcodes, or a non-TTL mode with createTTL, is refused.
        with self.assertRaises(BadArgumentsError):
            raw_call(zk, zkwire.CREATE, zkwire.create_body(
                self.root + "/bad", flags=zkwire.PERSISTENT_WITH_TTL))
        with self.assertRaises(BadArgumentsError):
            raw_call(zk, zkwire.CREATE_TTL, zkwire.create_body(
                self.root + "/bad", flags=zkwire.PERSISTENT, ttl=1000))

    def test_ttl_node_expires(self):
        zk = self.client()
        raw_call(zk, zkwire.CREATE_TTL, zkwire.create_body(
            self.root, flags=zkwire.PERSISTENT_WITH_TTL, ttl=200))
        gone = threading.Event()
        zk.exists(self.root, watch=lambda event: gone.set())
        self.assertTrue(gone.wait(WAIT_S), "TTL node was not removed")
        self.assertIsNone(zk.exists(self.root))

    def test_makepath(self):
        zk = self.client()
        deep = self.root + "/a/b/c"
        self.assertEqual(zk.create(deep, b"leaf", makepath=True), deep)
        self.assertEqual(zk.get(deep)[0], b"leaf")
        self.assertEqual(zk.get(self.root + "/a")[0], b"")
        with self.assertRaises(NoNodeError):
            zk.create(self.root + "/x/y")

    def test_create_errors(self):
        zk = self.client()
        zk.create(self.root)
        with self.assertRaises(NodeExistsError):
            zk.create(self.root)
        with self.assertRaises(NodeExistsError):
            zk.create("/")
        with self.assertRaises(InvalidACLError):   # kazoo turns acl=[] into its default
            raw_call(zk, zkwire.CREATE, zkwire.create_body(self.root + "/noacl", acls=[]))
        with self.assertRaises(InvalidACLError):
            zk.create(self.root + "/badscheme", acl=[ACL(Permissions.ALL, Id("nosuch", "x"))])
        with self.assertRaises(BadArgumentsError):
            raw_call(zk, zkwire.CREATE, zkwire.create_body(self.root + "/flags", flags=9))
        # Path syntax is checked after the parent lookup: a bad path under a missing parent
        # is NoNode, under an existing parent BadArguments.
        for bad in ("//x", self.root + "/.", self.root + "/a\u0000b"):
            with self.assertRaises(BadArgumentsError, msg=bad):
                raw_call(zk, zkwire.CREATE, zkwire.create_body(bad))
        with self.assertRaises(NoNodeError):
            raw_call(zk, zkwire.CREATE, zkwire.create_body(self.root + "//x"))


class DataTests(KazooTestCase):
    def test_get_set_versions(self):
        zk = self.client()
        zk.create(self.root, b"v0")
        _, stat0 = zk.get(self.root)
        stat1 = zk.set(self.root, b"v1", version=0)
        self.assertEqual(stat1.version, 1)
        self.assertEqual(stat1.czxid, stat0.czxid)
        self.assertEqual(stat1.ctime, stat0.ctime)
        self.assertGreater(stat1.mzxid, stat0.mzxid)
        self.assertGreaterEqual(stat1.mtime, stat0.mtime)
        self.assertEqual(stat1.pzxid, stat0.pzxid)
        with self.assertRaises(BadVersionError):
            zk.set(self.root, b"stale", version=0)
        stat2 = zk.set(self.root, b"", version=-1)
        self.assertEqual((stat2.version, stat2.dataLength), (2, 0))
        self.assertEqual(zk.get(self.root), (b"", stat2))
        with self.assertRaises(NoNodeError):
            zk.set(self.root + "/missing", b"x")
        with self.assertRaises(NoNodeError):
            zk.get(self.root + "/missing")

    def test_exists(self):
        zk = self.client()
        self.assertIsNone(zk.exists(self.root))
        zk.create(self.root)
        self.assertEqual(zk.exists(self.root).numChildren, 0)

    def test_get_children(self):
        zk = self.client()
        zk.create(self.root)
        for name in ("b", "a", "c"):
            zk.create(self.root + "/" + name)
        self.assertEqual(sorted(zk.get_children(self.root)), ["a", "b", "c"])
        children, stat = zk.get_children(self.root, include_data=True)
        self.assertEqual(sorted(children), ["a", "b", "c"])
        self.assertEqual((stat.numChildren, stat.cversion), (3, 3))
        self.assertEqual(stat.pzxid, zk.exists(self.root + "/c").czxid)
        with self.assertRaises(NoNodeError):
            zk.get_children(self.root + "/missing")

    def test_delete(self):
        zk = self.client()
        zk.create(self.root)
        zk.create(self.root + "/child", b"x")
        with self.assertRaises(NotEmptyError):
            zk.delete(self.root)
        with self.assertRaises(BadVersionError):
            zk.delete(self.root + "/child", version=3)
        zk.delete(self.root + "/child", version=0)
        with self.assertRaises(NoNodeError):
            zk.delete(self.root + "/child")
        stat = zk.exists(self.root)
        self.assertEqual((stat.numChildren, stat.cversion), (0, 2))
        zk.delete(self.root)
        self.assertIsNone(zk.exists(self.root))

    def test_recursive_delete(self):
        zk = self.client()
        zk.create(self.root + "/a/b/c", makepath=True)
        zk.create(self.root + "/d", makepath=True)
        zk.delete(self.root, recursive=True)
        self.assertIsNone(zk.exists(self.root))

    def test_ensure_path(self):
        zk = self.client()
        zk.ensure_path(self.root + "/x/y")
        zk.ensure_path(self.root + "/x/y")
        self.assertIsNotNone(zk.exists(self.root + "/x/y"))

    def test_sync(self):
        zk = self.client()
        zk.create(self.root)
        self.assertEqual(zk.sync(self.root), self.root)

    def test_large_data_at_and_over_jute_maxbuffer(self):
        zk = self.client()
        zk.create(self.root)
        path = self.root + "/big"
        # A request frame may be at most jute.maxbuffer (0xfffff) bytes; anything longer makes
        # the server drop the connection (not the session) without a reply.
        frame_overhead = len(zkwire.request_frame(1, zkwire.CREATE,
                                                  zkwire.create_body(path, b""))) - 4
        largest = zkwire.DEFAULT_JUTE_MAXBUFFER - frame_overhead
        payload = bytes(range(256)) * (largest // 256) + b"z" * (largest % 256)
        self.assertEqual(zk.create(path, payload), path)
        data, stat = zk.get(path)
        self.assertEqual(stat.dataLength, largest)
        self.assertEqual(data, payload)
        session_id = zk.client_id[0]
        lost = threading.Event()
        zk.add_listener(lambda state: lost.set() if state == KazooState.SUSPENDED else None)
        with self.assertRaises(ConnectionLoss):
            zk.create(path + "2", payload + b"!")
        self.assertTrue(lost.is_set())
        # The session survives: the client reconnects with it and the node was not created.
        self.assertIsNone(zk.retry(zk.exists, path + "2"))
        self.assertEqual(zk.client_id[0], session_id)
        # setData obeys the same frame limit.
        set_overhead = len(zkwire.request_frame(1, zkwire.SET_DATA,
                                                zkwire.set_data_body(path, b""))) - 4
        at_limit = b"s" * (zkwire.DEFAULT_JUTE_MAXBUFFER - set_overhead)
        self.assertEqual(zk.set(path, at_limit).dataLength, len(at_limit))
        with self.assertRaises(ConnectionLoss):
            zk.set(path, at_limit + b"!")
        self.assertEqual(zk.retry(zk.get, path)[1].dataLength, len(at_limit))


class TransactionTests(KazooTestCase):
    def test_success(self):
        zk = self.client()
        zk.create(self.root, b"0")
        zk.create(self.root + "/gone")
        t = zk.transaction()
        t.create(self.root + "/new", b"n")
        t.create(self.root + "/seq-", sequence=True)
        t.set_data(self.root, b"1", version=0)
        t.check(self.root, 1)
        t.delete(self.root + "/gone")
        results = t.commit()
        self.assertEqual(results[0], self.root + "/new")
        self.assertEqual(results[1], self.root + "/seq-0000000002")
        self.assertEqual(results[2].version, 1)
        self.assertEqual(results[3:], [True, True])
        # Every op of a multi carries the same zxid.
        self.assertEqual(zk.exists(self.root + "/new").czxid, results[2].mzxid)
        self.assertEqual(zk.get(self.root)[0], b"1")
        self.assertIsNone(zk.exists(self.root + "/gone"))

    def test_partial_failure_changes_nothing(self):
        zk = self.client()
        zk.create(self.root, b"0")
        before = zk.exists(self.root)
        t = zk.transaction()
        t.create(self.root + "/a")
        t.set_data(self.root, b"1", version=5)   # fails: BadVersion
        t.delete(self.root + "/missing")
        results = t.commit()
        # Ops before the failing one report OK (kazoo: RolledBackError), the failing one its
        # error, the ones after it RuntimeInconsistency.
        self.assertEqual([type(r) for r in results],
                         [RolledBackError, BadVersionError, RuntimeInconsistency])
        self.assertIsNone(zk.exists(self.root + "/a"))
        after = zk.exists(self.root)
        self.assertEqual(after, before)

    def test_check_failure(self):
        zk = self.client()
        zk.create(self.root)
        t = zk.transaction()
        t.check(self.root + "/missing", 0)
        t.create(self.root + "/x")
        results = t.commit()
        self.assertEqual([type(r) for r in results], [NoNodeError, RuntimeInconsistency])

    def test_raw_multi_reply_header(self):
        zk = self.client()
        zk.create(self.root)
        # The reply header of a failed multi carries err 0; the errors are in the body.
        body = zkwire.multi_body([
            (zkwire.CREATE, zkwire.create_body(self.root + "/a")),
            (zkwire.CREATE, zkwire.create_body(self.root + "/a"))])
        results = raw_call(zk, zkwire.MULTI, body)
        self.assertEqual(results, [("error", 0), ("error", zkwire.NODE_EXISTS)])
        self.assertEqual(raw_call(zk, zkwire.MULTI, zkwire.multi_body([])), [])

    def test_multi_read(self):
        zk = self.client()
        zk.create(self.root, b"d")
        zk.create(self.root + "/k")
        body = zkwire.multi_body([
            (zkwire.GET_DATA, zkwire.path_watch_body(self.root)),
            (zkwire.GET_CHILDREN, zkwire.path_watch_body(self.root)),
            (zkwire.GET_DATA, zkwire.path_watch_body(self.root + "/missing"))])
        results = raw_call(zk, zkwire.MULTI_READ, body)
        self.assertEqual(results[0][:2], ("getData", b"d"))
        self.assertEqual(results[0][2], zk.exists(self.root))
        self.assertEqual(results[1], ("getChildren", ["k"]))
        self.assertEqual(results[2], ("error", zkwire.NO_NODE))


class AclTests(KazooTestCase):
    def test_world_read_only(self):
        zk = self.client()
        zk.create(self.root, b"r", acl=[make_acl("world", "anyone", read=True)])
        self.assertEqual(zk.get(self.root)[0], b"r")
        with self.assertRaises(NoAuthError):
            zk.set(self.root, b"w")
        with self.assertRaises(NoAuthError):
            zk.create(self.root + "/child")
        acls, stat = zk.get_acls(self.root)
        self.assertEqual(acls, [ACL(Permissions.READ, Id("world", "anyone"))])
        # setACL needs ADMIN.
        with self.assertRaises(NoAuthError):
            zk.set_acls(self.root, OPEN_ACL_UNSAFE)

    def test_digest(self):
        owner = self.client()
        owner.add_auth("digest", "alice:secret")
        digest_acl = make_digest_acl("alice", "secret", all=True)
        owner.create(self.root, b"private", acl=[digest_acl])
        self.assertEqual(owner.get(self.root)[0], b"private")
        stranger = self.client()
        with self.assertRaises(NoAuthError):
            stranger.get(self.root)
        with self.assertRaises(NoAuthError):
            stranger.get_acls(self.root)
        with self.assertRaises(NoAuthError):
            stranger.set(self.root, b"x")
        stranger.add_auth("digest", "alice:wrong")
        with self.assertRaises(NoAuthError):
            stranger.get(self.root)
        stranger.add_auth("digest", "alice:secret")
        self.assertEqual(stranger.get(self.root)[0], b"private")
        acls, _ = stranger.get_acls(self.root)
        self.assertEqual(acls, [digest_acl])

    def test_get_acl_masks_digest_without_admin(self):
        owner = self.client()
        digest_acl = make_digest_acl("bob", "pw", all=True)
        owner.create(self.root, acl=[digest_acl, make_acl("world", "anyone", read=True)])
        acls, _ = owner.get_acls(self.root)
        # READ lets anyone list the ACL, but digest hashes are hidden without ADMIN.
        self.assertEqual(acls, [ACL(Permissions.ALL, Id("digest", "bob:x")),
                                ACL(Permissions.READ, Id("world", "anyone"))])

    def test_auth_scheme(self):
        zk = self.client()
        with self.assertRaises(InvalidACLError):
            zk.create(self.root, acl=CREATOR_ALL_ACL)
        zk.add_auth("digest", "carol:pw")
        zk.create(self.root, acl=CREATOR_ALL_ACL)
        acls, _ = zk.get_acls(self.root)
        # "auth" is replaced by the creator's authenticated ids (not the ip one).
        self.assertEqual(acls, [make_digest_acl("carol", "pw", all=True)])
        other = self.client()
        with self.assertRaises(NoAuthError):
            other.get(self.root)

    def test_ip(self):
        zk = self.client()
        zk.create(self.root)
        zk.create(self.root + "/local", b"l", acl=[make_acl("ip", "127.0.0.1", all=True)])
        zk.create(self.root + "/net", b"n", acl=[make_acl("ip", "127.0.0.0/8", read=True)])
        zk.create(self.root + "/far", b"f", acl=[make_acl("ip", "10.1.2.3", all=True)])
        self.assertEqual(zk.get(self.root + "/local")[0], b"l")
        self.assertEqual(zk.get(self.root + "/net")[0], b"n")
        with self.assertRaises(NoAuthError):
            zk.set(self.root + "/net", b"x")
        with self.assertRaises(NoAuthError):
            zk.get(self.root + "/far")

    def test_set_acls_versions(self):
        zk = self.client()
        zk.create(self.root)
        stat = zk.set_acls(self.root, [make_acl("world", "anyone", read=True, admin=True)],
                           version=0)
        self.assertEqual(stat.aversion, 1)
        self.assertEqual(stat.version, 0)
        with self.assertRaises(BadVersionError):
            zk.set_acls(self.root, OPEN_ACL_UNSAFE, version=0)
        acls, stat = zk.get_acls(self.root)
        self.assertEqual(acls, [ACL(Permissions.READ | Permissions.ADMIN,
                                    Id("world", "anyone"))])
        self.assertEqual(stat.aversion, 1)
        with self.assertRaises(InvalidACLError):
            zk.set_acls(self.root, [])
        with self.assertRaises(NoNodeError):
            zk.set_acls(self.root + "/missing", OPEN_ACL_UNSAFE)

    def test_add_auth_unknown_scheme_fails_the_connection(self):
        zk = self.client()
        with self.assertRaises(AuthFailedError):
            zk.add_auth("nosuchscheme", "x")

    def test_whoami(self):
        zk = self.client()
        self.assertEqual(raw_call(zk, zkwire.WHO_AM_I), [("ip", "127.0.0.1")])
        zk.add_auth("digest", "dave:pw")
        # The server keeps a connection's ids in a set: their order is not defined.
        self.assertEqual(sorted(raw_call(zk, zkwire.WHO_AM_I)),
                         [("digest", "dave"), ("ip", "127.0.0.1")])


class WatchTests(KazooTestCase):
    def test_one_shot_watches_fire_once_with_right_types(self):
        watcher, writer = self.client(), self.client()
        writer.create(self.root)
        seen = []
        watcher.exists(self.root + "/n", watch=seen.append)       # missing: a creation watch
        watcher.get_children(self.root, watch=seen.append)
        writer.create(self.root + "/n", b"1")
        watcher.get(self.root + "/n", watch=seen.append)
        writer.set(self.root + "/n", b"2")
        writer.set(self.root + "/n", b"3")                        # nobody watches any more
        writer.create(self.root + "/m")                           # child watch already fired
        self.barrier(watcher)
        self.assertEqual(watcher.recorder.take(), [
            (zkwire.EV_CREATED, self.root + "/n"),
            (zkwire.EV_CHILDREN_CHANGED, self.root),
            (zkwire.EV_DATA_CHANGED, self.root + "/n")])
        self.flush_callbacks(watcher)
        self.assertEqual([(e.type, e.path) for e in seen], [
            (EventType.CREATED, self.root + "/n"),
            (EventType.CHILD, self.root),
            (EventType.CHANGED, self.root + "/n")])

    def test_delete_fires_data_and_child_watches(self):
        watcher, writer = self.client(), self.client()
        writer.create(self.root + "/n", makepath=True)
        watcher.get(self.root + "/n", watch=lambda e: None)
        watcher.get_children(self.root + "/n", watch=lambda e: None)
        watcher.get_children(self.root, watch=lambda e: None)
        writer.delete(self.root + "/n")
        self.barrier(watcher)
        # One NodeDeleted for the node (data and child watch of one connection: one event),
        # then the parent's NodeChildrenChanged.
        self.assertEqual(watcher.recorder.take(), [
            (zkwire.EV_DELETED, self.root + "/n"),
            (zkwire.EV_CHILDREN_CHANGED, self.root)])

    def test_same_path_watched_twice_gets_one_event(self):
        watcher, writer = self.client(), self.client()
        writer.create(self.root)
        calls = []
        watcher.get(self.root, watch=lambda e: calls.append("get"))
        watcher.exists(self.root, watch=lambda e: calls.append("exists"))
        writer.set(self.root, b"x")
        self.barrier(watcher)
        self.assertEqual(watcher.recorder.take(), [(zkwire.EV_DATA_CHANGED, self.root)])
        self.flush_callbacks(watcher)
        self.assertEqual(sorted(calls), ["exists", "get"])

    def test_watch_on_failed_read_is_an_exists_watch_only(self):
        watcher, writer = self.client(), self.client()
        # exists() on a missing node leaves a watch; get() on a missing node does not.
        watcher.exists(self.root + "/a", watch=lambda e: None)
        with self.assertRaises(NoNodeError):
            watcher.get(self.root + "/b", watch=lambda e: None)
        writer.create(self.root)
        writer.create(self.root + "/a")
        writer.create(self.root + "/b")
        self.barrier(watcher)
        self.assertEqual(watcher.recorder.take(), [(zkwire.EV_CREATED, self.root + "/a")])

    def test_data_watch_and_children_watch_recipes(self):
        zk, writer = self.client(), self.client()
        writer.create(self.root, b"a")
        data_seen, children_seen = [], []
        data_changed, children_changed = threading.Event(), threading.Event()

        @zk.DataWatch(self.root)
        def on_data(data, stat):
            data_seen.append(data)
            if data == b"b":
                data_changed.set()

        @zk.ChildrenWatch(self.root)
        def on_children(children):
            children_seen.append(sorted(children))
            if children:
                children_changed.set()

        writer.set(self.root, b"b")
        writer.create(self.root + "/c")
        self.assertTrue(data_changed.wait(WAIT_S))
        self.assertTrue(children_changed.wait(WAIT_S))
        self.assertEqual(data_seen[:2], [b"a", b"b"])
        self.assertEqual(children_seen[:2], [[], ["c"]])

    def test_persistent_watch(self):
        watcher, writer = self.client(), self.client()
        writer.create(self.root)
        self.assertEqual(raw_call(watcher, zkwire.ADD_WATCH, zkwire.add_watch_body(
            self.root + "/p", zkwire.ADD_WATCH_PERSISTENT)), 0)
        writer.create(self.root + "/p", b"1")
        writer.set(self.root + "/p", b"2")
        writer.set(self.root + "/p", b"3")
        writer.create(self.root + "/p/kid")
        writer.create(self.root + "/p/kid/grandkid")   # not a direct child: no event
        writer.delete(self.root + "/p/kid/grandkid")
        writer.delete(self.root + "/p/kid")
        writer.delete(self.root + "/p")
        writer.create(self.root + "/p")                # the watch outlives the node
        self.barrier(watcher)
        p = self.root + "/p"
        self.assertEqual(watcher.recorder.take(), [
            (zkwire.EV_CREATED, p), (zkwire.EV_DATA_CHANGED, p), (zkwire.EV_DATA_CHANGED, p),
            (zkwire.EV_CHILDREN_CHANGED, p), (zkwire.EV_CHILDREN_CHANGED, p),
            (zkwire.EV_DELETED, p), (zkwire.EV_CREATED, p)])
        raw_call(watcher, zkwire.REMOVE_WATCHES, zkwire.watches_body(p, zkwire.WATCHER_ANY))
        writer.set(p, b"after")
        self.barrier(watcher)
        self.assertEqual(watcher.recorder.take(), [])

    def test_persistent_recursive_watch(self):
        watcher, writer = self.client(), self.client()
        writer.create(self.root)
        r = self.root + "/r"
        raw_call(watcher, zkwire.ADD_WATCH,
                 zkwire.add_watch_body(r, zkwire.ADD_WATCH_PERSISTENT_RECURSIVE))
        writer.create(r)
        writer.create(r + "/a")
        writer.create(r + "/a/b", b"x")
        writer.set(r + "/a/b", b"y")
        writer.delete(r + "/a/b")
        writer.create(self.root + "/outside")
        writer.set(r, b"z")
        self.barrier(watcher)
        # Recursive watches report no NodeChildrenChanged, and nothing outside the subtree.
        self.assertEqual(watcher.recorder.take(), [
            (zkwire.EV_CREATED, r), (zkwire.EV_CREATED, r + "/a"),
            (zkwire.EV_CREATED, r + "/a/b"), (zkwire.EV_DATA_CHANGED, r + "/a/b"),
            (zkwire.EV_DELETED, r + "/a/b"), (zkwire.EV_DATA_CHANGED, r)])

    def test_remove_and_check_watches(self):
        # kazoo 2.8 cannot decode NoWatcher (-121), so this one speaks the protocol itself.
        writer = self.client()
        writer.create(self.root)
        watcher = zkwire.Session(SERVER.host, SERVER.port)
        watcher.connect()
        try:
            watcher.call(zkwire.GET_DATA, zkwire.path_watch_body(self.root, True))
            check = lambda kind: watcher.call(zkwire.CHECK_WATCHES,
                                              zkwire.watches_body(self.root, kind)).err
            self.assertEqual(check(zkwire.WATCHER_DATA), 0)
            self.assertEqual(check(zkwire.WATCHER_ANY), 0)
            self.assertEqual(check(zkwire.WATCHER_CHILDREN), zkwire.NO_WATCHER)
            remove = zkwire.watches_body(self.root, zkwire.WATCHER_DATA)
            self.assertEqual(watcher.call(zkwire.REMOVE_WATCHES, remove).err, 0)
            self.assertEqual(watcher.call(zkwire.REMOVE_WATCHES, remove).err, zkwire.NO_WATCHER)
            writer.set(self.root, b"x")
            watcher.call(zkwire.EXISTS, zkwire.path_watch_body("/"))
            # The server sends nothing on removal (DataWatchRemoved is made by the client).
            self.assertEqual(watcher.take_events(), [])
        finally:
            watcher.close()


class SessionTests(KazooTestCase):
    def test_close_removes_ephemerals_at_once(self):
        owner, other = self.client(), self.client()
        owner.create(self.root)
        owner.create(self.root + "/e", ephemeral=True)
        other.exists(self.root + "/e", watch=lambda e: None)
        owner.stop()
        self.assertIsNone(other.exists(self.root + "/e"))
        self.assertEqual(other.recorder.take(), [(zkwire.EV_DELETED, self.root + "/e")])

    def test_expiry_removes_ephemerals(self):
        proxy = self.proxy()
        owner = self.client(proxy.hostport, timeout_s=2.0)
        other = self.client()
        owner.create(self.root)
        owner.create(self.root + "/e", b"", ephemeral=True)
        deleted = threading.Event()
        other.exists(self.root + "/e", watch=lambda e: deleted.set())
        states = []
        lost = threading.Event()

        def on_state(state):
            states.append(state)
            if state == KazooState.LOST:
                lost.set()
        owner.add_listener(on_state)
        proxy.freeze()     # the server hears nothing more from the owner: no pings
        self.assertTrue(deleted.wait(WAIT_S), "ephemeral of the silent session was not removed")
        self.assertIsNone(other.exists(self.root + "/e"))
        proxy.thaw()
        proxy.cut()
        self.assertTrue(lost.wait(WAIT_S), "client was not told its session expired")
        self.assertIn(KazooState.SUSPENDED, states)

    def test_reconnect_with_set_watches(self):
        proxy = self.proxy()
        watcher = self.client(proxy.hostport)
        writer = self.client()
        x, y, z = self.root + "/x", self.root + "/y", self.root + "/z"
        writer.create(x, makepath=True)
        writer.create(y)
        watcher.get(x, watch=lambda e: None)
        watcher.get_children(y, watch=lambda e: None)
        watcher.exists(z, watch=lambda e: None)
        relative_zxid = watcher.last_zxid
        session_id = watcher.client_id[0]
        reconnected = threading.Event()
        watcher.add_listener(
            lambda state: reconnected.set() if state == KazooState.CONNECTED else None)
        proxy.cut()
        self.assertTrue(reconnected.wait(WAIT_S))
        self.assertEqual(watcher.client_id[0], session_id)
        # Watches belong to the connection: the new one has none until setWatches.
        writer.set(x, b"changed")
        writer.create(y + "/child")
        self.barrier(watcher)
        self.assertEqual(watcher.recorder.take(), [])
        # setWatches fires at once for what changed after relative_zxid, re-arms the rest.
        raw_call(watcher, zkwire.SET_WATCHES,
                 zkwire.set_watches_body(relative_zxid, data=[x], exist=[z], child=[y]))
        self.barrier(watcher)
        self.assertEqual(watcher.recorder.take(), [(zkwire.EV_DATA_CHANGED, x),
                                                   (zkwire.EV_CHILDREN_CHANGED, y)])
        writer.create(z)
        self.barrier(watcher)
        self.assertEqual(watcher.recorder.take(), [(zkwire.EV_CREATED, z)])

    def test_get_ephemerals_and_all_children_number(self):
        zk, other = self.client(), self.client()
        zk.create(self.root + "/a/b", makepath=True)
        zk.create(self.root + "/a/e1", ephemeral=True)
        zk.create(self.root + "/e2", ephemeral=True)
        other.create(self.root + "/theirs", ephemeral=True)
        mine = raw_call(zk, zkwire.GET_EPHEMERALS, zkwire.enc_string(self.root))
        self.assertEqual(sorted(mine), [self.root + "/a/e1", self.root + "/e2"])
        under_a = raw_call(zk, zkwire.GET_EPHEMERALS, zkwire.enc_string(self.root + "/a"))
        self.assertEqual(under_a, [self.root + "/a/e1"])
        # Descendants of the path, not counting the path itself.
        self.assertEqual(raw_call(zk, zkwire.GET_ALL_CHILDREN_NUMBER,
                                  zkwire.enc_string(self.root)), 5)
        with self.assertRaises(NoNodeError):
            raw_call(zk, zkwire.GET_ALL_CHILDREN_NUMBER, zkwire.enc_string(self.root + "/no"))


class ReservedNodeTests(KazooTestCase):
    def test_zookeeper_subtree(self):
        zk = self.client()
        self.assertEqual(sorted(zk.get_children("/zookeeper")), ["config", "quota"])
        self.assertEqual(zk.get("/zookeeper/quota")[0], b"")
        self.assertEqual(zk.get("/zookeeper/config")[0], b"")
        self.assertIn("zookeeper", zk.get_children("/"))
        acls, _ = zk.get_acls("/zookeeper/config")
        self.assertEqual(acls, [ACL(Permissions.READ, Id("world", "anyone"))])
        with self.assertRaises(BadArgumentsError):
            zk.delete("/zookeeper")
        with self.assertRaises(BadArgumentsError):
            zk.delete("/zookeeper/config")
        with self.assertRaises(NoAuthError):
            zk.set("/zookeeper/config", b"x")

    def test_root(self):
        zk = self.client()
        with self.assertRaises(BadArgumentsError):
            zk.delete("/")
        stat = zk.exists("/")
        self.assertEqual((stat.czxid, stat.ctime, stat.ephemeralOwner), (0, 0, 0))


if __name__ == "__main__":
    harness.main()
