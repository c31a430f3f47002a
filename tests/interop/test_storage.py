#!/usr/bin/python3
# Storage through a real server process: the tree survives SIGTERM and kill -9; the files on
# disk are preallocated preAllocSize segments in dataLogDir and snapshots in dataDir; fuzzy
# snapshots taken while many clients write each restore (with the log) to the live tree; a
# damaged or half-written snapshot falls back to the previous one; a torn log tail is cut; a
# full disk (a small tmpfs) and an injected fsync error stop writes with an error while reads
# go on, and nothing acknowledged is lost; `ringkeeper purge` keeps what recovery needs.
#
#   test_storage.py --server ringkeeper --binary PATH
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

from kazoo.client import KazooClient  # noqa: E402
from kazoo.exceptions import KazooException, NodeExistsError, NoNodeError, ZookeeperError  # noqa: E402

PREALLOC_KIB = 512
SEED = int(os.environ.get("INTEROP_STORAGE_SEED", str(int(time.time()) % 100000)))


def connect(server, timeout_s=15.0):
    client = KazooClient(hosts=server.hostport, timeout=timeout_s)
    client.start(timeout=timeout_s)
    return client


def dump_tree(client):
    """path -> (data, stat) for every node, read with pipelined async calls."""
    tree = {}
    level = ["/"]
    while level:
        children = [client.get_children_async(p) for p in level]
        datas = [client.get_async(p) for p in level]
        nxt = []
        for path, kids, got in zip(level, children, datas):
            data, stat = got.get(timeout=30)
            tree[path] = (data, tuple(stat))
            for name in kids.get(timeout=30):
                nxt.append(("" if path == "/" else path) + "/" + name)
        level = nxt
    return tree


def tree_of(server):
    client = connect(server)
    try:
        return dump_tree(client)
    finally:
        client.stop()
        client.close()


def storage_server(**cfg):
    extra = {"dataLogDir": "{workdir}/txnlog", "preAllocSize": str(PREALLOC_KIB)}
    extra.update({k: str(v) for k, v in cfg.items()})
    return harness.Server(extra_cfg=extra)


def data_dir(server):
    return os.path.join(server.workdir, "data0")


def log_dir(server):
    return os.path.join(server.workdir, "txnlog")


def zxid_of(name):
    return int(name.split(".")[1], 16)


def files(directory, prefix):
    """Segments (log.<hex>) or snapshots (snapshot.<hex>) in zxid order; temp names left out."""
    def named(f):
        rest = f[len(prefix):]
        return f.startswith(prefix) and rest != "" and all(c in "0123456789abcdef" for c in rest)
    return sorted((f for f in os.listdir(directory) if named(f)), key=zxid_of)


def write_mixed(client, rng, root, count):
    """create / setData / delete / multi on `root`, synchronously, `count` ops."""
    client.ensure_path(root)
    names = []
    for i in range(count):
        r = rng.random()
        if r < 0.45 or not names:
            path = client.create(root + "/n-", rng.randbytes(rng.randrange(0, 300)), sequence=True)
            names.append(path)
        elif r < 0.8:
            client.set(rng.choice(names), rng.randbytes(rng.randrange(0, 300)))
        elif r < 0.9:
            path = names.pop(rng.randrange(len(names)))
            client.delete(path)
        else:
            tx = client.transaction()
            tx.create(root + "/m-", b"multi", sequence=True)
            tx.set_data(rng.choice(names), b"m")
            tx.commit()


class StorageTest(unittest.TestCase):
    def setUp(self):
        self.servers = []
        self.rng = random.Random(SEED + hash(self._testMethodName) % 1000)

    def tearDown(self):
        for s in self.servers:
            s.stop()

    def start(self, server):
        self.servers.append(server)
        return server.start()

    def written_with_snapshots(self, snap_count, root, ops, snapshots_min):
        """A server that took `snapshots_min` snapshots (all finished) of `ops` mixed writes."""
        server = self.start(storage_server(snapCount=snap_count))
        client = connect(server)
        write_mixed(client, self.rng, root, ops)
        client.stop()
        client.close()
        harness.wait_for(lambda: len(files(data_dir(server), "snapshot.")) >= snapshots_min and
                         "zk_snapshot_in_progress\t0" in server.four_letter("mntr"), 30,
                         "%d snapshots" % snapshots_min)
        return server

    def test_tree_survives_sigterm_and_kill_9(self):
        server = self.start(storage_server())
        client = connect(server)
        client.create("/kept", b"v1")
        client.create("/kept/seq-", b"s", sequence=True)
        client.create("/kept/seq-", b"s", sequence=True)
        client.set("/kept", b"v2")
        client.create("/eph", b"e", ephemeral=True)
        client.create("/gone", b"x")
        client.delete("/gone")
        write_mixed(client, self.rng, "/mixed", 300)
        client.stop()
        client.close()
        before = tree_of(server)
        server._stop_process()
        server.restart()
        self.assertEqual(tree_of(server), before, "tree after SIGTERM + restart")
        client = connect(server)
        client.create("/after", b"a")
        client.create("/kept/seq-", b"s", sequence=True)
        client.stop()
        client.close()
        before = tree_of(server)
        server.kill()
        server.restart()
        after = tree_of(server)
        self.assertEqual(after, before, "tree after kill -9 + restart")
        self.assertIn("/kept/seq-0000000002", after)

    def test_files_are_preallocated_segments_and_snapshots(self):
        server = self.start(storage_server(snapCount=200))
        client = connect(server)
        write_mixed(client, self.rng, "/f", 900)
        client.stop()
        client.close()
        # Snapshots finish in the background.
        harness.wait_for(lambda: files(data_dir(server), "snapshot."), 30, "a snapshot file")
        logs = files(log_dir(server), "log.")
        self.assertGreaterEqual(len(logs), 2, "the log rolls with each snapshot: %s" % logs)
        # Named after its first zxid, in hex. The segment being written is preallocated whole;
        # the ones the log rolled away from are cut to their last record.
        logs.sort(key=lambda name: int(name[4:], 16))
        for name in logs:
            size = os.path.getsize(os.path.join(log_dir(server), name))
            self.assertGreater(size, 0)
            if name == logs[-1]:
                self.assertEqual(size % (PREALLOC_KIB * 1024), 0, "%s is %d bytes" % (name, size))
            else:
                self.assertLess(size, PREALLOC_KIB * 1024, "%s is %d bytes" % (name, size))
                self.assertEqual(size % 8, 0, "%s ends at a frame boundary: %d bytes" % (name, size))
        self.assertEqual(files(data_dir(server), "log."), [], "no log in dataDir when dataLogDir is set")
        with open(server.log_path, errors="replace") as f:
            self.assertIn("are on the same device", f.read(),
                          "start-up warns that dataDir and dataLogDir share a device")
        mntr = server.four_letter("mntr")
        for key in ("zk_fsync_count", "zk_fsync_latency_avg_us", "zk_txn_log_batch_txns_avg",
                    "zk_txn_log_bytes_written", "zk_snapshots_taken"):
            self.assertIn(key, mntr)
        fsyncs = int(mntr.split("zk_fsync_count\t")[1].split("\n")[0])
        self.assertGreater(fsyncs, 0)
        # Group commit: fewer fsyncs than txns were needed.
        self.assertLessEqual(fsyncs, 1000)

    def test_fuzzy_snapshots_under_load_each_restore_to_the_live_tree(self):
        server = self.start(storage_server(snapCount=300))
        stop_at = time.monotonic() + 25.0
        errors = []

        def writer(i):
            rng = random.Random(SEED * 31 + i)
            try:
                client = connect(server)
                root = "/load/w%d" % i
                client.ensure_path(root)
                for k in range(1200):
                    if time.monotonic() > stop_at:
                        break
                    # Pipelined: several async writes in flight per client.
                    batch = []
                    for j in range(8):
                        path = "%s/k%d" % (root, rng.randrange(60))
                        if rng.random() < 0.5:
                            batch.append(client.create_async(path, rng.randbytes(rng.randrange(200))))
                        elif rng.random() < 0.7:
                            batch.append(client.set_async(path, rng.randbytes(rng.randrange(200))))
                        else:
                            batch.append(client.delete_async(path))
                    for b in batch:
                        try:
                            b.get(timeout=30)
                        except (NodeExistsError, NoNodeError):
                            pass
                client.stop()
                client.close()
            except Exception as e:  # reported by the test thread
                errors.append("writer %d: %r" % (i, e))

        holder = connect(server)
        holder.create("/eph", b"e", ephemeral=True)
        threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        harness.wait_for(lambda: "zk_snapshot_in_progress\t0" in server.four_letter("mntr"), 30,
                         "the last snapshot to finish")
        live = dump_tree(holder)
        snapshots = files(data_dir(server), "snapshot.")
        self.assertGreaterEqual(len(snapshots), 3, "snapshots taken under load: %s" % snapshots)
        server.kill()  # the holder's session and its ephemeral are restored with the rest
        holder.stop()
        holder.close()
        picks = sorted(set([snapshots[0], snapshots[-1]] +
                           self.rng.sample(snapshots, min(3, len(snapshots)))))
        for snap in picks:
            restored = self.restore_copy(server, keep_snapshot=snap)
            self.assertEqual(restored, live, "restore from %s + log differs from the live tree" % snap)

    def restore_copy(self, server, keep_snapshot):
        """Starts a server on a copy of `server`'s files that holds only `keep_snapshot`."""
        copy = storage_server()
        self.servers.append(copy)
        copy.start()
        copy._stop_process()
        shutil.rmtree(data_dir(copy))
        shutil.rmtree(log_dir(copy), ignore_errors=True)
        shutil.copytree(data_dir(server), data_dir(copy))
        shutil.copytree(log_dir(server), log_dir(copy))
        for name in files(data_dir(copy), "snapshot."):
            if name != keep_snapshot:
                os.remove(os.path.join(data_dir(copy), name))
        copy.restart()
        tree = tree_of(copy)
        copy.stop()
        self.servers.remove(copy)
        return tree

    def test_damaged_or_half_written_snapshot_falls_back_to_the_previous(self):
        server = self.written_with_snapshots(150, "/d", 700, 2)
        before = tree_of(server)
        server.kill()
        snaps = files(data_dir(server), "snapshot.")
        newest = os.path.join(data_dir(server), snaps[-1])
        with open(newest, "r+b") as f:  # one flipped byte in the middle
            size = os.path.getsize(newest)
            f.seek(size // 2)
            b = f.read(1)
            f.seek(size // 2)
            f.write(bytes([b[0] ^ 0x5A]))
        # A crash mid-snapshot leaves a temp file behind: never read.
        with open(os.path.join(data_dir(server), "snapshot.%x.tmp" % (zxid_of(snaps[-1]) + 5)), "wb") as f:
            f.write(b"\x00" * 100)
        temp = os.path.join(data_dir(server), "snapshot.%x.tmp" % (zxid_of(snaps[-1]) + 5))
        server.restart()
        self.assertEqual(tree_of(server), before, "after a damaged newest snapshot")
        self.assertFalse(os.path.exists(temp), "the leftover temp file is removed at start-up")
        self.assertRegex(server.new_log_lines(400), "(?i)snapshot")
        server.kill()
        # A half-written newest snapshot (cut short) as well.
        with open(newest, "r+b") as f:
            f.truncate(os.path.getsize(newest) // 3)
        server.restart()
        self.assertEqual(tree_of(server), before, "after a truncated newest snapshot")

    def test_missing_log_segments_refuse_start_up_with_the_reason(self):
        server = self.written_with_snapshots(150, "/g", 500, 2)
        server.kill()
        for name in files(data_dir(server), "snapshot."):
            os.remove(os.path.join(data_dir(server), name))
        os.remove(os.path.join(log_dir(server), files(log_dir(server), "log.")[0]))
        with self.assertRaises(RuntimeError):
            server.restart()
        with open(server.log_path, errors="replace") as f:
            self.assertIn("segments between are missing", f.read())
        server.failed = False  # the refusal is the expected outcome, not a failure to keep

    def test_torn_log_tail_is_cut_and_the_valid_prefix_kept(self):
        server = self.start(storage_server())
        client = connect(server)
        client.create("/torn", b"")
        for i in range(40):
            client.create("/torn/n%03d" % i, b"x" * 50)
        server.kill()  # before the client closes its session: the create is the last record
        client.stop()
        client.close()
        segment = os.path.join(log_dir(server), files(log_dir(server), "log.")[-1])
        with open(segment, "rb") as f:
            image = f.read()
        end = len(image.rstrip(b"\x00"))
        self.assertGreater(end, 0)
        # The last record is the create of /torn/n039: tear it at a few offsets from its end
        # (a crash mid-write leaves a prefix of it), keep the file's size.
        for cut_back in (1, 7, 33, 60):
            with open(segment, "r+b") as f:
                f.seek(end - cut_back)
                f.write(b"\x00" * cut_back)
            server.restart()
            tree = tree_of(server)
            self.assertIn("/torn/n038", tree, "cut %d bytes back" % cut_back)
            self.assertNotIn("/torn/n039", tree, "cut %d bytes back" % cut_back)
            self.assertRegex(server.new_log_lines(400), "(?i)cut|torn")
            # New writes after the cut survive another crash.
            client = connect(server)
            client.create("/torn/after%d" % cut_back, b"y")
            server.kill()
            client.stop()
            client.close()
            server.restart()
            self.assertIn("/torn/after%d" % cut_back, tree_of(server))
            server.kill()
            # Restore the original image for the next offset: the new writes went into a
            # newer segment, which is removed with it.
            for name in files(log_dir(server), "log."):
                path = os.path.join(log_dir(server), name)
                if path != segment:
                    os.remove(path)
            with open(segment, "wb") as f:
                f.write(image)

    def test_injected_fsync_error_stops_writes_reads_go_on_restart_loses_nothing(self):
        server = self.start(storage_server())
        client = connect(server)
        acked = []
        for i in range(20):
            client.create("/ok%d" % i, b"v")
            acked.append("/ok%d" % i)
        client.stop()
        client.close()
        server._stop_process()
        os.environ["RINGKEEPER_FAULTS"] = "wal.datasync=eio@after:30"
        try:
            server.restart()
        finally:
            del os.environ["RINGKEEPER_FAULTS"]
        client = connect(server)
        failed = None
        for i in range(100):
            try:
                client.create("/more%d" % i, b"v")
                acked.append("/more%d" % i)
            except ZookeeperError as e:
                failed = e
                break
        self.assertIsNotNone(failed, "writes went on after the fsync failed")
        # Reads go on; writes stay refused (a failed fsync is never retried).
        self.assertEqual(client.get("/ok0")[0], b"v")
        with self.assertRaises(ZookeeperError):
            client.create("/refused", b"v")
        log = server.new_log_lines(400)
        self.assertRegex(log, "(?i)fdatasync|fsync")
        self.assertIn("writes stopped", log)
        client.stop()
        client.close()
        server.kill()
        server.restart()
        tree = tree_of(server)
        for path in acked:
            self.assertIn(path, tree, "acknowledged %s lost" % path)
        self.assertNotIn("/refused", tree)

    def test_full_disk_stops_writes_reads_go_on_then_resume(self):
        mount_point = tempfile.mkdtemp(prefix="rk-full-")
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mount_point],
                                 capture_output=True, text=True)
        if mounted.returncode != 0:
            os.rmdir(mount_point)
            self.skipTest("cannot mount a small tmpfs here: %s" % mounted.stderr.strip())
        try:
            self.full_disk_run(mount_point)
        finally:
            subprocess.run(["umount", "-l", mount_point])
            os.rmdir(mount_point)

    def full_disk_run(self, mount_point):
        server = self.start(storage_server(dataLogDir=mount_point + "/log"))
        with open(server.log_path, errors="replace") as f:
            start_log = f.read()
        self.assertIn("dataLogDir %s/log is on tmpfs" % mount_point, start_log)
        self.assertNotIn("are on the same device", start_log, "the tmpfs is a device of its own")
        filler = os.path.join(mount_point, "filler")
        client = connect(server)
        client.create("/full", b"")
        # Take the rest of the space: the current and the prepared next segment stay.
        harness.wait_for(lambda: files(mount_point + "/log", "log.") and
                         os.path.exists(mount_point + "/log/log.prealloc"), 10,
                         "the next segment to be prepared", interval_s=0.05)
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\xff" * 65536)
                    f.flush()
            except OSError:
                pass
        acked = []
        failed = None
        payload = b"p" * 8000
        for i in range(1000):  # 2 segments of 512 KiB hold ~130 of these
            try:
                client.create("/full/n%04d" % i, payload)
                acked.append("/full/n%04d" % i)
            except ZookeeperError as e:
                failed = e
                break
        self.assertIsNotNone(failed, "writes went on with the disk full")
        self.assertEqual(client.get("/full")[0], b"")  # reads go on
        self.assertIn("disk full", server.new_log_lines(400).lower() + str(server.four_letter("mntr")).lower())
        os.remove(filler)

        def resumed():
            try:
                client.create("/full/resumed", b"r")
                return True
            except ZookeeperError:
                return False
        harness.wait_for(resumed, 20, "writes to resume once space returns", interval_s=0.2)
        acked.append("/full/resumed")
        client.stop()
        client.close()
        server.kill()
        server.restart()
        tree = tree_of(server)
        for path in acked:
            self.assertIn(path, tree, "acknowledged %s lost" % path)

    def test_purge_keeps_what_recovery_needs(self):
        server = self.written_with_snapshots(100, "/p", 900, 5)
        before = tree_of(server)
        logs_before = files(log_dir(server), "log.")
        out = subprocess.run([server.binary, "purge", server.cfg_path, "-n", "3"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        snaps = files(data_dir(server), "snapshot.")
        self.assertEqual(len(snaps), 3)
        logs = files(log_dir(server), "log.")
        self.assertLess(len(logs), len(logs_before), "old logs removed")
        oldest = zxid_of(snaps[0])
        self.assertLessEqual(zxid_of(logs[0]), oldest + 1, "the log holding the oldest kept snapshot's next txn is kept")
        bad = subprocess.run([server.binary, "purge", server.cfg_path, "-n", "2"],
                             capture_output=True, text=True, timeout=60)
        self.assertNotEqual(bad.returncode, 0)
        server.kill()
        server.restart()
        self.assertEqual(tree_of(server), before)


if __name__ == "__main__":
    print("storage test seed %d (INTEROP_STORAGE_SEED to repeat)" % SEED, flush=True)
    harness.main()
