# ZooKeeper's client wire protocol (jute encoding) written out by hand, and a blocking
# one-socket session, so tests can compare exact fields and error codes of any server.
import collections
import socket
import struct

# Opcodes (ZooDefs.OpCode).
CREATE, DELETE, EXISTS, GET_DATA, SET_DATA = 1, 2, 3, 4, 5
GET_ACL, SET_ACL, GET_CHILDREN, SYNC, PING = 6, 7, 8, 9, 11
GET_CHILDREN2, CHECK, MULTI, CREATE2 = 12, 13, 14, 15
CHECK_WATCHES, REMOVE_WATCHES, CREATE_CONTAINER, CREATE_TTL, MULTI_READ = 17, 18, 19, 21, 22
AUTH, SET_WATCHES, SASL, GET_EPHEMERALS, GET_ALL_CHILDREN_NUMBER = 100, 101, 102, 103, 104
SET_WATCHES2, ADD_WATCH, WHO_AM_I = 105, 106, 107
CLOSE_SESSION = -11
ERROR_RESULT = -1

# Special xids (ClientCnxn).
NOTIFICATION_XID, PING_XID, AUTH_XID, SET_WATCHES_XID = -1, -2, -4, -8

# Create modes (CreateMode.toFlag).
PERSISTENT, EPHEMERAL, PERSISTENT_SEQUENTIAL, EPHEMERAL_SEQUENTIAL = 0, 1, 2, 3
CONTAINER, PERSISTENT_WITH_TTL, PERSISTENT_SEQUENTIAL_WITH_TTL = 4, 5, 6

# Perms and well-known ACLs as (perms, scheme, id).
READ, WRITE, CREATE_PERM, DELETE_PERM, ADMIN, ALL = 1, 2, 4, 8, 16, 31
OPEN_ACL = [(ALL, "world", "anyone")]
READ_ACL = [(READ, "world", "anyone")]
CREATOR_ALL_ACL = [(ALL, "auth", "")]

# Watch event types and keeper states.
EV_NONE, EV_CREATED, EV_DELETED, EV_DATA_CHANGED, EV_CHILDREN_CHANGED = -1, 1, 2, 3, 4
STATE_SYNC_CONNECTED = 3
# AddWatch modes and watcher types for removeWatches/checkWatches.
ADD_WATCH_PERSISTENT, ADD_WATCH_PERSISTENT_RECURSIVE = 0, 1
WATCHER_CHILDREN, WATCHER_DATA, WATCHER_ANY = 1, 2, 3

ERROR_NAMES = {
    0: "OK", -1: "SystemError", -2: "RuntimeInconsistency", -3: "DataInconsistency",
    -4: "ConnectionLoss", -5: "MarshallingError", -6: "Unimplemented",
    -7: "OperationTimeout", -8: "BadArguments", -12: "UnknownSession",
    -13: "NewConfigNoQuorum", -14: "ReconfigInProgress", -100: "APIError", -101: "NoNode",
    -102: "NoAuth", -103: "BadVersion", -108: "NoChildrenForEphemerals", -110: "NodeExists",
    -111: "NotEmpty", -112: "SessionExpired", -113: "InvalidCallback", -114: "InvalidACL",
    -115: "AuthFailed", -118: "SessionMoved", -119: "NotReadOnly",
    -120: "EphemeralOnLocalSession", -121: "NoWatcher", -122: "RequestTimeout",
    -123: "ReconfigDisabled", -125: "QuotaExceeded", -127: "ThrottledOp",
}
NO_NODE, NO_AUTH, BAD_VERSION, NODE_EXISTS, NOT_EMPTY = -101, -102, -103, -110, -111
NO_CHILDREN_FOR_EPHEMERALS, INVALID_ACL, BAD_ARGUMENTS = -108, -114, -8
RUNTIME_INCONSISTENCY, UNIMPLEMENTED, MARSHALLING_ERROR, AUTH_FAILED = -2, -6, -5, -115
NO_WATCHER = -121

DEFAULT_JUTE_MAXBUFFER = 0xFFFFF

Stat = collections.namedtuple(
    "Stat", "czxid mzxid ctime mtime version cversion aversion ephemeralOwner dataLength "
            "numChildren pzxid")
STAT_STRUCT = struct.Struct(">qqqqiiiqiiq")
Event = collections.namedtuple("Event", "type state path zxid")
Reply = collections.namedtuple("Reply", "xid zxid err result trailing")
ConnectResponse = collections.namedtuple(
    "ConnectResponse", "protocol_version timeout_ms session_id passwd read_only")


def err_name(code):
    return "%s(%d)" % (ERROR_NAMES.get(code, "?"), code)


# ---- encoding -----------------------------------------------------------------------------

def enc_int(v):
    return struct.pack(">i", v)


def enc_long(v):
    return struct.pack(">q", v)


def enc_bool(v):
    return b"\x01" if v else b"\x00"


def enc_buffer(b):
    return enc_int(-1) if b is None else enc_int(len(b)) + bytes(b)


def enc_string(s):
    return enc_buffer(None if s is None else s.encode("utf-8"))


def enc_string_list(items):
    return enc_int(len(items)) + b"".join(enc_string(s) for s in items)


def enc_acls(acls):
    return enc_int(len(acls)) + b"".join(
        enc_int(perms) + enc_string(scheme) + enc_string(ident) for perms, scheme, ident in acls)


def connect_request(session_id=0, passwd=b"\0" * 16, timeout_ms=30000, last_zxid=0,
                    read_only=False, protocol_version=0):
    return (enc_int(protocol_version) + enc_long(last_zxid) + enc_int(timeout_ms) +
            enc_long(session_id) + enc_buffer(passwd) + enc_bool(read_only))


def create_body(path, data=b"", acls=OPEN_ACL, flags=PERSISTENT, ttl=None):
    body = enc_string(path) + enc_buffer(data) + enc_acls(acls) + enc_int(flags)
    return body if ttl is None else body + enc_long(ttl)


def path_watch_body(path, watch=False):
    return enc_string(path) + enc_bool(watch)


def delete_body(path, version=-1):
    return enc_string(path) + enc_int(version)


def set_data_body(path, data, version=-1):
    return enc_string(path) + enc_buffer(data) + enc_int(version)


def set_acl_body(path, acls, version=-1):
    return enc_string(path) + enc_acls(acls) + enc_int(version)


def check_body(path, version):
    return enc_string(path) + enc_int(version)


def auth_body(scheme, auth, auth_type=0):
    return enc_int(auth_type) + enc_string(scheme) + enc_buffer(auth)


def add_watch_body(path, mode):
    return enc_string(path) + enc_int(mode)


def watches_body(path, watcher_type):
    return enc_string(path) + enc_int(watcher_type)


def set_watches_body(relative_zxid, data=(), exist=(), child=()):
    return (enc_long(relative_zxid) + enc_string_list(list(data)) +
            enc_string_list(list(exist)) + enc_string_list(list(child)))


def set_watches2_body(relative_zxid, data=(), exist=(), child=(), persistent=(),
                      recursive=()):
    return set_watches_body(relative_zxid, data, exist, child) + \
        enc_string_list(list(persistent)) + enc_string_list(list(recursive))


def multi_body(ops):
    """ops: list of (opcode, body bytes)."""
    out = b"".join(enc_int(op) + enc_bool(False) + enc_int(-1) + body for op, body in ops)
    return out + enc_int(-1) + enc_bool(True) + enc_int(-1)


def request_frame(xid, op, body=b""):
    payload = enc_int(xid) + enc_int(op) + body
    return enc_int(len(payload)) + payload


# ---- decoding -----------------------------------------------------------------------------

class Reader:
    def __init__(self, data, offset=0):
        self.data = data
        self.offset = offset

    def remaining(self):
        return len(self.data) - self.offset

    def _take(self, fmt):
        value = struct.unpack_from(fmt, self.data, self.offset)[0]
        self.offset += struct.calcsize(fmt)
        return value

    def int(self):
        return self._take(">i")

    def long(self):
        return self._take(">q")

    def bool(self):
        return self._take(">B") != 0

    def buffer(self):
        n = self.int()
        if n < 0:
            return None
        if n > self.remaining():
            raise ValueError("buffer length %d exceeds the %d bytes left" % (n, self.remaining()))
        b = self.data[self.offset:self.offset + n]
        self.offset += n
        return bytes(b)

    def string(self):
        b = self.buffer()
        return None if b is None else b.decode("utf-8")

    def string_list(self):
        n = self.int()
        return None if n < 0 else [self.string() for _ in range(n)]

    def stat(self):
        values = STAT_STRUCT.unpack_from(self.data, self.offset)
        self.offset += STAT_STRUCT.size
        return Stat(*values)

    def acls(self):
        n = self.int()
        return None if n < 0 else [(self.int(), self.string(), self.string()) for _ in range(n)]


def decode_multi(r):
    results = []
    while True:
        op, done, err = r.int(), r.bool(), r.int()
        if done:
            return results
        # Each result header repeats its error code (0 for a success); a server that puts
        # anything else there is wrong in a way clients can see.
        if op == ERROR_RESULT:
            body_err = r.int()
            if err != body_err:
                raise ValueError("multi error result: header err %d, body err %d" %
                                 (err, body_err))
            results.append(("error", body_err))
            continue
        if err != 0:
            raise ValueError("multi result of type %d with header err %d" % (op, err))
        if op == CREATE:
            results.append(("create", r.string()))
        elif op in (CREATE2, CREATE_CONTAINER, CREATE_TTL):
            results.append(("create2", r.string(), r.stat()))
        elif op == DELETE:
            results.append(("delete",))
        elif op == SET_DATA:
            results.append(("setData", r.stat()))
        elif op == CHECK:
            results.append(("check",))
        elif op == GET_DATA:
            results.append(("getData", r.buffer(), r.stat()))
        elif op == GET_CHILDREN:
            results.append(("getChildren", r.string_list()))
        else:
            raise ValueError("unexpected multi result type %d" % op)


def decode_result(op, r):
    """Decodes a successful response body for opcode op."""
    if op == CREATE:
        return r.string()
    if op in (CREATE2, CREATE_CONTAINER, CREATE_TTL):
        return (r.string(), r.stat())
    if op in (EXISTS, SET_DATA, SET_ACL):
        return r.stat()
    if op == GET_DATA:
        return (r.buffer(), r.stat())
    if op == GET_ACL:
        return (r.acls(), r.stat())
    if op == GET_CHILDREN:
        return r.string_list()
    if op == GET_CHILDREN2:
        return (r.string_list(), r.stat())
    if op == SYNC:
        return r.string()
    if op in (MULTI, MULTI_READ):
        return decode_multi(r)
    if op == ADD_WATCH:
        return r.int()
    if op == GET_EPHEMERALS:
        return r.string_list()
    if op == GET_ALL_CHILDREN_NUMBER:
        return r.int()
    if op == WHO_AM_I:
        n = r.int()
        return [(r.string(), r.string()) for _ in range(max(n, 0))]
    return None


# ---- a blocking session -------------------------------------------------------------------

class ConnectionClosed(Exception):
    pass


class Session:
    """One connection, used from one thread. Watch events that arrive while waiting for a
    reply are kept in `events`, in arrival order."""

    def __init__(self, host, port, io_timeout_s=15.0):
        self.host, self.port = host, port
        self.io_timeout_s = io_timeout_s
        self.sock = None
        self.xid = 0
        self.events = []
        self.session_id = 0
        self.passwd = b"\0" * 16
        self.timeout_ms = 0
        self.last_zxid = 0

    def open_socket(self):
        self.sock = socket.create_connection((self.host, self.port), timeout=self.io_timeout_s)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self

    def connect(self, timeout_ms=30000, session_id=0, passwd=None, last_zxid=0):
        """Opens the socket and does the handshake; returns the ConnectResponse."""
        if self.sock is None:
            self.open_socket()
        body = connect_request(session_id, passwd or b"\0" * 16, timeout_ms, last_zxid)
        self.send_raw(enc_int(len(body)) + body)
        frame = self.recv_frame()
        if frame is None:
            raise ConnectionClosed("server closed the connection during the handshake")
        r = Reader(frame)
        resp = ConnectResponse(r.int(), r.int(), r.long(), r.buffer(),
                               r.bool() if r.remaining() else False)
        self.session_id, self.passwd, self.timeout_ms = resp.session_id, resp.passwd, \
            resp.timeout_ms
        return resp

    def send_raw(self, data):
        self.sock.sendall(data)

    def _recv_exact(self, n):
        chunks, have = [], 0
        while have < n:
            chunk = self.sock.recv(n - have)
            if not chunk:
                return None
            chunks.append(chunk)
            have += len(chunk)
        return b"".join(chunks)

    def recv_frame(self):
        """The next frame's payload, or None when the server closed the connection."""
        try:
            head = self._recv_exact(4)
            if head is None:
                return None
            (length,) = struct.unpack(">i", head)
            if length < 0:
                raise ValueError("negative frame length %d from server" % length)
            return self._recv_exact(length) if length else b""
        except ConnectionResetError:
            return None

    def send(self, op, body=b"", xid=None):
        if xid is None:
            self.xid += 1
            xid = self.xid
        self.send_raw(request_frame(xid, op, body))
        return xid

    def read_reply(self, op, xid):
        """Reads frames until the reply with this xid; events seen meanwhile are kept."""
        while True:
            frame = self.recv_frame()
            if frame is None:
                raise ConnectionClosed("server closed the connection (waiting for xid %d)" % xid)
            r = Reader(frame)
            rxid, zxid, err = r.int(), r.long(), r.int()
            if rxid == NOTIFICATION_XID:
                self.events.append(Event(r.int(), r.int(), r.string(), zxid))
                continue
            if rxid != xid:
                raise AssertionError("reply xid %d while waiting for %d" % (rxid, xid))
            if zxid > 0:
                self.last_zxid = zxid
            result = decode_result(op, r) if err == 0 else None
            return Reply(rxid, zxid, err, result, r.remaining())

    def call(self, op, body=b"", xid=None):
        if xid is None:
            xid = {AUTH: AUTH_XID, PING: PING_XID}.get(op)
        return self.read_reply(op, self.send(op, body, xid))

    def ping(self):
        return self.call(PING, b"", PING_XID)

    def take_events(self):
        events, self.events = self.events, []
        return events

    def close_session(self):
        """Sends closeSession and waits for the server to close the socket."""
        reply = self.call(CLOSE_SESSION)
        self.wait_closed()
        return reply

    def wait_closed(self):
        """True once the server has closed the connection (EOF/reset within io_timeout_s)."""
        try:
            while self.recv_frame() is not None:
                pass
            return True
        finally:
            self.close()

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None
