"""The frozen ``ssl`` module (firmware/unix/ssl.py, over the built-in ``tls``):
MicroPython's documented ``ssl.SSLContext`` recipe and the module-level
``ssl.wrap_socket`` against mosquitto TLS listeners (certificates made by
openssl at test time), and ``umqtt.MQTTClient(..., ssl=ctx)`` with such a
context. Each step does an MQTT CONNECT over the TLS socket and reports the
CONNACK bytes, or the type of the exception it raised."""

import pytest

import mqtt_harness as h

CONNACK_OK = "20020000"


@pytest.fixture(scope="module")
def ssl_run(firmware, tls_broker_session, pki, tmp_path_factory):
    b = tls_broker_session
    topic = "umqtt-test/" + h.unique("ssl")
    peer = h.PahoPeer(b.host, b.port).connect()
    try:
        peer.subscribe(topic, qos=1)
        env = {"SSL_CA": pki.path("ca"), "SSL_OTHER_CA": pki.path("other_ca"),
               "SSL_CLIENT_CRT": pki.path("client"), "SSL_CLIENT_KEY": pki.path("client", "key"),
               "TLS_PORT": b.tls_ports["tls"], "MUTUAL_PORT": b.tls_ports["mutual"],
               "MQTT_CLIENT_ID": h.unique("umqtt-ssl"), "MQTT_TOPIC": topic}
        r = h.run_mpy(firmware, h.TESTS_DIR / "api" / "ssl_module.py", env=env, timeout=90,
                      cwd=str(h.TESTS_DIR / "api"))
        results = {}
        for line in r.stdout.splitlines():
            if line.startswith("RESULT "):
                _, step, value = line.split(" ", 2)
                results[step] = value
        delivered = [m.payload for m in peer.wait_messages(2, topic=topic, timeout=5)]
    finally:
        peer.close()
    text = "exit code {}\n--- stdout ---\n{}--- stderr ---\n{}".format(r.returncode, r.stdout, r.stderr)
    assert r.returncode == 0 and r.stdout.splitlines()[-1:] == ["END"], text
    return results, delivered, text


# A certificate that fails verification: the built-in tls module raises
# ValueError (MBEDTLS_ERR_X509_CERT_VERIFY_FAILED, "invalid cert"); ssl passes
# it on unchanged, as micropython-lib's ssl does.
EXPECTED = {
    "names": "all",
    "new_context_verify_mode": "True",
    "context_cafile": CONNACK_OK,
    "context_cadata": CONNACK_OK,
    "context_verify_mode": "True",
    "context_unrelated_ca": "raised ValueError",
    "context_wrong_name": "raised ValueError",
    "context_no_ca_cert_none": CONNACK_OK,
    "context_client_cert_files": CONNACK_OK,
    "context_client_cert_data": CONNACK_OK,
    "load_verify_locations_nothing": "raised ValueError",
    "wrap_socket_cadata": CONNACK_OK,
    "wrap_socket_client_cert": CONNACK_OK,
    "wrap_socket_unrelated_ca": "raised ValueError",
    # QuecPython face: connect() 0, publish() True once acknowledged.
    "umqtt_context": "0 True",
    # umqtt.simple face: connect() the session-present flag, publish() None.
    "umqtt_simple_context": "False None",
}


@pytest.mark.umqtt_timeout(150)
@pytest.mark.parametrize("step", sorted(EXPECTED))
def test_ssl_step(ssl_run, step):
    results, _, text = ssl_run
    assert results.get(step) == EXPECTED[step], text


@pytest.mark.umqtt_timeout(150)
def test_client_certificate_required(ssl_run):
    # A listener that requires a client certificate refuses a client without
    # one (mbedTLS reports the broker's alert as OSError).
    results, _, text = ssl_run
    assert results.get("context_no_client_cert") == "raised OSError", text


@pytest.mark.umqtt_timeout(150)
def test_umqtt_refuses_unrelated_ca(ssl_run):
    results, _, text = ssl_run
    assert results.get("umqtt_context_unrelated_ca") in ("raised OSError", "raised MQTTException"), text


@pytest.mark.umqtt_timeout(150)
def test_umqtt_messages_reach_the_peer(ssl_run):
    _, delivered, text = ssl_run
    assert delivered == [b"over ssl.SSLContext 1", b"over ssl.SSLContext 2"], text
