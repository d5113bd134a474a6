"""MQTT 5 subscription options: no_local, retain_handling,
subscription_identifier (delivered as properties["subscription_identifiers"])
and retain_as_published, each next to a subscription without the option,
so the difference is what is checked."""

import pytest


@pytest.mark.umqtt_timeout(60)
def test_subscription_options(broker, mpy, ids, paho5):
    peer = paho5(broker)
    t = ids.topic
    for name in ("r2", "r0"):
        peer.publish(t + "/" + name, b"kept-" + name.encode(), qos=1, retain=True)
    dev = mpy.start("sub_options.py", env=mpy.env(broker, ids))
    try:
        dev.wait_line(r"^READY1$", timeout=15)
        peer.publish(t + "/nl", b"theirs", qos=1)
        peer.publish(t + "/l", b"theirs", qos=1)
        # no_local: our own "mine" on /nl is not delivered; on /l it is.
        dev.wait_line(r"^GOT1 ", timeout=15)
        dev.wait_line(r"^READY2$", timeout=15)
        peer.publish(t + "/r2", b"live", qos=1)
        dev.wait_line(r"^READY3$", timeout=15)
        peer.publish(t + "/sid/a", b"s", qos=1)
        peer.publish(t + "/big/b", b"b", qos=1)
        dev.wait_line(r"^READY4$", timeout=15)
        peer.publish(t + "/rap", b"r", qos=1, retain=True)
        peer.publish(t + "/norap", b"n", qos=1, retain=True)
        assert dev.wait(timeout=20) == 0, dev.describe()
    finally:
        for name in ("r2", "r0", "rap", "norap"):
            peer.publish(t + "/" + name, b"", qos=1, retain=True)
    out = [l for l in dev.stdout.splitlines() if l.startswith("GOT")]
    assert out == [
        "GOT1 " + repr([(b"l", b"mine", False, []), (b"l", b"theirs", False, []), (b"nl", b"theirs", False, [])]),
        # retain_handling=2: no retained message on subscribe, live ones still come.
        "GOT2 " + repr([(b"r0", b"kept-r0", True, []), (b"r2", b"live", False, [])]),
        "GOT3 " + repr([(b"big/b", b"b", False, [("subscription_identifiers", [300])]),
                        (b"sid/a", b"s", False, [("subscription_identifiers", [7])])]),
        "GOT4 " + repr([(b"norap", b"n", False, []), (b"rap", b"r", True, [])]),
    ], dev.describe()
    assert dev.stdout.splitlines()[-1] == "END", dev.describe()


def test_bad_option_values_raise_valueerror_naming_the_argument_and_its_range(broker, mpy, ids):
    broker.mark_log()
    r = mpy.run("sub_option_values.py", env=mpy.env(broker, ids))
    assert r.returncode == 0, r.describe()
    rh = "ValueError retain_handling must be 0..2"
    sid = "ValueError subscription_identifier must be 1..268435455"
    v5 = "ValueError subscription options need version=5"
    expected = []
    for face in ("umqtt", "simple"):
        expected += [face + " v5 retain_handling=3 " + rh,
                     face + " v5 retain_handling=-1 " + rh,
                     face + " v5 subscription_identifier=0 " + sid,
                     face + " v5 subscription_identifier=268435456 " + sid,
                     face + " v5 qos=3 ValueError qos must be 0, 1 or 2",
                     face + " v4 no_local " + v5,
                     face + " v4 subscription_identifier=7 " + v5,
                     face + " v4 retain_handling=3 " + rh,
                     face + " v5 good AssertionError Subscribe callback is not set: call set_callback() first"]
    assert r.stdout.splitlines() == expected + ["END"], r.describe()
    # Nothing reached the broker: the client never connected.
    assert ids.client_id not in broker.new_log(), broker.new_log()
