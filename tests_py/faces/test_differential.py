"""Differential test of the umqtt.simple / umqtt.robust faces against
micropython-lib's own umqtt.simple and umqtt.robust (the PyPI releases,
fetched by tools/fetch-reference-umqtt.sh and imported as ``ref_umqtt``).

The same scripts (differential/*.py) run on the firmware twice, with
UMQTT_IMPL=umqtt and UMQTT_IMPL=ref_umqtt, against the same local brokers:
session-present on a second clean_session=False connect, publish QoS 0/1 to
a paho peer, subscribe + wait_msg with messages from paho, the last will
after close(), attributes and errors, and a robust subclass overriding
log()/delay()/reconnect() while the broker is killed and restarted. Each run
gives its "OUT key value" lines plus what the paho peer saw; the two lists
must be equal except for the entries of ALLOWED, each with the exact
reference value, a pattern for ours, and the reason. Any other difference
fails, listing every differing line.

The reference is downloaded once per session into a temporary folder (or
taken from $UMQTT_REFERENCE_DIR when it already holds ref_umqtt/).
"""

import os
import re
import subprocess

import pytest

import mqtt_harness as h

HERE = h.TESTS_DIR / "faces" / "differential"
FETCH = h.REPO / "tools" / "fetch-reference-umqtt.sh"

# (script, key) -> (reference value, regex our value must match, reason)
ALLOWED = {
    ("session_present", "connect1_cleanFalse"): (
        "0", r"False", "micropython-lib returns resp[2] & 1 (an int); ours the flag as a bool"),
    ("session_present", "connect2_cleanFalse"): (
        "1", r"True", "micropython-lib returns resp[2] & 1 (an int); ours the flag as a bool"),
    ("session_present", "connect3_cleanTrue"): (
        "0", r"False", "micropython-lib returns resp[2] & 1 (an int); ours the flag as a bool"),
    ("publish", "connect"): ("0", r"False", "session-present flag: int in micropython-lib, bool in ours"),
    ("subscribe", "connect"): ("0", r"False", "session-present flag: int in micropython-lib, bool in ours"),
    ("last_will", "connect"): ("0", r"False", "session-present flag: int in micropython-lib, bool in ours"),
    ("robust_restart", "connect"): ("0", r"False", "session-present flag: int in micropython-lib, bool in ours"),
    ("robust_restart", "reconnect_returned"): (
        "0 False", r"False False", "reconnect() returns connect(False): int in micropython-lib, bool in ours"),
    ("subscribe", "subscribe_without_callback"): (
        "raised AssertionError 'Subscribe callback is not set'", r"raised AssertionError 'Subscribe callback is not set.*'",
        "the same AssertionError; ours says what to do (\"call set_callback() first\") and raises it even "
        "where asserts are compiled out"),
    ("last_will", "has_close"): (
        "False", r"True", "micropython-lib's umqtt.simple 1.3.4 has no close() (the script closes its socket); "
        "ours has QuecPython's close() on every face"),
}


def collapse_retries(lines):
    """Runs of robust's retry pair (log(True, e), delay(i)) -> one pair: how
    many attempts fail while the broker is down depends on timing."""
    out = []
    pair = [("log", "True OSError"), ("delay", "True")]
    i = 0
    while i < len(lines):
        if lines[i:i + 2] == pair:
            out += pair
            while lines[i:i + 2] == pair:
                i += 2
        else:
            out.append(lines[i])
            i += 1
    return out


def out_lines(text):
    lines = []
    for line in text.splitlines():
        if line.startswith("OUT "):
            parts = line.split(" ", 2)
            lines.append((parts[1], parts[2] if len(parts) > 2 else ""))
    return lines


def compare(script, ref, ours, ref_text, our_text):
    problems = []
    if [k for k, _ in ref] != [k for k, _ in ours]:
        problems.append("the keys differ:\n  reference: {}\n  ours:      {}".format(
            [k for k, _ in ref], [k for k, _ in ours]))
    else:
        for (key, rv), (_, ov) in zip(ref, ours):
            if rv == ov:
                continue
            allowed = ALLOWED.get((script, key))
            if allowed and allowed[0] == rv and re.fullmatch(allowed[1], ov):
                continue
            problems.append("{}: reference {!r}, ours {!r}{}".format(
                key, rv, ov, "" if not allowed else " (allowed only: reference {!r}, ours ~ {!r})".format(
                    allowed[0], allowed[1])))
    assert not problems, "{}: {} difference(s) not in ALLOWED:\n{}\n--- reference run ---\n{}\n--- our run ---\n{}".format(
        script, len(problems), "\n".join(problems), ref_text, our_text)


@pytest.fixture(scope="session")
def reference_dir(tmp_path_factory):
    given = os.environ.get("UMQTT_REFERENCE_DIR")
    if given and os.path.isfile(os.path.join(given, "ref_umqtt", "robust.py")):
        return given
    d = given or str(tmp_path_factory.mktemp("reference-umqtt"))
    r = subprocess.run(["bash", str(FETCH), d], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        pytest.fail("tools/fetch-reference-umqtt.sh could not fetch the reference umqtt from PyPI:\n{}{}".format(
            r.stdout, r.stderr), pytrace=False)
    return d


@pytest.fixture
def impl_env(reference_dir):
    """env(impl, broker, client_id, topic, **extra) for a differential script."""

    def env(impl, b, client_id, topic, **extra):
        e = {"UMQTT_IMPL": impl, "MQTT_HOST": b.host, "MQTT_PORT": b.port, "MQTT_CLIENT_ID": client_id,
             "MQTT_TOPIC": topic, "MICROPYPATH": ".frozen:" + reference_dir}
        e.update(extra)
        return e

    return env


IMPLS = ("ref_umqtt", "umqtt")


def describe(r):
    return "exit code {}\n--- stdout ---\n{}--- stderr ---\n{}".format(r.returncode, r.stdout, r.stderr)


def run_both(script, one_run):
    """one_run(impl) -> (lines, text) for each implementation; then compare."""
    results = {impl: one_run(impl) for impl in IMPLS}
    (ref, ref_text), (ours, our_text) = results["ref_umqtt"], results["umqtt"]
    compare(script, ref, ours, ref_text, our_text)


def test_session_present(broker, mpy, ids, impl_env):
    def one(impl):
        r = mpy.run(HERE / "session_present.py", env=impl_env(impl, broker, ids.client_id + "-" + impl, ids.topic))
        assert r.returncode == 0, describe(r)
        return out_lines(r.stdout), describe(r)

    run_both("session_present", one)


def test_publish(broker, paho_peer, mpy, ids, impl_env):
    def one(impl):
        topic = "{}/{}".format(ids.topic, impl)
        peer = paho_peer(broker)
        peer.subscribe(topic, qos=1)
        r = mpy.run(HERE / "publish.py", env=impl_env(impl, broker, ids.client_id + "-" + impl, topic))
        assert r.returncode == 0, describe(r)
        seen = peer.wait_messages(6, topic=topic, timeout=5)
        peer.close()
        lines = out_lines(r.stdout) + [("peer", repr([(m.payload, m.qos, m.retain) for m in seen]))]
        return lines, describe(r)

    run_both("publish", one)


def test_subscribe_wait_msg(broker, paho_peer, mpy, ids, impl_env):
    def one(impl):
        topic = "{}/{}".format(ids.topic, impl)
        peer = paho_peer(broker)
        p = mpy.start(HERE / "subscribe.py", env=impl_env(impl, broker, ids.client_id + "-" + impl, topic))
        p.wait_line(r"^OUT ready", timeout=15)
        peer.publish(topic, b"from paho 0", qos=0)
        peer.publish(topic, b"from paho 1", qos=1)
        assert p.wait(timeout=15) == 0, p.describe()
        peer.close()
        return out_lines(p.stdout), p.describe()

    run_both("subscribe", one)


def test_last_will_after_close(broker, paho_peer, mpy, ids, impl_env):
    def one(impl):
        topic = "{}/{}".format(ids.topic, impl)
        peer = paho_peer(broker)
        peer.subscribe(topic + "/will", qos=1)
        r = mpy.run(HERE / "last_will.py", env=impl_env(impl, broker, ids.client_id + "-" + impl, topic))
        assert r.returncode == 0, describe(r)
        seen = peer.wait_messages(1, topic=topic + "/will", timeout=5)
        h.wait_until(lambda: False, 0.3)  # nothing more comes
        seen = peer.messages(topic + "/will")
        peer.close()
        lines = out_lines(r.stdout) + [("peer", repr([(m.payload, m.qos, m.retain) for m in seen]))]
        return lines, describe(r)

    run_both("last_will", one)


def test_attributes_and_errors(broker, auth_broker, mpy, ids, impl_env):
    def one(impl):
        r = mpy.run(HERE / "attributes.py", env=impl_env(impl, broker, ids.client_id + "-" + impl, ids.topic,
                                                         MQTT_CLOSED_PORT=h.free_port(),
                                                         MQTT_AUTH_PORT=auth_broker.port))
        assert r.returncode == 0, describe(r)
        return out_lines(r.stdout), describe(r)

    run_both("attributes", one)


@pytest.mark.umqtt_timeout(120)
def test_robust_subclass_through_broker_restart(make_broker, paho_peer, mpy, ids, impl_env):
    def one(impl):
        b = make_broker(name="mosquitto-" + impl.replace("_", "-"))
        topic = "{}/{}".format(ids.topic, impl)
        p = mpy.start(HERE / "robust_restart.py", env=impl_env(impl, b, ids.client_id + "-" + impl, topic))
        p.wait_line(r"^OUT ready", timeout=15)
        peer = paho_peer(b)
        peer.publish(topic, b"before restart", qos=1)
        p.wait_line(r"^OUT killing", timeout=15)
        h.wait_until(lambda: False, 0.3)  # the client is back in wait_msg()
        b.kill()
        h.wait_until(lambda: False, 1.5)
        b.restart()
        p.wait_line(r"^OUT reconnected", timeout=30)
        peer = paho_peer(b)
        peer.subscribe(topic + "/after", qos=1)
        peer.publish(topic, b"after restart", qos=1)
        assert p.wait(timeout=30) == 0, p.describe()
        seen = peer.wait_messages(1, topic=topic + "/after", timeout=5)
        lines = collapse_retries(out_lines(p.stdout)) + [
            ("peer", repr([(m.payload, m.qos) for m in seen]))]
        return lines, p.describe()

    run_both("robust_restart", one)


def test_allowed_differences_have_reasons():
    for key, (ref, ours, reason) in ALLOWED.items():
        assert isinstance(ref, str) and re.compile(ours) and len(reason) > 20, key
