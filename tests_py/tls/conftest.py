"""Fixtures for the TLS tests.

The test PKI (``pki``: a CA, a ``localhost`` server certificate, one for the
wrong host, an expired one, a client certificate, and an unrelated CA with
its own client certificate) and the mosquitto that listens plain on ``port``
and with TLS on ``tls_ports["tls" | "mutual" | "wrong_host" | "expired"]``
(``tls_broker``, see ``mqtt_harness.TlsBroker``) come from
tests_py/conftest.py. ``tls_run(spec)`` runs tls_client.py with a scenario
and returns its results by step name.
"""

import json

import pytest

import mqtt_harness as h
from tls_test_servers import DEFAULT_PORT_ADDRESS, SilentServer, SniRecordingProxy


@pytest.fixture(scope="module")
def default_port_broker(tmp_path_factory, pki):
    if not h.port_is_free_on(DEFAULT_PORT_ADDRESS, 8883):
        pytest.fail("{}:8883 is busy: the default-port test needs it".format(DEFAULT_PORT_ADDRESS), pytrace=False)
    b = h.start_or_fail(h.TlsBroker(tmp_path_factory.mktemp("mosquitto-8883"), pki, name="mosquitto-8883",
                           extra_listeners={"default": (DEFAULT_PORT_ADDRESS, 8883, "server")}))
    yield b
    b.stop()


@pytest.fixture
def sni_proxy(pki, tls_broker):
    p = SniRecordingProxy(pki.path("server"), pki.path("server", "key"), tls_broker.port).start()
    yield p
    p.stop()


@pytest.fixture
def silent_server():
    s = SilentServer().start()
    yield s
    s.stop()


class TlsRun:
    """The results of one tls_client.py run: ``run["first"]`` is the result dict of that step."""

    def __init__(self, result, spec):
        self.result = result
        self.spec = spec
        self.steps = {}
        for line in result.stdout.splitlines():
            if line.startswith("RESULT "):
                d = json.loads(line[7:])
                self.steps[d["step"]] = d

    def __getitem__(self, name):
        assert name in self.steps, "step {!r} did not report:\n{}".format(name, self.describe())
        return self.steps[name]

    def describe(self):
        return "spec: {}\n{}".format(json.dumps(self.spec), self.result.describe())


@pytest.fixture
def tls_run(mpy, ids):
    """``tls_run(spec, timeout=60)``: run tls_client.py with ``spec`` (see that file)."""

    def run(spec, timeout=60):
        r = mpy.run("tls_client.py", env={"TLS_SPEC": json.dumps(spec), "MQTT_CLIENT_ID": ids.client_id,
                                          "MQTT_TOPIC": ids.topic}, timeout=timeout)
        run_ = TlsRun(r, spec)
        assert r.returncode == 0 and r.stdout.splitlines()[-1:] == ["END"], run_.describe()
        return run_

    return run


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    b = getattr(item, "_umqtt_tls_broker", None)
    if report.when == "call" and report.failed and b is not None:
        text = b.new_log()
        if len(text) > 8000:
            text = "...\n" + text[-8000:]
        report.sections.append(("mosquitto (TLS) log during this test", text))
