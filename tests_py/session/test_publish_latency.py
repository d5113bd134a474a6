"""publish(qos=1) is not held back by the client's own previous small write.

The application note's pattern: a _thread loops wait_msg() while the main
thread publishes. Here the main thread publishes right after the client
acknowledged an incoming QoS 1 message (a 4-byte PUBACK). On loopback the
whole PUBLISH/PUBACK round trip takes well under a millisecond, so the median
of 20 such publish() calls is asserted under 10 ms. A client socket without
TCP_NODELAY holds the PUBLISH back (Nagle) until the broker's TCP
acknowledges the PUBACK, which a delayed ACK postpones by up to 40 ms.
"""

import threading

import mqtt_harness as h

N = 20
INTERVAL = 0.1


def test_publish_right_after_acknowledging_a_message_is_not_delayed(make_broker, mpy, ids, paho_peer, figures):
    broker = make_broker()
    peer = paho_peer(broker)
    dev = mpy.start("publish_latency.py", env=mpy.env(broker, ids, N=N))
    dev.wait_line(r"^READY$", timeout=15)
    stop = threading.Event()

    def stream():
        i = 0
        while not stop.wait(INTERVAL):
            peer.publish(ids.topic + "/in", b"tick%d" % i, qos=1, wait=False)
            i += 1

    t = threading.Thread(target=stream, daemon=True)
    t.start()
    try:
        m = dev.wait_line(r"^LAT ", timeout=60)
    finally:
        stop.set()
        t.join(timeout=5)
    median, p90, worst, received = map(int, m.string.split()[1:])
    figures("publish(qos=1) right after acknowledging an incoming QoS 1 message: median {:.1f} ms, "
            "p90 {:.1f} ms, max {:.1f} ms".format(median / 1000, p90 / 1000, worst / 1000))
    assert dev.wait(timeout=15) == 0, dev.describe()
    assert received >= N and "END" in dev.lines, dev.describe()
    assert median < 10000, (
        "publish(qos=1) right after the client sent a PUBACK took {:.1f} ms (median of {}): the "
        "PUBLISH waits in the client's socket (Nagle: no TCP_NODELAY) until the broker acknowledges "
        "the PUBACK".format(median / 1000, N))
