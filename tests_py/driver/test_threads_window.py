"""Defect 9 of issue 10: a full in-flight window waits for a free slot.

Before the fix a QoS 1/2 publish beyond the in-flight window (16) raised
"too many messages in flight" at once: with 20 threads publishing, hundreds of
2,000 calls raised. Now a full window makes the call wait for a free slot,
bounded by ``timeout``.

threads_window.py: 20 ``_thread``s each publish 100 QoS 1 messages on one
client (max_inflight=16, timeout=10). Pass: no call raises and all 2,000
distinct payloads reach the paho peer. The broker's queue toward the peer
is unlimited (``max_queued_messages 0``): with mosquitto's default of 1,000 a
peer slowed by a loaded machine loses messages at the broker, not ours.

(tests_py/limits/window_full.py checks the bound: a full window waits until
``timeout``, then raises OSError(ETIMEDOUT) with the message unsent.)
"""

import threading
import time

import pytest

N_THREADS = 20
PER_THREAD = 100


@pytest.mark.umqtt_timeout(90)
def test_twenty_threads_publishing_2000_qos1_messages_through_a_16_message_window_all_succeed(make_broker, mpy, ids,
                                                                                                paho_peer):
    broker = make_broker(extra_config=["max_queued_messages 0"])
    peer = paho_peer(broker)
    peer.subscribe(ids.topic, qos=1)
    dev = mpy.start("threads_window.py", env=mpy.env(broker, ids, N_THREADS=N_THREADS, PER_THREAD=PER_THREAD))
    m = dev.wait_line(r"^DONE (\d+) (\d+) (\d+)$", timeout=75)
    dev.wait_line(r"^END$", timeout=10)
    assert dev.wait(timeout=10) == 0, dev.describe()
    finished, raised, ms = int(m.group(1)), int(m.group(2)), int(m.group(3))
    assert finished == N_THREADS, "only {} of {} threads finished within 60 s\n{}".format(
        finished, N_THREADS, dev.describe())
    assert raised == 0, "{} of {} publish() calls raised with the window full:\n{}".format(
        raised, N_THREADS * PER_THREAD, dev.describe())
    expected = {"t{:02d}:{:03d}".format(k, i).encode() for k in range(N_THREADS) for i in range(PER_THREAD)}
    peer.wait_for(lambda msgs: expected <= {x.payload for x in msgs}, timeout=15)
    got = {x.payload for x in peer.messages()}
    missing = expected - got
    assert not missing, "{} of {} messages never reached the peer (first: {})".format(
        len(missing), len(expected), sorted(missing)[:5])
    assert got <= expected, "unexpected payloads at the peer: {}".format(sorted(got - expected)[:5])


@pytest.mark.umqtt_timeout(120)
def test_more_threads_than_the_window_through_connection_cuts_lose_no_accepted_message(make_broker, make_proxy, mpy,
                                                                                        ids, paho_peer, figures):
    # Issue 14, part 4: every message publish() accepted (returned True, or
    # False: in flight, re-sent after the reconnect) reaches the peer; only
    # those whose publish() raised were not sent.
    broker = make_broker(extra_config=["max_queued_messages 0"])
    proxy = make_proxy(broker)
    peer = paho_peer(broker)
    peer.subscribe(ids.topic, qos=1)
    env = mpy.env(broker, ids, N_THREADS=N_THREADS, PER_THREAD=PER_THREAD, TIMEOUT=3, SETTLE_MS=4000)
    env["MQTT_PORT"] = proxy.port
    dev = mpy.start("threads_window.py", env=env)
    stop = threading.Event()

    def cutter():
        # Five cuts, each once the client is back (a connection that got its CONNACK).
        for _ in range(5):
            while not stop.is_set() and not any(c.packets["down"]["CONNACK"] for c in proxy.connections
                                                 if not c.closed):
                time.sleep(0.02)
            if stop.wait(0.25):
                return
            proxy.cut("reset")

    t = threading.Thread(target=cutter, daemon=True)
    t.start()
    try:
        m = dev.wait_line(r"^DONE (\d+) (\d+) (\d+)$", timeout=90)
        dev.wait_line(r"^END$", timeout=20)
        assert dev.wait(timeout=10) == 0, dev.describe()
    finally:
        stop.set()
        t.join(5)
    finished, raised = int(m.group(1)), int(m.group(2))
    assert finished == N_THREADS, dev.describe()
    lines = dev.stdout.splitlines()
    unsent = {l.split()[1].encode() for l in lines if l.startswith("UNSENT ")}
    in_flight = [int(l.split()[1]) for l in lines if l.startswith("INFLIGHT ")][0]
    assert len(unsent) == raised
    expected = {"t{:02d}:{:03d}".format(k, i).encode() for k in range(N_THREADS) for i in range(PER_THREAD)} - unsent
    peer.wait_for(lambda msgs: expected <= {x.payload for x in msgs}, timeout=20)
    missing = expected - {x.payload for x in peer.messages()}
    figures("threads through cuts: {} cuts, {} calls raised (unsent), {} returned False (in flight), "
            "{} accepted messages missing".format(len(proxy.cuts), raised, in_flight, len(missing)))
    assert not missing, "{} accepted messages never reached the peer (first: {})".format(
        len(missing), sorted(missing)[:5])
