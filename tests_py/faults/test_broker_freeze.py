"""A frozen broker (SIGSTOP: the TCP connection stays open, nothing answers) is
found by the keep-alive within 1.5 x keepalive.

keepalive=2: the client sends PINGREQ after 1 s of quiet and gives the
PINGRESP 1 s, so the loss is noticed at most about 2 s after the last packet
from the broker; the bound asserted is 1.5 x 2 s = 3 s plus 0.5 s for process
scheduling on a busy machine. The detection time is measured from the
SIGSTOP to the device's own clock reading (time.time(), same host clock) when
it noticed, and printed.

- reconn=False: wait_msg() raises, and error_register_cb is told the error text.
- reconn=True: get_mqttsta() turns 1 and "reconnect_start" is reported; after
  SIGCONT the client reconnects ("reconnect_success", get_mqttsta() 0).
"""

import time

import pytest

import mqtt_harness as h

KEEPALIVE = 2
BOUND = 1.5 * KEEPALIVE + 0.5


def _connect(make_broker, make_agent, ids, **env):
    broker = make_broker()
    dev = make_agent(broker.host, broker.port, ids.client_id, KEEPALIVE=KEEPALIVE, TIMEOUT=3, **env)
    dev.ok("connect")
    dev.ok("sub {} 1".format(ids.topic))
    return broker, dev


def _freeze_after_pings(broker, dev, client_id):
    """Freeze once two keep-alive exchanges went through; return (wall, monotonic) of the SIGSTOP.
    (Counted in the broker's log: the client's own PINGRESPs no longer end wait_msg().)"""
    pingreq = "Received PINGREQ from {}".format(client_id)
    assert h.wait_until(lambda: broker.log_text().count(pingreq) >= 2, 10), broker.new_log()
    time.sleep(0.1)     # the PINGRESP on its way back
    t_wall, t_mono = time.time(), time.monotonic()
    broker.freeze()
    return t_wall, t_mono


def test_frozen_broker_makes_wait_msg_raise_with_reconn_false(make_broker, make_agent, ids, figures):
    broker, dev = _connect(make_broker, make_agent, ids, RECONN=0)
    dev.send("waitloop")
    t_wall, t_mono = _freeze_after_pings(broker, dev, ids.client_id)
    m = dev.proc.wait_line(r"^RAISED ", timeout=15)
    seen = time.monotonic() - t_mono
    _, t_raised, exc = m.string.split(" ", 2)
    detection = float(t_raised) - t_wall
    figures("keep-alive detection (keepalive={} s, reconn=False): {:.2f} s after SIGSTOP (seen by pytest "
            "after {:.2f} s): {}".format(KEEPALIVE, detection, seen, exc))
    assert detection <= BOUND, "wait_msg() raised {:.2f} s after the freeze (bound {} s)".format(detection, BOUND)
    assert exc.startswith(("MQTTException", "OSError")), exc
    errs = dev.errcb()
    assert errs, "error_register_cb was not called\n" + dev.describe()
    assert errs[-1][0] - t_wall <= BOUND + 0.5 and errs[-1][1] not in ("reconnect_start", "reconnect_success")
    assert len(errs[-1][1]) > 0
    assert dev.proc.wait_line(r"^OK waitloop", timeout=5)
    assert dev.ok("sta") != "0"
    broker.thaw()


def test_frozen_broker_starts_reconnect_with_reconn_true(make_broker, make_agent, ids, figures):
    broker, dev = _connect(make_broker, make_agent, ids, RECONN=1, PKT=1)
    dev.ok("listen")
    t_wall, t_mono = _freeze_after_pings(broker, dev, ids.client_id)
    t_sta = float(dev.ok("watchsta 0 1 15000", timeout=20))
    detection = t_sta - t_wall
    dev.wait_errcb("reconnect_start", timeout=5)
    starts = [t for t, text in dev.errcb() if text == "reconnect_start"]
    figures("keep-alive detection (keepalive={} s, reconn=True): get_mqttsta() 1 after {:.2f} s, "
            "reconnect_start after {:.2f} s".format(KEEPALIVE, detection, starts[0] - t_wall if starts else -1))
    assert detection <= BOUND, "get_mqttsta() turned 1 {:.2f} s after the freeze (bound {} s)".format(
        detection, BOUND)
    assert starts and starts[0] - t_wall <= BOUND, dev.errcb()

    broker.thaw()
    dev.wait_errcb("reconnect_success", timeout=30)
    assert [t for _, t in dev.errcb()] == ["reconnect_start", "reconnect_success"], dev.errcb()
    assert dev.ok("watchsta 1 0 5000")
    assert dev.ok("sta") == "0"
    # The connection works again.
    dev.ok("pub {} 1 {}".format(ids.topic, b"after-thaw".hex()), timeout=15)
    _, sha, _ = h.message_digest(b"after-thaw")
    got = dev.wait_messages(1, topic=ids.topic, timeout=10)
    assert [g.sha256 for g in got] == [sha]
