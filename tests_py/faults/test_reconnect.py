"""Reconnect policy, seen from the fault proxy.

- Back-off: after a cut the proxy refuses every new connection (accept, then
  RST) for a while; the client's attempts come 0.5-1 s after the loss, then
  1-2 s, then 2-4 s after the previous failed attempt (doubling, jittered
  into [d/2, d]); once the proxy forwards again the client gets in and
  reports "reconnect_success".
- disconnect() stops reconnecting: during the back-off the application calls
  disconnect(); no further attempt reaches the proxy, the wait_msg() thread
  gets an exception, get_mqttsta() is -1.
- A stall longer than the keep-alive (nothing forwarded either way, the TCP
  connection stays open) is noticed by the keep-alive, the client reconnects
  when traffic flows again, and a QoS 1 publish() made during the stall
  completes.
"""

import time

import faultproxy as fp
import mqtt_harness as h

# Attempt k waits [d/2, d] with d = 1 s * 2^k; margins for a busy machine.
SLACK = 0.6


def _device(broker, make_proxy, make_agent, ids, **env):
    proxy = make_proxy(broker)
    dev = make_agent(proxy.listen_host, proxy.port, ids.client_id, CLEAN=0, **env)
    dev.ok("connect")
    dev.ok("sub {} 1".format(ids.topic))
    dev.ok("listen")
    return proxy, dev


def test_backoff_doubles_between_failed_attempts(broker, make_proxy, make_agent, ids, figures):
    proxy, dev = _device(broker, make_proxy, make_agent, ids, TIMEOUT=5)
    n0 = len(proxy.attempts)       # the first connection
    proxy.set_mode("refuse")
    t_cut = time.monotonic()
    proxy.cut("reset")
    assert proxy.wait_for(lambda p: len(p.attempts) >= n0 + 3, 12), proxy.attempts
    proxy.set_mode("forward")
    dev.wait_errcb("reconnect_success", timeout=15)
    times = [t for t, mode in proxy.attempts[n0:]]
    gaps = [times[0] - t_cut, times[1] - times[0], times[2] - times[1]]
    figures("reconnect attempts after a cut: {} s apart (expected 0.5-1, 1-2, 2-4)".format(
        ", ".join("{:.2f}".format(g) for g in gaps)))
    for k, g in enumerate(gaps):
        lo, hi = 0.5 * 2 ** k, 1.0 * 2 ** k
        assert lo - 0.05 <= g <= hi + SLACK, "attempt {} came {:.2f} s after the previous ({}..{} s expected)".format(
            k + 1, g, lo, hi)
    assert [t for _, t in dev.errcb()] == ["reconnect_start", "reconnect_success"], dev.errcb()
    assert dev.ok("sta") == "0"


def test_disconnect_during_backoff_stops_reconnecting(broker, make_proxy, make_agent, ids):
    proxy, dev = _device(broker, make_proxy, make_agent, ids)
    proxy.set_mode("refuse")
    proxy.cut("reset")
    dev.wait_errcb("reconnect_start", timeout=10)
    assert proxy.wait_for(lambda p: len(p.attempts) >= 1, 5), "no reconnect attempt"
    dev.ok("disconnect")
    n_after = len(proxy.attempts)
    t_disc = time.monotonic()
    proxy.set_mode("forward")
    # The wait_msg() thread ends with an exception instead of reconnecting.
    assert dev.proc.wait_line(r"^LERR ", timeout=10)
    assert dev.ok("sta") == "-1"
    # Bounded look for stray attempts: longer than the next back-off step (1-2 s).
    h.wait_until(lambda: len(proxy.attempts) > n_after, 3.0)
    assert len(proxy.attempts) == n_after, "reconnect attempts after disconnect(): {}".format(
        [round(t - t_disc, 2) for t, _ in proxy.attempts[n_after:]])
    assert "reconnect_success" not in [t for _, t in dev.errcb()]
    assert len(proxy.connections) == 1


def test_stall_longer_than_keepalive_reconnects_and_completes_publish(broker, make_proxy, make_agent, paho_peer,
                                                                      ids):
    up = ids.topic + "/up"
    proxy, dev = _device(broker, make_proxy, make_agent, ids, KEEPALIVE=2, TIMEOUT=20)
    peer = paho_peer(broker)
    peer.subscribe(up, qos=1)
    t0 = time.monotonic()
    proxy.stall()
    dev.send("pub {} 1 {}".format(up, b"during-stall".hex()))
    dev.wait_errcb("reconnect_start", timeout=10)
    detected = time.monotonic() - t0
    assert detected <= 1.5 * 2 + 1.0, "stall noticed after {:.2f} s".format(detected)
    proxy.resume()
    dev.wait_errcb("reconnect_success", timeout=20)
    m = dev.proc.wait_line(r"^(OK|ERR) pub ", timeout=25)
    assert m.group(1) == "OK", m.string
    assert peer.wait_for(lambda ms: any(x.payload == b"during-stall" for x in ms), timeout=10), peer.messages()
    assert len(proxy.connections) == 2 and dev.ok("sta") == "0"


def test_short_stall_keeps_the_connection(broker, make_proxy, make_agent, paho_peer, ids):
    """A stall shorter than the PINGRESP grace (keepalive 4 s: 2 s) is not a lost connection."""
    down = ids.topic
    proxy, dev = _device(broker, make_proxy, make_agent, ids, KEEPALIVE=4)
    peer = paho_peer(broker)
    proxy.stall(duration=1.0)
    peer.publish(down, b"through-a-short-stall", qos=1)
    got = dev.wait_messages(1, topic=down, timeout=10)
    assert len(got) == 1 and got[0].time is not None
    dev.ok("ping")
    assert proxy.wait_for(lambda p: p.packet_counts(fp.DOWN)["PINGRESP"] >= 1, 5)
    assert len(proxy.connections) == 1 and not proxy.connections[0].closed
    assert dev.errcb() == []
