#!/usr/bin/python3
# Differential test: seeded random operation sequences run against stock ZooKeeper (the
# reference) and the server under test, several sessions each, comparing every reply field,
# Stat, child list, ACL and the watch events each session receives. Reports the seed and the
# first operation whose outcome differs.
#
#   test_differential.py --server ringkeeper --binary PATH   stock vs ringkeeper
#   test_differential.py --server zookeeper                  stock vs stock (must agree)
#   --seeds 4,7 | --seed-count N which seeds (default 1..4; N means 1..N), --ops N per seed
#                                (env: INTEROP_DIFF_SEED_COUNT, INTEROP_DIFF_OPS)
#   --mutate N                   self-check: from op N on, the candidate gets different data
#                                in its next write, and the run must report a difference
#
# Zxids are compared by their pattern (first-seen order, and whether a new one is above all
# earlier ones), times through the zxid they belong to (one time per zxid, wall-clock
# plausible), session ids by the order sessions were opened. Child lists, getEphemerals and
# whoAmI lists are compared as sorted lists: the server returns them in hash order; so are
# the events a session's close fires (its ephemerals go in hash order too).
import argparse
import base64
import hashlib
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import zkwire as zw  # noqa: E402

DEFAULT_SEEDS = [1, 2, 3, 4]
DEFAULT_OPS = 400
SESSIONS = 3
NAMES = ["a", "b", "c", "d"]
MAX_DEPTH = 3
# Nothing may disappear on its own during a run: containers and TTL nodes are swept only
# every hour, and sessions never go idle long enough to expire.
SERVER_SYSPROPS = {"znode.container.checkIntervalMs": 3600 * 1000}
SESSION_TIMEOUT_MS = 30000
USERS = {"u1": "pw1", "u2": "pw2"}


def digest_id(user, password):
    """The id ZooKeeper's digest scheme stores: user:base64(sha1(user:password))."""
    sha = hashlib.sha1(("%s:%s" % (user, password)).encode()).digest()
    return "%s:%s" % (user, base64.b64encode(sha).decode())


ACLS = {
    "open": zw.OPEN_ACL,
    "read": zw.READ_ACL,
    "create_read": [(zw.READ | zw.CREATE_PERM, "world", "anyone")],
    "digest_u1": [(zw.ALL, "digest", digest_id("u1", USERS["u1"]))],
    "digest_u2_read_world": [(zw.ALL, "digest", digest_id("u2", USERS["u2"])),
                             (zw.READ, "world", "anyone")],
    "creator": zw.CREATOR_ALL_ACL,
    "ip": [(zw.ALL, "ip", "127.0.0.1")],
    "ip_other": [(zw.ALL, "ip", "10.9.8.7")],
    "empty": [],
    "bad_scheme": [(zw.ALL, "nosuch", "x")],
}


class Mismatch(Exception):
    pass


class Side:
    """One server and its sessions, with the canonical forms of server-chosen values."""

    def __init__(self, server, label):
        self.server = server
        self.label = label
        self.sessions = [None] * SESSIONS
        self.zxid_token = {0: "0"}
        self.zxid_max = 0
        self.time_of_zxid = {}
        self.session_names = {}
        self.start_ms = int(time.time() * 1000)

    # ---- canonical forms ----
    def zxid(self, z):
        if z in (0, -1):
            return str(z)
        if z not in self.zxid_token:
            above = z > self.zxid_max
            self.zxid_token[z] = "Z%d%s" % (len(self.zxid_token), "" if above else "<")
            self.zxid_max = max(self.zxid_max, z)
        return self.zxid_token[z]

    def time(self, t, z):
        if z == 0:
            return "T0" if t == 0 else "T0!%d" % t
        known = self.time_of_zxid.setdefault(z, t)
        if known != t:
            return "T(%s)!differs" % self.zxid(z)
        if not self.start_ms - 86400000 < t < int(time.time() * 1000) + 86400000:
            return "T(%s)!implausible:%d" % (self.zxid(z), t)
        return "T(%s)" % self.zxid(z)

    def owner(self, owner):
        return self.session_names.get(owner, owner)

    def stat(self, s):
        return {"czxid": self.zxid(s.czxid), "mzxid": self.zxid(s.mzxid),
                "ctime": self.time(s.ctime, s.czxid), "mtime": self.time(s.mtime, s.mzxid),
                "version": s.version, "cversion": s.cversion, "aversion": s.aversion,
                "ephemeralOwner": self.owner(s.ephemeralOwner), "dataLength": s.dataLength,
                "numChildren": s.numChildren, "pzxid": self.zxid(s.pzxid)}

    def result(self, op, value):
        if value is None:
            return None
        if isinstance(value, zw.Stat):
            return self.stat(value)
        if op in (zw.GET_CHILDREN, zw.GET_EPHEMERALS, zw.WHO_AM_I):
            return sorted(value)
        if op == zw.GET_CHILDREN2:
            return [sorted(value[0]), self.stat(value[1])]
        if op in (zw.MULTI, zw.MULTI_READ):
            return [self.multi_result(r) for r in value]
        if isinstance(value, tuple):
            return [self.result(op, v) if isinstance(v, zw.Stat) else v for v in value]
        return value

    def multi_result(self, r):
        if r[0] == "getChildren":
            return [r[0], sorted(r[1])]
        return [self.stat(v) if isinstance(v, zw.Stat) else v for v in r]

    # ---- sessions ----
    def open(self, slot, serial):
        s = zw.Session(self.server.host, self.server.port)
        resp = s.connect(timeout_ms=SESSION_TIMEOUT_MS)
        self.sessions[slot] = s
        self.session_names[resp.session_id] = "S%d" % serial
        return {"connect": [resp.protocol_version, resp.timeout_ms,
                            self.owner(resp.session_id), len(resp.passwd), resp.read_only]}

    def close_all(self):
        """Closes the sessions for real: one left to expire would later burn a zxid in the
        middle of another seed's run, at a moment that differs between the servers."""
        for s in self.sessions:
            if s is None:
                continue
            try:
                s.close_session()
            except (zw.ConnectionClosed, OSError):
                s.close()
        self.sessions = [None] * SESSIONS

    def events(self):
        """Every slot's pending watch events, made complete by one round trip per session."""
        out = []
        for s in self.sessions:
            s.call(zw.EXISTS, zw.path_watch_body("/"))
            out.append([[e.type, e.state, e.path, self.zxid(e.zxid)] for e in s.take_events()])
        return out


class Model:
    """What the reference server's answers say exists, to aim ops at real nodes."""

    def __init__(self, root):
        self.root = root
        self.nodes = {root: None}          # path -> owning slot for ephemerals, else None
        self.authed = [None] * SESSIONS    # the digest user each slot added, if any

    def created(self, path, slot, flags):
        self.nodes[path] = slot if flags in (zw.EPHEMERAL, zw.EPHEMERAL_SEQUENTIAL) else None

    def deleted(self, path):
        self.nodes.pop(path, None)

    def session_closed(self, slot):
        for path in [p for p, owner in self.nodes.items() if owner == slot]:
            del self.nodes[path]
        self.authed[slot] = None


class Generator:
    def __init__(self, rng, model, seq_parent):
        self.rng = rng
        self.model = model
        self.seq_parent = seq_parent
        # (slot, path) -> the mode of the persistent watch given there. Stock 3.8.0 keeps one
        # watch mode per watcher and path, so a later watch of another mode replaces the
        # first (ZOOKEEPER-4466, fixed in 3.9); ringkeeper keeps both, as 3.9 does. Such
        # pairs get no one-shot watch and no second mode here, so the run compares what both
        # versions agree on (the engine's own tests cover the 3.9 behaviour).
        self.persistent = {}
        # (slot, path) pairs given a one-shot watch: 3.8.0 turns those into a recursive
        # watch's mode too (which then ignores child events), so they only get PERSISTENT.
        self.one_shot = set()

    def existing(self):
        """A node the reference says exists; mostly outside the sequential counter's parent,
        whose many children would otherwise draw most ops."""
        nodes = sorted(self.model.nodes)
        if self.rng.random() < 0.8:
            nodes = [p for p in nodes if not p.startswith(self.seq_parent + "/")] or nodes
        return self.rng.choice(nodes) if nodes else self.model.root

    def path(self):
        """Mostly existing nodes or their would-be children; sometimes something absent."""
        r = self.rng.random()
        if r < 0.45:
            return self.existing()
        base = self.existing()
        if base.count("/") > MAX_DEPTH:
            base = self.model.root
        if r < 0.9:
            return base + "/" + self.rng.choice(NAMES)
        return base + "/" + self.rng.choice(NAMES) + "/" + self.rng.choice(NAMES)

    def target(self):
        """For ops on a node: usually one that exists."""
        return self.existing() if self.rng.random() < 0.75 else self.path()

    def data(self):
        r = self.rng.random()
        if r < 0.05:
            return None
        return bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(0, 24)))

    def version(self):
        return self.rng.choice([-1, -1, 0, 0, 1, 2, 5])

    def acl_name(self):
        return self.rng.choices(list(ACLS), weights=[30, 3, 3, 3, 3, 3, 2, 1, 1, 1])[0]

    def create_args(self):
        """(opcode, flags, ttl) for a create, including refused combinations."""
        r = self.rng.random()
        if r < 0.70:
            return self.rng.choice([zw.CREATE, zw.CREATE2]), self.rng.choice([0, 0, 1, 2, 3]), None
        if r < 0.80:
            return zw.CREATE_CONTAINER, zw.CONTAINER, None
        if r < 0.92:
            mode = self.rng.choice([zw.PERSISTENT_WITH_TTL, zw.PERSISTENT_SEQUENTIAL_WITH_TTL,
                                    zw.PERSISTENT])
            # Never a negative ttl with a non-TTL mode: stock 3.8.0 accepts that request and
            # then dies applying it (IllegalArgumentException in its SyncThread).
            ttls = [60000, 3600000, 0, -1, 1 << 41] if mode != zw.PERSISTENT else [0, 5000]
            return zw.CREATE_TTL, mode, self.rng.choice(ttls)
        return self.rng.choice([zw.CREATE, zw.CREATE2]), self.rng.choice([4, 5, 6, 7]), None

    def sub_op(self):
        kind = self.rng.choice(["create", "create", "delete", "set", "check"])
        if kind == "create":
            opcode, flags, ttl = self.rng.choice([(zw.CREATE, 0, None), (zw.CREATE, 2, None),
                                                  (zw.CREATE, 1, None), (zw.CREATE2, 0, None),
                                                  (zw.CREATE_CONTAINER, 4, None),
                                                  (zw.CREATE_TTL, 5, 60000)])
            return ("create", opcode, self.path(), self.data(), "open", flags, ttl)
        if kind == "delete":
            return ("delete", self.target(), self.version())
        if kind == "set":
            return ("set", self.target(), self.data(), self.version())
        return ("check", self.target(), self.version())

    def next(self):
        slot = self.rng.randrange(SESSIONS)
        kinds = ["create", "create", "create", "seq", "delete", "set", "set", "set", "exists",
                 "get", "children", "children2", "getacl", "setacl", "multi", "multi", "multiread",
                 "auth", "sync", "addwatch", "removewatch", "ephemerals", "count", "whoami",
                 "close", "reserved"]
        kind = self.rng.choice(kinds)
        rng = self.rng
        if kind == "create":
            opcode, flags, ttl = self.create_args()
            return (kind, slot, opcode, self.path(), self.data(), self.acl_name(), flags, ttl)
        if kind == "seq":
            return ("create", slot, rng.choice([zw.CREATE, zw.CREATE2]), self.seq_parent + "/n-",
                    b"", "open", rng.choice([2, 3]), None)
        if kind == "delete":
            return (kind, slot, self.target(), self.version())
        if kind == "set":
            return (kind, slot, self.target(), self.data(), self.version())
        if kind in ("exists", "get", "children", "children2"):
            path = self.target()
            watch = rng.random() < 0.7 and (slot, path) not in self.persistent
            if watch:
                self.one_shot.add((slot, path))
            return (kind, slot, path, watch)
        if kind == "getacl":
            return (kind, slot, self.target())
        if kind == "setacl":
            return (kind, slot, self.target(), self.acl_name(), self.version())
        if kind == "multi":
            return (kind, slot, [self.sub_op() for _ in range(rng.randrange(0, 5))])
        if kind == "multiread":
            return (kind, slot, [(rng.choice(["get", "children"]), self.path())
                                 for _ in range(rng.randrange(1, 4))])
        if kind == "auth" and self.model.authed[slot] is None:
            # One identity per session: an "auth" ACL then expands to one id (with several,
            # their order is the server's hash order).
            return (kind, slot, rng.choice(sorted(USERS)))
        if kind in ("auth", "whoami"):
            return ("whoami", slot)
        if kind == "sync":
            return (kind, slot, self.path())
        if kind == "addwatch":
            path = self.target()
            mode = rng.choice([0, 1])
            if (slot, path) in self.one_shot:
                mode = 0  # 3.8.0 would turn the one-shot child watch into a recursive one
            mode = self.persistent.setdefault((slot, path), mode)
            return (kind, slot, path, mode)
        if kind == "removewatch":
            path = self.target()
            watcher_type = rng.choice([1, 2, 3])
            if (slot, path) in self.persistent:
                # 3.8.0 counts a persistent watch as a Children and a Data watch; 3.9 only
                # as Any (or its own types). Both agree on Any.
                watcher_type = 3
            # Only removeWatches: stock 3.8.0's checkWatches answers Ok when any session
            # has such a watch on the path, where ringkeeper (like the client's own check)
            # looks at the caller's watches only.
            rng.choice([zw.CHECK_WATCHES, zw.REMOVE_WATCHES])
            return (kind, slot, path, watcher_type, zw.REMOVE_WATCHES)
        if kind == "ephemerals":
            return (kind, slot, rng.choice([self.model.root, self.existing(), "/"]))
        if kind == "count":
            return (kind, slot, self.existing())
        if kind == "close":
            self.persistent = {k: m for k, m in self.persistent.items() if k[0] != slot}
            self.one_shot = {k for k in self.one_shot if k[0] != slot}
            return (kind, slot)
        return (kind, slot, rng.choice(["get /zookeeper/quota", "get /zookeeper/config",
                                        "set /zookeeper/config", "children /zookeeper",
                                        "delete /zookeeper", "getacl /zookeeper/config"]))


def request_for(op):
    """(opcode, body) for the ops that are one plain request."""
    kind = op[0]
    if kind == "create":
        _, _, opcode, path, data, acl, flags, ttl = op
        return opcode, zw.create_body(path, data, ACLS[acl], flags,
                                      ttl if opcode == zw.CREATE_TTL else None)
    if kind == "delete":
        return zw.DELETE, zw.delete_body(op[2], op[3])
    if kind == "set":
        return zw.SET_DATA, zw.set_data_body(op[2], op[3], op[4])
    if kind in ("exists", "get", "children", "children2"):
        opcode = {"exists": zw.EXISTS, "get": zw.GET_DATA, "children": zw.GET_CHILDREN,
                  "children2": zw.GET_CHILDREN2}[kind]
        return opcode, zw.path_watch_body(op[2], op[3])
    if kind == "getacl":
        return zw.GET_ACL, zw.enc_string(op[2])
    if kind == "setacl":
        return zw.SET_ACL, zw.set_acl_body(op[2], ACLS[op[3]], op[4])
    if kind == "multi":
        return zw.MULTI, zw.multi_body([sub_request(sub) for sub in op[2]])
    if kind == "multiread":
        return zw.MULTI_READ, zw.multi_body([
            (zw.GET_DATA if k == "get" else zw.GET_CHILDREN, zw.path_watch_body(p))
            for k, p in op[2]])
    if kind == "auth":
        user = op[2]
        return zw.AUTH, zw.auth_body("digest", ("%s:%s" % (user, USERS[user])).encode())
    if kind == "sync":
        return zw.SYNC, zw.enc_string(op[2])
    if kind == "addwatch":
        return zw.ADD_WATCH, zw.add_watch_body(op[2], op[3])
    if kind == "removewatch":
        return op[4], zw.watches_body(op[2], op[3])
    if kind == "ephemerals":
        return zw.GET_EPHEMERALS, zw.enc_string(op[2])
    if kind == "count":
        return zw.GET_ALL_CHILDREN_NUMBER, zw.enc_string(op[2])
    if kind == "whoami":
        return zw.WHO_AM_I, b""
    if kind == "reserved":
        verb, path = op[2].split()
        return {"get": (zw.GET_DATA, zw.path_watch_body(path)),
                "set": (zw.SET_DATA, zw.set_data_body(path, b"x")),
                "children": (zw.GET_CHILDREN, zw.path_watch_body(path)),
                "delete": (zw.DELETE, zw.delete_body(path)),
                "getacl": (zw.GET_ACL, zw.enc_string(path))}[verb]
    raise ValueError("no single request for %r" % (op,))


def sub_request(sub):
    kind = sub[0]
    if kind == "create":
        _, opcode, path, data, acl, flags, ttl = sub
        return opcode, zw.create_body(path, data, ACLS[acl], flags, ttl)
    if kind == "delete":
        return zw.DELETE, zw.delete_body(sub[1], sub[2])
    if kind == "set":
        return zw.SET_DATA, zw.set_data_body(sub[1], sub[2], sub[3])
    return zw.CHECK, zw.check_body(sub[1], sub[2])


def mutated(op):
    """The same write with one more byte of data, for writes whose reply carries a Stat (so
    the difference shows at once); None for other ops. Used only by --mutate."""
    if op[0] == "create" and op[2] != zw.CREATE:
        return op[:4] + ((op[4] or b"") + b"!",) + op[5:]
    if op[0] == "set":
        return op[:3] + ((op[3] or b"") + b"!",) + op[4:]
    return None


class Run:
    def __init__(self, reference, candidate, seed, ops, mutate_at=None):
        self.sides = [Side(reference, "reference"), Side(candidate, "candidate")]
        self.seed = seed
        self.ops = ops
        self.mutate_at = mutate_at
        self.root = "/diff_%d" % seed
        self.rng = random.Random(seed)
        self.model = Model(self.root)
        self.generator = Generator(self.rng, self.model, self.root + "/seq")
        self.serial = 0
        self.history = []
        self.tally = {}

    def execute(self, side, op):
        """Runs one op on one side; returns its canonical outcome."""
        kind, slot = op[0], op[1]
        if kind == "close":
            reply = side.sessions[slot].close_session()
            outcome = {"reply": [reply.xid, side.zxid(reply.zxid), zw.err_name(reply.err),
                                 reply.trailing]}
            outcome.update(side.open(slot, self.serial))
        else:
            opcode, body = request_for(op)
            reply = side.sessions[slot].call(opcode, body)
            outcome = {"reply": [reply.xid, side.zxid(reply.zxid), zw.err_name(reply.err),
                                 reply.trailing, side.result(opcode, reply.result)]}
        outcome["events"] = side.events()
        return outcome, reply

    def execute_or_report(self, side, index, op):
        """execute(), turning a broken connection or an undecodable reply into a report."""
        try:
            return self.execute(side, op)
        except (zw.ConnectionClosed, OSError, ValueError, AssertionError) as e:
            lines = ["seed %d: op #%d %r failed on the %s (%s): %s: %s" %
                     (self.seed, index, op, side.label, side.server.kind, type(e).__name__, e),
                     "  rerun just this seed with --seeds %d" % self.seed, "  previous ops:"]
            lines += ["    #%d %r" % item for item in self.history[-12:]]
            raise Mismatch("\n".join(lines))

    def learn(self, op, reply):
        """Updates the model from the reference's answer."""
        kind, slot = op[0], op[1]
        if kind == "close":
            self.model.session_closed(slot)
        elif reply.err != 0:
            return
        elif kind == "create":
            path = reply.result if isinstance(reply.result, str) else reply.result[0]
            self.model.created(path, slot, op[6])
        elif kind == "delete":
            self.model.deleted(op[2])
        elif kind == "auth":
            self.model.authed[slot] = op[2]
        elif kind == "multi":
            for sub, res in zip(op[2], reply.result):
                if res[0] in ("create", "create2"):
                    self.model.created(res[1], slot, sub[5])
                elif res[0] == "delete":
                    self.model.deleted(sub[1])

    @staticmethod
    def align_event_zxids(reference, candidate):
        """Stock 3.8 sends -1 as a notification's zxid; 3.9 and ringkeeper send the zxid of
        the txn that fired the watch. Where the reference says -1, the candidate's event must
        carry this op's own zxid, and is then compared as -1."""
        if "reply" not in candidate or "events" not in reference:
            return
        op_zxid = candidate["reply"][1]
        if "connect" in candidate:
            # A closed session's ephemerals are deleted in the server's hash order.
            for side in (reference, candidate):
                side["events"] = [sorted(e) for e in side["events"]]
        for ref_slot, cand_slot in zip(reference["events"], candidate["events"]):
            for ref_event, cand_event in zip(ref_slot, cand_slot):
                if ref_event[3] == "-1" and cand_event[3] == op_zxid:
                    cand_event[3] = "-1"

    def compare(self, index, op, outcomes):
        self.align_event_zxids(outcomes[0], outcomes[1])
        if outcomes[0] == outcomes[1]:
            return
        lines = ["seed %d: first difference at op #%d: %r" % (self.seed, index, op)]
        for side, outcome in zip(self.sides, outcomes):
            lines.append("  %-9s (%s): %r" % (side.label, side.server.kind, outcome))
        lines.append("  rerun just this seed with --seeds %d" % self.seed)
        lines.append("  previous ops:")
        lines += ["    #%d %r" % item for item in self.history[-12:]]
        raise Mismatch("\n".join(lines))

    def count(self, op, outcome):
        """Tallies what the run exercised, for the summary line."""
        key = "%s:%s" % (op[0], outcome["reply"][2] if op[0] != "close" else "closed")
        self.tally[key] = self.tally.get(key, 0) + 1
        events = sum(len(e) for e in outcome["events"])
        self.tally["events"] = self.tally.get("events", 0) + events

    def summary(self):
        return ", ".join("%s=%d" % kv for kv in sorted(self.tally.items()))

    def setup(self):
        setup_ops = []
        for slot in range(SESSIONS):
            outcomes = [side.open(slot, self.serial) for side in self.sides]
            self.serial += 1
            self.compare(-1, ("open", slot), outcomes)
        setup_ops.append(("create", 0, zw.CREATE, self.root, b"root", "open", 0, None))
        setup_ops.append(("create", 0, zw.CREATE, self.root + "/seq", b"", "open", 0, None))
        for op in setup_ops:
            results = [self.execute_or_report(side, -1, op) for side in self.sides]
            self.compare(-1, op, [r[0] for r in results])
            self.learn(op, results[0][1])

    def run(self):
        try:
            self.setup()
            mutation_pending = self.mutate_at is not None
            for index in range(self.ops):
                op = self.generator.next()
                if op[0] == "close":
                    self.serial += 1
                reference = self.execute_or_report(self.sides[0], index, op)
                candidate_op = op
                if (mutation_pending and index >= self.mutate_at and mutated(op) and
                        reference[1].err == 0):
                    candidate_op, mutation_pending = mutated(op), False
                candidate = self.execute_or_report(self.sides[1], index, candidate_op)
                self.compare(index, op, [reference[0], candidate[0]])
                self.learn(op, reference[1])
                self.history.append((index, op))
                self.count(op, reference[0])
        finally:
            for side in self.sides:
                side.close_all()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    harness.add_server_args(parser)
    parser.add_argument("--seeds", help="comma list of seeds")
    parser.add_argument("--seed-count", type=int,
                        default=int(os.environ.get("INTEROP_DIFF_SEED_COUNT", 0)),
                        help="run seeds 1..N")
    parser.add_argument("--ops", type=int, default=int(os.environ.get("INTEROP_DIFF_OPS",
                                                                      DEFAULT_OPS)))
    parser.add_argument("--verbose", action="store_true", help="print what each seed covered")
    parser.add_argument("--mutate", type=int, default=None,
                        help="self-check: alter the candidate's first write from this op on")
    args = parser.parse_args()
    harness.check_server_args(parser, args)
    if args.seeds:
        seeds = [int(s) for s in args.seeds.split(",") if s]
    elif args.seed_count:
        seeds = list(range(1, args.seed_count + 1))
    else:
        seeds = DEFAULT_SEEDS

    reference = harness.Server("zookeeper", sysprops=SERVER_SYSPROPS, name="reference")
    candidate = harness.Server(args.server, args.binary, sysprops=SERVER_SYSPROPS,
                               name="candidate")
    failures = 0
    try:
        reference.start()
        candidate.start()
        for seed in seeds:
            started = time.monotonic()
            run = Run(reference, candidate, seed, args.ops, args.mutate)
            try:
                run.run()
                print("seed %d: %d ops, no difference (%.1fs)" %
                      (seed, args.ops, time.monotonic() - started), flush=True)
                if args.verbose:
                    print("  exercised: " + run.summary())
            except Mismatch as e:
                failures += 1
                print(str(e), flush=True)
            except (zw.ConnectionClosed, OSError) as e:   # opening sessions in setup
                failures += 1
                print("seed %d: aborted: %s: %s" % (seed, type(e).__name__, e), flush=True)
        if failures:
            for server in (reference, candidate):
                server.print_log("differential test found a difference")
    finally:
        reference.stop()
        candidate.stop()
    print("differential: %d of %d seeds differ (%s vs stock zookeeper)" %
          (failures, len(seeds), args.server))
    if args.mutate is not None:
        # The mutation must be caught: a self-check passes only when a difference is found.
        return 0 if failures == len(seeds) else 1
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
