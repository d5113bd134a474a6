"""A scripted MQTT "broker" for the authentication tests (CPython, loopback).

It records every CONNECT it receives, decoded field by field (``connects``:
protocol name and level, the flag bits, client id, user name, password, each
as bytes or None when its flag is clear), answers each with a CONNACK whose
return code is the next of ``codes`` (0 once they are used up), closes the
connection after a refusal, and otherwise answers PINGREQ and closes on
DISCONNECT or EOF. Sockets time out; it stops by itself ``max_lifetime``
seconds after ``start()``.
"""

import select
import socket
import struct
import threading
import time

LOOPBACK = "127.0.0.1"


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("closed after {} of {} bytes".format(len(buf), n))
        buf += chunk
    return buf


def read_packet(sock):
    """(first byte, body) of the next MQTT packet."""
    first = _recv_exact(sock, 1)[0]
    length, shift = 0, 0
    for _ in range(4):
        b = _recv_exact(sock, 1)[0]
        length |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    return first, _recv_exact(sock, length)


def parse_connect(body):
    """The fields of a CONNECT body (MQTT 3.1 / 3.1.1)."""
    pos = 0

    def field():
        nonlocal pos
        (n,) = struct.unpack_from("!H", body, pos)
        value = body[pos + 2:pos + 2 + n]
        if len(value) != n:
            raise ValueError("field runs past the packet end")
        pos += 2 + n
        return bytes(value)

    proto = field()
    level, flags = body[pos], body[pos + 1]
    (keepalive,) = struct.unpack_from("!H", body, pos + 2)
    pos += 4
    d = {"protocol": proto, "level": level, "flags": flags, "keepalive": keepalive,
         "user_flag": bool(flags & 0x80), "password_flag": bool(flags & 0x40),
         "will_flag": bool(flags & 0x04), "clean_session": bool(flags & 0x02)}
    d["client_id"] = field()
    if d["will_flag"]:
        d["will_topic"], d["will_message"] = field(), field()
    d["user"] = field() if d["user_flag"] else None
    d["password"] = field() if d["password_flag"] else None
    d["trailing"] = bytes(body[pos:])
    return d


class FakeConnackBroker:
    def __init__(self, codes=(), max_lifetime=60.0):
        self.codes = list(codes)
        self.connects = []
        self.errors = []
        self.max_lifetime = max_lifetime
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._threads = []
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((LOOPBACK, 0))
        self.listener.listen(8)
        self.listener.settimeout(0.05)
        self.host = LOOPBACK
        self.port = self.listener.getsockname()[1]

    def start(self):
        self._deadline = time.monotonic() + self.max_lifetime
        self._spawn(self._accept_loop)
        return self

    def _spawn(self, fn, *args):
        t = threading.Thread(target=fn, args=args, daemon=True)
        self._threads.append(t)
        t.start()

    def _running(self):
        return not self._stop.is_set() and time.monotonic() < self._deadline

    def _accept_loop(self):
        while self._running():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            self._spawn(self._serve, conn)

    def _serve(self, conn):
        conn.settimeout(5)
        try:
            first, body = self._read(conn)
            if first != 0x10:
                raise ValueError("first packet 0x{:02x}, not CONNECT".format(first))
            d = parse_connect(body)
            with self._cond:
                code = self.codes.pop(0) if self.codes else 0
                d["answered"] = code
                self.connects.append(d)
                self._cond.notify_all()
            conn.sendall(bytes([0x20, 0x02, 0x00, code]))
            if code != 0:
                return
            while True:
                first, body = self._read(conn)
                if first == 0xC0:
                    conn.sendall(b"\xd0\x00")
                elif first == 0xE0:
                    return
        except EOFError:
            return
        except Exception as e:  # recorded for the test's message
            self.errors.append(repr(e))
        finally:
            conn.close()

    def _read(self, conn):
        # Wait for the packet's first byte in short slices (so stop() is
        # quick), then read it whole with a timeout.
        while self._running():
            readable, _, _ = select.select([conn], [], [], 0.05)
            if readable:
                return read_packet(conn)
        raise EOFError("fake broker stopping")

    def wait_connects(self, n, timeout=10.0):
        with self._cond:
            self._cond.wait_for(lambda: len(self.connects) >= n, timeout=timeout)
            return list(self.connects)

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        self.listener.close()
