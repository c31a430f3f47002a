#!/usr/bin/python3
# Feeds a running server malformed and hostile input on raw sockets and checks that only the
# offending connection suffers while a kazoo client keeps working; plus maxClientCnxns per IP
# and the four-letter-word whitelist.
# Usage: test_bad_input.py --server zookeeper | --server ringkeeper --binary PATH [unittest args]
import logging
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import zkwire  # noqa: E402
from zkwire import enc_int  # noqa: E402

from kazoo.client import KazooClient  # noqa: E402

logging.getLogger("kazoo").setLevel(logging.CRITICAL)
IO_TIMEOUT_S = 20.0
MAX_CNXNS = 5


def exchange(server, data, handshake=False, half_close=False):
    """Sends data on a new connection (after a handshake if asked) and reads until the server
    closes it. Returns the frames received (after the handshake). A read timeout means the
    server kept the connection open, which fails the calling test."""
    s = zkwire.Session(server.host, server.port, io_timeout_s=IO_TIMEOUT_S)
    if handshake:
        s.connect(timeout_ms=10000)
    else:
        s.open_socket()
    try:
        s.send_raw(data)
        if half_close:
            s.sock.shutdown(socket.SHUT_WR)
        frames = []
        while True:
            frame = s.recv_frame()
            if frame is None:
                return frames
            frames.append(frame)
    finally:
        s.close()


def reply_header(frame):
    r = zkwire.Reader(frame)
    return r.int(), r.long(), r.int()


class BadInputTest(unittest.TestCase):
    """One server; a kazoo client must stay connected through every case."""

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(name="bad-input").start()
        cls.states = []
        cls.observer = KazooClient(hosts=cls.server.hostport, timeout=10.0)
        cls.observer.start(timeout=IO_TIMEOUT_S)
        cls.observer.add_listener(cls.states.append)
        cls.session_id = cls.observer.client_id[0]
        cls.observer.create("/bad_input_observer", b"0")
        cls.counter = 0

    @classmethod
    def tearDownClass(cls):
        cls.observer.stop()
        cls.observer.close()
        cls.server.stop()

    def tearDown(self):
        # The well-behaved client reads and writes as before, on the same session, and a new
        # client can still connect.
        cls = type(self)
        cls.counter += 1
        value = str(cls.counter).encode()
        cls.observer.set("/bad_input_observer", value)
        self.assertEqual(cls.observer.get("/bad_input_observer")[0], value)
        self.assertEqual(cls.observer.client_id[0], cls.session_id)
        self.assertEqual(cls.states, [], "observer saw connection state changes")
        fresh = zkwire.Session(self.server.host, self.server.port)
        self.assertGreater(fresh.connect().timeout_ms, 0)
        fresh.close_session()

    def session(self):
        s = zkwire.Session(self.server.host, self.server.port, io_timeout_s=IO_TIMEOUT_S)
        s.connect(timeout_ms=10000)
        return s

    # ---- before the handshake ----
    def test_garbage_bytes(self):
        self.assertEqual(exchange(self.server, b"GARBAGE GARBAGE GARBAGE\n"), [])

    def test_garbage_in_a_well_formed_frame(self):
        self.assertEqual(exchange(self.server, enc_int(5) + b"hello"), [])

    def test_negative_length(self):
        self.assertEqual(exchange(self.server, enc_int(-1)), [])

    def test_zero_length(self):
        self.assertEqual(exchange(self.server, enc_int(0)), [])

    def test_length_over_jute_maxbuffer(self):
        self.assertEqual(exchange(self.server, enc_int(zkwire.DEFAULT_JUTE_MAXBUFFER + 1) +
                                  b"x" * 64), [])

    def test_truncated_frame_then_half_close(self):
        self.assertEqual(exchange(self.server, enc_int(100) + b"x" * 10, half_close=True), [])

    def test_truncated_frame_then_close(self):
        s = socket.create_connection((self.server.host, self.server.port), timeout=IO_TIMEOUT_S)
        s.sendall(enc_int(100) + b"x" * 10)
        s.close()

    def test_truncated_handshake_then_close(self):
        body = zkwire.connect_request()
        s = socket.create_connection((self.server.host, self.server.port), timeout=IO_TIMEOUT_S)
        s.sendall(enc_int(len(body)) + body[:20])
        s.close()

    def test_handshake_too_short(self):
        self.assertEqual(exchange(self.server, enc_int(10) + b"\0" * 10), [])

    def test_handshake_with_zxid_from_the_future(self):
        body = zkwire.connect_request(last_zxid=1 << 40)
        # The server refuses a client that has seen more than it has: close, no answer.
        self.assertEqual(exchange(self.server, enc_int(len(body)) + body), [])

    def test_handshake_with_unknown_session(self):
        body = zkwire.connect_request(session_id=0x12345678, passwd=b"p" * 16)
        frames = exchange(self.server, enc_int(len(body)) + body)
        self.assertEqual(len(frames), 1)
        r = zkwire.Reader(frames[0])
        # An invalid session is answered with timeout 0, session 0 and a zeroed password.
        self.assertEqual((r.int(), r.int(), r.long(), r.buffer()), (0, 0, 0, b"\0" * 16))

    def test_handshake_with_wrong_password(self):
        owner = self.session()
        self.assertEqual(owner.call(zkwire.CREATE, zkwire.create_body(
            "/bad_input_pw", flags=zkwire.EPHEMERAL)).err, 0)
        wrong = bytes(b ^ 0xff for b in owner.passwd)
        body = zkwire.connect_request(session_id=owner.session_id, passwd=wrong)
        frames = exchange(self.server, enc_int(len(body)) + body)
        self.assertEqual(len(frames), 1)
        r = zkwire.Reader(frames[0])
        # Refused as an expired session; the session itself lives on for its owner (stock
        # ZooKeeper also drops the owner's current connection, so resume on a new one).
        self.assertEqual((r.int(), r.int(), r.long(), r.buffer()), (0, 0, 0, b"\0" * 16))
        owner.close()
        again = zkwire.Session(self.server.host, self.server.port, io_timeout_s=IO_TIMEOUT_S)
        resp = again.connect(session_id=owner.session_id, passwd=owner.passwd)
        self.assertEqual(resp.session_id, owner.session_id)
        self.assertEqual(again.call(zkwire.EXISTS, zkwire.path_watch_body("/bad_input_pw")).err, 0)
        again.close_session()

    def test_handshake_without_read_only_flag(self):
        s = zkwire.Session(self.server.host, self.server.port, io_timeout_s=IO_TIMEOUT_S)
        s.open_socket()
        body = zkwire.connect_request()[:-1]   # old clients omit the trailing boolean
        s.send_raw(enc_int(len(body)) + body)
        r = zkwire.Reader(s.recv_frame())
        self.assertEqual(r.int(), 0)
        self.assertGreater(r.int(), 0)
        s.session_id = r.long()
        self.assertEqual(s.call(zkwire.EXISTS, zkwire.path_watch_body("/")).err, 0)
        s.close_session()

    # ---- after the handshake ----
    def test_garbage_request_after_handshake(self):
        frames = exchange(self.server, enc_int(20) + b"\x13" * 20, handshake=True)
        # Read as header {xid 0x13131313, type 0x13131313}: an unknown opcode is answered with
        # Unimplemented (zxid -1), then the connection is closed.
        self.assertEqual([reply_header(f) for f in frames],
                         [(0x13131313, -1, zkwire.UNIMPLEMENTED)])

    def test_unknown_opcode_after_handshake(self):
        frames = exchange(self.server, zkwire.request_frame(7, 999, b"body"), handshake=True)
        self.assertEqual([reply_header(f) for f in frames], [(7, -1, zkwire.UNIMPLEMENTED)])

    def test_frame_too_short_for_a_header(self):
        self.assertEqual(exchange(self.server, enc_int(3) + b"abc", handshake=True), [])

    def test_negative_length_after_handshake(self):
        self.assertEqual(exchange(self.server, enc_int(-5), handshake=True), [])

    def test_four_letter_word_after_handshake(self):
        # Once a session is up, "ruok" is just a (too large) length.
        self.assertEqual(exchange(self.server, b"ruok", handshake=True), [])

    def test_oversize_frame_keeps_the_session(self):
        s = self.session()
        s.send_raw(enc_int(zkwire.DEFAULT_JUTE_MAXBUFFER + 1) + b"x" * 100)
        self.assertIsNone(s.recv_frame())
        s.close()
        # Only the connection died: the session resumes on a new one.
        again = zkwire.Session(self.server.host, self.server.port, io_timeout_s=IO_TIMEOUT_S)
        resp = again.connect(session_id=s.session_id, passwd=s.passwd)
        self.assertEqual(resp.session_id, s.session_id)
        self.assertGreater(resp.timeout_ms, 0)
        self.assertEqual(again.call(zkwire.EXISTS, zkwire.path_watch_body("/")).err, 0)
        again.close_session()

    def test_undecodable_read_answers_marshalling_error(self):
        s = self.session()
        # getData whose path length claims more bytes than the frame holds.
        reply = s.call(zkwire.GET_DATA, enc_int(50) + b"/ab")
        self.assertEqual((reply.err, reply.trailing), (zkwire.MARSHALLING_ERROR, 0))
        # The connection stays usable.
        self.assertEqual(s.call(zkwire.EXISTS, zkwire.path_watch_body("/")).err, 0)
        s.close_session()

    def test_undecodable_write_answers_marshalling_error(self):
        s = self.session()
        reply = s.call(zkwire.CREATE, enc_int(50) + b"/ab")
        self.assertEqual((reply.err, reply.trailing), (zkwire.MARSHALLING_ERROR, 0))
        reply = s.call(zkwire.MULTI, enc_int(1) + b"\x00")
        self.assertEqual(reply.err, zkwire.MARSHALLING_ERROR)
        self.assertEqual(s.call(zkwire.EXISTS, zkwire.path_watch_body("/")).err, 0)
        s.close_session()

    def test_multi_with_a_read_and_multi_read_with_a_write(self):
        s = self.session()
        reply = s.call(zkwire.MULTI, zkwire.multi_body(
            [(zkwire.GET_DATA, zkwire.path_watch_body("/zookeeper"))]))
        self.assertEqual((reply.err, reply.trailing), (zkwire.MARSHALLING_ERROR, 0))
        reply = s.call(zkwire.MULTI_READ, zkwire.multi_body(
            [(zkwire.CREATE, zkwire.create_body("/bad_input_never"))]))
        # This error reply still carries a body: an empty multi response (its 9-byte end
        # marker {-1, true, -1}).
        self.assertEqual((reply.err, reply.trailing), (zkwire.MARSHALLING_ERROR, 9))
        self.assertEqual(s.call(zkwire.EXISTS, zkwire.path_watch_body("/bad_input_never")).err,
                         zkwire.NO_NODE)
        s.close_session()

    def test_null_path_answers_marshalling_error(self):
        s = self.session()
        reply = s.call(zkwire.EXISTS, zkwire.enc_string(None) + zkwire.enc_bool(False))
        self.assertEqual(reply.err, zkwire.MARSHALLING_ERROR)
        self.assertEqual(s.call(zkwire.EXISTS, zkwire.path_watch_body("/")).err, 0)
        s.close_session()

    def test_auth_with_unknown_scheme_closes_the_connection(self):
        s = self.session()
        reply = s.call(zkwire.AUTH, zkwire.auth_body("nosuchscheme", b"x"))
        self.assertEqual((reply.xid, reply.err), (zkwire.AUTH_XID, zkwire.AUTH_FAILED))
        self.assertTrue(s.wait_closed())

    def test_requests_split_byte_by_byte_and_batched(self):
        s = self.session()
        frames = b"".join(zkwire.request_frame(xid, zkwire.EXISTS,
                                               zkwire.path_watch_body("/zookeeper"))
                          for xid in (101, 102, 103))
        for i in range(len(frames) // 3):   # the first request one byte at a time
            s.send_raw(frames[i:i + 1])
        s.send_raw(frames[len(frames) // 3:])   # the rest in one write
        for xid in (101, 102, 103):
            reply = s.read_reply(zkwire.EXISTS, xid)
            self.assertEqual(reply.err, 0)
            self.assertEqual(reply.result.numChildren, 2)
        s.close_session()


class LimitsTest(unittest.TestCase):
    """A server with maxClientCnxns and a four-letter-word whitelist."""

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(name="limits", extra_cfg={
            "maxClientCnxns": MAX_CNXNS, "4lw.commands.whitelist": "ruok,srvr"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        # Every case starts with all connection slots free (else a refusal could pass for
        # the behaviour under test).
        self.assertEqual(self.server.four_letter("ruok"), "imok")

    def test_max_client_cnxns_per_ip(self):
        sessions = []
        try:
            for _ in range(MAX_CNXNS):
                s = zkwire.Session(self.server.host, self.server.port, io_timeout_s=IO_TIMEOUT_S)
                s.connect(timeout_ms=10000)
                sessions.append(s)
            extra = zkwire.Session(self.server.host, self.server.port,
                                   io_timeout_s=IO_TIMEOUT_S)
            try:
                with self.assertRaises(zkwire.ConnectionClosed):
                    extra.connect(timeout_ms=10000)
            except (BrokenPipeError, ConnectionResetError):
                pass   # the server hung up before our connect or handshake completed
            finally:
                extra.close()
            # The connections that were accepted still work.
            for s in sessions:
                self.assertEqual(s.call(zkwire.EXISTS, zkwire.path_watch_body("/")).err, 0)
            # Closing one frees a slot.
            sessions.pop().close_session()
            again = zkwire.Session(self.server.host, self.server.port)
            self.assertGreater(again.connect(timeout_ms=10000).timeout_ms, 0)
            sessions.append(again)
        finally:
            # closeSession and wait for the server to hang up: once we see that, the server
            # no longer counts the connection, so the next test starts with free slots.
            for s in sessions:
                s.close_session()

    def test_whitelist(self):
        self.assertEqual(self.server.four_letter("ruok"), "imok")
        self.assertIn("Mode: standalone", self.server.four_letter("srvr"))
        for cmd in ("stat", "conf", "mntr", "dump", "wchs", "envi"):
            self.assertEqual(self.server.four_letter(cmd),
                             "%s is not executed because it is not in the whitelist.\n" % cmd)

    def test_unknown_four_letter_word(self):
        # Not a known command: read as a frame length (far above jute.maxbuffer): closed.
        self.assertEqual(self.server.four_letter("abcd"), "")


if __name__ == "__main__":
    harness.main()
