"""Defect 6 of issue 10: a MemoryError while building a received message loses nothing.

Before the fix the core recorded an incoming QoS 2 packet id as delivered
before the shim had built the message's topic and payload objects; when that
raised ``MemoryError``, the next ``wait_msg()`` took the message for a
duplicate: never delivered, yet PUBREC and PUBCOMP were sent (the broker
counts it delivered). QoS 1 in the same situation was delivered later; it is
kept here as the control.

memory_error_delivery.py calls ``wait_msg()`` under ``micropython.heap_lock()``
with the message waiting (it must raise ``MemoryError``), then unlocks and
polls ``check_msg()``: the callback must get the message exactly once, and
the peer's publish must complete.
"""

import pytest


@pytest.mark.umqtt_timeout(40)
@pytest.mark.parametrize("qos", [1, 2], ids=["qos1-control", "qos2"])
def test_a_message_whose_objects_hit_memoryerror_is_delivered_exactly_once_afterwards(broker, mpy, ids, paho_peer,
                                                                                        qos):
    peer = paho_peer(broker)
    dev = mpy.start("memory_error_delivery.py", env=mpy.env(broker, ids, QOS=qos))
    dev.wait_line(r"^READY$", timeout=15)
    info = peer.publish(ids.topic, b"built under pressure", qos=qos, wait=False)
    dev.send_line("go")
    m = dev.wait_line(r"^LOCKED (\S+) (\d+)$", timeout=15)
    assert m.group(1) == "MemoryError", "wait_msg() with the heap locked: {}\n{}".format(m.group(1), dev.describe())
    got = dev.wait_line(r"^GOT (\d+) ", timeout=15)
    dev.wait_line(r"^END$", timeout=10)
    assert dev.wait(timeout=10) == 0, dev.describe()
    n = int(got.group(1))
    assert n == 1, "the QoS {} message reached the callback {} times after the MemoryError (expected once):\n{}".format(
        qos, n, dev.describe())
    assert "GOT 1 [b'built under pressure']" in dev.lines, dev.describe()
    peer.wait_published(info, timeout=10)
