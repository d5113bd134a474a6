"""Rules for callbacks that raise (issue 14, part 4)."""

import pytest


@pytest.mark.parametrize("face,result", [("quecpython", "True"), ("simple", "None")])
def test_a_raising_callback_does_not_fail_the_publish_it_interrupted(broker, mpy, ids, paho_peer, face, result):
    peer = paho_peer(broker)
    peer.subscribe(ids.topic, qos=2)
    r = mpy.run("raising_callback.py", env=mpy.env(broker, ids, UMQTT_FACE=face))
    assert r.returncode == 0, r.describe()
    lines = r.stdout.splitlines()
    # Either the message came back while publish() waited (the exception is
    # kept for the next check_msg()), or after it (check_msg() raises at once).
    assert lines[0] == "PUBLISH " + result, r.describe()
    assert "SEEN [b'once']" in lines, r.describe()
    raised = [l for l in lines if l in ("EARLY b'once'", "CHECK RAISED b'once'")]
    assert len(raised) == 1, r.describe()
    assert lines[-1] == "CHECK NOTHING", r.describe()
    assert [m.payload for m in peer.wait_messages(1, topic=ids.topic)] == [b"once"]
