# transport=: the client talks through a Python io.IOBase stream the script
# provides (here wrapping a socket; on a device it could be a modem's UART).
# The factory is called again for each reconnect.
import io
import os
import socket
import _thread
import time
from umqtt import MQTTClient

port = int(os.getenv("MQTT_PORT"))
topic = os.getenv("TOPIC")
opened = []


class SocketStream(io.IOBase):
    def __init__(self, sock):
        self.sock = sock
        self.sock.setblocking(False)

    def readinto(self, buf):
        try:
            data = self.sock.recv(len(buf))
        except OSError as e:
            if e.errno == 11:       # EAGAIN: nothing yet
                return None
            raise
        buf[: len(data)] = data
        return len(data)

    def write(self, buf):
        try:
            return self.sock.send(buf)
        except OSError as e:
            if e.errno == 11:
                return None
            raise

    def ioctl(self, req, arg):
        if req == 4:                # MP_STREAM_CLOSE
            self.sock.close()
        return 0

    def kill(self):
        # Simulate the link dropping under the client.
        self.sock.close()


def connect_stream():
    s = socket.socket()
    s.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
    stream = SocketStream(s)
    opened.append(stream)
    return stream


events = []
got = []
c = MQTTClient(os.getenv("CLIENT_ID"), "unused-host", transport=connect_stream, keepalive=10)
c.error_register_cb(events.append)
c.set_callback(lambda t, m: got.append((t, m)))
print("CONNECT", c.connect())
c.subscribe(topic + "/in", 1)
c.publish(topic + "/out", b"first", qos=1)
print("READY")
c.wait_msg()
print("GOT", got)
opened[-1].kill()                  # the link dies; reconn=True reconnects through a new stream
c.publish(topic + "/out", b"after reconnect", qos=1)
print("OPENED", len(opened), "EVENTS", events, "STA", c.get_mqttsta())
c.disconnect()
print("DONE")
