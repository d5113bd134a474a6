"""Bounded in-flight window: a publish beyond max_inflight waits for a free
slot until its timeout, then raises OSError(ETIMEDOUT) unsent: not unbounded
memory or a silent loss (the broker here never acknowledges)."""

import re
import socket
import threading
from pathlib import Path

import mqtt_harness as h

HERE = Path(__file__).resolve().parent


def silent_broker():
    """Accepts one client, answers CONNECT with CONNACK, then only reads."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((h.LOOPBACK, 0))
    srv.listen(1)
    srv.settimeout(20)
    received = []

    def run():
        try:
            conn, _ = srv.accept()
            with conn:
                conn.settimeout(20)
                conn.recv(1024)                     # CONNECT
                conn.sendall(b"\x20\x02\x00\x00")
                while True:
                    data = conn.recv(4096)
                    if not data:
                        break
                    received.append(data)
        except OSError:
            pass
        finally:
            srv.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return srv.getsockname()[1], received, t


def test_a_full_inflight_window_waits_until_the_timeout_and_nothing_else_breaks(firmware):
    port, received, thread = silent_broker()
    result = h.run_mpy(firmware, HERE / "window_full.py", env={"FAKE_PORT": str(port)}, timeout=30)
    thread.join(10)
    out = result.stdout
    assert result.returncode == 0, result.describe()
    assert "FIRST OSError 110" in out, out                        # ETIMEDOUT, still in flight
    m = re.search(r"SECOND OSError 110 after (\d+) ms", out)
    assert m, out
    assert 400 <= int(m.group(1)) <= 1500, "waited for a free slot up to timeout=0.5 s: " + out
    assert "QOS0 OK" in out and "ARG ValueError" in out and "ALIVE" in out, out
    sent = b"".join(received)
    assert b"first" in sent and b"second" not in sent and b"qos0 still fine" in sent, sent
