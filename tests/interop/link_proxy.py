# A TCP relay for one direction of one link between ensemble members (member src's
# connections to member dst's quorum or election port), which a test can cut: block() drops
# the relayed connections and resets new ones until unblock().
#
# Stock ZooKeeper's election connections need one more step: when a member with a lower id
# connects to one with a higher id, the higher one closes that connection and connects back to
# the address the lower one announced in its first message — its own, real, election address
# (QuorumCnxManager.handleConnection: connectOne(sid, electionAddr)). That connection would
# bypass every proxy and survive isolate(). The election proxies therefore rewrite the
# announced address in that first message (the format of QuorumCnxManager.startConnection:
# long protocolVersion -65536 or -65535, long sid, int length, "host:port[|host:port]") to the
# proxy of the reverse direction, so the connection back also runs through a proxy. A stream
# that does not start with that message (ringkeeper's own handshake) is relayed unchanged.
import socket
import struct
import threading
import time

HOST = "127.0.0.1"
PROXY_CONNECT_TIMEOUT_S = 2.0
PROXY_UPSTREAM_RETRY_S = 2.0  # a running member's port not listening yet (see _connect_upstream)
PROXY_HEAD_BYTES_MAX = 4096   # the stock election handshake is far shorter
ZK_ELECTION_PROTOCOLS = (-65536, -65535)   # QuorumCnxManager.PROTOCOL_VERSION_V1 / _V2


def _reset_close(sock):
    """Closes a socket so the peer sees a reset (not a FIN) and it is gone at once."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def rewrite_election_head(head, replacements):
    """The first bytes a member sends on an election connection, with the port of its
    announced address replaced (replacements: real port -> proxy port). Returns (done, bytes);
    done=False means more bytes are needed. Anything else comes back unchanged."""
    if len(head) < 8:
        return False, head
    (protocol,) = struct.unpack(">q", head[:8])
    if protocol not in ZK_ELECTION_PROTOCOLS:
        return True, head
    if len(head) < 20:
        return False, head
    (length,) = struct.unpack(">i", head[16:20])
    if length <= 0 or length > PROXY_HEAD_BYTES_MAX:
        return True, head
    if len(head) < 20 + length:
        return False, head
    parts = []
    for part in head[20:20 + length].decode("ascii", "replace").split("|"):
        host, _, port = part.rpartition(":")
        if port.isdigit() and int(port) in replacements:
            part = "%s:%d" % (host, replacements[int(port)])
        parts.append(part)
    announced = "|".join(parts).encode("ascii")
    return True, head[:16] + struct.pack(">i", len(announced)) + announced + head[20 + length:]


class _Pair:
    """A relayed connection: the accepted socket, the one to the target, and how many of its
    two pump threads still run (the last one closes both sockets)."""

    def __init__(self, client, upstream):
        self.client = client
        self.upstream = upstream
        self.pumps = 2


class LinkProxy:
    """One direction of one link: member src's connections to member dst's quorum or election
    port. block() drops the connections it relays and resets new ones until unblock()."""

    def __init__(self, src, dst, kind, target_port, target_alive):
        self.src, self.dst, self.kind = src, dst, kind
        self.target = (HOST, target_port)
        self.target_alive = target_alive   # is the member behind target_port running?
        self.head_replacements = None   # set for election proxies (see module comment)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((HOST, 0))
        self.listener.listen(32)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.pairs = []
        self.blocked = False
        self.closed = False
        self.relayed = 0
        self.refused = 0
        self.thread = threading.Thread(target=self._accept_loop, daemon=True,
                                       name="proxy-%d-%d-%s" % (src, dst, kind))
        self.thread.start()

    def _accept_loop(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.blocked or self.closed:
                self.refused += 1
                _reset_close(client)
                continue
            upstream = self._connect_upstream()
            if upstream is None:
                _reset_close(client)
                continue
            pair = _Pair(client, upstream)
            with self.lock:
                if self.blocked or self.closed:
                    _reset_close(client)
                    _reset_close(upstream)
                    continue
                self.pairs.append(pair)
                self.relayed += 1
            threading.Thread(target=self._pump, args=(pair, client, upstream,
                                                      self.head_replacements),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(pair, upstream, client, None),
                             daemon=True).start()

    def _connect_upstream(self):
        """A connection to the target, or None. The connector's TCP handshake with the proxy
        has already succeeded, so a refusal can only reach it as a reset after the fact — which
        a ZooKeeper learner takes as a failed sync (back to election) where a real network's
        refusal would make it retry the connect. So while the target member runs but does not
        listen yet (a leader-to-be opening its port), keep trying for a moment."""
        deadline = time.monotonic() + PROXY_UPSTREAM_RETRY_S
        while not self.blocked and not self.closed:
            try:
                upstream = socket.create_connection(self.target, timeout=PROXY_CONNECT_TIMEOUT_S)
                upstream.settimeout(None)
                return upstream
            except OSError:
                if not self.target_alive() or time.monotonic() > deadline:
                    return None
                time.sleep(0.02)
        return None

    def _pump(self, pair, src, dst, head_replacements):
        head = b"" if head_replacements is not None else None
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if head is not None:
                    head += data
                    done, data = rewrite_election_head(head, head_replacements)
                    if not done and len(head) < PROXY_HEAD_BYTES_MAX:
                        continue
                    head = None
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            with self.lock:
                pair.pumps -= 1
                last = pair.pumps == 0
                if last and pair in self.pairs:
                    self.pairs.remove(pair)
            if last:
                pair.client.close()
                pair.upstream.close()

    def block(self):
        with self.lock:
            self.blocked = True
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            _reset_close(pair.client)
            _reset_close(pair.upstream)

    def unblock(self):
        self.blocked = False

    def close(self):
        self.closed = True
        self.block()
        try:
            self.listener.close()
        except OSError:
            pass
