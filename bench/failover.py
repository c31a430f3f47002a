#!/usr/bin/python3
# Failover time of a 3-member ensemble, ringkeeper side by side with stock ZooKeeper
# (Debian's package, QuorumPeerMain): kill -9 or SIGSTOP the leader and time, from the signal,
# the first write (a create) acknowledged by a surviving member.
#
# Two clients per fault, both speaking the client protocol over raw sockets (no library
# timers between us and the clock):
#   - "connected": a session opened on a survivor before the fault. It retries its create in
#     a bounded loop; when the survivor drops it (members drop their clients when they lose
#     the leader) it reattaches the same session to the survivors in turn.
#   - "fresh": starts at the fault and opens a new session for every attempt.
# Both kinds get the same zoo.cfg (tickTime, initLimit, syncLimit, forceSync, snapCount,
# preAllocSize) and the same clients. Rounds alternate: stock, ringkeeper, stock, ...
#
# Also `--serve KIND --state FILE`: start one ensemble, write its members (pids, ports, roles)
# to FILE as JSON, and keep it up until SIGTERM/SIGINT. bench/ensemble.sh uses that, so the
# ensemble start-up is written once.
#
# Every process started here is stopped by PID at exit (atexit, SIGINT/SIGTERM/SIGHUP), and
# dies with us if we are killed (PR_SET_PDEATHSIG). Every wait is bounded in time.
import argparse
import atexit
import collections
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "interop"))
import harness  # noqa: E402  (the interop tests' four-letter-word client, stock classpath, child reaping)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "127.0.0.1"
STOCK_MAIN = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
STOCK_JAR = "/usr/share/java/zookeeper.jar"
MEMBERS = 3
SNAP_COUNT = 100000          # as bench/side_by_side.sh
PREALLOC_KB = 65536

START_TIMEOUT_S = 120.0      # a fresh ensemble (three JVMs on two cores) to elect and serve
STABLE_TIMEOUT_S = 120.0     # a restarted or continued member to rejoin
STOP_GRACE_S = 8.0
FOUR_LETTER_TIMEOUT_S = 1.0  # a stopped member accepts TCP connections but never answers
POLL_S = 0.02                # mode polling while a fault is under way
BACKOFF_S = 0.005            # between a client's failed attempt and the next
PRELOAD_NODES = 200

_children = {}               # pid -> Popen of every process we started and have not reaped


def log(msg):
    sys.stderr.write("[%s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def ms_since(t0):
    return (time.monotonic() - t0) * 1000.0


# ---- processes -------------------------------------------------------------------------------

def spawn(argv, log_path, cwd):
    with open(log_path, "ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=cwd, preexec_fn=harness._die_with_parent)
    _children[proc.pid] = proc
    return proc


def send_signal(proc, signum):
    try:
        if proc.poll() is None:
            os.kill(proc.pid, signum)
    except ProcessLookupError:
        pass


def stop_process(proc):
    """SIGCONT + SIGTERM by PID, SIGKILL after a grace period; reaps it."""
    send_signal(proc, signal.SIGCONT)
    send_signal(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        send_signal(proc, signal.SIGKILL)
        proc.wait(timeout=STOP_GRACE_S)
    _children.pop(proc.pid, None)


def kill_process(proc):
    send_signal(proc, signal.SIGKILL)
    proc.wait(timeout=STOP_GRACE_S)
    _children.pop(proc.pid, None)


def stop_all_children():
    for proc in list(_children.values()):
        send_signal(proc, signal.SIGCONT)
        send_signal(proc, signal.SIGTERM)
    for proc in list(_children.values()):
        try:
            stop_process(proc)
        except Exception:   # at exit: keep stopping the others
            pass


def _exit_on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def install_cleanup():
    atexit.register(stop_all_children)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)


def free_ports(n):
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def four_letter(port, word, timeout_s=FOUR_LETTER_TIMEOUT_S):
    """The answer, or None when the member does not answer."""
    try:
        return harness.four_letter(HOST, port, word, timeout_s=timeout_s)
    except OSError:
        return None


def mode_of(port, timeout_s=FOUR_LETTER_TIMEOUT_S):
    """leader / follower / observer, "-" when up but not serving, None when no answer."""
    text = four_letter(port, "srvr", timeout_s)
    if text is None:
        return None
    for line in text.splitlines():
        if line.startswith("Mode:"):
            return line.split(":", 1)[1].strip()
    return "-"


# ---- the ensemble ----------------------------------------------------------------------------

class Timing:
    def __init__(self, tick_ms, init_limit, sync_limit):
        self.tick_ms, self.init_limit, self.sync_limit = tick_ms, init_limit, sync_limit

    def fault_bound_s(self):
        """How long one fault's measurement may run: three times detection + sync, plus slack."""
        return 3.0 * (self.sync_limit + self.init_limit) * self.tick_ms / 1000.0 + 20.0

    def describe(self):
        return "tickTime=%d initLimit=%d syncLimit=%d" % (self.tick_ms, self.init_limit,
                                                          self.sync_limit)


class Member:
    def __init__(self, member_id, workdir):
        self.id = member_id
        self.workdir = workdir
        self.data_dir = os.path.join(workdir, "data")
        self.log_dir = os.path.join(workdir, "datalog")
        self.cfg_path = os.path.join(workdir, "zoo.cfg")
        self.log_path = os.path.join(workdir, "member.log")
        self.port = self.quorum_port = self.election_port = None
        self.proc = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None


class Ensemble:
    """Three participants of one kind on loopback, in a private temp directory."""

    def __init__(self, kind, binary, timing, java_flags):
        self.kind, self.binary, self.timing, self.java_flags = kind, binary, timing, java_flags
        self.workdir = tempfile.mkdtemp(prefix="rk-failover-%s-" % kind)
        self.members = {i: Member(i, os.path.join(self.workdir, "m%d" % i))
                        for i in range(1, MEMBERS + 1)}
        self.classpath = harness._stock_classpath() if kind == "stock" else None

    def _write_config(self, m):
        t = self.timing
        lines = ["tickTime=%d" % t.tick_ms, "initLimit=%d" % t.init_limit,
                 "syncLimit=%d" % t.sync_limit, "dataDir=%s" % m.data_dir,
                 "dataLogDir=%s" % m.log_dir, "clientPort=%d" % m.port,
                 "clientPortAddress=%s" % HOST, "maxClientCnxns=0",
                 "4lw.commands.whitelist=*", "admin.enableServer=false", "forceSync=yes",
                 "snapCount=%d" % SNAP_COUNT, "preAllocSize=%d" % PREALLOC_KB]
        lines += ["server.%d=%s:%d:%d" % (o.id, HOST, o.quorum_port, o.election_port)
                  for o in self.members.values()]
        os.makedirs(m.data_dir, exist_ok=True)
        os.makedirs(m.log_dir, exist_ok=True)
        with open(os.path.join(m.data_dir, "myid"), "w") as f:
            f.write("%d\n" % m.id)
        with open(m.cfg_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def _command(self, m):
        if self.kind == "ringkeeper":
            return [self.binary, "start-foreground", m.cfg_path]
        # As Debian's zkServer.sh runs it: the system java, no heap flags unless given;
        # the settings zoo.cfg cannot carry as system properties, as side_by_side.sh does.
        return (["java", "-Dzookeeper.log.dir=%s" % m.workdir] + self.java_flags +
                ["-Dzookeeper.snapCount=%d" % SNAP_COUNT,
                 "-Dzookeeper.preAllocSize=%d" % PREALLOC_KB, "-Dzookeeper.forceSync=yes",
                 "-Dzookeeper.admin.enableServer=false",
                 "-Dorg.slf4j.simpleLogger.showDateTime=true",
                 "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
                 "-cp", self.classpath, STOCK_MAIN, m.cfg_path])

    def start_member(self, m, banner):
        with open(m.log_path, "ab") as f:
            f.write(("==== %s %s ====\n" % (time.strftime("%H:%M:%S"), banner)).encode())
        m.proc = spawn(self._command(m), m.log_path, m.workdir)

    def start(self):
        """Starts the members; returns the leader's id once one leads and two follow."""
        for attempt in range(3):
            ports = free_ports(3 * MEMBERS)
            for n, m in enumerate(self.members.values()):
                shutil.rmtree(m.workdir, ignore_errors=True)
                os.makedirs(m.workdir)
                m.port, m.quorum_port, m.election_port = ports[3 * n:3 * n + 3]
            for m in self.members.values():
                self._write_config(m)
            for m in self.members.values():
                self.start_member(m, "start, client port %d" % m.port)
            leader = self.wait_stable(START_TIMEOUT_S)
            if leader:
                return leader
            exited = [m.id for m in self.members.values() if not m.running()]
            self.stop_members()
            if not exited:
                break   # they ran but formed no quorum: not a port collision
            log("%s: members %s exited at start (attempt %d); retrying on other ports"
                % (self.kind, exited, attempt))
        self.print_logs()
        raise RuntimeError("%s ensemble did not start; logs under %s" % (self.kind, self.workdir))

    def modes(self, ids=None):
        return {i: (mode_of(self.members[i].port) if self.members[i].running() else None)
                for i in (ids or self.members)}

    def stable_leader(self, ids=None):
        modes = self.modes(ids)
        leaders = [i for i, mode in modes.items() if mode == "leader"]
        followers = [i for i, mode in modes.items() if mode == "follower"]
        if len(leaders) == 1 and len(leaders) + len(followers) == len(modes):
            return leaders[0]
        return None

    def wait_stable(self, timeout_s):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            leader = self.stable_leader()
            if leader:
                return leader
            if any(not m.running() for m in self.members.values()):
                return None
            time.sleep(0.05)
        log("%s: no stable ensemble after %.0f s: %s" % (self.kind, timeout_s, self.modes()))
        return None

    def stop_members(self):
        for m in self.members.values():
            if m.proc is not None:
                send_signal(m.proc, signal.SIGCONT)
                send_signal(m.proc, signal.SIGTERM)
        for m in self.members.values():
            if m.proc is not None:
                stop_process(m.proc)
                m.proc = None

    def print_logs(self, lines=40):
        for m in self.members.values():
            try:
                with open(m.log_path, "rb") as f:
                    tail = f.read().decode("utf-8", "replace").splitlines()[-lines:]
            except OSError:
                tail = ["(no log)"]
            sys.stderr.write("---- member %d (%s) ----\n%s\n" % (m.id, self.kind, "\n".join(tail)))

    def close(self, keep=False, keep_to=None):
        self.stop_members()
        if keep_to:
            for m in self.members.values():
                if os.path.exists(m.log_path):
                    shutil.copy(m.log_path, os.path.join(keep_to, "m%d.log" % m.id))
        if keep:
            log("kept %s" % self.workdir)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


# ---- the client protocol (jute over TCP), just what the measurement needs -------------------

class SessionExpired(Exception):
    pass


class ServerError(Exception):
    def __init__(self, code):
        super().__init__("server error %d" % code)
        self.code = code


OPEN_ACL = struct.pack(">ii", 1, 31) + struct.pack(">i", 5) + b"world" + struct.pack(">i", 6) + \
    b"anyone"


def _jute_string(b):
    return struct.pack(">i", len(b)) + b


class Session:
    """One blocking connection. session_id/passwd/last_zxid survive a reconnect."""

    def __init__(self, session_timeout_ms):
        self.session_timeout_ms = session_timeout_ms
        self.session_id, self.passwd, self.last_zxid = 0, b"\0" * 16, 0
        self.negotiated_ms = session_timeout_ms
        self.sock, self.port, self.xid = None, None, 0

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _recv_exact(self, n, deadline):
        out = b""
        while len(out) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no answer")
            self.sock.settimeout(left)
            data = self.sock.recv(n - len(out))
            if not data:
                raise ConnectionError("closed by the server")
            out += data
        return out

    def _recv_frame(self, deadline):
        (length,) = struct.unpack(">i", self._recv_exact(4, deadline))
        if length < 0 or length > 1 << 20:
            raise ConnectionError("bad frame length %d" % length)
        return self._recv_exact(length, deadline)

    def connect(self, port, deadline):
        """Opens (or, with a session id, reattaches) the session on port."""
        self.close()
        self.port = port
        self.sock = socket.create_connection((HOST, port),
                                             timeout=max(0.001, deadline - time.monotonic()))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        req = struct.pack(">iqiq", 0, self.last_zxid, self.session_timeout_ms, self.session_id)
        req += _jute_string(self.passwd) + b"\0"
        self.sock.sendall(struct.pack(">i", len(req)) + req)
        reply = self._recv_frame(deadline)
        _, timeout_ms, session_id = struct.unpack_from(">iiq", reply, 0)
        (plen,) = struct.unpack_from(">i", reply, 16)
        if timeout_ms <= 0 or session_id == 0:
            self.close()
            raise SessionExpired()
        self.negotiated_ms = timeout_ms
        self.session_id, self.passwd = session_id, reply[20:20 + plen]

    def create(self, path, data, deadline):
        """Sends a create and waits for its reply (skipping pings/notifications)."""
        self.xid += 1
        req = struct.pack(">ii", self.xid, 1) + _jute_string(path.encode()) + \
            _jute_string(data) + OPEN_ACL + struct.pack(">i", 0)
        self.sock.sendall(struct.pack(">i", len(req)) + req)
        while True:
            reply = self._recv_frame(deadline)
            xid, zxid, err = struct.unpack_from(">iqi", reply, 0)
            if xid != self.xid:
                continue
            if zxid > 0:
                self.last_zxid = max(self.last_zxid, zxid)
            if err != 0:
                raise ServerError(err)
            return zxid

    def request_timeout_s(self):
        # As ZooKeeper's Java client: a request unanswered for 2/3 of the session timeout
        # makes it drop the connection and try the next server.
        return self.negotiated_ms * 2.0 / 3.0 / 1000.0


def classify(exc):
    if isinstance(exc, ServerError):
        return "err%d" % exc.code
    if isinstance(exc, SessionExpired):
        return "expired"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, ConnectionResetError):
        return "reset"
    if isinstance(exc, socket.timeout):
        return "timeout"
    if isinstance(exc, ConnectionError):
        return "closed"
    return type(exc).__name__


# ---- one fault ---------------------------------------------------------------------------------

class WriteLoop:
    """Retries a create until one is acknowledged or the deadline passes. keep_session: reuse
    `session` (already connected) and reattach it after a drop; otherwise a new session for
    every attempt. Attempts rotate over `ports`."""

    def __init__(self, name, ports, session, keep_session, session_timeout_ms):
        self.name, self.ports, self.keep_session = name, list(ports), keep_session
        self.session = session or Session(session_timeout_ms)
        self.session_timeout_ms = session_timeout_ms
        self.result = None

    def run(self, t0, deadline, path):
        errors, attempts, turn = collections.Counter(), 0, 0
        s = self.session
        while time.monotonic() < deadline:
            attempts += 1
            phase = "connect"
            try:
                if s.sock is None:
                    if not self.keep_session:
                        s = Session(self.session_timeout_ms)
                    # As the Java client: the handshake may take sessionTimeout / servers.
                    s.connect(self.ports[turn % len(self.ports)],
                              min(deadline, time.monotonic() + s.negotiated_ms / 1000.0
                                  / len(self.ports)))
                phase = "create"
                req_deadline = min(deadline, time.monotonic() + s.request_timeout_s())
                s.create("%s-%d" % (path, attempts), b"x" * 100, req_deadline)
                self.result = {"ms": ms_since(t0), "attempts": attempts, "port": s.port,
                               "errors": dict(errors)}
                s.close()
                return
            except SessionExpired:
                errors["connect:expired"] += 1
                s.session_id, s.passwd = 0, b"\0" * 16   # a new session from now on
                turn += 1
            except (OSError, ServerError) as e:
                errors["%s:%s" % (phase, classify(e))] += 1
                s.close()
                turn += 1
            time.sleep(BACKOFF_S)
        s.close()
        self.result = {"ms": None, "attempts": attempts, "port": None, "errors": dict(errors)}


def watch_leader(ens, ids, t0, deadline, out):
    """Polls the survivors' srvr; out gets the first time (ms) one of them reports leader."""
    while time.monotonic() < deadline:
        for i in ids:
            if mode_of(ens.members[i].port, timeout_s=0.5) == "leader":
                out.update(leader_ms=ms_since(t0), new_leader=i)
                return
        time.sleep(POLL_S)


def measure_fault(ens, fault, session_timeout_ms, tag):
    """Applies `fault` (kill or stop) to the leader; returns the round's figures. The leader
    is left dead (kill) or stopped (stop)."""
    leader = ens.stable_leader()
    if not leader:
        raise RuntimeError("no stable leader before the fault")
    survivors = sorted(i for i in ens.members if i != leader)
    ports = [ens.members[i].port for i in survivors]
    deadline_s = ens.timing.fault_bound_s()
    # The connected client sits on the lower-id survivor; a write proves the session works.
    session = Session(session_timeout_ms)
    session.connect(ports[0], time.monotonic() + 10)
    session.create("/failover/%s-before" % tag, b"x", time.monotonic() + 10)
    connected = WriteLoop("connected", ports, session, True, session_timeout_ms)
    fresh = WriteLoop("fresh", list(reversed(ports)), None, False, session_timeout_ms)
    go, seen = threading.Event(), {}
    t0_box = {}

    def runner(loop, path):
        go.wait(10)
        loop.run(t0_box["t0"], t0_box["t0"] + deadline_s, path)

    threads = [threading.Thread(target=runner, args=(loop, "/failover/%s-%s" % (tag, loop.name)),
                                daemon=True) for loop in (connected, fresh)]
    for t in threads:
        t.start()
    sig = signal.SIGKILL if fault == "kill" else signal.SIGSTOP
    t0 = time.monotonic()
    os.kill(ens.members[leader].pid, sig)
    t0_box["t0"] = t0
    go.set()
    watcher = threading.Thread(target=watch_leader,
                               args=(ens, survivors, t0, t0 + deadline_s, seen), daemon=True)
    watcher.start()
    for t in threads + [watcher]:
        t.join(deadline_s + 15)
    return {"fault": fault, "old_leader": leader, "new_leader": seen.get("new_leader"),
            "leader_ms": seen.get("leader_ms"), "connected": connected.result,
            "fresh": fresh.result, "negotiated_session_ms": session.negotiated_ms,
            "load_1min": os.getloadavg()[0]}


def recover(ens, fault, leader_id):
    """Brings the faulted member back (restart on its files / SIGCONT) and waits until all
    three are serving again; returns the ms that took, or None."""
    m = ens.members[leader_id]
    t0 = time.monotonic()
    if fault == "kill":
        kill_process(m.proc)   # already dead: reap it
        ens.start_member(m, "restart after kill -9")
    else:
        send_signal(m.proc, signal.SIGCONT)
    leader = ens.wait_stable(STABLE_TIMEOUT_S)
    return ms_since(t0) if leader else None


def preload(ens):
    """/failover and a few hundred nodes, written through a follower, so the log is not empty."""
    leader = ens.stable_leader()
    follower = min(i for i in ens.members if i != leader)
    s = Session(30000)
    s.connect(ens.members[follower].port, time.monotonic() + 10)
    deadline = time.monotonic() + 60
    s.create("/failover", b"", deadline)
    for n in range(PRELOAD_NODES):
        s.create("/failover/pre-%d" % n, b"p" * 100, deadline)
    s.close()


def run_round(kind, binary, timing, args, round_no):
    ens = Ensemble(kind, binary, timing, args.java_flags)
    rows = []
    try:
        t0 = time.monotonic()
        ens.start()
        log("%s round %d: ensemble up in %.1f s, leader %s" % (kind, round_no, ms_since(t0) / 1000,
                                                                 ens.stable_leader()))
        preload(ens)
        for fault in args.faults:
            try:
                row = measure_fault(ens, fault, args.session_timeout_ms,
                                    "%s-%d" % (fault, round_no))
            except (OSError, ServerError, SessionExpired, RuntimeError) as e:
                log("%s round %d %s: could not run the fault: %s" % (kind, round_no, fault, e))
                ens.print_logs()
                break
            row.update(kind=kind, round=round_no)
            row["recover_ms"] = recover(ens, fault, row["old_leader"])
            rows.append(row)
            log("%s round %d %s: %s" % (kind, round_no, fault, describe_row(row)))
            if row["recover_ms"] is None:
                log("%s: the ensemble did not recover; skipping the remaining faults" % kind)
                ens.print_logs()
                break
    finally:
        keep_to = None
        if args.logs:
            keep_to = os.path.join(args.logs, "%s-r%d" % (kind, round_no))
            os.makedirs(keep_to, exist_ok=True)
        ens.close(keep=args.keep, keep_to=keep_to)
    return rows


def fmt_ms(v):
    return "-" if v is None else "%.0f" % v


def describe_row(r):
    c, f = r["connected"], r["fresh"]
    return ("leader %d -> %s: leader seen %s ms, connected client's write %s ms (%d attempts %s),"
            " fresh client's %s ms (%d attempts %s), recovered in %s ms"
            % (r["old_leader"], r["new_leader"], fmt_ms(r["leader_ms"]), fmt_ms(c["ms"]),
               c["attempts"], c["errors"], fmt_ms(f["ms"]), f["attempts"], f["errors"],
               fmt_ms(r["recover_ms"])))


# ---- summary ----------------------------------------------------------------------------------

METRICS = [("connected", "write, connected client"), ("fresh", "write, fresh client"),
           ("leader", "new leader seen (srvr)"), ("recover", "faulted member back")]


def metric(row, key):
    if key in ("connected", "fresh"):
        return row[key]["ms"]
    return row.get(key + "_ms")


def summarize(rows, faults):
    """{fault: {metric: {"stock": median, "ringkeeper": median, "ratio": rk/stock, "n": ...}}}"""
    out = {}
    for fault in faults:
        out[fault] = {}
        for key, _ in METRICS:
            entry = {}
            for kind in ("stock", "ringkeeper"):
                values = [metric(r, key) for r in rows if r["kind"] == kind and r["fault"] == fault]
                ok = [v for v in values if v is not None]
                entry[kind] = statistics.median(ok) if ok else None
                entry[kind + "_all"] = [None if v is None else round(v, 1) for v in values]
            s, k = entry["stock"], entry["ringkeeper"]
            entry["ratio"] = (k / s) if (s and k is not None) else None
            out[fault][key] = entry
    return out


def print_summary(summary, timing):
    print("medians over rounds, ms from the signal; ratio = ringkeeper / stock; %s"
          % timing.describe())
    print("%-5s %-26s %10s %12s %7s   %s" % ("fault", "measure", "stock", "ringkeeper", "ratio",
                                             "rounds (stock | ringkeeper)"))
    for fault, entries in summary.items():
        for key, label in METRICS:
            e = entries[key]
            ratio = "-" if e["ratio"] is None else "%.2f" % e["ratio"]
            rounds = "%s | %s" % (" ".join(fmt_ms(v) for v in e["stock_all"]),
                                  " ".join(fmt_ms(v) for v in e["ringkeeper_all"]))
            print("%-5s %-26s %10s %12s %7s   %s" % (fault, label, fmt_ms(e["stock"]),
                                                     fmt_ms(e["ringkeeper"]), ratio, rounds))


def snapshot_binary(binary):
    """A private copy of the ringkeeper binary, so that a rebuild of the shared build
    directory during the run cannot swap it between rounds (killed members restart from it)."""
    copy_dir = tempfile.mkdtemp(prefix="rk-failover-bin-")
    atexit.register(shutil.rmtree, copy_dir, True)
    copy = os.path.join(copy_dir, "ringkeeper")
    shutil.copy2(binary, copy)
    return copy


def binary_identity(binary):
    if not os.path.exists(binary):
        return None
    digest = subprocess.run(["sha256sum", binary], capture_output=True, text=True).stdout
    return {"path": binary, "sha256": digest[:16],
            "mtime": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(os.path.getmtime(binary)))}


def environment(binary):
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
    zk = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "zookeeper"],
                        capture_output=True, text=True).stdout
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--short", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.split("\n")
    return {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "cpus": os.cpu_count(),
            "kernel": platform.release(), "load_avg": os.getloadavg(),
            "java": java.splitlines()[0] if java else "", "zookeeper": zk, "commit": commit,
            "modified_files": [d.strip() for d in dirty if d.strip()],
            "ringkeeper_binary": binary_identity(binary)}


# ---- serve mode (bench/ensemble.sh) ----------------------------------------------------------

def serve(args, binary, timing):
    ens = Ensemble(args.serve, binary, timing, args.java_flags)
    try:
        leader = ens.start()
        state = {"kind": args.serve, "workdir": ens.workdir, "leader": leader,
                 "members": [{"id": m.id, "pid": m.pid, "port": m.port,
                              "role": "leader" if m.id == leader else "follower"}
                             for m in ens.members.values()]}
        tmp = args.state + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f, indent=1)
        os.rename(tmp, args.state)
        parent = os.getppid()
        while os.getppid() == parent and all(m.running() for m in ens.members.values()):
            time.sleep(0.5)
        if not all(m.running() for m in ens.members.values()):
            log("%s: a member exited while serving" % args.serve)
            ens.print_logs()
            return 1
        return 0
    finally:
        ens.close(keep=args.keep, keep_to=args.logs)


# ---- main -------------------------------------------------------------------------------------

def parse_args():
    p = argparse.ArgumentParser(description="Failover of a 3-member ensemble, ringkeeper vs stock "
                                "ZooKeeper: kill -9 / SIGSTOP the leader, time the first "
                                "acknowledged write through a survivor.")
    p.add_argument("--rounds", type=int, default=3, help="rounds per kind (3)")
    p.add_argument("--tick-ms", type=int, default=2000, help="tickTime for both kinds (2000)")
    p.add_argument("--init-limit", type=int, default=10, help="initLimit in ticks (10)")
    p.add_argument("--sync-limit", type=int, default=5, help="syncLimit in ticks (5)")
    p.add_argument("--faults", default="kill,stop", help="comma list of kill,stop (both)")
    p.add_argument("--kinds", default="stock,ringkeeper",
                   help="comma list, run in this order within each round (stock,ringkeeper)")
    p.add_argument("--session-timeout-ms", type=int, default=30000,
                   help="requested session timeout; servers cap it at 20 ticks (30000)")
    p.add_argument("--ringkeeper", default=os.path.join(ROOT, "build", "ringkeeper"))
    p.add_argument("--json", metavar="FILE", help="write rows, medians and settings as JSON")
    p.add_argument("--logs", metavar="DIR", help="copy every member's log here")
    p.add_argument("--keep", action="store_true", help="keep the members' temp directories")
    p.add_argument("--serve", choices=["stock", "ringkeeper"],
                   help="start one ensemble, write --state, run until SIGTERM")
    p.add_argument("--state", help="with --serve: where the members' pids and ports go")
    args = p.parse_args()
    args.faults = [f for f in args.faults.split(",") if f]
    args.kinds = [k for k in args.kinds.split(",") if k]
    args.java_flags = os.environ.get("STOCK_JAVA_FLAGS", "").split()
    if any(f not in ("kill", "stop") for f in args.faults):
        p.error("--faults takes kill and/or stop")
    if any(k not in ("stock", "ringkeeper") for k in args.kinds):
        p.error("--kinds takes stock and/or ringkeeper")
    if args.serve and not args.state:
        p.error("--serve needs --state FILE")
    return args


def check_prerequisites(kinds, binary):
    if "ringkeeper" in kinds and not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        sys.exit("failover.py: no ringkeeper binary at %s; build it first:\n"
                 "  cmake --build build --target ringkeeper rkbench -j2\n"
                 "or pass --ringkeeper PATH" % binary)
    if "stock" in kinds and not os.path.isfile(STOCK_JAR):
        sys.exit("failover.py: stock ZooKeeper is not installed (%s); "
                 "apt-get install zookeeper" % STOCK_JAR)


def main():
    args = parse_args()
    binary = os.path.abspath(args.ringkeeper)
    timing = Timing(args.tick_ms, args.init_limit, args.sync_limit)
    check_prerequisites([args.serve] if args.serve else args.kinds, binary)
    install_cleanup()
    if args.logs:
        os.makedirs(args.logs, exist_ok=True)
    if args.serve:
        return serve(args, binary, timing)
    env = environment(binary)
    if "ringkeeper" in args.kinds:
        binary = snapshot_binary(binary)
    log("%s; %s; %d rounds; faults %s; load average %.2f; commit %s%s; ringkeeper %s"
        % (timing.describe(), env["java"], args.rounds, ",".join(args.faults), env["load_avg"][0],
           env["commit"], " + modified files" if env["modified_files"] else "",
           env["ringkeeper_binary"]))
    rows = []
    for round_no in range(1, args.rounds + 1):
        for kind in args.kinds:
            rows += run_round(kind, binary, timing, args, round_no)
    summary = summarize(rows, args.faults)
    print_summary(summary, timing)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": env, "settings": {
                "tickTime": timing.tick_ms, "initLimit": timing.init_limit,
                "syncLimit": timing.sync_limit, "session_timeout_ms": args.session_timeout_ms,
                "forceSync": "yes", "snapCount": SNAP_COUNT, "preAllocSize_kib": PREALLOC_KB,
                "rounds": args.rounds, "stock_java_flags": args.java_flags},
                "rows": rows, "summary": summary}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
