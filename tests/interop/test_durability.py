#!/usr/bin/python3
# Crash test: a real server under concurrent pipelined writes is killed with SIGKILL at random
# moments, many rounds, restarted on the same data each time. After every restart, every
# write a client saw acknowledged (in any round so far) is present with its data, and each
# writer's state is exactly a prefix of the writes it issued (one session applies in order).
#
# Each writer alternates create(/dur/r<round>-w<i>-<k>, data) and setData(/dur/ctr-r<round>-w<i>,
# str(n)), so after applying P of its ops it has ceil(P/2) creates and its counter holds
# floor(P/2) at version floor(P/2).
#
#   test_durability.py --server ringkeeper --binary PATH   (or --server zookeeper: the test
#   must pass against stock ZooKeeper too)
#   env INTEROP_CRASH_ROUNDS (default 6), INTEROP_CRASH_SEED (default: time-based, printed)
import os
import random
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import zkwire as zw  # noqa: E402

ROUNDS = int(os.environ.get("INTEROP_CRASH_ROUNDS", "6"))
WRITERS = 4
PIPELINE = 16          # outstanding requests per writer
MAX_OPS_PER_WRITER = 40000
KILL_AFTER_S = (0.3, 1.5)
JOIN_TIMEOUT_S = 30.0
ROOT = "/dur"


class Writer(threading.Thread):
    """One session issuing create/setData alternately, pipelined, until its connection dies."""

    def __init__(self, server, round_no, index, rng):
        super().__init__(daemon=True)
        self.server = server
        self.prefix = "%s/r%d-w%d-" % (ROOT, round_no, index)
        self.counter = "%s/ctr-r%d-w%d" % (ROOT, round_no, index)
        self.payload = rng.randbytes(rng.randrange(1, 200))
        self.issued = 0   # ops sent
        self.acked = 0    # ops answered OK, in order
        self.error = None

    def op(self, n):
        """The n-th op (0-based) of this writer: (opcode, body)."""
        if n % 2 == 0:
            k = n // 2
            return zw.CREATE, zw.create_body(self.prefix + str(k), self.data_of(k))
        return zw.SET_DATA, zw.set_data_body(self.counter, str(n // 2 + 1).encode(), n // 2)

    def data_of(self, k):
        return self.payload + str(k).encode()

    def run(self):
        session = zw.Session(self.server.host, self.server.port, io_timeout_s=10.0)
        try:
            session.connect(timeout_ms=10000)
            reply = session.call(zw.CREATE, zw.create_body(self.counter, b"0"))
            if reply.err != 0:
                self.error = "counter create failed: %s" % zw.err_name(reply.err)
                return
            pending = []
            while self.acked < MAX_OPS_PER_WRITER:
                while len(pending) < PIPELINE and self.issued < MAX_OPS_PER_WRITER:
                    opcode, body = self.op(self.issued)
                    pending.append((opcode, session.send(opcode, body)))
                    self.issued += 1
                opcode, xid = pending.pop(0)
                reply = session.read_reply(opcode, xid)
                if reply.err != 0:
                    self.error = "op %d answered %s" % (self.acked, zw.err_name(reply.err))
                    return
                self.acked += 1
        except (zw.ConnectionClosed, OSError, ValueError):
            pass  # the server was killed
        finally:
            session.close()


class CrashTest(unittest.TestCase):
    def test_kill_9_under_concurrent_writes_loses_no_acknowledged_write(self):
        seed = int(os.environ.get("INTEROP_CRASH_SEED", str(int(time.time()) % 100000)))
        print("crash test seed %d (INTEROP_CRASH_SEED to repeat)" % seed, flush=True)
        rng = random.Random(seed)
        # Small snapshot and preallocation steps so snapshots, log rolls and segment growth
        # all happen during the run; the txn log on its own directory.
        server = harness.Server(extra_cfg={"snapCount": "400", "preAllocSize": "128",
                                           "dataLogDir": "{workdir}/txnlog"}).start()
        finished = []  # writers of earlier rounds, checked again after every restart
        try:
            setup = zw.Session(server.host, server.port)
            setup.connect()
            self.assertEqual(setup.call(zw.CREATE, zw.create_body(ROOT)).err, 0)
            setup.close_session()
            for round_no in range(ROUNDS):
                writers = [Writer(server, round_no, i, rng) for i in range(WRITERS)]
                for w in writers:
                    w.start()
                time.sleep(rng.uniform(*KILL_AFTER_S))
                server.kill()
                for w in writers:
                    w.join(JOIN_TIMEOUT_S)
                    self.assertFalse(w.is_alive(), "a writer did not stop after the kill")
                    self.assertIsNone(w.error, w.error)
                server.restart()
                finished.extend(writers)
                self.check(server, finished, round_no)
                print("round %d: %s acknowledged ops, all present" %
                      (round_no, sum(w.acked for w in writers)), flush=True)
        finally:
            server.stop()

    def check(self, server, writers, round_no):
        session = zw.Session(server.host, server.port)
        session.connect()
        try:
            reply = session.call(zw.GET_CHILDREN, zw.path_watch_body(ROOT))
            self.assertEqual(reply.err, 0)
            children = set(reply.result)
            for w in writers:
                self.check_writer(session, children, w, round_no)
        finally:
            session.close_session()

    def check_writer(self, session, children, w, round_no):
        name = w.prefix[len(ROOT) + 1:]
        creates = sorted(int(c[len(name):]) for c in children if c.startswith(name))
        count = len(creates)
        where = "after restart %d, writer %s (acked %d, issued %d)" % (round_no, name,
                                                                    w.acked, w.issued)
        self.assertEqual(creates, list(range(count)), "creates are not a prefix " + where)
        reply = session.call(zw.GET_DATA, zw.path_watch_body(w.counter))
        if w.acked == 0 and reply.err == zw.NO_NODE:
            self.assertEqual(count, 0, where)
            return
        self.assertEqual(reply.err, 0, "counter missing " + where)
        data, stat = reply.result
        sets = int(data.decode())
        self.assertEqual(stat.version, sets, "counter version " + where)
        applied = count + sets
        self.assertIn(sets, (count, count - 1), "ops applied out of order " + where)
        self.assertGreaterEqual(applied, w.acked, "acknowledged writes lost " + where)
        self.assertLessEqual(applied, w.issued, "more applied than issued " + where)
        for k in rng_sample(count):
            got = session.call(zw.GET_DATA, zw.path_watch_body(w.prefix + str(k)))
            self.assertEqual(got.err, 0, where)
            self.assertEqual(got.result[0], w.data_of(k), "data of %s%d %s" % (w.prefix, k, where))


def rng_sample(count, most=50):
    """Which of `count` creates to read back: the last ones and a spread of the rest."""
    if count <= most:
        return range(count)
    step = max(1, count // (most // 2))
    return sorted(set(range(0, count, step)) | set(range(count - most // 2, count)))


if __name__ == "__main__":
    harness.main()
