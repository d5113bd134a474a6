"""Fixtures for the fault-injection and session tests (tests_py/faults and
tests_py/session), loaded as a plugin by tests_py/conftest.py: private brokers (killable, freezable,
restartable), fault proxies, agents (session/agent.py), plus a ``figures`` fixture whose
lines are printed in the terminal summary (so the measured figures show even
without ``-s``)."""

import pytest

import faultproxy
import mqtt_harness as h

@pytest.fixture
def make_broker(tmp_path):
    """``make_broker(persistence=False, extra_config=())``: a private mosquitto, stopped at teardown."""
    brokers = []

    def make(name="mosquitto", persistence=False, extra_config=()):
        b = h.ConfigurableBroker(tmp_path / "{}{}".format(name, len(brokers)), name=name,
                                 persistence=persistence, extra_config=extra_config)
        brokers.append(b)
        return h.start_or_fail(b)

    yield make
    for b in brokers:
        b.stop()


@pytest.fixture
def make_proxy():
    """``make_proxy(broker, **kw)``: a started FaultProxy in front of ``broker``, stopped at teardown."""
    proxies = []

    def make(b, **kw):
        p = faultproxy.FaultProxy(b.port, target_host=b.host, **kw).start()
        proxies.append(p)
        return p

    yield make
    for p in proxies:
        p.stop()


@pytest.fixture
def persistent_peer():
    """``persistent_peer(broker, **kw)``: a connected paho peer with clean_session=False."""
    peers = []

    def make(b, **kw):
        p = h.PersistentPahoPeer(b.host, b.port, **kw)
        peers.append(p)
        return p.connect()

    yield make
    for p in peers:
        try:
            p.close()
        except Exception:
            pass


@pytest.fixture
def make_agent(firmware):
    """``make_agent(host, port, client_id, **env)``: a started session/agent.py (mqtt_harness.Agent)."""
    agents = []

    def make(host, port, client_id, **env):
        e = {"MQTT_HOST": host, "MQTT_PORT": port, "MQTT_CLIENT_ID": client_id}
        e.update(env)
        a = h.Agent(firmware, e)
        agents.append(a)
        return a

    yield make
    for a in agents:
        a.close()


@pytest.fixture
def figures(request):
    """``figures(text)``: print now and again in the terminal summary."""

    store = request.config.__dict__.setdefault("_umqtt_figures", [])

    def add(text):
        line = "{}: {}".format(request.node.nodeid, text)
        print(line)
        store.append(line)

    return add


def pytest_terminal_summary(terminalreporter, config):
    # Shared by both conftest copies: the first to run prints and empties the list.
    store = config.__dict__.get("_umqtt_figures")
    if store:
        terminalreporter.section("umqtt fault-test figures")
        for line in store:
            terminalreporter.write_line(line)
        del store[:]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    funcargs = getattr(item, "funcargs", {})
    for name in ("make_broker", "make_proxy", "make_agent"):
        if name not in funcargs:
            continue
        # The factories' closures hold the lists of what they made.
        cells = [c.cell_contents for c in (funcargs[name].__closure__ or ()) if isinstance(c.cell_contents, list)]
        for objs in cells:
            for obj in objs:
                if isinstance(obj, h.Broker):
                    text = obj.diagnostics()
                    if len(text) > 6000:
                        text = "...\n" + text[-6000:]
                    report.sections.append(("private broker {} log".format(obj.port), text))
                elif isinstance(obj, faultproxy.FaultProxy):
                    lines = [obj.summary()]
                    lines += ["cut: {}".format(c) for c in obj.cuts[-60:]]
                    lines += ["conn {}: end={} bytes={} up={} down={}".format(
                        c.id, c.end, c.bytes, dict(c.packets["up"]), dict(c.packets["down"]))
                        for c in obj.connections[-20:]]
                    report.sections.append(("fault proxy :{}".format(obj.port), "\n".join(lines)))
                elif isinstance(obj, h.Agent):
                    text = obj.describe()
                    if len(text) > 8000:
                        text = text[:2000] + "\n...\n" + text[-6000:]
                    report.sections.append(("agent", text))
