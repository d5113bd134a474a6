"""The module built with every build switch off (make firmware-minimal,
UMQTT_MINIMAL=1: UMQTT_MQTT5, UMQTT_AIO, UMQTT_FACES and UMQTT_CHUNKS at 0).

- What is left out is absent, and what stays is there: the same script
  (features.py) on this firmware and on the default one (every switch on),
  exact lines each: umqtt.simple, umqtt.robust and umqtt.aio raise
  ImportError / AttributeError, the client has no set_chunk_callback and no
  asyncio primitive (_step, _attach, ...), version=5 raises the shim's
  ValueError; the QuecPython face, its methods and select.poll on the client
  remain.
- It works against mosquitto: the application note's example
  (examples/seed_demo.py, as tests_py/seed runs it); QoS 0/1/2 publishes to a
  paho peer and from it, exact bytes (tests_py/pubsub's scripts); the client
  publishing to itself at each QoS, short and 64 KiB payloads; a message
  beyond max_packet refused ("packet too large"), as without a chunk callback.

The firmware is built by this folder's conftest.py (make firmware-minimal).
"""

import pytest

import mqtt_harness as h
from mqtt_harness import pattern_bytes

PUBSUB = h.REPO / "tests_py" / "pubsub"
AIO_METHODS = ("_nb", "_tail", "_want_open", "_attach", "_attach_failed", "_step", "_next_timeout",
               "_connect_start", "_connect_result", "_publish_start", "_subscribe_start",
               "_unsubscribe_start", "_ticket", "_forget")
KEPT_METHODS = ("connect", "disconnect", "close", "publish", "subscribe", "unsubscribe", "wait_msg",
                "check_msg", "ping", "set_callback", "set_last_will", "error_register_cb", "get_mqttsta",
                "stats", "delay")
NO_MQTT5 = "ValueError version must be 3 (MQTT 3.1) or 4 (MQTT 3.1.1): this firmware has no MQTT 5"


def _features(absent):
    """features.py's lines: `absent` True for the minimal firmware, False for the default one."""
    def line(what, error):
        return "{}: {}".format(what, error if absent else "present")

    lines = [line("import umqtt.simple", "ImportError"), line("import umqtt.robust", "ImportError"),
             line("from umqtt.simple import MQTTClient", "ImportError"),
             line("umqtt.simple", "AttributeError"), line("umqtt.robust", "AttributeError"),
             line("import umqtt.aio", "ImportError"), line("from umqtt.aio import MQTTClient", "ImportError"),
             line("umqtt.aio", "AttributeError"), line("import _umqtt_aio", "ImportError")]
    lines += [line("client." + name, "AttributeError") for name in AIO_METHODS]
    lines.append(line("client.set_chunk_callback", "AttributeError"))
    lines.append(line("MQTTClient(version=5)", NO_MQTT5))
    lines.append("umqtt.MQTTClient, MQTTException, Message: present")
    lines += ["client.{}: present".format(name) for name in KEPT_METHODS]
    lines += ["select.poll on the client: present", "MQTTClient(version=3), (version=4): present", "END"]
    return lines


def test_minimal_firmware_leaves_the_switched_features_out(mpy):
    r = mpy.run("features.py", timeout=20)
    assert r.returncode == 0, r.describe()
    assert r.stdout.splitlines() == _features(absent=True), r.describe()


def test_default_firmware_has_every_feature(default_firmware, tmp_path):
    """The same script on the default firmware: every line says present, so the
    script does see each feature where it is built in."""
    r = h.run_mpy(default_firmware, h.REPO / "tests_py" / "switches" / "features.py", timeout=20, cwd=str(tmp_path))
    assert r.returncode == 0, r.describe()
    assert r.stdout.splitlines() == _features(absent=False), r.describe()


def test_minimal_seed_example_exchange_both_directions(broker, firmware, tmp_path):
    """tests_py/seed's exchange on the minimal firmware."""
    a_texts = ["Hello, QuecPython", "Second message from Client A"]
    res = h.seed_exchange(firmware, broker, tmp_path, client_a_messages=a_texts)
    describe = "device stdout:\n{}\ndevice stderr:\n{}".format("\n".join(res.device_lines), res.device_stderr)
    assert res.returncode == 0, describe
    assert "mqtt connect state:  0" in res.device_lines, describe
    assert res.device_received == [{"topic": h.SEED_TOPIC_B, "msg": t} for t in a_texts], describe
    assert [m.payload for m in res.client_a_received] == [
        "Hello, PC {}".format(i).encode() for i in range(h.SEED_DEMO_MESSAGES)
    ], describe
    assert "demo done" in res.device_lines, describe
    running = res.device_lines[:res.device_lines.index("demo done")]
    assert not [l for l in running if l.startswith("mqtt client listen error")], describe


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_minimal_publish_reaches_paho(broker, mpy, ids, paho_peer, qos):
    """tests_py/pubsub/publish_payloads.py: empty to 64 KiB, str, bytearray, memoryview."""
    big = pattern_bytes(65536)
    published = {"empty": b"", "one": b"\xa5", "big": big, "str": "h\u00e9llo \u2713".encode("utf-8"),
                 "bytearray": b"ba\x00\xff", "memoryview": big[1000:1100]}
    peer = paho_peer(broker)
    peer.subscribe(ids.topic + "/#", qos=2)
    r = mpy.run(PUBSUB / "publish_payloads.py", env=mpy.env(broker, ids, PUB_QOS=qos))
    assert r.returncode == 0, r.describe()
    assert r.stdout.splitlines() == ["PUB " + n for n in published] + ["END"], r.describe()
    msgs = peer.wait_messages(len(published), timeout=10)
    got = {m.topic[len(ids.topic) + 1:]: m for m in msgs}
    assert sorted(got) == sorted(published), msgs
    for name, payload in published.items():
        assert got[name].payload == payload, name
        assert got[name].qos == qos, (name, got[name])


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_minimal_receives_from_paho(broker, mpy, ids, paho_peer, qos):
    """tests_py/pubsub/receive.py: paho publishes at `qos`, the device subscribed at `qos`."""
    import binascii
    import hashlib
    sends = [(ids.topic + "/a", b""), (ids.topic + "/b", b"\x00"),
             (ids.topic + "/c/d", pattern_bytes(65536, seed=3)), (ids.topic + "/x y", b"h\xc3\xa9llo")]
    dev = mpy.start(PUBSUB / "receive.py", env=mpy.env(broker, ids, SUB_QOS=qos, N_MSGS=len(sends)))
    dev.wait_line(r"^READY$", timeout=15)
    peer = paho_peer(broker)
    for topic, payload in sends:
        peer.publish(topic, payload, qos=qos)
    assert dev.wait(timeout=20) == 0, dev.describe()
    expected = ["MSG bytes bytes {} {} {}".format(binascii.hexlify(t.encode()).decode(), len(p),
                                                  hashlib.sha256(p).hexdigest()) for t, p in sends]
    assert sorted(l for l in dev.lines if l.startswith("MSG ")) == sorted(expected), dev.describe()
    assert dev.lines[-1] == "END", dev.describe()


def test_minimal_round_trip_each_qos_and_too_large(broker, mpy, ids):
    r = mpy.run("roundtrip.py", env=mpy.env(broker, ids), timeout=60)
    assert r.returncode == 0, r.describe()
    assert r.stdout.splitlines() == [
        "GOT 0 4 True True", "GOT 0 65536 True True",
        "GOT 1 4 True True", "GOT 1 65536 True True",
        "GOT 2 4 True True", "GOT 2 65536 True True",
        "STATS (2, 2, 2) (2, 2, 2)",
        "LARGE MQTTException packet too large",
        "END",
    ], r.describe()
