"""The MicroPython heap: publishing allocates nothing, receiving only the message.

- QoS 0 and QoS 1 publishes of bytes payloads (to str and bytes topics,
  positional and keyword calls) run with ``micropython.heap_lock()`` held
  around a loop of 200 after a warm-up: any allocation would raise
  MemoryError, and gc.mem_alloc() must not grow.
- Per received message (QoS 0, 1, 2) the heap grows by exactly the topic and
  payload objects given to the callback.

bench/run.py reports the same figures next to umqtt.simple's (BENCHMARKS.md).
"""

import re

import pytest

N_PUB = 200


@pytest.mark.parametrize("version", [4, 5])
def test_steady_state_publish_allocates_nothing_under_heap_lock(broker, mpy, ids, version):
    # MQTT 5 without properties too (topic aliases in use: Mosquitto allows 10).
    r = mpy.run("heap_lock_publish.py", env=mpy.env(broker, ids, N_PUB=N_PUB, MQTT_VERSION=version), timeout=60)
    assert r.returncode == 0, r.describe()
    lines = r.stdout.splitlines()
    assert lines[0] == "CONTROL RAISED", "heap_lock() does not stop allocations on this firmware:\n" + r.describe()
    cases = [l for l in lines if l.startswith("CASE ")]
    # qos 0/1 x topic str/bytes x payload 16 B/1 KiB x positional/keyword
    assert len(cases) == 16, r.describe()
    raised = [l for l in cases if " RAISED " in l]
    assert not raised, "publish allocated with the heap locked:\n" + r.describe()
    for line in cases:
        m = re.match(r"^CASE (\d) (\w+) (\w+) (\w+) OK (-?\d+)$", line)
        assert m, line
        assert int(m.group(5)) == 0, "gc.mem_alloc() grew by {} bytes over {} publishes: {}".format(
            m.group(5), N_PUB, line)
    assert lines[-1] == "END", r.describe()


@pytest.mark.parametrize("qos", [0, 1, 2])
@pytest.mark.parametrize("payload_len", [16, 1024])
def test_received_message_allocates_only_topic_and_payload(broker, mpy, ids, paho_peer, qos, payload_len):
    warm, n = 5, 50
    dev = mpy.start("receive_alloc.py", env=mpy.env(
        broker, ids, SUB_QOS=qos, WARM=warm, N_MSGS=n, PAYLOAD_LEN=payload_len))
    dev.wait_line(r"^READY$", timeout=15)
    peer = paho_peer(broker)
    payload = bytes(range(256)) * (payload_len // 256) if payload_len >= 256 else bytes(range(payload_len))
    infos = [peer.publish(ids.topic, payload, qos=qos, wait=False) for _ in range(warm + n)]
    for info in infos:
        peer.wait_published(info, timeout=20)
    rc = dev.wait(timeout=30)
    assert rc == 0, dev.describe()
    m = dev.wait_line(r"^ALLOC (-?\d+) (\d+) (\d+)$", timeout=1)
    measured, expected = int(m.group(1)), int(m.group(2))
    assert measured == expected, (
        "{} messages took {} bytes of heap; their topic and payload objects take {}:\n{}".format(
            n, measured, expected, dev.describe()))
    assert "BAD 0" in dev.lines, dev.describe()


def test_buffers_return_to_their_size_at_rest_after_a_64k_message_each_way(broker, mpy, ids, paho_peer):
    # Issue 13: one large message used to keep 132 KB of buffers for good.
    peer = paho_peer(broker)
    peer.subscribe(ids.topic + "/out", qos=1)
    p = mpy.start("large_message_ram.py", env=mpy.env(broker, ids))
    p.wait_line("^READY$", timeout=15)
    peer.publish(ids.topic + "/big", bytes(range(256)) * 256, qos=1)
    assert p.wait(timeout=20) == 0, p.describe()
    out = p.stdout.splitlines()
    assert out[1] == "GOT [65536]", p.describe()
    assert out[2].endswith("True"), p.describe()
    assert [len(m.payload) for m in peer.wait_messages(1, topic=ids.topic + "/out")] == [65536]
