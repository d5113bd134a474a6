"""The broker is killed and started again on the same port: the client reconnects by itself.

Variants: SIGTERM with persistence (the session survives: session_present 1),
SIGKILL with persistence (autosave every second) and SIGKILL without
persistence (the broker forgets the session: the client must subscribe
again). The device (reconn=True, clean_session=False, keepalive 10 s) has a
_thread in wait_msg(); it reports "reconnect_start" while the broker is down
(get_mqttsta() 1), "reconnect_success" once it is back (get_mqttsta() 0), and
afterwards messages flow both ways. A QoS 1 publish() made while the broker
is down waits and completes after the reconnect.
"""

import signal

import pytest

import mqtt_harness as h

VARIANTS = {
    "sigterm-persistent": (signal.SIGTERM, True),
    "sigkill-persistent": (signal.SIGKILL, True),
    "sigkill-no-persistence": (signal.SIGKILL, False),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_client_reconnects_and_resumes_after_broker_restart(make_broker, make_agent, persistent_peer, ids,
                                                            variant, figures):
    sig, persistence = VARIANTS[variant]
    broker = make_broker(persistence=persistence, extra_config=["autosave_interval 1"] if persistence else [])
    up, down = ids.topic + "/up", ids.topic + "/down"
    dev = make_agent(broker.host, broker.port, ids.client_id, CLEAN=0, KEEPALIVE=10, TIMEOUT=15)
    assert dev.ok("connect") == "False"
    dev.ok("sub {} 1".format(down))
    dev.ok("listen")
    # A persistent peer: with persistence its session (and subscription) survives the restart.
    peer = persistent_peer(broker, client_id=h.unique("paho-restart"))
    peer.subscribe(up, qos=1)

    dev.ok("pub {} 1 {}".format(up, b"before".hex()))
    assert [m.payload for m in peer.wait_messages(1, topic=up, timeout=10)] == [b"before"]
    peer.publish(down, b"down-before", qos=1)
    assert len(dev.wait_messages(1, topic=down, timeout=10)) == 1
    if persistence:
        # Let an autosave catch the subscriptions (the SIGKILL variant loses what was not saved).
        assert h.wait_until(lambda: (broker.workdir / "mosquitto.db").exists(), 10), "no mosquitto.db written"

    broker.kill(sig)
    assert "reconnect_start" in dev.wait_errcb("reconnect_start", timeout=10), dev.describe()
    dev.ok("watchsta 0 1 5000")
    dev.send("pub {} 1 {}".format(up, b"during".hex()))     # waits for the reconnect
    broker.restart()
    broker.log_mark = 0      # restart() began a fresh log file
    assert "reconnect_success" in dev.wait_errcb("reconnect_success", timeout=30), dev.describe()
    during = dev.proc.wait_line(r"^(OK|ERR) pub ", timeout=30)
    assert during.group(0).startswith("OK"), "publish() during the outage: {}\n{}".format(
        during.string, dev.describe())
    assert dev.ok("watchsta 1 0 5000")
    assert dev.ok("sta") == "0"
    session_present = dev.ok("sp")
    events = [t for _, t in dev.errcb()]
    assert events == ["reconnect_start", "reconnect_success"], events

    # Messages published after the restart flow both ways.
    peer.wait_connacks(2, timeout=15)
    if not persistence:
        peer.subscribe(up, qos=1)       # the broker forgot the peer's session too
    dev.ok("pub {} 1 {}".format(up, b"after".hex()), timeout=20)
    assert peer.wait_for(lambda ms: any(m.payload == b"after" for m in ms), timeout=10), peer.messages()
    peer.publish(down, b"down-after", qos=1)
    _, sha, _ = h.message_digest(b"down-after")
    h.wait_until(lambda: any(m.sha256 == sha for m in dev.messages(down)), 10)
    assert any(m.sha256 == sha for m in dev.messages(down)), "no message reached the device after the restart\n" \
        + dev.describe()

    if variant == "sigterm-persistent":
        assert session_present == "True"
        # The peer's session survived too: the message published during the outage reached it.
        assert peer.wait_for(lambda ms: any(m.payload == b"during" for m in ms), timeout=10), peer.messages()
    if not persistence:
        assert session_present == "False"
        assert broker.wait_log(r"Received SUBSCRIBE from {}".format(ids.client_id), timeout=5), (
            "the client did not subscribe again on a broker without its session:\n" + broker.new_log())
    figures("{}: session_present after restart {}".format(variant, session_present))
