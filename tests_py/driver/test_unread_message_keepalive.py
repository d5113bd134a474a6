"""Defect 4 of issue 10: a message left unread does not stop the keep-alive.

Before the fix the background keep-alive judged its deadlines only when the
receive buffer was empty: one message waiting for ``wait_msg()`` stopped the
PINGREQs, so with ``keepalive=2`` and the application busy for 6 s a broker
that enforces the keep-alive (mosquitto: 1.5 x keep-alive of silence) dropped
a healthy client and published its will.

unread_message_keepalive.py (keepalive=2, reconn=True, a will) talks to a
private mosquitto through the fault proxy. It receives one message it does
not read, sleeps 6 s without touching the client, then calls ``wait_msg()``
and publishes. Pass:

- the proxy saw at least 2 PINGREQs from the client during the 6 s (this is
  the direct evidence: mosquitto 2.0.11 does not always enforce the
  keep-alive promptly, so its reaction alone would make a flaky test);
- one connection only, ``error_register_cb`` heard nothing (no reconnect),
  the broker's log shows no drop, the peer subscribed to the will topic got
  no will;
- ``wait_msg()`` delivers the message and the publish after it arrives.
"""

import re
import time

import pytest

import faultproxy as fp

IDLE_S = 6


@pytest.mark.umqtt_timeout(40)
def test_an_unread_message_does_not_stop_the_keepalive_while_the_application_sleeps(make_broker, make_proxy, mpy,
                                                                                     ids, paho_peer):
    broker = make_broker()
    proxy = make_proxy(broker)
    peer = paho_peer(broker)
    peer.subscribe(ids.topic + "/will", qos=1)
    peer.subscribe(ids.topic + "/out", qos=1)
    dev = mpy.start("unread_message_keepalive.py", env=dict(
        MQTT_HOST=proxy.listen_host, MQTT_PORT=proxy.port, MQTT_CLIENT_ID=ids.client_id, MQTT_TOPIC=ids.topic,
        IDLE_S=IDLE_S))
    dev.wait_line(r"^READY$", timeout=15)
    # QoS 1; not waited for: its PUBACK comes only once the application reads it.
    peer.publish(ids.topic + "/in", b"sits unread", qos=1, wait=False)
    t_idle = time.monotonic()
    dev.send_line("go")
    dev.wait_line(r"^STA ", timeout=IDLE_S + 10)
    t_end = time.monotonic()
    pings = [r for _, r in proxy.records(fp.UP, "PINGREQ") if t_idle <= r.time <= t_end]
    dev.wait_line(r"^END$", timeout=20)
    assert dev.wait(timeout=10) == 0, dev.describe()
    lines = dev.lines
    peer.wait_messages(1, topic=ids.topic + "/out", timeout=5)
    problems = []
    if len(pings) < 2:
        problems.append("{} PINGREQ in {:.1f} s of idle time with keepalive=2 and a message unread".format(
            len(pings), t_end - t_idle))
    if len(proxy.connections) != 1:
        problems.append("{} connections (the first was lost)".format(len(proxy.connections)))
    if "GOT [b'sits unread']" not in lines:
        problems.append("wait_msg() did not deliver the unread message: {}".format(
            [l for l in lines if l.startswith("GOT")]))
    if "EVENTS []" not in lines:
        problems.append("error_register_cb heard {} (the connection was lost meanwhile)".format(
            [l for l in lines if l.startswith("EVENTS")]))
    if "STA 0" not in lines:
        problems.append("get_mqttsta() after the idle time: {}".format([l for l in lines if l.startswith("STA")]))
    dropped = [l for l in broker.log_text().splitlines()
               if ids.client_id in l and re.search(r"exceeded timeout|closed its connection|socket error", l)]
    if dropped:
        problems.append("the broker dropped the client: {}".format(dropped))
    wills = peer.messages(ids.topic + "/will")
    if wills:
        problems.append("the peer got the will: {}".format([m.payload for m in wills]))
    if [m.payload for m in peer.messages(ids.topic + "/out")] != [b"after"]:
        problems.append("the publish after the idle time reached the peer as {}".format(
            [m.payload for m in peer.messages(ids.topic + "/out")]))
    assert not problems, "\n".join(problems) + "\n" + dev.describe()
