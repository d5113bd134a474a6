"""Defect 2 of issue 10: a PUBLISH whose write fails keeps nothing.

Before the fix the shim kept an in-flight slot for every QoS 1/2 publish whose
write failed and never freed it; after 16 such failures (a flaky link with
``reconn=False``) later messages got no slot, and a resumed session
(``clean_session=False``, session present) silently skipped re-sending them:
a QoS 1 message lost with no error.

The script (failed_write_session.py, every connection through a
``transport=`` stream) fails 20 publishes at the write (none in the first
case), then, with a persistent session, publishes M1..M3 through a stream
that drops the connection under each PUBLISH (``write()`` reports it written,
its bytes never leave, so no PUBACK comes) and reconnects by hand: all three
must reach the paho peer, which only a re-send from the resumed session can
do. A failed publish whose bytes were never written ("W") is withdrawn: the
peer never sees it (nor any of the 20 "A" messages).

On the old firmware the first case fails because W is re-sent after the
reconnect (a failed publish is not withdrawn), the second because M1..M3 are
lost (16 leaked slots: W and M1..M3 get none, so nothing is re-sent).
"""

import time

import pytest


@pytest.mark.umqtt_timeout(60)
@pytest.mark.parametrize("n_fail", [0, 20], ids=["no-earlier-failures", "after-20-failed-writes"])
def test_failed_writes_leave_no_trace_and_a_resumed_session_resends_every_unacknowledged_message(
        broker, mpy, ids, paho_peer, n_fail):
    peer = paho_peer(broker)
    peer.subscribe(ids.topic + "/#", qos=1)
    r = mpy.run("failed_write_session.py", env=mpy.env(broker, ids, N_FAIL=n_fail), timeout=45)
    out = r.stdout.splitlines()
    assert r.returncode == 0 and out and out[-1] == "END", r.describe()

    problems = []
    a_lines = [l for l in out if l.startswith("A ")]
    bad_a = [l for l in a_lines if not l.split(" ", 2)[2].startswith("OSError")]
    if len(a_lines) != n_fail or bad_a:
        problems.append("the {} publishes whose write failed must each raise OSError: {}".format(
            n_fail, bad_a or a_lines))
    for key in ("B_CONNECT", "B", "W_CONNECT"):
        line = next((l for l in out if l.startswith(key + " ")), "")
        if line != key + " OK":
            problems.append("{}: expected {} OK, got {!r}".format(
                {"B_CONNECT": "connect() after the failures", "B": "QoS 1 publish after the failures",
                 "W_CONNECT": "connect() through the failing stream"}[key], key, line))
    w_line = next((l for l in out if l.startswith("W ")), "")
    if not w_line.startswith("W OSError"):
        problems.append("the publish whose write failed (W) must raise OSError: {!r}".format(w_line))
    c_lines = [l for l in out if l.startswith("C ")]
    bad_c = [l for l in c_lines if "| OK True" not in l]
    if len(c_lines) != 3 or bad_c:
        problems.append("reconnect with the session resumed (OK, session_present True) after each drop: {}".format(
            bad_c or c_lines))
    if "Z OK" not in out:
        problems.append("final QoS 1 publish failed: {}".format([l for l in out if l.startswith("Z")]))

    def have(msgs):
        got = {m.payload for m in msgs}
        return {b"B", b"M1", b"M2", b"M3", b"Z"} <= got

    peer.wait_for(have, timeout=5)
    got = [m.payload for m in peer.messages()]
    missing = [p for p in (b"B", b"M1", b"M2", b"M3", b"Z") if p not in got]
    if missing:
        problems.append("never reached the peer (lost with no error): {}".format(
            b", ".join(missing).decode()))
    time.sleep(0.5)         # a late re-send of W would show up meanwhile
    withdrawn = sorted({m.payload.decode() for m in peer.messages()
                        if m.payload == b"W" or m.payload.startswith(b"A")})
    if withdrawn:
        problems.append("publishes that were never written reached the peer later: {}".format(withdrawn))
    assert not problems, "\n".join(problems) + "\n" + r.describe()
