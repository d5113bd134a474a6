"""Headline fault test: QoS 1 and QoS 2 both ways through forced connection cuts.

CI default (500 messages per QoS per direction, 10 cuts, well under 2 min):

    python3 -m pytest tests_py/faults/test_headline.py

Full run (10,000 QoS 1 + 10,000 QoS 2 each way, 50 cuts), one command:

    UMQTT_HEADLINE_MSGS=10000 UMQTT_HEADLINE_CUTS=50 python3 -m pytest tests_py/faults/test_headline.py

``UMQTT_HEADLINE_SEED`` replays a cut plan (the seed is printed).
``UMQTT_HEADLINE_FLOOD=1`` lets the peer publish everything at once, with the
broker's queue unlimited (``max_queued_messages 0``): mosquitto then keeps
thousands of messages in flight to the device. The
figures (messages each way, cuts, lost, duplicates, run time) are printed in
the terminal summary.

Set-up: private mosquitto (default configuration: 20 messages in flight per
client, 1000 queued) <- fault proxy <- MicroPython client (reconn=True,
clean_session=False, keepalive 30 s); a paho peer with clean_session=False
connects to the broker directly and subscribes with QoS 1 and QoS 2. The
device publishes N QoS 1 and N QoS 2 messages while a _thread loops
wait_msg() receiving the N + N messages the peer publishes meanwhile (the
peer keeps pace: at most 200 messages ahead of what it got from the device,
so the broker never has to drop from a full queue while the device is away).
The proxy cuts the device's connection (RST or FIN) at random byte positions
of the stream (mostly inside a packet) and inside or after chosen packets
(PUBREC, PUBREL, PUBCOMP, PUBACK, PUBLISH either way, CONNACK of a
reconnect). Pass: every message arrives, byte-exact, in both directions; no
QoS 2 message is delivered twice (QoS 1 duplicates are allowed and counted);
the client reconnected after every cut and ends connected.

It runs for MQTT 3.1.1 and for MQTT 5 (``version=5``: clean_session=False
then means Session Expiry 0xFFFFFFFF). Mosquitto 2.0.11 sometimes sends a
QoS 2 PUBLISH again (DUP) on a later connection after its own PUBREL for
the id reached the client whole (seen with MQTT 5 after a cut inside a
CONNACK, and with MQTT 3.1.1 in the flood form at 3,000 messages each
way, to tens or hundreds of messages of a run): the client, whose
exchange was complete, takes it as a new message, as the spec makes it
(4.3.3: the sender must not). Such copies are told apart on the wire and
reported; any other duplicate fails.
"""

import hashlib
import os
import random
import threading
import time

import pytest

import faultproxy as fp
import mqtt_harness as h

N = int(os.environ.get("UMQTT_HEADLINE_MSGS", "500"))
CUTS = int(os.environ.get("UMQTT_HEADLINE_CUTS", "10"))
SEED = int(os.environ.get("UMQTT_HEADLINE_SEED") or random.SystemRandom().randrange(1 << 30))
# Generous bounds for a busy 2-core machine: about 2 ms per message and 5 s per cut, plus slack.
PUB_LIMIT = 60 + N * 2 * 2 * 0.002 * 4 + CUTS * 5
RX_LIMIT = 60 + N * 0.004          # for what is still coming in once the device has published
TEST_LIMIT = int(PUB_LIMIT + 2 * RX_LIMIT + 180)

ALPHA = "abcdefghijklmnopqrstuvwxyz" * 16
LAG = 200
FLOOD = os.environ.get("UMQTT_HEADLINE_FLOOD", "") not in ("", "0")

# Packets a targeted cut may hit, with the direction they travel in.
PACKET_TARGETS = [
    (fp.DOWN, "PUBREC"),     # our QoS 2 PUBLISH reached the broker, PUBREC lost: re-send with DUP
    (fp.UP, "PUBREC"),       # incoming QoS 2 delivered, our PUBREC lost: broker re-sends, no 2nd delivery
    (fp.UP, "PUBREL"),       # our PUBREL lost: re-sent after the CONNACK
    (fp.DOWN, "PUBREL"),     # broker's PUBREL lost: it re-sends, we answer PUBCOMP
    (fp.DOWN, "PUBCOMP"),    # our QoS 2 done at the broker, PUBCOMP lost: PUBREL re-sent
    (fp.UP, "PUBCOMP"),
    (fp.DOWN, "PUBACK"),     # QoS 1 reached the broker, PUBACK lost: re-sent (a duplicate is allowed)
    (fp.UP, "PUBACK"),
    (fp.DOWN, "CONNACK"),    # a cut during the reconnect itself
    (fp.UP, "PUBLISH"),
    (fp.DOWN, "PUBLISH"),
]


def payload(direction, qos, i):
    """Same as payload() in headline_device.py."""
    n = (i * 7 + qos * 3) % 41
    if i % 97 == 13:
        n += 300
    k = i % 26
    return "{}{}:{:06d}:{}".format(direction, qos, i, ALPHA[k:k + n]).encode()


def packet_size(topic_len, body_len, qos, props=None):
    """A PUBLISH's size on the wire; ``props``: bytes of MQTT 5 properties (None: MQTT 3.1.1)."""
    rl = 2 + topic_len + (2 if qos else 0) + body_len
    if props is not None:
        rl += 1 + props
    n_len = 1 if rl < 128 else 2 if rl < 16384 else 3
    return 1 + n_len + rl


def min_stream_bytes(topic, version):
    """Fewest bytes the message traffic puts through the proxy (both directions, no re-sends).

    With MQTT 5 the device's publishes use a Topic Alias after the first (an
    empty topic and 3 bytes of property), and every PUBLISH has a property
    length; acknowledgements stay 4 bytes (reason code 0 is left out)."""
    v5 = version == 5
    total = 0
    for i in range(N):
        for qos, acks in ((1, 1), (2, 3)):
            up = topic + "/up/q%d" % qos
            total += packet_size(0 if v5 else len(up), len(payload("u", qos, i)), qos, 3 if v5 else None) + 4 * acks
            down = topic + "/down/q%d" % qos
            total += packet_size(len(down), len(payload("d", qos, i)), qos, 0 if v5 else None) + 4 * acks
    return total


def plan_cuts(proxy, rng, topic, version):
    """Arm CUTS cuts: about 70 % at random stream positions, 30 % on chosen packets."""
    n_packet = CUTS * 3 // 10
    n_bytes = CUTS - n_packet
    base = proxy.total_bytes
    span = 0.85 * min_stream_bytes(topic, version)
    for k in range(n_bytes):
        at = base + int(span * (k + rng.uniform(0.15, 0.85)) / n_bytes)
        proxy.cut_at_total(at, how=rng.choice(["reset", "close"]))
    plan = []
    for j in range(n_packet):
        direction, packet = PACKET_TARGETS[(j + rng.randrange(len(PACKET_TARGETS))) % len(PACKET_TARGETS)]
        if packet == "CONNACK":
            nth = rng.randint(2, max(2, n_bytes // 2))
        else:
            nth = rng.randint(1, max(1, int(0.8 * N)))
        offset = rng.choice(["first", "mid", "after"])
        how = rng.choice(["reset", "close"])
        proxy.cut_on_packet(direction, packet, nth=nth, offset=offset, how=how)
        plan.append("{} {} #{} {} {}".format(direction, packet, nth, offset, how))
    return plan


def tally(pairs, direction):
    """pairs of (qos, payload) -> per QoS: {index: count}, corrupt list."""
    seen = {1: {}, 2: {}}
    corrupt = []
    for qos, data in pairs:
        try:
            i = int(data[3:9])
        except ValueError:
            i = -1
        if qos not in seen or not 0 <= i < N or data != payload(direction, qos, i):
            corrupt.append((qos, data[:60]))
            continue
        seen[qos][i] = seen[qos].get(i, 0) + 1
    return seen, corrupt


@pytest.mark.umqtt_timeout(TEST_LIMIT)
@pytest.mark.parametrize("version", [4, 5])
def test_qos1_qos2_both_ways_through_forced_cuts(make_broker, make_proxy, persistent_peer, mpy, ids, figures,
                                                 version):
    t_begin = time.monotonic()
    rng = random.Random(SEED)
    broker = make_broker(extra_config=["max_queued_messages 0"] if FLOOD else [])
    proxy = make_proxy(broker, seed=SEED)
    peer = persistent_peer(broker, client_id=h.unique("paho-headline"))
    up_topics = {ids.topic + "/up/q1": 1, ids.topic + "/up/q2": 2}
    peer.subscribe(ids.topic + "/up/q1", qos=1)
    peer.subscribe(ids.topic + "/up/q2", qos=2)

    dev = mpy.start("headline_device.py", env=dict(
        MQTT_HOST=proxy.listen_host, MQTT_PORT=proxy.port, MQTT_CLIENT_ID=ids.client_id, MQTT_TOPIC=ids.topic,
        N=N, RX_WAIT_S=RX_LIMIT, PUB_TIMEOUT_S=30, KEEPALIVE=30, MQTT_VERSION=version))
    dev.wait_line(r"^READY$", timeout=30)
    plan = plan_cuts(proxy, rng, ids.topic, version)

    # The peer publishes its 2 * N messages (interleaved QoS 1 / QoS 2) while the device publishes,
    # keeping pace with it (at most LAG messages ahead of what it got from the device), so the
    # broker's queue for the device stays far below mosquitto's default limit of 1000.
    infos = []
    device_done = threading.Event()

    def peer_publish():
        for i in range(N):
            if not FLOOD and not device_done.is_set():
                peer.wait_count(2 * (i - LAG // 2), timeout=30)
            for qos in (1, 2):
                infos.append(peer.publish(ids.topic + "/down/q%d" % qos, payload("d", qos, i), qos=qos, wait=False))

    pub_thread = threading.Thread(target=peer_publish, daemon=True)
    pub_thread.start()

    try:
        m = dev.wait_line(r"^PUBLISHED ", timeout=PUB_LIMIT)
    finally:
        device_done.set()
    t_published = time.monotonic()
    pub_thread.join(timeout=60)
    assert not pub_thread.is_alive(), "paho could not queue its messages"
    for info in infos:
        peer.wait_published(info, timeout=max(10, PUB_LIMIT - (time.monotonic() - t_published)))
    rx = dev.wait_line(r"^(RECEIVED_ALL|RECEIVE_TIMEOUT) ", timeout=RX_LIMIT + 30)

    def peer_has_all(msgs):
        got = {1: set(), 2: set()}
        for msg in msgs:
            q = up_topics.get(msg.topic)
            if q:
                got[q].add(msg.payload)
        return len(got[1]) >= N and len(got[2]) >= N

    peer.wait_count(2 * N, timeout=60)
    peer.wait_for(peer_has_all, timeout=10)
    # Every planned cut happened while traffic flowed (else the plan was wrong: report it).
    proxy.wait_cuts(CUTS, timeout=5)
    pending = proxy.pending_rules()
    with proxy._lock:
        unfired = ["{} (seen {})".format(r.describe(), r.seen) for r in proxy._rules]
    counts = {d: dict(proxy.packet_counts(d)) for d in (fp.UP, fp.DOWN)}
    proxy.clear_rules()
    run_time = time.monotonic() - t_begin

    dev.send_line("FINISH")
    rc = dev.wait(timeout=30)
    out = h.parse_results(dev.stdout, "HL")
    assert rc == 0 and "END" in dev.lines, dev.describe()

    # --- device -> peer -----------------------------------------------------------
    up_seen, up_corrupt = tally(((up_topics.get(msg.topic), msg.payload) for msg in peer.messages()), "u")
    wrong_qos = [(msg.topic, msg.qos) for msg in peer.messages() if up_topics.get(msg.topic) != msg.qos]
    up_lost = {q: N - len(up_seen[q]) for q in (1, 2)}
    up_dups = {q: sum(c - 1 for c in up_seen[q].values()) for q in (1, 2)}

    # --- peer -> device -------------------------------------------------------------
    down = {}
    for q in (1, 2):
        distinct, dups = map(int, out["rx_q%d" % q].split())
        n_missing = int(out["missing_q%d" % q].split()[0])
        down[q] = dict(distinct=distinct, dups=dups, missing=n_missing, first_missing=out["missing_q%d" % q])
        down[q]["hash"] = out["hash_q%d" % q]
        down[q]["hash_expected"] = hashlib.sha256(b"".join(payload("d", q, i) for i in range(N))).hexdigest()
    rs, rok, other_err = map(int, out["reconnect"].split())

    cuts = list(proxy.cuts)
    mid = sum(1 for c in cuts if c["mid_packet"])
    by_packet = {}
    for c in cuts:
        key = "{}:{}".format(c["direction"] or "-", c["packet"] or "-")
        by_packet[key] = by_packet.get(key, 0) + 1
    figures("seed {}{}; messages each way: {} QoS 1 + {} QoS 2; cuts {} ({} inside a packet, {} RST, {} FIN), "
            "{} connections, {} reconnects".format(
                SEED, " (flood)" if FLOOD else "", N, N, len(cuts), mid, sum(1 for c in cuts if c["how"] == "reset"),
                sum(1 for c in cuts if c["how"] == "close"), len(proxy.connections), rok))
    figures("lost device->peer: QoS1 {} QoS2 {}; lost peer->device: QoS1 {} QoS2 {}".format(
        up_lost[1], up_lost[2], down[1]["missing"], down[2]["missing"]))
    figures("duplicates device->peer: QoS1 {} (allowed) QoS2 {}; peer->device: QoS1 {} (allowed) QoS2 {}".format(
        up_dups[1], up_dups[2], down[1]["dups"], down[2]["dups"]))
    figures("run time {:.1f} s (device publishing {} ms, receiving done at {} ms); cut points: {}".format(
        run_time, m.string.split()[3], rx.string.split()[-1], by_packet))

    problems = []
    if len(cuts) < CUTS:
        problems.append("only {} of {} planned cuts happened ({} rules never fired: {}; plan: {}; cuts: {}; "
                        "packets: {})".format(len(cuts), CUTS, pending, unfired, plan, cuts, counts))
    if mid < max(1, len(cuts) // 3):
        problems.append("only {} of {} cuts fell inside a packet".format(mid, len(cuts)))
    if up_corrupt or wrong_qos:
        problems.append("peer got corrupt/unexpected messages: {} {}".format(up_corrupt[:5], wrong_qos[:5]))
    if any(up_lost.values()):
        missing = {q: sorted(set(range(N)) - set(up_seen[q]))[:10] for q in (1, 2)}
        problems.append("device->peer lost {} (first missing indices {})".format(up_lost, missing))
    if up_dups[2]:
        dup_idx = sorted(i for i, c in up_seen[2].items() if c > 1)[:10]
        problems.append("device->peer QoS 2 duplicates: {} (indices {})".format(up_dups[2], dup_idx))
    for q in (1, 2):
        if down[q]["missing"]:
            problems.append("peer->device QoS {} lost {} (first: {})".format(q, down[q]["missing"], down[q]["first_missing"]))
        elif down[q]["hash"] != down[q]["hash_expected"]:
            problems.append("peer->device QoS {} payload hash differs".format(q))
    if down[2]["dups"]:
        # Each QoS 2 message delivered twice, as the broker sent it: the
        # copies on the wire toward the device (connection, packet id, DUP)
        # and the PUBRELs that reached it whole. Mosquitto 2.0.11 sometimes
        # sends a PUBLISH again (DUP) after it has sent that id's PUBREL, on a
        # later connection (module docstring): the exchange was
        # complete for the client, which then takes the PUBLISH as a new
        # message, as the spec makes it (4.3.3: the sender must not). Those
        # are counted apart; any other duplicate fails.
        dup_idx = [int(l.split()[1]) for l in dev.lines if l.startswith("DUP2 ")]
        copies, pubrels = {}, {}
        for cn in proxy.connections:
            for rec in cn.records["down"]:
                head = bytes(rec.head)
                if rec.type == 3 and rec.qos == 2:
                    for i in dup_idx:
                        if b"d2:%06d:" % i in head:
                            copies.setdefault(i, []).append((cn.id, rec.publish_id(), rec.dup))
                elif rec.type == 6 and len(head) >= 4 and rec.complete:     # a PUBREL the client got whole
                    pubrels.setdefault((head[2] << 8) | head[3], []).append(cn.id)

        def after_pubrel(i):
            return any(c > r for c, pid, _ in copies.get(i, []) for r in pubrels.get(pid, []))

        broker_made = [i for i in dup_idx if after_pubrel(i)]
        figures("peer->device QoS 2: {} delivered twice, {} of them re-sent by the broker as PUBLISH after its "
                "PUBREL for the id".format(len(dup_idx), len(broker_made)))
        ours = sorted(set(dup_idx) - set(broker_made))
        if ours or len(dup_idx) != down[2]["dups"]:
            problems.append("peer->device QoS 2 delivered twice: {} times (indices {}); copies on the wire: {}; "
                            "PUBRELs of those ids: {}".format(down[2]["dups"], ours or dup_idx,
                                                              {i: copies.get(i) for i in ours or dup_idx},
                                                              {pid: pubrels.get(pid) for i in ours or dup_idx
                                                               for _, pid, _ in copies.get(i, [])}))
    if out["corrupt"] != "0" or out["foreign"] != "0":
        problems.append("device got corrupt {} / foreign {} messages".format(out["corrupt"], out["foreign"]))
    if out["pub_errors"] != "0":
        problems.append("device publish() raised {} times".format(out["pub_errors"]))
    if not out["listener_errors"].startswith("0"):
        problems.append("wait_msg() raised: {}".format(out["listener_errors"]))
    if not (rs >= 1 and rok == rs and other_err == 0):
        problems.append("error_register_cb: reconnect_start {}, reconnect_success {}, other {}".format(rs, rok, other_err))
    if rs > len(cuts):
        problems.append("{} reconnects for {} cuts".format(rs, len(cuts)))
    if out["mqttsta"] != "0":
        problems.append("get_mqttsta() at the end: {}".format(out["mqttsta"]))
    if out["listener_stopped"] != "1":
        problems.append("wait_msg() thread did not stop after disconnect()")
    assert not problems, "\n".join(problems) + "\n" + proxy.summary() + "\n" + dev.describe()[-6000:]
