"""A QoS 1 message whose payload is a mutable buffer (bytearray, memoryview
of one), left in flight by a publish() that returned False, raised
OSError(ETIMEDOUT) or lost its connection while it waited: the script then
reuses its buffer (the common one-buffer-per-reading loop), and the re-send
after the reconnect must carry the bytes that were published.

The broker never sees the first PUBLISH (the fault proxy holds it, or cuts
in its middle), so what the paho peer receives is the re-send alone. Before
the fix the client kept the application's bytearray itself in the in-flight
slot and re-sent its new contents ("reading 0002" at the peer)."""

import pytest

import faultproxy as fp

ORIGINAL = b"reading 0001: 21.5C"


@pytest.mark.umqtt_timeout(60)
@pytest.mark.parametrize("scenario,kind", [
    ("late-false", "bytearray"),
    ("late-raise", "bytearray"),
    ("lost", "bytearray"),
    ("lost", "memoryview"),
])
def test_a_resent_mutable_payload_carries_what_was_published(
        broker, make_proxy, mpy, ids, paho_peer, scenario, kind):
    peer = paho_peer(broker)
    peer.subscribe(ids.topic, qos=1)
    peer.subscribe(ids.topic + "/after", qos=1)
    proxy = make_proxy(broker)
    if scenario == "lost":
        proxy.cut_on_packet(fp.UP, "PUBLISH", offset="mid", how="reset")
    else:
        proxy.hold_on_packet(fp.UP, "PUBLISH")
    env = mpy.env(broker, ids, SCENARIO=scenario, KIND=kind)
    env["MQTT_PORT"] = proxy.port
    dev = mpy.start("mutable_payload.py", env=env)
    published = dev.wait_line(r"^PUBLISH ", timeout=15).string
    dev.wait_line(r"^READY$", timeout=5)
    if scenario != "lost":
        proxy.cut("reset")      # the held PUBLISH goes with the connection
        assert proxy.wait_for(lambda p: not p.open_connections(), timeout=5) is True
        proxy.resume()
        dev.send_line("go")
    assert dev.wait(timeout=40) == 0, dev.describe()
    expected = {"late-false": "PUBLISH OK False", "late-raise": "PUBLISH OSError 110"}.get(scenario)
    if expected is not None:
        assert published == expected, dev.describe()
    else:
        assert published.startswith("PUBLISH OSError"), dev.describe()
    assert dev.lines[-2:] == ["AFTER OK {}".format(True if scenario == "late-false" else None), "END"], dev.describe()
    peer.wait_for(lambda ms: any(m.topic == ids.topic + "/after" for m in ms), timeout=10)
    payloads = [m.payload for m in peer.messages(ids.topic)]
    assert payloads == [ORIGINAL], "the peer got {!r}\n{}".format(payloads, dev.describe())
    assert len(proxy.cuts) == 1 and any(r.dup for _, r in proxy.records(fp.UP, "PUBLISH")), proxy.cuts
