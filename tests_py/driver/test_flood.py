"""Defect 12 of issue 10: a broker with no in-flight bound cannot livelock the client.

MQTT 3.1.1 has no Receive Maximum: Mosquitto with ``max_inflight_messages 0``
sends every queued message at once. Before the fix, more than 128 incoming
QoS 2 messages awaiting PUBREL made the client drop the connection (safe
once), and after a backlog it livelocked: the headline flood run made 273
connections and never finished.

CI-sized flood (compare faults/test_headline.py with ``UMQTT_HEADLINE_FLOOD=1``;
``UMQTT_FLOOD_MSGS`` changes the size, ``UMQTT_FLOOD_SEED`` replays a cut
plan): private mosquitto with ``max_inflight_messages 0`` and
``max_queued_messages 0`` <- fault proxy <- MicroPython client
(flood_device.py: reconn=True, clean_session=False). A persistent paho peer
publishes N QoS 1 + N QoS 2 messages to the device all at once while the
device publishes N + N to the peer; the proxy cuts the device's connection
CUTS times at random stream positions. Pass: the run finishes in its time
bound, nothing is lost either way, no QoS 2 message arrives twice either way,
and the device made at most CUTS + 2 connections (counted by the proxy, as
test_headline does: every accepted connection, the first one included).
"""

import os
import random
import time

import pytest

import mqtt_harness as h

# Per QoS and direction: 800 messages each way, 1,600 in all. With 300 the old
# firmware got through with a single extra connection (7 for 4 cuts, the bound
# being 6); with 400 it made 11 to 20 in five runs.
N = int(os.environ.get("UMQTT_FLOOD_MSGS", "400"))
CUTS = 4
SEED = int(os.environ.get("UMQTT_FLOOD_SEED") or random.SystemRandom().randrange(1 << 30))
PUB_DEADLINE_S = 35      # the device stops publishing after this
RX_WAIT_S = 15           # and then waits this long for what is still coming
PUB_TIMEOUT_S = 10
ALPHA = "abcdefghijklmnopqrstuvwxyz" * 16


def payload(direction, qos, i):
    """Same as payload() in flood_device.py."""
    n = (i * 7 + qos * 3) % 41
    if i % 97 == 13:
        n += 300
    k = i % 26
    return "{}{}:{:06d}:{}".format(direction, qos, i, ALPHA[k:k + n]).encode()


def min_stream_bytes(topic):
    """Fewest bytes the message traffic puts through the proxy (both directions, no re-sends)."""
    total = 0
    for i in range(N):
        for qos, acks in ((1, 1), (2, 3)):
            for d, sub in (("u", "/up/q%d"), ("d", "/down/q%d")):
                rl = 2 + len(topic + sub % qos) + 2 + len(payload(d, qos, i))
                total += 1 + (1 if rl < 128 else 2) + rl + 4 * acks
    return total


@pytest.mark.umqtt_timeout(150)
def test_a_flood_from_a_broker_without_an_inflight_bound_finishes_through_cuts_with_exactly_once_intact(
        make_broker, make_proxy, persistent_peer, mpy, ids, figures):
    t_begin = time.monotonic()
    rng = random.Random(SEED)
    broker = make_broker(extra_config=["max_inflight_messages 0", "max_queued_messages 0"])
    proxy = make_proxy(broker, seed=SEED)
    peer = persistent_peer(broker, client_id=h.unique("paho-flood"))
    up_topics = {ids.topic + "/up/q1": 1, ids.topic + "/up/q2": 2}
    peer.subscribe(ids.topic + "/up/q1", qos=1)
    peer.subscribe(ids.topic + "/up/q2", qos=2)
    dev = mpy.start("flood_device.py", env=dict(
        MQTT_HOST=proxy.listen_host, MQTT_PORT=proxy.port, MQTT_CLIENT_ID=ids.client_id, MQTT_TOPIC=ids.topic,
        N=N, PUB_DEADLINE_S=PUB_DEADLINE_S, RX_WAIT_S=RX_WAIT_S, PUB_TIMEOUT_S=PUB_TIMEOUT_S, KEEPALIVE=30))
    dev.wait_line(r"^READY$", timeout=20)

    # Cuts at random stream positions spread over most of the traffic.
    base = proxy.total_bytes
    span = 0.7 * min_stream_bytes(ids.topic)
    for k in range(CUTS):
        proxy.cut_at_total(base + int(span * (k + rng.uniform(0.15, 0.85)) / CUTS), how=rng.choice(["reset", "close"]))

    # The flood: everything at once, both QoS interleaved.
    for i in range(N):
        for qos in (1, 2):
            peer.publish(ids.topic + "/down/q%d" % qos, payload("d", qos, i), qos=qos, wait=False)

    pub = dev.wait_line(r"^PUBLISHED (\d+) (\d+) (\d+) ([01])$", timeout=PUB_DEADLINE_S + PUB_TIMEOUT_S + 20)
    rx = dev.wait_line(r"^(RECEIVED_ALL|RECEIVE_TIMEOUT) (\d+) (\d+) (\d+)$", timeout=RX_WAIT_S + 20)

    def peer_has_all(msgs):
        got = {1: set(), 2: set()}
        for msg in msgs:
            q = up_topics.get(msg.topic)
            if q:
                got[q].add(msg.payload)
        return len(got[1]) >= N and len(got[2]) >= N

    peer.wait_for(peer_has_all, timeout=10)
    proxy.clear_rules()
    run_time = time.monotonic() - t_begin
    dev.send_line("FINISH")
    dev.wait_line(r"^END$", timeout=30)
    assert dev.wait(timeout=15) == 0, dev.describe()
    out = h.parse_results(dev.stdout, "FL")

    # device -> peer
    up_seen = {1: {}, 2: {}}
    corrupt_up = []
    for msg in peer.messages():
        q = up_topics.get(msg.topic)
        try:
            i = int(msg.payload[3:9])
        except ValueError:
            i = -1
        if q is None or msg.qos != q or not 0 <= i < N or msg.payload != payload("u", q, i):
            corrupt_up.append((msg.topic, msg.payload[:40]))
            continue
        up_seen[q][i] = up_seen[q].get(i, 0) + 1
    up_lost = {q: N - len(up_seen[q]) for q in (1, 2)}
    up_dup2 = sum(c - 1 for c in up_seen[2].values())
    # peer -> device
    down_lost = {q: int(out["missing_q%d" % q].split()[0]) for q in (1, 2)}
    down_dup2 = int(out["rx_q2"].split()[1])
    n_conn, n_cuts = len(proxy.connections), len(proxy.cuts)
    rs, rok, other = map(int, out["reconnect"].split())

    figures("seed {}; {} QoS 1 + {} QoS 2 each way; {} cuts, {} connections, {} reconnects; run {:.1f} s".format(
        SEED, N, N, n_cuts, n_conn, rok, run_time))
    figures("lost device->peer {} peer->device {}; QoS 2 duplicates device->peer {} peer->device {}".format(
        up_lost, down_lost, up_dup2, down_dup2))

    problems = []
    if pub.group(4) != "1":
        problems.append("the device did not get its {} publishes through within {} s ({} calls made)".format(
            2 * N, PUB_DEADLINE_S, pub.group(1)))
    if rx.group(1) != "RECEIVED_ALL":
        problems.append("the device did not receive the flood: {} of {} QoS 1, {} of {} QoS 2 after {} ms".format(
            rx.group(2), N, rx.group(3), N, rx.group(4)))
    if n_conn > n_cuts + 2:
        problems.append("{} connections for {} cuts (at most {} allowed)".format(n_conn, n_cuts, n_cuts + 2))
    if n_cuts < CUTS:
        problems.append("only {} of {} planned cuts happened".format(n_cuts, CUTS))
    if any(up_lost.values()) or any(down_lost.values()):
        problems.append("lost: device->peer {}, peer->device {} (first missing on the device: q1 {} / q2 {})".format(
            up_lost, down_lost, out["missing_q1"], out["missing_q2"]))
    if up_dup2 or down_dup2:
        problems.append("QoS 2 delivered twice: device->peer {}, peer->device {}".format(up_dup2, down_dup2))
    if corrupt_up or out["corrupt"] != "0 0":
        problems.append("corrupt or foreign messages: peer {} device {}".format(corrupt_up[:3], out["corrupt"]))
    if pub.group(2) != "0":
        problems.append("{} publish() calls raised".format(pub.group(2)))
    if out["mqttsta"] != "0":
        problems.append("get_mqttsta() at the end: {}".format(out["mqttsta"]))
    assert not problems, "\n".join(problems) + "\n" + proxy.summary() + "\n" + dev.describe()[-3000:]
