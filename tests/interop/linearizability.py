# Linearizability checker for histories of versioned registers (a znode's data and version):
# read(key) -> (value, version) and setData(key, value, expected_version) -> ok(new_version) |
# BadVersion | unknown. Each key is checked on its own (linearizability is compositional),
# by a Wing-Gong search with Lowe's memoization: depth-first over which operation takes effect
# next, remembering every (set of linearized operations, register state) already explored.
#
# An operation whose outcome is unknown (timeout, connection loss) may take effect at any point
# after its invocation, or never; a read with an unknown outcome says nothing and is dropped.
# Because versions only grow, an unknown setData can take effect only while the register is at
# its expected version, so it needs no place in the memo key: once it has taken effect, or the
# version has moved past it, it can never apply again.
#
# Also here: the per-session check ZooKeeper promises even for plain (unsynced) reads — one
# client never sees a key's version go backwards, nor older than its own acknowledged write.
import itertools
import threading
import time

READ = "read"
WRITE = "write"
OK = "ok"
BAD_VERSION = "bad_version"
UNKNOWN = "unknown"

WORK_MAX = 500000   # search nodes per key before giving up (inconclusive)


class Op:
    """One operation. kind READ: value/version are the result. kind WRITE: value is written,
    expected_version is the condition, version is the new version when outcome is OK."""

    __slots__ = ("process", "key", "kind", "invoke_s", "complete_s", "outcome", "value",
                 "version", "expected_version", "synced", "index")

    def __init__(self, process, key, kind, invoke_s, value=None, expected_version=None,
                 synced=True):
        self.process = process
        self.key = key
        self.kind = kind
        self.invoke_s = invoke_s
        self.complete_s = None
        self.outcome = None   # None while pending
        self.value = value
        self.version = None
        self.expected_version = expected_version
        self.synced = synced   # reads: sync() before getData (only those are linearizable)
        self.index = None

    def describe(self):
        end = "%.3f" % self.complete_s if self.complete_s is not None else "?"
        span = "[%.3f, %s]" % (self.invoke_s, end)
        if self.kind == READ:
            what = "read -> (%r, %s)" % (self.value, self.version) if self.outcome == OK \
                else "read -> %s" % self.outcome
        elif self.outcome == OK:
            what = "setData(%r, version %d) -> ok %d" % (self.value, self.expected_version,
                                                          self.version)
        else:
            what = "setData(%r, version %d) -> %s" % (self.value, self.expected_version,
                                                       self.outcome)
        return "client %s %s %s" % (self.process, span, what)


class History:
    """A thread-safe recorder. Clients call invoke_*() before sending and complete()/fail()
    when the answer (or its absence) is known; close() marks still-pending ops unknown."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.lock = threading.Lock()
        self.ops = []

    def _add(self, op):
        with self.lock:
            op.index = len(self.ops)
            self.ops.append(op)
        return op

    def invoke_read(self, process, key, synced=True):
        return self._add(Op(process, key, READ, self.clock(), synced=synced))

    def invoke_write(self, process, key, value, expected_version):
        return self._add(Op(process, key, WRITE, self.clock(), value=value,
                            expected_version=expected_version))

    def complete_read(self, op, value, version):
        op.complete_s, op.outcome, op.value, op.version = self.clock(), OK, value, version

    def complete_write(self, op, new_version):
        op.complete_s, op.outcome, op.version = self.clock(), OK, new_version

    def bad_version(self, op):
        op.complete_s, op.outcome = self.clock(), BAD_VERSION

    def unknown(self, op):
        """No answer (timeout, connection loss): it may or may not have taken effect."""
        op.complete_s, op.outcome = None, UNKNOWN

    def close(self):
        with self.lock:
            for op in self.ops:
                if op.outcome is None:
                    op.outcome = UNKNOWN
            return list(self.ops)


class Result:
    def __init__(self, ok, key=None, message="", inconclusive=False, work=0):
        self.ok = ok
        self.key = key
        self.message = message
        self.inconclusive = inconclusive
        self.work = work

    def __bool__(self):
        return self.ok

    def __repr__(self):
        return "Result(ok=%s, key=%r, inconclusive=%s, work=%d)" % (self.ok, self.key,
                                                                     self.inconclusive, self.work)


def _step(op, value, version):
    """The register after op takes effect at state (value, version), or None if op's result
    contradicts that state."""
    if op.kind == READ:
        return (value, version) if (op.value, op.version) == (value, version) else None
    if op.outcome == BAD_VERSION:
        return (value, version) if version != op.expected_version else None
    if version != op.expected_version:
        return None
    if op.outcome == OK and op.version != version + 1:
        return None
    return (op.value, version + 1)


def check_key(ops, initial, work_max=WORK_MAX):
    """Checks the ops of one key against a register starting at initial = (value, version).
    Returns a Result."""
    definite = [op for op in ops if op.outcome in (OK, BAD_VERSION)]
    unknown_writes = [op for op in ops if op.outcome == UNKNOWN and op.kind == WRITE]
    for op in definite:
        if op.complete_s < op.invoke_s:
            raise ValueError("op completes before it is invoked: " + op.describe())
    if not definite:
        return Result(True)
    # Definite ops get bit positions in completion order, so the lowest clear bit is the one
    # that must be linearized first at the latest.
    definite.sort(key=lambda op: op.complete_s)
    by_invoke = sorted(range(len(definite)), key=lambda n: definite[n].invoke_s)
    unknown_writes.sort(key=lambda op: op.invoke_s)
    full = (1 << len(definite)) - 1

    def lowest_clear(mask):
        return (~mask & (mask + 1)).bit_length() - 1

    seen = set()
    stack = [(0, initial[0], initial[1])]
    deepest = (-1, None)
    work = 0
    while stack:
        mask, value, version = stack.pop()
        if mask == full:
            return Result(True, work=work)
        node = (mask, value, version)
        if node in seen:
            continue
        seen.add(node)
        work += 1
        if work > work_max:
            return Result(False, message="search gave up after %d nodes" % work_max,
                          inconclusive=True, work=work)
        done = bin(mask).count("1")
        if done > deepest[0]:
            deepest = (done, node)
        # Nothing may take effect after the earliest completion among the ops still open.
        horizon = definite[lowest_clear(mask)].complete_s
        children = []
        preserving = False
        for n in by_invoke:
            op = definite[n]
            if op.invoke_s > horizon:
                break
            if mask & (1 << n):
                continue
            after = _step(op, value, version)
            if after is None:
                continue
            if after == (value, version):
                # An op that fits and leaves the register as it is can go now without loss:
                # moving it earlier breaks no real-time order (it may already go first) and
                # changes no other op's result. Follow only that branch.
                children = [(mask | (1 << n), value, version)]
                preserving = True
                break
            children.append((mask | (1 << n), after[0], after[1]))
        if not preserving:
            for op in unknown_writes:
                if op.invoke_s > horizon:
                    break
                if op.expected_version == version:
                    children.append((mask, op.value, version + 1))
        stack.extend(children)
    return Result(False, message=_explain(definite, deepest), work=work)


def _explain(definite, deepest):
    done, (mask, value, version) = deepest
    open_ops = [op for n, op in enumerate(definite) if not mask & (1 << n)]
    first = open_ops[0]
    lines = ["no linearization: at best %d of %d completed ops fit, with the register at "
             "(%r, version %d); the op that must come next at the latest cannot:" %
             (done, len(definite), value, version),
             "  " + first.describe(),
             "  ops still open that could go first:"]
    for op in open_ops:
        if op.invoke_s <= first.complete_s:
            lines.append("    " + op.describe())
    return "\n".join(lines)


def check(ops, initial, work_max=WORK_MAX):
    """Checks a whole history key by key. initial: {key: (value, version)}. Only synced
    reads take part (a plain read may be stale by ZooKeeper's design). Returns the first
    failing key's Result, or an ok Result with the total work."""
    by_key = {}
    for op in ops:
        if op.kind == READ and not op.synced:
            continue
        by_key.setdefault(op.key, []).append(op)
    work = 0
    for key in sorted(by_key):
        if key not in initial:
            raise ValueError("no initial state for key %r" % key)
        result = check_key(by_key[key], initial[key], work_max)
        result.key = key
        work += result.work
        if not result.ok:
            return result
    return Result(True, work=work)


def check_session_order(ops):
    """Per client and key, in invocation order: the version each completed read returns never
    goes below one this client has already read or written. Returns a list of violations."""
    problems = []
    ordered = sorted((op for op in ops if op.outcome == OK),
                     key=lambda op: (op.process, op.key, op.invoke_s))
    for (process, key), group in itertools.groupby(ordered, key=lambda op: (op.process, op.key)):
        floor, floor_op = None, None
        for op in group:
            if op.kind == READ and floor is not None and op.version < floor:
                problems.append("client %s, key %s: %s after %s" %
                                (process, key, op.describe(), floor_op.describe()))
            if floor is None or op.version > floor:
                floor, floor_op = op.version, op
    return problems
