"""What the client says when it drops a connection (MQTT 5, 4.13.1).

Scripted broker (transport=, drop_reason.py): a packet the client refuses is
answered with DISCONNECT and a reason code, written before the transport is
closed and before the script hears of the loss (error_register_cb, then
wait_msg() raising): 0x95 for a PUBLISH above max_packet, 0x81 for a
malformed one (QoS 3) and for an unexpected one (a second CONNACK). The
shortest form: e0 01 <code>. At version 4 (3.1.1 has no such packet) and
at the broker's end of stream nothing is written."""


def _logs(r):
    out = r.stdout.splitlines()
    assert out and out[-1] == "END", r.describe()
    logs = {}
    for line in out[:-1]:
        label, _, rest = line.partition(" ")
        logs[label] = rest.split(" ; ")
    return logs


def test_a_refused_packet_is_answered_with_disconnect_and_its_reason(mpy):
    r = mpy.run("drop_reason.py", timeout=30)
    assert r.returncode == 0, r.describe()
    logs = _logs(r)
    for label, code in (("too_large", "95"), ("malformed", "81"), ("unexpected", "81")):
        log = logs[label]
        assert len(log) == 4, (label, log, r.describe())
        # The DISCONNECT, then the close, then the notice, then the raise.
        assert log[0] == "We001" + code, (label, log)
        assert log[1] == "C", (label, log)
        assert log[2].startswith("N"), (label, log)
        assert log[3].startswith("X"), (label, log)


def test_nothing_is_sent_at_version_4_or_at_the_end_of_stream(mpy):
    r = mpy.run("drop_reason.py", timeout=30)
    assert r.returncode == 0, r.describe()
    logs = _logs(r)
    for label in ("v4_malformed", "v4_too_large", "eos"):
        log = logs[label]
        assert not any(e.startswith("W") for e in log), (label, log)
        assert log[0] == "C" and log[-1].startswith("X"), (label, log)
