# The frozen `ssl` module (firmware/unix/ssl.py) as MicroPython documents it,
# against mosquitto TLS listeners made by the tests. Prints "RESULT <step>
# <value>" per step; test_ssl_module.py checks each.
# Env: SSL_CA, SSL_OTHER_CA, SSL_CLIENT_CRT, SSL_CLIENT_KEY (files),
#      TLS_PORT, MUTUAL_PORT, MQTT_CLIENT_ID, MQTT_TOPIC.
import os
import socket
import ssl
import umqtt
import umqtt.simple

CA = os.getenv("SSL_CA")
OTHER_CA = os.getenv("SSL_OTHER_CA")
CLIENT_CRT = os.getenv("SSL_CLIENT_CRT")
CLIENT_KEY = os.getenv("SSL_CLIENT_KEY")
TLS_PORT = int(os.getenv("TLS_PORT"))
MUTUAL_PORT = int(os.getenv("MUTUAL_PORT"))
CID = os.getenv("MQTT_CLIENT_ID")
TOPIC = os.getenv("MQTT_TOPIC")


def result(step, value):
    print("RESULT", step, value)


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def tcp(port):
    s = socket.socket()
    s.connect(socket.getaddrinfo("localhost", port)[0][-1])
    return s


def connack(tls_sock, cid):
    # A bare MQTT 3.1.1 CONNECT (clean session, keep-alive 60) and its CONNACK.
    cid = cid.encode()
    body = b"\x00\x04MQTT\x04\x02\x00\x3c" + bytes([len(cid) >> 8, len(cid) & 0xFF]) + cid
    tls_sock.write(bytes([0x10, len(body)]) + body)
    got = b""
    while len(got) < 4:
        chunk = tls_sock.read(4 - len(got))
        if not chunk:
            break
        got += chunk
    tls_sock.write(b"\xe0\x00")
    tls_sock.close()
    return got.hex()


def step(name, f):
    try:
        result(name, f())
    except Exception as e:  # the type is the result
        result(name, "raised " + type(e).__name__)


names = ("SSLContext", "PROTOCOL_TLS_CLIENT", "PROTOCOL_TLS_SERVER", "CERT_NONE", "CERT_OPTIONAL",
         "CERT_REQUIRED", "wrap_socket")
result("names", " ".join(n for n in names if not hasattr(ssl, n)) or "all")
result("new_context_verify_mode", ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).verify_mode == ssl.CERT_NONE)


def context(ca=None, cadata=None, cert=None, key=None, verify=ssl.CERT_REQUIRED):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca is not None:
        ctx.load_verify_locations(cafile=ca)
    if cadata is not None:
        ctx.load_verify_locations(cadata=cadata)
    if cert is not None:
        ctx.load_cert_chain(cert, key)
    ctx.verify_mode = verify
    return ctx


# MicroPython's documented recipe, the CA as a file name and as data.
step("context_cafile", lambda: connack(context(ca=CA).wrap_socket(tcp(TLS_PORT), server_hostname="localhost"),
                                       CID + "-a"))
step("context_cadata", lambda: connack(
    context(cadata=read_file(CA)).wrap_socket(tcp(TLS_PORT), server_hostname="localhost"), CID + "-b"))
step("context_verify_mode", lambda: context(ca=CA).verify_mode == ssl.CERT_REQUIRED)
step("context_unrelated_ca", lambda: connack(
    context(ca=OTHER_CA).wrap_socket(tcp(TLS_PORT), server_hostname="localhost"), CID + "-c"))
step("context_wrong_name", lambda: connack(
    context(ca=CA).wrap_socket(tcp(TLS_PORT), server_hostname="not-localhost.invalid"), CID + "-d"))
step("context_no_ca_cert_none", lambda: connack(
    context(verify=ssl.CERT_NONE).wrap_socket(tcp(TLS_PORT), server_hostname="localhost"), CID + "-e"))
step("context_client_cert_files", lambda: connack(
    context(ca=CA, cert=CLIENT_CRT, key=CLIENT_KEY).wrap_socket(tcp(MUTUAL_PORT), server_hostname="localhost"),
    CID + "-f"))
step("context_client_cert_data", lambda: connack(
    context(ca=CA, cert=read_file(CLIENT_CRT), key=read_file(CLIENT_KEY)).wrap_socket(
        tcp(MUTUAL_PORT), server_hostname="localhost"), CID + "-g"))
step("context_no_client_cert", lambda: connack(
    context(ca=CA).wrap_socket(tcp(MUTUAL_PORT), server_hostname="localhost"), CID + "-h"))
step("load_verify_locations_nothing", lambda: ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations())

# The module-level wrap_socket (older MicroPython API).
step("wrap_socket_cadata", lambda: connack(ssl.wrap_socket(
    tcp(TLS_PORT), cadata=read_file(CA), cert_reqs=ssl.CERT_REQUIRED, server_hostname="localhost"), CID + "-i"))
step("wrap_socket_client_cert", lambda: connack(ssl.wrap_socket(
    tcp(MUTUAL_PORT), key=read_file(CLIENT_KEY), cert=read_file(CLIENT_CRT), cadata=read_file(CA),
    cert_reqs=ssl.CERT_REQUIRED, server_hostname="localhost"), CID + "-j"))
step("wrap_socket_unrelated_ca", lambda: connack(ssl.wrap_socket(
    tcp(TLS_PORT), cadata=read_file(OTHER_CA), cert_reqs=ssl.CERT_REQUIRED, server_hostname="localhost"),
    CID + "-k"))


# umqtt with ssl=<ssl.SSLContext>, each face.
def mqtt(face, ctx, n):
    c = face.MQTTClient(CID + "-m" + n, "localhost", TLS_PORT, keepalive=30, reconn=False, ssl=ctx)
    rc = c.connect()
    pub = c.publish(TOPIC, "over ssl.SSLContext " + n, qos=1)
    c.disconnect()
    return "{} {}".format(rc, pub)


step("umqtt_context", lambda: mqtt(umqtt, context(ca=CA), "1"))
step("umqtt_simple_context", lambda: mqtt(umqtt.simple, context(ca=CA), "2"))
step("umqtt_context_unrelated_ca", lambda: mqtt(umqtt, context(ca=OTHER_CA), "3"))
print("END")
