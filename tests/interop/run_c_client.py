#!/usr/bin/python3
# Starts a server through the harness and runs the C-client test program against it.
# Usage: run_c_client.py --c-binary PATH (--server zookeeper | --server ringkeeper --binary PATH)
import argparse
import base64
import hashlib
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

RUN_TIMEOUT_S = 120


def digest_id(user, password):
    """The id ZooKeeper's digest scheme stores: user:base64(sha1(user:password))."""
    sha = hashlib.sha1(("%s:%s" % (user, password)).encode()).digest()
    return "%s:%s" % (user, base64.b64encode(sha).decode())


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    harness.add_server_args(parser)
    parser.add_argument("--c-binary", required=True, help="the built c_client_test program")
    args = parser.parse_args()
    harness.check_server_args(parser, args)
    server = harness.Server(args.server, args.binary, name="c-client")
    server.start()
    try:
        proc = subprocess.run([args.c_binary, server.hostport, digest_id("alice", "secret")],
                              timeout=RUN_TIMEOUT_S)
        ok = proc.returncode == 0
        if not ok:
            server.print_log("c_client_test exited with %d" % proc.returncode)
    except subprocess.TimeoutExpired:
        ok = False
        server.print_log("c_client_test did not finish in %ds" % RUN_TIMEOUT_S)
    finally:
        server.stop()
    print("c client test: %s against %s" % ("PASSED" if ok else "FAILED", args.server))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
