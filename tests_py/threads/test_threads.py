"""A _thread blocked in wait_msg() while the main thread publishes QoS 1."""

import pytest


def expected_payload(i):
    return ("m{:04d}:".format(i) + "abcdefghij" * (i % 13)).encode()


@pytest.mark.parametrize("n_in", [0, 200], ids=["publish-only", "with-inbound-traffic"])
def test_1000_qos1_publishes_while_a_thread_waits(broker, mpy, ids, paho_peer, n_in):
    n_pub = 1000
    peer = paho_peer(broker)
    peer.subscribe(ids.topic + "/out", qos=1)
    dev = mpy.start("publish_while_waiting.py", env=mpy.env(broker, ids, N_PUB=n_pub, N_IN=n_in))
    dev.wait_line(r"^READY$", timeout=15)
    sent_in = []
    infos = []
    for i in range(n_in):
        payload = "in-{:04d}".format(i)
        infos.append(peer.publish(ids.topic + "/in", payload, qos=1, wait=False))
        sent_in.append(payload)
    for info in infos:
        peer.wait_published(info, timeout=30)
    rc = dev.wait(timeout=90)
    assert rc == 0, dev.describe()
    lines = dev.lines
    assert "PUBLISHED {} 0".format(n_pub) in lines, dev.describe()
    assert "LISTENER_ERRORS 0" in lines, dev.describe()
    assert [l[3:] for l in lines if l.startswith("IN ")] == sorted(sent_in), dev.describe()
    assert lines[-1] == "END", dev.describe()

    msgs = peer.wait_messages(n_pub, topic=ids.topic + "/out", timeout=15)
    payloads = [m.payload for m in msgs]
    expected = [expected_payload(i) for i in range(n_pub)]
    assert len(payloads) == n_pub, "{} of {} messages arrived".format(len(payloads), n_pub)
    assert sorted(payloads) == sorted(expected), "payloads differ (corrupted or duplicated)"
    # One publisher, one topic, one QoS: the broker keeps the order.
    assert payloads == expected, "messages arrived out of order"
    assert all(m.qos == 1 for m in msgs)
