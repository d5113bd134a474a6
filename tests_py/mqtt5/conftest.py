"""Fixtures of the MQTT 5 tests: brokers with an ACL file, with the dynamic
security plugin (an ACL that refuses subscriptions), with a small Receive
Maximum (``max_inflight_messages 2``), and a paho MQTT 5 peer factory."""

import json
import os
from pathlib import Path

import pytest

import mqtt_harness as h
from v5_support import Paho5Peer

DYNSEC_PLUGIN = os.environ.get("UMQTT_MOSQUITTO_DYNSEC",
                               "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so")

# Topics under umqtt-test/<test>/ok/ may be read and written; anything else
# under umqtt-test/ is denied by the ACL file (no matching line = denied).
ACL_FILE = "topic readwrite umqtt-test/+/ok/#\n"

# Dynamic security: anonymous clients may do everything but subscribe to (or
# publish on) umqtt-test/<test>/denied/... and unsubscribe from
# umqtt-test/<test>/nounsub/... (UNSUBACK 0x87).
DYNSEC_CONFIG = {
    "defaultACLAccess": {"publishClientSend": True, "publishClientReceive": True, "subscribe": True,
                         "unsubscribe": True},
    "clients": [],
    "groups": [{"groupname": "anonymous", "roles": [{"rolename": "limited"}], "clients": []}],
    "roles": [{"rolename": "limited", "acls": [
        {"acltype": "subscribePattern", "topic": "umqtt-test/+/denied/#", "priority": 0, "allow": False},
        {"acltype": "publishClientSend", "topic": "umqtt-test/+/denied/#", "priority": 0, "allow": False},
        {"acltype": "unsubscribePattern", "topic": "umqtt-test/+/nounsub/#", "priority": 0, "allow": False},
    ]}],
    "anonymousGroup": "anonymous",
}


@pytest.fixture(scope="module")
def _acl_broker(tmp_path_factory):
    d = tmp_path_factory.mktemp("mosquitto-acl")
    acl = d / "acl"
    acl.write_text(ACL_FILE)
    os.chmod(str(acl), 0o644)
    b = h.start_or_fail(h.ConfigurableBroker(d, name="mosquitto-acl", extra_config=["acl_file {}".format(acl)]))
    yield b
    b.stop()


@pytest.fixture(scope="module")
def _dynsec_broker(tmp_path_factory):
    if not Path(DYNSEC_PLUGIN).exists():
        pytest.fail("mosquitto's dynamic security plugin not found at {} (set UMQTT_MOSQUITTO_DYNSEC)".format(
            DYNSEC_PLUGIN), pytrace=False)
    d = tmp_path_factory.mktemp("mosquitto-dynsec")
    conf = d / "dynamic-security.json"
    conf.write_text(json.dumps(DYNSEC_CONFIG))
    b = h.start_or_fail(h.ConfigurableBroker(d, name="mosquitto-dynsec", extra_config=[
        "plugin {}".format(DYNSEC_PLUGIN), "plugin_opt_config_file {}".format(conf)]))
    yield b
    b.stop()


@pytest.fixture(scope="module")
def _inflight2_broker(tmp_path_factory):
    b = h.start_or_fail(h.ConfigurableBroker(tmp_path_factory.mktemp("mosquitto-inflight2"), name="mosquitto-inflight2",
                                    extra_config=["max_inflight_messages 2", "max_queued_messages 0"]))
    yield b
    b.stop()


def _checked(request, name, b):
    assert b.alive(), "{} died:\n{}".format(name, b.diagnostics())
    offsets = getattr(request.node, "_umqtt_log_offsets", None)
    if offsets is None:
        offsets = request.node._umqtt_log_offsets = {}
    offsets[name] = b.mark_log()
    return b


@pytest.fixture
def acl_broker(request, _acl_broker):
    """Anonymous mosquitto with an ACL file: only umqtt-test/+/ok/# is allowed."""
    return _checked(request, "acl_broker", _acl_broker)


@pytest.fixture
def dynsec_broker(request, _dynsec_broker):
    """Anonymous mosquitto with the dynamic security plugin: umqtt-test/+/denied/# refused,
    unsubscribing from umqtt-test/+/nounsub/# refused."""
    return _checked(request, "dynsec_broker", _dynsec_broker)


@pytest.fixture
def inflight2_broker(request, _inflight2_broker):
    """mosquitto with max_inflight_messages 2 (sent as Receive Maximum 2)."""
    return _checked(request, "inflight2_broker", _inflight2_broker)


@pytest.fixture
def paho5(request):
    """Factory: ``paho5(broker, **kw)`` returns a connected Paho5Peer, closed at teardown."""
    peers = []

    def make(b, **kw):
        p = Paho5Peer(b.host, b.port, **kw)
        peers.append(p)
        return p.connect()

    yield make
    for p in peers:
        try:
            p.close()
        except Exception:
            pass


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    funcargs = getattr(item, "funcargs", {})
    for name in ("acl_broker", "dynsec_broker", "inflight2_broker"):
        b = funcargs.get(name)
        if b is None:
            continue
        start = getattr(item, "_umqtt_log_offsets", {}).get(name, 0)
        text = b.log_text()[start:]
        if len(text) > 8000:
            text = "...\n" + text[-8000:]
        report.sections.append(("{} log during this test".format(name), text))
