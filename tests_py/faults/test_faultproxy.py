"""The fault proxy itself (CPython only, no firmware, no broker): a plain TCP
server behind it receives exactly what the fault plan says."""

import socket
import threading
import time

import pytest

import faultproxy as fp
import mqtt_harness as h

PINGREQ = b"\xc0\x00"


def publish(topic, payload, pid=None):
    body = len(topic).to_bytes(2, "big") + topic + (pid.to_bytes(2, "big") if pid else b"") + payload
    first = 0x32 if pid else 0x30
    n = len(body)
    length = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        length.append(b | (0x80 if n else 0))
        if not n:
            break
    return bytes([first]) + bytes(length) + body


class Sink:
    """A TCP server on loopback that records what each connection sent, chunk by chunk."""

    def __init__(self):
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind((h.LOOPBACK, 0))
        self.srv.listen(4)
        self.srv.settimeout(10)
        self.port = self.srv.getsockname()[1]
        self.chunks = []
        self.ended = threading.Event()
        self.conn = None
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        try:
            self.conn, _ = self.srv.accept()
            self.conn.settimeout(10)
            while True:
                data = self.conn.recv(65536)
                if not data:
                    break
                self.chunks.append(data)
        except OSError:
            pass
        finally:
            self.ended.set()

    @property
    def data(self):
        return b"".join(self.chunks)

    def close(self):
        for s in (self.conn, self.srv):
            if s is not None:
                s.close()


@pytest.fixture
def sink():
    s = Sink()
    yield s
    s.close()


@pytest.fixture
def proxy(sink):
    p = fp.FaultProxy(sink.port, max_lifetime=60).start()
    yield p
    p.stop()


def client(proxy):
    c = socket.create_connection((h.LOOPBACK, proxy.port), timeout=5)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return c


def test_cut_inside_the_nth_packet(proxy, sink):
    p1, p2 = publish(b"a/b", b"x" * 50, pid=1), publish(b"a/b", b"y" * 50, pid=2)
    proxy.cut_on_packet(fp.UP, "PUBLISH", nth=2, offset=5, how="reset")
    c = client(proxy)
    c.sendall(p1 + p2 + PINGREQ)
    assert sink.ended.wait(5)
    assert sink.data == p1 + p2[:5]
    cut = proxy.cuts[0]
    assert (cut["direction"], cut["packet"], cut["offset"], cut["total"], cut["mid_packet"]) == (
        fp.UP, "PUBLISH", 5, len(p2), True)
    recs = proxy.records(fp.UP)
    assert [(r.name, r.complete) for _, r in recs] == [("PUBLISH", True), ("PUBLISH", False)]
    assert recs[0][1].publish_id() == 1 and recs[1][1].head == p2[:5]
    c.close()


def test_cut_after_a_packet_and_at_a_total_byte_count(sink):
    with fp.FaultProxy(sink.port) as proxy:
        proxy.cut_at_total(7, how="close")
        c = client(proxy)
        c.sendall(PINGREQ * 10)
        assert sink.ended.wait(5)
        assert sink.data == (PINGREQ * 10)[:7]
        assert proxy.cuts[0]["mid_packet"] is True and proxy.cuts[0]["packet"] == "PINGREQ"
        c.close()


def test_trickle_one_byte_at_a_time(proxy, sink):
    proxy.trickle(fp.UP, chunk=1, delay=0.002)
    c = client(proxy)
    msg = publish(b"t", b"0123456789")
    c.sendall(msg)
    assert h.wait_until(lambda: sink.data == msg, 5)
    assert all(len(x) == 1 for x in sink.chunks), [len(x) for x in sink.chunks]
    assert proxy.trickled[fp.UP] == len(msg)
    c.close()


def test_hold_before_a_packet_until_resume(proxy, sink):
    p1 = publish(b"t", b"one")
    proxy.hold_on_packet(fp.UP, "PINGREQ")
    c = client(proxy)
    c.sendall(p1 + PINGREQ + p1)
    assert h.wait_until(lambda: sink.data == p1, 5)
    h.wait_until(lambda: len(sink.data) > len(p1), 0.3)     # bounded look: nothing more passes
    assert sink.data == p1
    proxy.resume()
    assert h.wait_until(lambda: sink.data == p1 + PINGREQ + p1, 5), sink.data
    c.close()


def test_stall_ends_by_itself(proxy, sink):
    proxy.stall(fp.UP, duration=0.5)
    c = client(proxy)
    t0 = time.monotonic()
    c.sendall(PINGREQ)
    assert h.wait_until(lambda: sink.data == PINGREQ, 5)
    assert time.monotonic() - t0 >= 0.4
    c.close()


def test_refuse_mode_resets_new_connections(proxy):
    proxy.set_mode("refuse")
    data = b""
    try:
        c = client(proxy)
        try:
            data = c.recv(10)
        finally:
            c.close()
    except ConnectionResetError:
        pass
    assert data == b""
    assert proxy.wait_for(lambda p: p.attempts, 5)
    assert proxy.attempts[0][1] == "refuse" and proxy.connections == []


def test_loopback_only_and_bounded_lifetime(sink):
    with pytest.raises(ValueError):
        fp.FaultProxy(sink.port, target_host="192.0.2.1")
    with pytest.raises(ValueError):
        fp.FaultProxy(sink.port, listen_host="0.0.0.0")
    p = fp.FaultProxy(sink.port, max_lifetime=0.3).start()
    try:
        assert p._stopping.wait(3), "the proxy did not stop by itself"
    finally:
        p.stop()
