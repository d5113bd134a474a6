"""Defect 7 of issue 10: a stream that lies about its counts is a lost connection.

Before the fix a ``transport=`` stream whose ``readinto()`` reported more
bytes than the buffer holds, or whose ``write()`` reported more than it was
given, was trusted: the shim ran its buffer indices past the end and
corrupted the GC heap (SIGSEGV a few calls later).

lying_stream.py meets the lie in ``connect()``, ``publish()`` and
``wait_msg()`` (read lies) or ``ping()`` (write lies); each must raise
``OSError`` or ``MQTTException``, and the shim must never hand the stream a
buffer longer than its own (a count gone past the end of the buffer: the
stream records and refuses such a call rather than touch the memory behind
it). Afterwards the interpreter allocates about
8 MB through its 2 MB heap with ``gc.collect()`` between rounds, prints
ALIVE, and exits 0.
"""

import pytest

MODES = ["read_plus100", "read_huge", "write_plus100", "write_huge"]


@pytest.mark.umqtt_timeout(40)
@pytest.mark.parametrize("mode", MODES)
def test_a_stream_reporting_more_bytes_than_it_moved_raises_and_the_interpreter_survives(broker, mpy, ids, mode):
    r = mpy.run("lying_stream.py", env=mpy.env(broker, ids, MODE=mode), timeout=30)
    assert r.returncode == 0, "the process ended with {} (negative: killed by that signal)\n{}".format(
        r.returncode, r.describe())
    lines = r.stdout.splitlines()
    steps = ["CONNECT", "PUBLISH", "WAIT_MSG" if mode.startswith("read") else "PING"]
    outcomes = {l.split(" ", 1)[0]: l.split(" ", 1)[1] for l in lines if l.split(" ", 1)[0] in steps}
    assert not [l for l in lines if l.startswith("SETUP_FAILED")], r.describe()
    for s in steps:
        assert outcomes.get(s) in ("OSError", "MQTTException"), \
            "{}() with the stream lying ({}) must raise OSError or MQTTException, got {!r}\n{}".format(
                s.lower(), mode, outcomes.get(s), r.describe())
    assert "OVERSIZE []" in lines, \
        "after the lie the shim handed the stream buffers past the end of its own (lengths {}):\n{}".format(
            next((l[9:] for l in lines if l.startswith("OVERSIZE")), "?"), r.describe())
    assert lines[-2:] == ["ALIVE", "END"], r.describe()
