# The asyncio client over TLS (ssl=True with a pinned CA, or an SSLContext),
# with the 10 ms ticker running through the handshake.
import asyncio
import os
from umqtt.aio import MQTTClient, MQTTException
from aio_common import HOST, PORT, CLIENT_ID, TOPIC, out, bounded, Ticker

with open(os.getenv("CA_FILE"), "rb") as f:
    CA = f.read()
HOSTNAME = os.getenv("TLS_HOSTNAME", "localhost")
CONTEXT = os.getenv("TLS_CONTEXT") == "1"


def ssl_args():
    if CONTEXT:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cadata=CA)
        ctx.verify_mode = ssl.CERT_REQUIRED
        return {"ssl": ctx, "ssl_params": {"server_hostname": HOSTNAME}}
    return {"ssl": True, "ssl_params": {"cadata": CA, "server_hostname": HOSTNAME}}


async def main():
    ticker = Ticker().start()
    client = MQTTClient(CLIENT_ID, HOST, PORT, keepalive=10, timeout=5, reconn=False, **ssl_args())
    try:
        out("CONNECT", await bounded(client.connect(), 15, "connect"))
    except Exception as e:
        out("FAILED", type(e).__name__, e.args[0] if e.args else "")
        out("GAP", ticker.stop())
        return
    await bounded(client.subscribe(TOPIC, 2), 10, "subscribe")
    for qos in (0, 1, 2):
        await bounded(client.publish(TOPIC, b"tls %d" % qos, qos=qos), 10, "publish")
    got = []
    async for m in client.messages:
        got.append((m.payload, m.qos))
        if len(got) == 3:
            break
    out("GOT", got)
    await bounded(client.disconnect(), 10, "disconnect")
    out("GAP", ticker.stop())


asyncio.run(main())
