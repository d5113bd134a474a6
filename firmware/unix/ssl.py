# ssl for the unix test firmware: the small `ssl` module MicroPython documents
# (docs/library/ssl.rst), written over the firmware's built-in `tls` module
# (MicroPython 1.25 names its C TLS module `tls`; `ssl` is meant to come from
# micropython-lib, which this firmware does not carry, so it is frozen here).
#
# MicroPython's recipe runs as documented:
#
#     import ssl
#     ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
#     ctx.load_verify_locations(cadata=ca_pem_or_der)   # or cafile="ca.crt"
#     ctx.verify_mode = ssl.CERT_REQUIRED
#     s = ctx.wrap_socket(sock, server_hostname="broker.example")
#
# and so does the older module-level ssl.wrap_socket(sock, ...). An SSLContext
# from here can be given to umqtt.MQTTClient(..., ssl=ctx).
#
# Differences from CPython, as in MicroPython: certificates and keys may be
# given as data (bytes) instead of file names; a new context does not verify
# the peer until verify_mode is set (CERT_NONE), as MicroPython's own `ssl`.

import tls
from tls import (
    CERT_NONE,
    CERT_OPTIONAL,
    CERT_REQUIRED,
    PROTOCOL_TLS_CLIENT,
    PROTOCOL_TLS_SERVER,
)


def _data(x):
    # A str names a file (CPython's meaning); bytes are the certificate or key itself.
    if isinstance(x, str):
        with open(x, "rb") as f:
            return f.read()
    return x


class SSLContext:
    def __init__(self, protocol=PROTOCOL_TLS_CLIENT):
        self._context = tls.SSLContext(protocol)
        self._context.verify_mode = CERT_NONE

    @property
    def verify_mode(self):
        return self._context.verify_mode

    @verify_mode.setter
    def verify_mode(self, value):
        self._context.verify_mode = value

    def load_cert_chain(self, certfile, keyfile):
        self._context.load_cert_chain(_data(certfile), _data(keyfile))

    def load_verify_locations(self, cafile=None, cadata=None):
        if cafile is not None:
            cadata = _data(cafile)
        if cadata is None:
            raise ValueError("cafile or cadata required")
        self._context.load_verify_locations(cadata)

    def wrap_socket(self, sock, server_side=False, do_handshake_on_connect=True, server_hostname=None):
        return self._context.wrap_socket(
            sock,
            server_side=server_side,
            do_handshake_on_connect=do_handshake_on_connect,
            server_hostname=server_hostname,
        )


def wrap_socket(
    sock,
    server_side=False,
    key=None,
    cert=None,
    cert_reqs=CERT_NONE,
    cadata=None,
    server_hostname=None,
    do_handshake=True,
):
    ctx = SSLContext(PROTOCOL_TLS_SERVER if server_side else PROTOCOL_TLS_CLIENT)
    if cert is not None or key is not None:
        ctx.load_cert_chain(cert, key)
    if cadata is not None:
        ctx.load_verify_locations(cadata=cadata)
    ctx.verify_mode = cert_reqs
    return ctx.wrap_socket(
        sock, server_side=server_side, do_handshake_on_connect=do_handshake, server_hostname=server_hostname
    )
