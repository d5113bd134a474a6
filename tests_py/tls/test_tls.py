"""TLS through the firmware's own ``tls`` module, against mosquitto TLS
listeners configured with certificates made by openssl at test time.

Dialects: QuecPython's ssl_params ({"ca"/"cadata", "cert", "key"}),
umqtt.simple's wrap_socket keywords (server_hostname, cert_reqs, cadata, key,
cert) and ssl=<SSLContext>; PEM as bytes or str, DER as bytes. Verification
against a given CA, the host name checked (and sent as SNI), client
certificates, port 8883 by default. Every failure (wrong CA, expired
certificate, host name mismatch, plain client on a TLS port and the reverse,
a handshake that never completes) must raise a clear exception (OSError or
MQTTException, as the design contract api.md says for TLS failures, with a message whose
first line names the cause) within a bounded time, and leave the client
usable: connect() again on the same object gives the same error, and once
its ssl_params dict is put right it connects. The TLS module is the port's
own: tls, else ssl, else ussl.
"""

import json
import re

import pytest

import mqtt_harness as h
from tls_test_servers import DEFAULT_PORT_ADDRESS


def f(pki, name, kind="crt"):
    """A file's bytes in the script (as a device reads a certificate file)."""
    return "file:{}".format(pki.path(name, kind))


def text(pki, name, kind="crt"):
    return "text:{}".format(pki.path(name, kind))


def connect_ok(res, run):
    assert res["ok"] is True and res["rc"] == 0, run.describe()
    if "echo" in res:
        assert res["echo"] == "ok", run.describe()


def ok_spec(server, port, ssl="true", params=None, context=None, **extra):
    spec = {"server": server, "port": port, "ssl": ssl, "steps": [["connect", "first", True]]}
    if params is not None:
        spec["params"] = params
    if context is not None:
        spec["context"] = context
    spec.update(extra)
    return spec


# ---------------------------------------------------------------------------
# Item 1: the dialects, verification, client certificates, SNI, default port
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("key,form", [("ca", "bytes"), ("cadata", "bytes"), ("ca", "str"), ("cadata", "str")])
def test_quecpython_ca_verifies_the_server(tls_broker, tls_run, pki, ids, key, form):
    ca = f(pki, "ca") if form == "bytes" else text(pki, "ca")
    run = tls_run(ok_spec("localhost", tls_broker.tls_ports["tls"], params={key: ca}))
    connect_ok(run["first"], run)
    assert tls_broker.wait_log(r"New client connected from 127\.0\.0\.1:\d+ as {} ".format(re.escape(ids.client_id))), (
        tls_broker.new_log())


@pytest.mark.parametrize("version", [4, 5])
def test_quecpython_client_certificate(tls_broker, tls_run, pki, ids, version):
    # MQTT 5 over TLS as well (the echo: 20,000 bytes and a small message, QoS 1).
    params = {"ca": f(pki, "ca"), "cert": f(pki, "client"), "key": f(pki, "client", "key")}
    run = tls_run(ok_spec("localhost", tls_broker.tls_ports["mutual"], params=params, version=version))
    connect_ok(run["first"], run)
    # Mosquitto logs the protocol as p2 (3.1.1) or p5.
    p = {4: 2, 5: 5}[version]
    assert tls_broker.wait_log(r"as {} \(p{},".format(re.escape(ids.client_id), p)), tls_broker.new_log()


def test_certificates_and_key_as_DER_bytes(tls_broker, tls_run, pki):
    params = {"ca": f(pki, "ca", "crt.der"), "cert": f(pki, "client", "crt.der"), "key": f(pki, "client", "key.der")}
    run = tls_run(ok_spec("localhost", tls_broker.tls_ports["mutual"], params=params))
    connect_ok(run["first"], run)


def test_umqtt_simple_wrap_socket_keywords(tls_broker, tls_run, pki):
    # server is the IP literal; the certificate is checked against server_hostname.
    params = {"server_hostname": "localhost", "cert_reqs": "tls:CERT_REQUIRED", "cadata": f(pki, "ca"),
              "cert": f(pki, "client"), "key": f(pki, "client", "key")}
    run = tls_run(ok_spec("127.0.0.1", tls_broker.tls_ports["mutual"], params=params))
    connect_ok(run["first"], run)


def test_ssl_context_object(tls_broker, tls_run, pki):
    context = {"ca": f(pki, "ca"), "cert": f(pki, "client"), "key": f(pki, "client", "key"),
               "verify": "tls:CERT_REQUIRED"}
    run = tls_run(ok_spec("localhost", tls_broker.tls_ports["mutual"], ssl="context", context=context))
    connect_ok(run["first"], run)


@pytest.mark.parametrize("listener", ["wrong_host", "expired"])
def test_ssl_true_without_a_CA_encrypts_without_verifying(tls_broker, tls_run, listener):
    # Documented behaviour (as QuecPython and umqtt.simple): no CA, no authentication of the server.
    run = tls_run(ok_spec("localhost", tls_broker.tls_ports[listener]))
    connect_ok(run["first"], run)


def test_cert_reqs_CERT_NONE_turns_verification_off(tls_broker, tls_run, pki):
    params = {"cadata": f(pki, "other_ca"), "cert_reqs": "tls:CERT_NONE"}
    run = tls_run(ok_spec("localhost", tls_broker.tls_ports["wrong_host"], params=params))
    connect_ok(run["first"], run)


@pytest.mark.parametrize("how", ["server", "server_hostname", "context"])
def test_sni_names_the_server(sni_proxy, tls_run, pki, how):
    if how == "server":
        spec = ok_spec("localhost", sni_proxy.port, params={"ca": f(pki, "ca")})
    elif how == "server_hostname":
        spec = ok_spec("127.0.0.1", sni_proxy.port, params={"ca": f(pki, "ca"), "server_hostname": "localhost"})
    else:
        spec = ok_spec("localhost", sni_proxy.port, ssl="context", context={"ca": f(pki, "ca")})
    run = tls_run(spec)
    connect_ok(run["first"], run)
    assert sni_proxy.wait_names(1, timeout=5) == ["localhost"], (sni_proxy.names, sni_proxy.errors)


@pytest.mark.parametrize("ssl,port", [("true", None), ("true", 0), ("context", None)],
                         ids=["ssl-port-omitted", "ssl-port-0", "context-port-omitted"])
def test_default_port_is_8883_with_tls(default_port_broker, tls_run, pki, ssl, port):
    if ssl == "true":
        spec = ok_spec(DEFAULT_PORT_ADDRESS, port, params={"ca": f(pki, "ca"), "server_hostname": "localhost"})
    else:
        spec = ok_spec(DEFAULT_PORT_ADDRESS, port, ssl="context", context={"ca": f(pki, "ca")},
                       params={"server_hostname": "localhost"})
    run = tls_run(spec)
    connect_ok(run["first"], run)


# ---------------------------------------------------------------------------
# Failures: a clear exception, in bounded time, the client still usable
# ---------------------------------------------------------------------------

# A connection the peer ended shows as one of these errno names (MicroPython
# prints "[Errno 104] ECONNRESET"); a bare number ("32", as str(OSError(32))
# is on MicroPython, whose errno table has no EPIPE) names nothing.
CLOSED_BY_PEER = r"ECONNRESET|EPIPE|ECONNABORTED|reset|closed"


def check_failure(res, cause_re, max_ms=3000, min_ms=0):
    """Problems (a list of texts) with a failed connect() result; empty when it is clear."""
    if res["ok"]:
        return ["connect() succeeded: {}".format(res)]
    problems = []
    if res["type"] not in ("OSError", "MQTTException"):
        problems.append("raised {} (api.md: a TLS/TCP failure raises OSError or MQTTException)".format(res["type"]))
    first_line = res["str"].split("\n")[0].strip()
    if not first_line:
        problems.append("the message's first line is empty: str(e) = {!r}".format(res["str"]))
    if not re.search(cause_re, res["str"]):
        problems.append("the message does not name the cause (wanted /{}/): str(e) = {!r}".format(cause_re, res["str"]))
    if not (min_ms <= res["ms"] <= max_ms):
        problems.append("took {} ms (bound {}..{} ms)".format(res["ms"], min_ms, max_ms))
    return problems


CASES = {
    # name: listener, server, ssl ("true" by default), params, context, cause (regex on str(e)), fix
    "wrong_CA": dict(
        listener="tls", server="localhost",
        params=lambda p: {"ca": f(p, "other_ca")},
        cause=r"(?i)(not trusted|untrusted|unknown ca|not correctly signed|issuer|verif)",
        fix=lambda p: {"ca": f(p, "ca")}),
    "expired_certificate": dict(
        listener="expired", server="localhost",
        params=lambda p: {"ca": f(p, "ca")},
        cause=r"(?i)expired",
        # The client is usable again: with verification off it connects.
        fix=lambda p: {"cert_reqs": "tls:CERT_NONE"}),
    "hostname_mismatch": dict(
        listener="wrong_host", server="localhost",
        params=lambda p: {"ca": f(p, "ca")},
        cause=r"(?i)(host ?name|common name|\bCN\b|subject ?alt)",
        fix=lambda p: {"server_hostname": h.Pki.WRONG_HOST}),
    "hostname_mismatch_ip_literal": dict(
        listener="tls", server="127.0.0.1",
        params=lambda p: {"ca": f(p, "ca")},
        cause=r"(?i)(host ?name|common name|\bCN\b|subject ?alt)",
        fix=lambda p: {"server_hostname": "localhost"}),
    "hostname_mismatch_ssl_context": dict(
        listener="wrong_host", server="localhost", ssl="context",
        params=lambda p: {}, context=lambda p: {"ca": f(p, "ca")},
        cause=r"(?i)(host ?name|common name|\bCN\b|subject ?alt)",
        fix=lambda p: {"server_hostname": h.Pki.WRONG_HOST}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_verification_failure_is_clear_and_the_client_stays_usable(tls_broker, tls_run, pki, case):
    c = CASES[case]
    spec = {
        "server": c["server"], "port": tls_broker.tls_ports[c["listener"]], "ssl": c.get("ssl", "true"),
        "params": c["params"](pki), "timeout": 5,
        "steps": [["connect", "first"], ["connect", "again"], ["set", c["fix"](pki)], ["connect", "fixed", True]],
    }
    if "context" in c:
        spec["context"] = c["context"](pki)
    run = tls_run(spec)
    problems = ["first connect(): " + p for p in check_failure(run["first"], c["cause"])]
    again = run["again"]
    if again["ok"] or (again.get("type"), again.get("str")) != (run["first"].get("type"), run["first"].get("str")):
        problems.append("connect() again on the same client did not fail the same way: {}".format(again))
    fixed = run["fixed"]
    if not (fixed["ok"] and fixed["rc"] == 0 and fixed.get("echo") == "ok"):
        problems.append("after putting ssl_params right, connect() on the same client did not work: {}".format(fixed))
    assert not problems, "\n".join(problems) + "\n" + run.describe()


def _repeat_failure(tls_run, spec, cause, max_ms, min_ms=0):
    spec = dict(spec, steps=[["connect", "first"], ["connect", "again"]])
    run = tls_run(spec)
    problems = []
    for step in ("first", "again"):
        problems += ["{} connect(): {}".format(step, p) for p in check_failure(run[step], cause, max_ms, min_ms)]
    if (run["again"].get("type"), run["again"].get("errno")) != (run["first"].get("type"), run["first"].get("errno")):
        problems.append("connect() again on the same client failed differently")
    assert not problems, "\n".join(problems) + "\n" + run.describe()
    return run


def test_plain_client_on_a_TLS_port_fails_clearly(tls_broker, tls_run):
    spec = {"server": "localhost", "port": tls_broker.tls_ports["tls"], "ssl": "false", "timeout": 5}
    _repeat_failure(tls_run, spec, r"(?i)TLS|SSL|" + CLOSED_BY_PEER, max_ms=6000)


def test_TLS_client_on_a_plain_port_fails_clearly(tls_broker, tls_run, pki):
    spec = {"server": "localhost", "port": tls_broker.port, "ssl": "true", "params": {"ca": f(pki, "ca")},
            "timeout": 5}
    _repeat_failure(tls_run, spec, r"(?i)TLS|SSL|handshake|" + CLOSED_BY_PEER, max_ms=6000)


def test_TLS_handshake_timeout(silent_server, tls_run, pki):
    # The server accepts TCP and never answers the ClientHello: timeout=2 bounds the handshake.
    spec = {"server": "localhost", "port": silent_server.port, "ssl": "true", "params": {"ca": f(pki, "ca")},
            "timeout": 2}
    _repeat_failure(tls_run, spec, r"(?i)ETIMEDOUT|timed? ?out", min_ms=1500, max_ms=5000)
    assert silent_server.accepted == 2


@pytest.mark.parametrize("cert", [None, "rogue_client"], ids=["no-certificate", "untrusted-certificate"])
def test_mutual_listener_refuses_a_client_without_a_good_certificate(tls_broker, tls_run, pki, cert):
    params = {"ca": f(pki, "ca")}
    if cert:
        params.update(cert=f(pki, cert), key=f(pki, cert, "key"))
    spec = {"server": "localhost", "port": tls_broker.tls_ports["mutual"], "ssl": "true", "params": params,
            "timeout": 5,
            "steps": [["connect", "first"], ["connect", "again"],
                      ["set", {"cert": f(pki, "client"), "key": f(pki, "client", "key")}],
                      ["connect", "fixed", True]]}
    run = tls_run(spec)
    # The client only sees the broker end the handshake (an alert, or the
    # connection closed): the message names TLS or the closed connection.
    problems = []
    for step in ("first", "again"):
        problems += ["{} connect(): {}".format(step, p) for p in check_failure(
            run[step], r"(?i)TLS|SSL|handshake|certificate|alert|" + CLOSED_BY_PEER)]
    fixed = run["fixed"]
    if not (fixed["ok"] and fixed["rc"] == 0 and fixed.get("echo") == "ok"):
        problems.append("with a good client certificate the same client did not connect: {}".format(fixed))
    assert not problems, "\n".join(problems) + "\n" + run.describe()


# ---------------------------------------------------------------------------
# The port's own TLS module: tls, else ssl, else ussl
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("missing,tried", [
    ("", "tls"),
    ("tls", "tls ssl"),
    ("tls,ssl", "tls ssl ussl"),
], ids=["tls", "no-tls-uses-ssl", "no-tls-no-ssl-uses-ussl"])
def test_uses_the_ports_tls_module_with_fallbacks(tls_broker, mpy, ids, pki, paho_peer, missing, tried):
    peer = paho_peer(tls_broker)
    peer.subscribe(ids.topic + "/fallback", qos=1)
    r = mpy.run("tls_fallback.py", env=mpy.env(tls_broker, ids, MQTT_HOST="localhost",
                                               MQTT_PORT=tls_broker.tls_ports["tls"], MISSING=missing,
                                               CA_FILE=pki.path("ca")))
    assert r.returncode == 0, r.describe()
    lines = r.stdout.splitlines()
    assert lines[0] == 'RESULT {"ok": true}' and lines[1] == "IMPORTS " + tried, r.describe()
    # Everything went through that module: the context, its constants.
    assert {"SSLContext", "PROTOCOL_TLS_CLIENT", "CERT_REQUIRED"} <= set(lines[2].split()[1:]), r.describe()
    assert [m.payload for m in peer.wait_messages(1, timeout=5)] == ["via {}".format(tried.replace(" ", "/")).encode()]


def test_no_tls_module_at_all_is_a_clear_error(tls_broker, mpy, ids, pki):
    r = mpy.run("tls_fallback.py", env=mpy.env(tls_broker, ids, MQTT_HOST="localhost",
                                               MQTT_PORT=tls_broker.tls_ports["tls"], MISSING="tls,ssl,ussl",
                                               CA_FILE=pki.path("ca")))
    assert r.returncode == 0, r.describe()
    lines = r.stdout.splitlines()
    assert lines[1] == "IMPORTS tls ssl ussl", r.describe()
    res = json.loads(lines[0][len("RESULT "):])
    assert res["ok"] is False and res["type"] == "ImportError" and re.search(r"(?i)TLS", res["str"]), r.describe()
