"""Defect 1 of issue 10: every network wait is bounded.

- ``publish()`` with ``reconn=True`` and ``timeout=2`` while the broker is gone
  for good (its process killed, so the port refuses; or, through the fault
  proxy, every new connection accepted and never answered) comes back within
  ``timeout + 1.5 s`` at every QoS; at QoS 1 it raises ``OSError(ETIMEDOUT)``.
  Before the fix a QoS 1/2 publish (and a QoS 0 one once a write fails) sat in
  the reconnect loop for ever.
- ``connect()`` to a server that never completes the handshake raises within
  ``timeout + 1.5 s``: a listener whose accept queue is full (the kernel
  does not complete the TCP handshake), a server that accepts and never
  sends a byte, and the two in a row (TCP connect completes late, then no
  CONNACK): one deadline covers TCP connect and CONNACK together. The first
  two pass on the old firmware too (its TCP connect and its CONNACK wait are
  each bounded by ``timeout``); the third shows that they were not bounded
  together.

Times are measured inside the script with ``time.ticks_ms``.
"""

import socket
import threading
import time

import pytest

import mqtt_harness as h

TIMEOUT = 2
BOUND_MS = TIMEOUT * 1000 + 1500
N_PUB = 3


def _wait_pub(dev, i, qos):
    try:
        m = dev.wait_line(r"^PUB {} (\d+) (.*)$".format(i), timeout=BOUND_MS / 1000.0 + 6)
    except AssertionError as e:
        raise AssertionError("publish #{} at QoS {} did not come back within {:.1f} s (bound {} ms):\n{}".format(
            i + 1, qos, BOUND_MS / 1000.0 + 6, BOUND_MS, e)) from None
    return int(m.group(1)), m.group(2)


@pytest.mark.umqtt_timeout(60)
@pytest.mark.parametrize("how,qos", [("stopped", 0), ("stopped", 1), ("stopped", 2), ("blackhole", 1)],
                         ids=["broker-stopped-qos0", "broker-stopped-qos1", "broker-stopped-qos2",
                              "never-answers-qos1"])
def test_publish_comes_back_within_timeout_plus_1_5_s_while_the_broker_is_gone(make_broker, make_proxy, mpy,
                                                                              ids, how, qos):
    broker = make_broker()
    if how == "stopped":
        host, port = broker.host, broker.port
    else:
        proxy = make_proxy(broker)
        host, port = proxy.listen_host, proxy.port
    dev = mpy.start("offline_publish.py", env=dict(
        MQTT_HOST=host, MQTT_PORT=port, MQTT_CLIENT_ID=ids.client_id, MQTT_TOPIC=ids.topic,
        QOS=qos, TIMEOUT=TIMEOUT, N_PUB=N_PUB))
    dev.wait_line(r"^READY$", timeout=15)
    if how == "stopped":
        broker.kill()
    else:
        proxy.set_mode("blackhole")     # reconnects: TCP accepted, CONNECT never answered
        proxy.cut("reset")
    dev.send_line("GO")
    results = [_wait_pub(dev, i, qos) for i in range(N_PUB)]
    slow = [(i + 1, ms, out) for i, (ms, out) in enumerate(results) if ms > BOUND_MS]
    assert not slow, "publish at QoS {} took longer than {} ms: {}\n{}".format(qos, BOUND_MS, slow, dev.describe())
    if qos == 1:
        # QuecPython's face: OSError(ETIMEDOUT) when the message could not be
        # sent, False when it was written (before the loss was noticed) and
        # stays in flight for the reconnect. Never True, never silence.
        wrong = [(i + 1, out) for i, (ms, out) in enumerate(results) if out not in ("OSError 110", "RETURNED False")]
        assert not wrong, "QoS 1 publish while offline must raise OSError(ETIMEDOUT) or return False: {}\n{}".format(
            wrong, dev.describe())
    dev.wait_line(r"^END$", timeout=5)
    assert dev.wait(timeout=10) == 0, dev.describe()


class _Listener:
    """A loopback listener that never accepts (backlog 0, held full by one
    filler connection, so the kernel completes no further handshake) or that
    accepts every connection and never sends a byte."""

    def __init__(self, accept):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((h.LOOPBACK, 0))
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.filler = None
        self.stop = threading.Event()
        if accept:
            self.sock.listen(8)
            self.sock.settimeout(0.05)
            self.thread = threading.Thread(target=self._accept_loop, daemon=True)
            self.thread.start()
        else:
            self.sock.listen(0)
            self.thread = None
            self.filler = socket.create_connection((h.LOOPBACK, self.port), timeout=2)
            # The queue is full now: a second connection does not complete.
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probe.settimeout(0.5)
            try:
                probe.connect((h.LOOPBACK, self.port))
                full = False
            except OSError:
                full = True
            finally:
                probe.close()
            assert full, "this kernel completes connections beyond the listen backlog: cannot test"

    def _accept_loop(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            self.conns.append(conn)

    def free_one(self):
        """Take the filler out of the accept queue: the next SYN gets in (and is never accepted)."""
        conn, _ = self.sock.accept()
        self.conns.append(conn)

    def close(self):
        self.stop.set()
        if self.thread:
            self.thread.join(5)
        for s in self.conns + [self.filler, self.sock]:
            if s is not None:
                s.close()


@pytest.fixture
def listener():
    made = []

    def make(accept):
        l = _Listener(accept)
        made.append(l)
        return l

    yield make
    for l in made:
        l.close()


def _connect_outcome(dev, timeout):
    try:
        m = dev.wait_line(r"^CONNECT (\d+) (.*)$", timeout=timeout)
    except AssertionError as e:
        raise AssertionError("connect() did not come back within {} s:\n{}".format(timeout, e)) from None
    return int(m.group(1)), m.group(2)


@pytest.mark.umqtt_timeout(40)
@pytest.mark.parametrize("accept", [False, True], ids=["never-accepts", "accepts-never-answers"])
def test_connect_raises_within_timeout_plus_1_5_s_when_the_server_never_answers(listener, mpy, ids, accept):
    l = listener(accept)
    dev = mpy.start("connect_deadline.py", env=dict(MQTT_HOST=h.LOOPBACK, MQTT_PORT=l.port,
                                                   MQTT_CLIENT_ID=ids.client_id, TIMEOUT=TIMEOUT))
    ms, out = _connect_outcome(dev, BOUND_MS / 1000.0 + 10)
    assert out != "OK", dev.describe()
    assert ms <= BOUND_MS, "connect() raised after {} ms (bound {} ms): {}".format(ms, BOUND_MS, out)
    assert dev.wait(timeout=10) == 0, dev.describe()


@pytest.mark.umqtt_timeout(40)
def test_connect_has_one_deadline_for_a_slow_tcp_connect_and_a_connack_that_never_comes(listener, mpy, ids):
    # timeout=4: while the listener's accept queue is full the kernel does
    # not complete the client's TCP handshake; the queue is freed 2.2 s in and
    # the handshake completes at the next retransmission (about 3 s in on
    # Linux), then the CONNECT is never answered. One 4 s deadline for the
    # whole connect(): raised about 4 s in (bound 5.5 s). A fresh `timeout`
    # for the CONNACK after the TCP connect: raised about 7 s in.
    timeout = 4
    bound = timeout * 1000 + 1500
    l = listener(False)
    dev = mpy.start("connect_deadline.py", env=dict(MQTT_HOST=h.LOOPBACK, MQTT_PORT=l.port,
                                                   MQTT_CLIENT_ID=ids.client_id, TIMEOUT=timeout))
    dev.wait_line(r"^START$", timeout=15)
    time.sleep(2.2)
    l.free_one()
    ms, out = _connect_outcome(dev, bound / 1000.0 + 10)
    assert out != "OK", dev.describe()
    assert ms <= bound, "connect() raised after {} ms, past its {} s timeout + 1.5 s: {}".format(ms, timeout, out)
    assert dev.wait(timeout=10) == 0, dev.describe()
