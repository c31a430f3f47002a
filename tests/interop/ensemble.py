# A replicated ensemble for multi-process tests: N members (ringkeeper or stock ZooKeeper's
# QuorumPeerMain), one zoo.cfg and dataDir (with myid) per member, optional TCP proxies on
# every member-to-member link so a test can partition the ensemble, and the faults a test
# applies to members (kill -9, SIGTERM, SIGSTOP/SIGCONT, restart). Members register with
# harness's list of live servers: harness.main prints their logs when a test fails and the
# atexit hook stops them by PID.
#
# With proxies, member i's zoo.cfg lists its own line with its real ports and every other
# member j's quorum and election ports as the ports of proxies i->j that forward to j's real
# ports. A connection i opens to j therefore runs through the proxy i->j (both directions of
# bytes); cutting the proxies i->j and j->i separates the pair.
# (link_proxy.py has the relay and how stock's election connections are kept on it.)
import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import harness
from link_proxy import LinkProxy

HOST = "127.0.0.1"
STOCK_QUORUM_MAIN = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
# Small JVMs: up to five of them share two cores with the clients.
STOCK_JVM_FLAGS = ["-Xmx128m", "-Xms16m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                   "-XX:-UsePerfData", "-Xss512k",
                   "-Dzookeeper.admin.enableServer=false",
                   "-Dorg.slf4j.simpleLogger.showDateTime=true",
                   "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS"]
# Java system properties that make stock's election quick to retry under test timeouts:
# election connect timeout (default 5 s), and the cap of FastLeaderElection's doubling wait
# between notification rounds (default 60 s, which a long partition would reach).
STOCK_SYSPROPS = {"zookeeper.cnxTimeout": "1000",
                  "zookeeper.fastleader.maxNotificationInterval": "1000"}

FOUR_LETTER_TIMEOUT_S = 1.0   # a SIGSTOPped member accepts the TCP connection but never answers
START_ATTEMPTS = 3            # a port taken between free_port() and the bind: start over
STOP_GRACE_S = 8.0

_live_ensembles = []   # closed at exit: members stopped by PID, proxies closed

NOT_SERVING = "not serving"
DOWN = "down"
UNREACHABLE = "unreachable"


class Timing:
    """tickTime and the limits (in ticks) one ensemble runs with, and bounds derived from them."""

    def __init__(self, tick_ms, init_limit, sync_limit, slack_s):
        self.tick_ms = tick_ms
        self.init_limit = init_limit
        self.sync_limit = sync_limit
        self.slack_s = slack_s   # start-up, election rounds, JIT and a loaded machine

    @property
    def sync_timeout_s(self):
        return self.tick_ms * self.sync_limit / 1000.0

    @property
    def init_timeout_s(self):
        return self.tick_ms * self.init_limit / 1000.0

    def election_bound_s(self):
        """How long a leader's failure may take to end in a new serving leader: followers
        notice within syncLimit ticks, the new leader syncs its followers within initLimit
        ticks, plus slack for election rounds."""
        return self.sync_timeout_s + self.init_timeout_s + self.slack_s


def default_timing(kind):
    if kind == "ringkeeper":
        return Timing(tick_ms=250, init_limit=10, sync_limit=4, slack_s=4.0)
    # Stock: JVM start-up and JIT on a shared two-core machine.
    return Timing(tick_ms=250, init_limit=10, sync_limit=4, slack_s=10.0)


def _signal(proc, signum):
    """Sends signum to a child process unless it has already exited (and been reaped)."""
    try:
        if proc.poll() is None:
            os.kill(proc.pid, signum)
    except ProcessLookupError:
        pass


class Member:
    """One ensemble member's process, config and files. Quacks like harness.Server for
    harness's failure log printing and at-exit stop (print_log, stop)."""

    def __init__(self, ensemble, member_id, role):
        self.ensemble = ensemble
        self.id = member_id
        self.role = role   # "participant" or "observer"
        self.name = "%s-m%d" % (ensemble.name, member_id)
        self.kind = ensemble.kind
        self.host = HOST
        self.port = self.quorum_port = self.election_port = None
        self.workdir = os.path.join(ensemble.workdir, "m%d" % member_id)
        self.data_dir = os.path.join(self.workdir, "data")
        self.cfg_path = os.path.join(self.workdir, "zoo.cfg")
        self.log_path = os.path.join(self.workdir, "member.log")
        self.proc = None
        self.stopped = False   # SIGSTOPped and not yet continued
        self.log_printed_bytes = 0
        self.failed = False

    @property
    def hostport(self):
        return "%s:%d" % (self.host, self.port)

    def spawn(self, banner):
        os.makedirs(self.data_dir, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(("==== %s: %s ====\n" % (self.name, banner)).encode())
            log.flush()
            self.proc = subprocess.Popen(self.ensemble.command(self), stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         cwd=self.workdir, preexec_fn=harness._die_with_parent)
        self.stopped = False

    def is_running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, signum):
        if not self.is_running():
            raise AssertionError("%s is not running" % self.name)
        _signal(self.proc, signum)

    def kill9(self):
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        _signal(proc, signal.SIGKILL)
        self.stopped = False
        return proc.wait(timeout=STOP_GRACE_S)

    def terminate(self):
        """SIGTERM (after SIGCONT, so a stopped process can act on it), then SIGKILL after a
        grace period. Returns the exit status."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        _signal(proc, signal.SIGCONT)
        _signal(proc, signal.SIGTERM)
        self.stopped = False
        try:
            return proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            _signal(proc, signal.SIGKILL)
            return proc.wait(timeout=STOP_GRACE_S)

    def four_letter(self, cmd, timeout_s=FOUR_LETTER_TIMEOUT_S):
        return harness.four_letter(self.host, self.port, cmd, timeout_s=timeout_s)

    def srvr(self):
        """`srvr` as {"Mode": "follower", "Zxid": "0x...", ...}; {} when not serving;
        None when the member does not answer."""
        if not self.is_running():
            return None
        try:
            text = self.four_letter("srvr")
        except OSError:
            return None
        if "not currently serving requests" in text:
            return {}
        fields = {}
        for line in text.splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip()] = value.strip()
        return fields

    def mode(self):
        """leader / follower / observer / standalone, or NOT_SERVING, DOWN, UNREACHABLE."""
        if not self.is_running():
            return DOWN
        fields = self.srvr()
        if fields is None:
            return UNREACHABLE
        if not fields:
            return NOT_SERVING
        return fields.get("Mode", UNREACHABLE)

    # harness.Server's interface for failure logs and the at-exit stop.
    def new_log_lines(self, lines=harness.LOG_TAIL_LINES):
        return harness.new_log_lines(self, lines)

    def print_log(self, reason):
        self.failed = True
        self.ensemble.failed = True
        printed = os.path.exists(self.log_path) and \
            os.path.getsize(self.log_path) == self.log_printed_bytes
        if printed:
            sys.stderr.write("---- %s log: nothing new since it was printed ----\n" % self.name)
            return
        sys.stderr.write("\n---- %s log (%s, %s) ----\n%s\n---- end of %s log ----\n" %
                         (self.name, self.kind, reason, self.new_log_lines(), self.name))
        sys.stderr.flush()

    def stop(self):
        """Final stop (harness's at-exit hook): the process, by PID."""
        self.terminate()
        if self in harness._live_servers:
            harness._live_servers.remove(self)


class Ensemble:
    """`size` participants plus `observers` observers, ids 1..size+observers (observers last).

    kind/binary default to harness.OPTIONS (the command line). proxies=True puts a LinkProxy
    on every directed member pair and port kind, for isolate()/heal(). extra_cfg adds zoo.cfg
    keys to every member ("{member}" in a value is replaced by the member's id)."""

    def __init__(self, size=3, observers=0, kind=None, binary=None, proxies=False,
                 timing=None, extra_cfg=None, name="ens"):
        self.kind = kind or harness.OPTIONS.server
        self.binary = binary or harness.OPTIONS.binary
        if self.binary:
            self.binary = os.path.abspath(self.binary)   # members run in their own directories
        self.timing = timing or default_timing(self.kind)
        self.size = size
        self.use_proxies = proxies
        self.extra_cfg = dict(extra_cfg or {})
        self.name = name
        self.workdir = tempfile.mkdtemp(prefix="rk-ensemble-%s-" % name)
        self.failed = False
        self.members = {}
        for i in range(1, size + observers + 1):
            self.members[i] = Member(self, i, "participant" if i <= size else "observer")
        self.proxies = {}        # (src, dst, "quorum"|"election") -> LinkProxy
        self.isolated = set()
        _live_ensembles.append(self)
        if self.kind == "ringkeeper" and not self.binary:
            raise RuntimeError("ringkeeper needs --binary PATH")

    # ---- configuration ----------------------------------------------------------------------

    @property
    def ids(self):
        return sorted(self.members)

    @property
    def participant_ids(self):
        return [i for i in self.ids if self.members[i].role == "participant"]

    def _allocate_ports(self):
        # All sockets bound at once so the ports differ from each other.
        socks = []
        try:
            for _ in range(3 * len(self.members)):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.bind((HOST, 0))
                socks.append(s)
            ports = [s.getsockname()[1] for s in socks]
        finally:
            for s in socks:
                s.close()
        for n, m in enumerate(self.members.values()):
            m.port, m.quorum_port, m.election_port = ports[3 * n:3 * n + 3]

    def _make_proxies(self):
        for p in self.proxies.values():
            p.close()
        self.proxies = {}
        if not self.use_proxies:
            return
        for src in self.ids:
            for dst in self.ids:
                if src == dst:
                    continue
                m = self.members[dst]
                self.proxies[(src, dst, "quorum")] = LinkProxy(src, dst, "quorum", m.quorum_port,
                                                               m.is_running)
                self.proxies[(src, dst, "election")] = LinkProxy(src, dst, "election",
                                                                 m.election_port, m.is_running)
        # src announces its real election address to dst; dst must reach it through dst->src.
        for (src, dst, kind), p in self.proxies.items():
            if kind == "election":
                p.head_replacements = {self.members[src].election_port:
                                       self.proxies[(dst, src, "election")].port}

    def _server_line(self, viewer, m):
        if viewer == m.id or not self.use_proxies:
            quorum, election = m.quorum_port, m.election_port
        else:
            quorum = self.proxies[(viewer, m.id, "quorum")].port
            election = self.proxies[(viewer, m.id, "election")].port
        role = ":observer" if m.role == "observer" else ""
        return "server.%d=%s:%d:%d%s" % (m.id, HOST, quorum, election, role)

    def _write_config(self, m):
        t = self.timing
        lines = ["tickTime=%d" % t.tick_ms,
                 "initLimit=%d" % t.init_limit,
                 "syncLimit=%d" % t.sync_limit,
                 "dataDir=%s" % m.data_dir,
                 "clientPort=%d" % m.port,
                 "clientPortAddress=%s" % HOST,
                 "maxSessionTimeout=%d" % (40 * t.tick_ms),
                 "4lw.commands.whitelist=*",
                 "extendedTypesEnabled=true",   # TTL nodes, as in harness.Server
                 "admin.enableServer=false"]
        if m.role == "observer":
            lines.append("peerType=observer")
        for key, value in self.extra_cfg.items():
            lines = [l for l in lines if not l.startswith(key + "=")]
            lines.append("%s=%s" % (key, str(value).replace("{member}", str(m.id))))
        lines += [self._server_line(m.id, other) for other in self.members.values()]
        os.makedirs(m.data_dir, exist_ok=True)
        with open(os.path.join(m.data_dir, "myid"), "w") as f:
            f.write("%d\n" % m.id)
        with open(m.cfg_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def command(self, m):
        if self.kind == "ringkeeper":
            return [self.binary, "start-foreground", m.cfg_path]
        props = ["-D%s=%s" % kv for kv in STOCK_SYSPROPS.items()]
        return (["java"] + STOCK_JVM_FLAGS + props +
                ["-cp", harness._stock_classpath(), STOCK_QUORUM_MAIN, m.cfg_path])

    # ---- life cycle -------------------------------------------------------------------------

    def start(self, timeout_s=None):
        """Starts every member and waits for one leader and everyone else following or
        observing. Returns the leader's id."""
        timeout_s = timeout_s or 3 * self.timing.election_bound_s() + 20
        last_error = None
        for attempt in range(START_ATTEMPTS):
            for m in self.members.values():
                shutil.rmtree(m.workdir, ignore_errors=True)
                os.makedirs(m.workdir)
            self._allocate_ports()
            self._make_proxies()
            for m in self.members.values():
                self._write_config(m)
                if m not in harness._live_servers:
                    harness._live_servers.append(m)
            for m in self.members.values():
                m.spawn("start attempt %d, client port %d" % (attempt, m.port))
            try:
                return self.wait_stable(timeout_s=timeout_s)
            except AssertionError as e:
                last_error = e
                exited = [m for m in self.members.values() if not m.is_running()]
                for m in self.members.values():
                    m.terminate()
                if not exited:
                    break   # all ran but did not form a quorum: not a port collision
        self.print_logs("ensemble did not start")
        raise RuntimeError("%s ensemble did not start: %s" % (self.kind, last_error))

    def close(self):
        """Stops every member by PID (SIGTERM to all, then wait) and the proxies; removes the
        files unless a test failed."""
        if self in _live_ensembles:
            _live_ensembles.remove(self)
        for m in self.members.values():
            if m.proc is not None:
                _signal(m.proc, signal.SIGCONT)
                _signal(m.proc, signal.SIGTERM)
        for m in self.members.values():
            m.terminate()
            if m in harness._live_servers:
                harness._live_servers.remove(m)
        for p in self.proxies.values():
            p.close()
        if self.failed:
            sys.stderr.write("kept %s (member logs: m*/member.log)\n" % self.workdir)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # ---- observing ----------------------------------------------------------------------------

    def member(self, i):
        return self.members[i]

    def mode(self, i):
        return self.members[i].mode()

    def modes(self, ids=None):
        return {i: self.mode(i) for i in (ids or self.ids)}

    def leader(self, ids=None):
        """The id of the one member (of ids) that reports leader; None if none or several."""
        leaders = [i for i, mode in self.modes(ids).items() if mode == "leader"]
        return leaders[0] if len(leaders) == 1 else None

    def followers(self, ids=None):
        return [i for i, mode in self.modes(ids).items() if mode == "follower"]

    def is_stable(self, ids=None):
        """Exactly one leader among ids; every other participant in ids follows and every
        observer observes. Returns the leader's id or None."""
        modes = self.modes(ids)
        leaders = [i for i, mode in modes.items() if mode == "leader"]
        if len(leaders) != 1:
            return None
        for i, mode in modes.items():
            want = "observer" if self.members[i].role == "observer" else "follower"
            if i != leaders[0] and mode != want:
                return None
        return leaders[0]

    def wait_stable(self, ids=None, timeout_s=None):
        """Waits until is_stable(ids); returns the leader's id."""
        ids = ids or [i for i in self.ids if self.members[i].is_running()]
        timeout_s = timeout_s or self.timing.election_bound_s()
        deadline = time.monotonic() + timeout_s
        while True:
            for i in ids:
                m = self.members[i]
                if m.proc is not None and m.proc.poll() is not None:
                    raise AssertionError("%s exited with status %d" % (m.name, m.proc.returncode))
            leader = self.is_stable(ids)
            if leader is not None:
                return leader
            if time.monotonic() > deadline:
                raise AssertionError("no stable ensemble among %s after %.1fs: %s" %
                                     (ids, timeout_s, self.modes(ids)))
            time.sleep(0.1)

    def zxid(self, i):
        fields = self.members[i].srvr()
        return int(fields["Zxid"], 16) if fields and "Zxid" in fields else None

    def node_count(self, i):
        fields = self.members[i].srvr()
        return int(fields["Node count"]) if fields and "Node count" in fields else None

    def wait_converged(self, ids=None, timeout_s=None):
        """Waits until every member of ids reports the same Zxid and Node count (by srvr);
        returns (zxid, node_count). Call it once writes have stopped."""
        ids = ids or [i for i in self.ids if self.members[i].is_running()]
        timeout_s = timeout_s or self.timing.election_bound_s()
        deadline = time.monotonic() + timeout_s
        while True:
            seen = {}
            for i in ids:
                fields = self.members[i].srvr()
                if fields and "Zxid" in fields and "Node count" in fields:
                    seen[i] = (int(fields["Zxid"], 16), int(fields["Node count"]))
            if len(seen) == len(ids) and len(set(seen.values())) == 1:
                return next(iter(seen.values()))
            if time.monotonic() > deadline:
                seen_hex = {i: (hex(z), n) for i, (z, n) in seen.items()}
                raise AssertionError("members %s did not converge after %.1fs (zxid, node "
                                     "count): %s" % (ids, timeout_s, seen_hex))
            time.sleep(0.1)

    def connect_string(self, ids=None):
        return ",".join(self.members[i].hostport for i in (ids or self.ids))

    # ---- faults -------------------------------------------------------------------------------

    def kill9(self, i):
        return self.members[i].kill9()

    def stop(self, i):
        """SIGTERM to member i (a clean shutdown), SIGKILL after a grace period."""
        return self.members[i].terminate()

    def sigstop(self, i):
        self.members[i].signal(signal.SIGSTOP)
        self.members[i].stopped = True

    def sigcont(self, i):
        self.members[i].signal(signal.SIGCONT)
        self.members[i].stopped = False

    def restart(self, i):
        """Starts member i again on its config and data (after kill9/stop). Does not wait for
        it to join: use wait_stable."""
        m = self.members[i]
        if m.is_running():
            m.terminate()
        if m not in harness._live_servers:
            harness._live_servers.append(m)
        m.spawn("restart")

    def isolate(self, ids):
        """Cuts every link between the members in ids and the rest, both directions and both
        port kinds: open connections are dropped, new ones reset, until heal()."""
        if not self.use_proxies:
            raise RuntimeError("isolate() needs Ensemble(proxies=True)")
        inside = set(ids)
        self.isolated = inside
        for (src, dst, _), p in self.proxies.items():
            if (src in inside) != (dst in inside):
                p.block()

    def heal(self):
        for p in self.proxies.values():
            p.unblock()
        self.isolated = set()

    def direct_connections(self):
        """Pairs (i, j) of members with an established TCP connection straight between their
        processes, past the proxies (from /proc: each member's socket inodes, and the
        connections in /proc/net/tcp and tcp6). With proxies there must be none."""
        owner = {}   # socket inode -> member id
        for i, m in self.members.items():
            if not m.is_running():
                continue
            fd_dir = "/proc/%d/fd" % m.proc.pid
            try:
                for fd in os.listdir(fd_dir):
                    try:
                        target = os.readlink(os.path.join(fd_dir, fd))
                    except OSError:
                        continue
                    if target.startswith("socket:["):
                        owner[target[8:-1]] = i
            except OSError:
                continue
        # Both ends of a direct link are members' sockets: (local, remote) at one end is
        # (remote, local) at the other. Ports alone are not enough: the kernel lets two
        # connections to different destinations share an ephemeral local port.
        end_of = {}          # (local port, remote port) -> member id
        links = []           # (member id, local port, remote port)
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(table) as f:
                    rows = f.read().splitlines()[1:]
            except OSError:
                continue
            for row in rows:
                fields = row.split()
                if len(fields) < 10 or fields[3] != "01":   # 01: ESTABLISHED
                    continue
                member = owner.get(fields[9])
                if member is None:
                    continue
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                end_of[(local_port, remote_port)] = member
                links.append((member, local_port, remote_port))
        return {(i, end_of[(remote, local)]) for i, local, remote in links
                if (remote, local) in end_of and end_of[(remote, local)] != i}

    def print_logs(self, reason):
        for m in self.members.values():
            m.print_log(reason)


def _close_all_at_exit():
    for ens in list(_live_ensembles):
        try:
            ens.close()
        except Exception:   # at exit, keep closing the others
            pass


atexit.register(_close_all_at_exit)
