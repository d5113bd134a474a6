"""Issue 13's blocking-side parts: a pollable client, message objects with
metadata by explicit opt-in, and stats()."""

import mqtt_harness as h


def test_poll_wakes_on_a_message_and_callbacks_get_message_objects(broker, mpy, ids, paho_peer):
    peer = paho_peer(broker)
    peer.publish(ids.topic + "/kept", b"kept", qos=1, retain=True)
    p = mpy.start("poll_and_message.py", env=mpy.env(broker, ids))
    p.wait_line("^READY$", timeout=15)
    peer.publish(ids.topic + "/live", b"live", qos=2)
    p.wait_line("^READY2$", timeout=15)
    peer.publish(ids.topic + "/live", b"pair", qos=0)
    try:
        assert p.wait(timeout=20) == 0, p.describe()
    finally:
        peer.publish(ids.topic + "/kept", b"", qos=1, retain=True)
    out = p.stdout.splitlines()
    assert out == [
        "IDLE []",
        "READY",
        "WOKE [1] True",
        "LIVE True b'live' 2 False False {}",
        "RETAINED b'kept' 1 True",
        "READY2",
        "PAIR b'pair'",
        "STATS 3 (1, 1, 1) 0 1 True True",
    ], p.describe()
