"""MQTT 5 flow control: the broker's Receive Maximum bounds our in-flight
window. Mosquitto sends its ``max_inflight_messages`` (here 2) as Receive
Maximum; 10 threads publish 50 messages together (QoS 1 and 2 in turn), so
without the bound the client would have up to 10 in flight. Mosquitto 2.0.11
answers a QoS 2 PUBLISH beyond its Receive Maximum with PUBREC 0x97 Quota
exceeded (logged as rc151); QoS 1 ones it accepts, so the window is also
measured on the wire: through the fault proxy (one pump thread per
connection sees both directions in order) the number of QoS 1/2 PUBLISHes
not yet acknowledged (PUBACK, PUBCOMP or a failed PUBREC) never exceeds 2."""

import pytest

import faultproxy as fp

N_THREADS = 10
PER_THREAD = 5


def max_in_flight(proxy):
    events = [(r.time, 0, fp.UP, r) for _, r in proxy.records(fp.UP)]
    events += [(r.time, 1, fp.DOWN, r) for _, r in proxy.records(fp.DOWN)]
    events.sort(key=lambda e: (e[0], e[1]))
    open_ids, peak, publishes = set(), 0, 0
    for _, _, d, r in events:
        if d == fp.UP and r.type == 3 and r.qos:
            publishes += 1
            open_ids.add(r.publish_id())
            peak = max(peak, len(open_ids))
        elif d == fp.DOWN and r.type in (4, 7):
            open_ids.discard(r.ack_id())
        elif d == fp.DOWN and r.type == 5 and len(r.head) > 4 and r.head[4] >= 0x80:
            open_ids.discard(r.ack_id())
    return peak, publishes


@pytest.mark.umqtt_timeout(60)
def test_receive_maximum_2_bounds_the_window(inflight2_broker, make_proxy, mpy, ids, paho5, figures):
    broker = inflight2_broker
    proxy = make_proxy(broker)
    peer = paho5(broker)
    peer.subscribe(ids.topic + "/#", qos=2)
    env = dict(mpy.env(broker, ids, N_THREADS=N_THREADS, PER_THREAD=PER_THREAD),
               MQTT_HOST=proxy.listen_host, MQTT_PORT=proxy.port)
    r = mpy.run("window.py", env=env, timeout=45)
    assert r.returncode == 0, r.describe()
    out = r.stdout.splitlines()
    assert out[0] == "RM 2", r.describe()
    assert out[1].startswith("DONE {} 0 ".format(N_THREADS)), r.describe()
    assert out[2:] == ["END"], r.describe()
    expected = {"t{:02d}:{:03d}".format(k, i).encode() for k in range(N_THREADS) for i in range(PER_THREAD)}
    peer.wait_for(lambda msgs: expected <= {m.payload for m in msgs}, timeout=15)
    got = sorted(m.payload for m in peer.messages())
    assert got == sorted(expected), "missing {} extra/duplicate {}".format(
        sorted(expected - set(got))[:5], len(got) - len(expected))
    assert "rc151" not in broker.new_log(), "the broker refused a PUBLISH beyond its Receive Maximum:\n" + \
        broker.new_log()[-3000:]
    assert len(proxy.connections) == 1, proxy.summary()
    peak, publishes = max_in_flight(proxy)
    assert publishes == N_THREADS * PER_THREAD, proxy.summary()
    figures("Receive Maximum 2: at most {} of {} messages in flight at once on the wire".format(peak, publishes))
    assert peak <= 2, "{} QoS 1/2 messages in flight at once with Receive Maximum 2".format(peak)
    # 10 threads at once fill the window: else this test would not have tested the bound.
    assert peak == 2, "the load never had 2 messages in flight: {}".format(peak)
