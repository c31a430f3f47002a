# Starts and stops one ZooKeeper-compatible server (ringkeeper or stock ZooKeeper) for a test:
# free port, private dataDir, zoo.cfg, readiness by `ruok`, stop by PID, log printed on failure.
import argparse
import atexit
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

STOCK_ENV_SCRIPT = "/usr/share/zookeeper/bin/zkEnv.sh"
STOCK_FALLBACK_CLASSPATH = ["/etc/zookeeper/conf", "/usr/share/java/zookeeper.jar"]
# ZooKeeper logs through slf4j; without a binding it prints nothing, so add the simple one
# (it writes to stderr, which we capture into the server's log file).
SLF4J_BINDING = "/usr/share/java/slf4j-simple.jar"
STOCK_MAIN = "org.apache.zookeeper.server.ZooKeeperServerMain"
# A small, single-JIT JVM: the test machine is shared and ZooKeeper needs little here.
STOCK_JVM_FLAGS = ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                   "-Dzookeeper.admin.enableServer=false"]

START_TIMEOUT_S = 60.0
STOP_GRACE_S = 10.0
PORT_ATTEMPTS = 4
LOG_TAIL_LINES = 120

# Parsed once by main(); tests read the kind of server and the binary from here.
OPTIONS = argparse.Namespace(server="zookeeper", binary=None)
_live_servers = []


def add_server_args(parser):
    parser.add_argument("--server", choices=["ringkeeper", "zookeeper"], default="zookeeper",
                        help="kind of server under test")
    parser.add_argument("--binary", help="path of the ringkeeper executable")


def check_server_args(parser, args):
    if args.server == "ringkeeper" and not args.binary:
        parser.error("--server ringkeeper needs --binary PATH")


def free_port():
    """A port that was free a moment ago; the caller retries if it gets taken meanwhile."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout_s, what, interval_s=0.05):
    """Polls predicate until it returns a true value; fails with `what` after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout_s, what))
        time.sleep(interval_s)


def four_letter(host, port, cmd, timeout_s=5.0):
    """Sends a four-letter word and returns the whole answer (the server closes after it)."""
    with socket.create_connection((host, port), timeout=timeout_s) as s:
        s.sendall(cmd.encode("ascii"))
        chunks = []
        while True:
            data = s.recv(65536)
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks).decode("utf-8", "replace")


def _stock_classpath():
    """The classpath zkCli.sh/zkServer.sh would use (from zkEnv.sh), plus a logging binding."""
    entries = []
    try:
        out = subprocess.run(["bash", "-c", '. "$0" >/dev/null 2>&1; printf %s "$CLASSPATH"',
                              STOCK_ENV_SCRIPT], capture_output=True, text=True, timeout=10)
        entries = [e for e in out.stdout.split(":") if e]
    except (OSError, subprocess.SubprocessError):
        entries = []
    if not entries:
        entries = list(STOCK_FALLBACK_CLASSPATH)
    if os.path.exists(SLF4J_BINDING):
        entries.append(SLF4J_BINDING)
    return ":".join(entries)


def _die_with_parent():
    # If the test process is killed (e.g. by a ctest timeout), the kernel stops the server too.
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_PDEATHSIG = 1
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def new_log_lines(process, lines=LOG_TAIL_LINES):
    """The last `lines` lines `process` (a Server or an ensemble member: log_path,
    log_printed_bytes) logged since the previous call."""
    if not process.log_path or not os.path.exists(process.log_path):
        return "(no log)"
    with open(process.log_path, "rb") as f:
        f.seek(process.log_printed_bytes)
        data = f.read()
    process.log_printed_bytes += len(data)
    text = data.decode("utf-8", "replace").splitlines()
    skipped = len(text) - lines
    head = ["... (%d earlier lines in %s)" % (skipped, process.log_path)] if skipped > 0 else []
    return "\n".join(head + text[-lines:])


class Server:
    """One server process. kind is "ringkeeper" or "zookeeper".

    extra_cfg: keys added to zoo.cfg for both kinds.
    sysprops: settings ZooKeeper reads only as Java system properties (-Dkey=value for stock);
              ringkeeper receives the same keys in zoo.cfg.
    """

    def __init__(self, kind=None, binary=None, extra_cfg=None, sysprops=None, tick_ms=2000,
                 name="server"):
        self.kind = kind or OPTIONS.server
        self.binary = binary or OPTIONS.binary
        self.extra_cfg = dict(extra_cfg or {})
        self.sysprops = dict(sysprops or {})
        self.tick_ms = tick_ms
        self.name = name
        self.host = "127.0.0.1"
        self.port = None
        self.proc = None
        self.workdir = None
        self.cfg_path = None
        self.log_path = None
        self.log_printed_bytes = 0   # failures print only what was logged since the last one
        self.failed = False

    @property
    def hostport(self):
        return "%s:%d" % (self.host, self.port)

    def _write_config(self, data_dir, port):
        lines = ["tickTime=%d" % self.tick_ms,
                 "dataDir=%s" % data_dir,
                 "clientPort=%d" % port,
                 "clientPortAddress=127.0.0.1",
                 "4lw.commands.whitelist=*",
                 "extendedTypesEnabled=true",
                 "admin.enableServer=false"]
        settings = dict(self.extra_cfg)
        if self.kind == "ringkeeper":
            settings.update(self.sysprops)
        for key, value in settings.items():
            # "{workdir}" in a value names this server's private directory.
            value = str(value).replace("{workdir}", self.workdir)
            lines = [l for l in lines if not l.startswith(key + "=")]
            lines.append("%s=%s" % (key, value))
        cfg_path = os.path.join(self.workdir, "zoo.cfg")
        with open(cfg_path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return cfg_path

    def _command(self, cfg_path):
        if self.kind == "ringkeeper":
            if not self.binary:
                raise RuntimeError("ringkeeper needs --binary PATH")
            return [self.binary, cfg_path]
        props = ["-D%s=%s" % (k, v) for k, v in self.sysprops.items()]
        return (["java"] + STOCK_JVM_FLAGS + props +
                ["-cp", _stock_classpath(), STOCK_MAIN, cfg_path])

    def start(self):
        self.workdir = tempfile.mkdtemp(prefix="rk-interop-%s-" % self.name)
        self.log_path = os.path.join(self.workdir, "server.log")
        _live_servers.append(self)
        last_error = None
        for attempt in range(PORT_ATTEMPTS):
            data_dir = os.path.join(self.workdir, "data%d" % attempt)
            os.makedirs(data_dir)
            port = free_port()
            self.cfg_path = self._write_config(data_dir, port)
            self._spawn("%s attempt %d on port %d" % (self.kind, attempt, port))
            self.port = port
            try:
                self._wait_ready()
                return self
            except (AssertionError, RuntimeError) as e:
                last_error = e
                exited = self.proc.poll() is not None
                self._stop_process()
                if not exited:
                    break  # it ran but never answered: not a port collision, do not retry
        self.print_log("server did not start")
        raise RuntimeError("%s did not start: %s" % (self.kind, last_error))

    def _spawn(self, banner):
        with open(self.log_path, "ab") as log:
            log.write(("==== %s ====\n" % banner).encode())
            log.flush()
            self.proc = subprocess.Popen(self._command(self.cfg_path), stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         cwd=self.workdir, preexec_fn=_die_with_parent)

    def kill(self):
        """SIGKILL by PID, as a crash: no shutdown code runs. Returns the exit status."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return None if proc is None else proc.returncode
        os.kill(proc.pid, signal.SIGKILL)
        return proc.wait(timeout=STOP_GRACE_S)

    def restart(self):
        """Starts the server again with the same zoo.cfg, port and data (after kill or a
        stopped process), and waits until it serves."""
        if self.is_running():
            self._stop_process()
        if self not in _live_servers:
            _live_servers.append(self)
        self._spawn("%s restart on port %d" % (self.kind, self.port))
        try:
            self._wait_ready()
        except (AssertionError, RuntimeError):
            self.print_log("server did not restart")
            raise
        return self

    def _wait_ready(self):
        # Stock answers `ruok` before it serves sessions (other 4lw then say "not currently
        # serving requests"), so also wait for `srvr` to report the server's mode.
        def answers(cmd, expected):
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with status %d" % self.proc.returncode)
            try:
                return expected(four_letter(self.host, self.port, cmd, timeout_s=2.0))
            except OSError:
                return False
        wait_for(lambda: answers("ruok", lambda text: text == "imok"), START_TIMEOUT_S,
                 "%s to answer ruok on %d" % (self.kind, self.port), interval_s=0.1)
        wait_for(lambda: answers("srvr", lambda text: "Mode: " in text), START_TIMEOUT_S,
                 "%s to report its mode on %d" % (self.kind, self.port), interval_s=0.1)

    def _stop_process(self):
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return None if proc is None else proc.returncode
        os.kill(proc.pid, signal.SIGTERM)
        try:
            return proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            return proc.wait(timeout=STOP_GRACE_S)

    def is_running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """Stops the process by PID; removes the temp dir unless a test failed while this
        server ran (then the log stays for reading). Returns the exit status."""
        status = self._stop_process()
        if self in _live_servers:
            _live_servers.remove(self)
        if self.workdir and not self.failed:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
        elif self.workdir:
            sys.stderr.write("kept %s (log: %s)\n" % (self.workdir, self.log_path))
        return status

    def four_letter(self, cmd):
        return four_letter(self.host, self.port, cmd)

    def new_log_lines(self, lines=LOG_TAIL_LINES):
        return new_log_lines(self, lines)

    def print_log(self, reason):
        self.failed = True
        sys.stderr.write("\n---- %s log (%s, %s) ----\n%s\n---- end of %s log ----\n" %
                         (self.name, self.kind, reason, self.new_log_lines(), self.name))
        sys.stderr.flush()


def _stop_all_at_exit():
    for server in list(_live_servers):
        try:
            server.stop()
        except Exception:  # at exit, keep stopping the others
            pass


atexit.register(_stop_all_at_exit)
signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


class Proxy:
    """A TCP relay between clients and a server, so a test can freeze or cut a client's
    connection without the client knowing (session expiry, reconnects)."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.flowing = threading.Event()
        self.flowing.set()
        self.pairs = []
        self.closed = False
        self.accepted = 0
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    @property
    def hostport(self):
        return "127.0.0.1:%d" % self.port

    def _accept_loop(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.pairs.append((client, upstream))
                self.accepted += 1
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src, dst):
        try:
            src.settimeout(None)
            while True:
                data = src.recv(65536)
                if not data:
                    break
                self.flowing.wait()
                if self.closed:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def freeze(self):
        """Holds every byte in both directions; sockets stay open (a silent network)."""
        self.flowing.clear()

    def thaw(self):
        self.flowing.set()

    def cut(self):
        """Closes every relayed connection (both ends see a reset/EOF)."""
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def close(self):
        self.closed = True
        self.flowing.set()
        try:
            self.listener.close()
        except OSError:
            pass
        self.cut()


class _LogOnFailureResult(unittest.TextTestResult):
    """Prints the log of every running server when a test fails or errors."""

    def _dump(self):
        for server in list(_live_servers):
            server.print_log("test failed")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._dump()

    def addError(self, test, err):
        super().addError(test, err)
        self._dump()


def main(argv=None):
    """Runs the unittest cases of __main__ against the server chosen on the command line."""
    parser = argparse.ArgumentParser(add_help=False)
    add_server_args(parser)
    args, rest = parser.parse_known_args(argv if argv is not None else sys.argv[1:])
    check_server_args(parser, args)
    OPTIONS.server, OPTIONS.binary = args.server, args.binary
    sys.stderr.write("interop: server under test = %s%s\n" %
                     (args.server, " (%s)" % args.binary if args.binary else ""))
    runner = unittest.TextTestRunner(verbosity=2, resultclass=_LogOnFailureResult)
    program = unittest.main(module="__main__", argv=[sys.argv[0]] + rest, testRunner=runner,
                            exit=False)
    sys.exit(0 if program.result.wasSuccessful() else 1)


if __name__ == "__main__":
    # Manual use: start a server and keep it running until Ctrl-C, printing host:port.
    cli = argparse.ArgumentParser(description=__doc__)
    add_server_args(cli)
    cli.add_argument("--set", action="append", default=[], help="extra zoo.cfg key=value")
    options = cli.parse_args()
    check_server_args(cli, options)
    extra = dict(kv.split("=", 1) for kv in options.set)
    srv = Server(options.server, options.binary, extra_cfg=extra).start()
    print(srv.hostport, flush=True)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()
