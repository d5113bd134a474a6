"""QoS 2 exactly once on receive, when the broker re-sends after a cut.

The proxy holds back everything the device sends (so the broker never sees
the device's PUBRECs) while the peer publishes 2 x W QoS 2 messages; the
broker sends its in-flight window of W PUBLISHes, which the device delivers
and answers. Then the connection is cut and the broker re-sends those W
PUBLISHes with DUP after the reconnect (clean_session=False, session
present). Each of the 2 x W messages must reach the callback exactly once.

W is the broker's ``max_inflight_messages``; 20 is mosquitto's default.
"""

import collections

import pytest

import faultproxy as fp
import mqtt_harness as h


@pytest.mark.parametrize("window", [8, 20], ids=["broker-inflight-8", "broker-inflight-20-default"])
def test_qos2_publish_resent_after_a_cut_reaches_the_callback_once(
        make_broker, make_proxy, make_agent, paho_peer, ids, window):
    broker = make_broker(extra_config=["max_inflight_messages {}".format(window)])
    proxy = make_proxy(broker)
    topic = ids.topic + "/q2"
    dev = make_agent(proxy.listen_host, proxy.port, ids.client_id, CLEAN=0, KEEPALIVE=30)
    dev.ok("connect")
    dev.ok("sub {} 2".format(topic))
    dev.ok("listen")

    proxy.stall(fp.UP)
    peer = paho_peer(broker)
    n = 2 * window
    payloads = [("q2-%03d" % i).encode() for i in range(n)]
    for p in payloads:
        peer.publish(topic, p, qos=2)
    first = dev.wait_messages(window, timeout=15)
    assert len(first) >= window, "the broker sent {} of its {} in-flight messages\n{}".format(
        len(first), window, dev.describe())
    sent_before_cut = proxy.connections[0].packets[fp.DOWN]["PUBLISH"]

    proxy.cut("reset")
    assert proxy.wait_cuts(1, 5) == 1
    proxy.resume()
    dev.wait_errcb("reconnect_success", timeout=20)

    expected = {h.message_digest(p)[2]: p for p in payloads}
    h.wait_until(lambda: len({m.head for m in dev.messages(topic)}) >= n, 20)
    got = collections.Counter(m.head for m in dev.messages(topic))
    resent = [r for cid, r in proxy.records(fp.DOWN, "PUBLISH") if cid > 1 and r.dup]
    missing = [expected[k] for k in expected if k not in got]
    dups = {bytes.fromhex(k): c for k, c in got.items() if c > 1}
    assert not missing, "never delivered: {}\n{}".format(missing, dev.describe())
    assert set(got) == set(expected), "unexpected payloads: {}".format(set(got) - set(expected))
    assert not dups, (
        "QoS 2 messages delivered more than once: {} of {} ({}). Before the cut the broker had sent {} "
        "PUBLISHes whose PUBREC it never got; after the reconnect it re-sent {} with DUP (ids {}). "
        "The client must remember every QoS 2 id it delivered until the PUBREL, however many the "
        "broker has in flight".format(
            len(dups), n, sorted(dups), sent_before_cut, len(resent), [r.publish_id() for r in resent]))
