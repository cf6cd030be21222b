#!/usr/bin/env python3
"""Move a known byte stream each way over TCP and verify it by SHA-256.

    xfer.py serve ADDR PORT CONNECTIONS   answer CONNECTIONS requests, then exit
    xfer.py client ADDR PORT BYTES        upload BYTES, then download BYTES; print a line per
                                          direction with its rate; exit 1 on any mismatch

Request: one byte, b"U" (upload) or b"D" (download), then the byte count as 8 bytes big-endian.
Upload: the client sends the bytes and half-closes; the server answers with the SHA-256 of
what it received. Download: the server sends the bytes and closes; the client checks the
SHA-256 against the stream it expected. Both sides generate the same stream from a seed, so a
corrupted, truncated or reordered byte anywhere is caught.
"""

import hashlib
import random
import socket
import struct
import sys
import time

SEED = 2637  # RFC 2637
CHUNK = 65536
TIMEOUT = 120.0


def stream(nbytes):
    """The deterministic test stream, in chunks."""
    rng = random.Random(SEED)
    left = nbytes
    while left > 0:
        n = min(CHUNK, left)
        yield rng.randbytes(n)
        left -= n


def expected_digest(nbytes):
    h = hashlib.sha256()
    for chunk in stream(nbytes):
        h.update(chunk)
    return h.hexdigest()


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        part = sock.recv(n - len(buf))
        if not part:
            raise ConnectionError(f"peer closed after {len(buf)} of {n} bytes")
        buf += part
    return buf


def recv_digest(sock, limit):
    h = hashlib.sha256()
    got = 0
    while True:
        part = sock.recv(CHUNK)
        if not part:
            return got, h.hexdigest()
        got += len(part)
        if got > limit:
            raise ValueError(f"received more than the {limit} bytes announced")
        h.update(part)


def serve(addr, port, connections):
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((addr, port))
    lsock.listen(4)
    lsock.settimeout(TIMEOUT * 2)
    for _ in range(connections):
        conn, peer = lsock.accept()
        with conn:
            conn.settimeout(TIMEOUT)
            mode, nbytes = struct.unpack("!cQ", recv_exact(conn, 9))
            if mode == b"U":
                got, digest = recv_digest(conn, nbytes)
                conn.sendall(f"{got} {digest}\n".encode())
            elif mode == b"D":
                for chunk in stream(nbytes):
                    conn.sendall(chunk)
            else:
                print(f"xfer: unknown request {mode!r} from {peer}", file=sys.stderr)
                return 1
            print(f"xfer: served {mode.decode()} of {nbytes} bytes to {peer[0]}")
    return 0


def connect(addr, port):
    sock = socket.create_connection((addr, port), timeout=TIMEOUT)
    sock.settimeout(TIMEOUT)
    return sock


def client(addr, port, nbytes):
    want = expected_digest(nbytes)
    ok = True

    with connect(addr, port) as sock:
        start = time.monotonic()
        sock.sendall(struct.pack("!cQ", b"U", nbytes))
        for chunk in stream(nbytes):
            sock.sendall(chunk)
        sock.shutdown(socket.SHUT_WR)
        answer = recv_exact_line(sock)
        secs = time.monotonic() - start
        got, digest = answer.split()
        good = int(got) == nbytes and digest == want
        ok &= good
        report("upload", nbytes, int(got), secs, good)

    with connect(addr, port) as sock:
        start = time.monotonic()
        sock.sendall(struct.pack("!cQ", b"D", nbytes))
        got, digest = recv_digest(sock, nbytes)
        secs = time.monotonic() - start
        good = got == nbytes and digest == want
        ok &= good
        report("download", nbytes, got, secs, good)

    return 0 if ok else 1


def recv_exact_line(sock):
    buf = b""
    while not buf.endswith(b"\n"):
        part = sock.recv(256)
        if not part:
            raise ConnectionError("peer closed before answering the upload")
        buf += part
    return buf.decode().strip()


def report(direction, want, got, secs, good):
    rate = got / secs / 1e6 if secs > 0 else 0.0
    verdict = "sha256 ok" if good else f"MISMATCH (got {got} of {want} bytes, digest differs)"
    print(f"{direction}: {got} bytes in {secs:.2f}s ({rate:.2f} MB/s), {verdict}")


def main(argv):
    try:
        if len(argv) == 5 and argv[1] == "serve":
            return serve(argv[2], int(argv[3]), int(argv[4]))
        if len(argv) == 5 and argv[1] == "client":
            return client(argv[2], int(argv[3]), int(argv[4]))
    except (OSError, ValueError) as e:
        print(f"xfer: {e}", file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
