# umqtt.simple's attributes after construction and after set_last_will /
# set_callback; robust's class attributes; errors for a refused TCP connect
# and a refused CONNACK (bad credentials, MQTT_AUTH_PORT).
import os
from diffimpl import HOST, kind, out, raised, robust, simple

c = simple.MQTTClient("attr-id", "192.0.2.1")
for name in ("client_id", "server", "port", "user", "pswd", "keepalive", "ssl", "ssl_params", "pid", "cb",
             "lw_topic", "lw_msg", "lw_qos", "lw_retain", "sock"):
    out("default_" + name, kind(getattr(c, name)))
c = simple.MQTTClient(b"attr-id", "192.0.2.1", 0, "user", "pw", 60, True, {"server_hostname": "x"})
for name in ("client_id", "port", "user", "pswd", "keepalive", "ssl"):
    out("given_" + name, kind(getattr(c, name)))
out("given_ssl_params", sorted(c.ssl_params.items()))
out("robust_DELAY", kind(robust.MQTTClient.DELAY))
out("robust_DEBUG", kind(robust.MQTTClient.DEBUG))
out("robust_is_simple_subclass", issubclass(robust.MQTTClient, simple.MQTTClient))
out("MQTTException_is_Exception", issubclass(simple.MQTTException, Exception))

closed_port = int(os.getenv("MQTT_CLOSED_PORT"))
out("connect_refused_tcp", raised(simple.MQTTClient("attr-id", HOST, closed_port).connect))
bad = simple.MQTTClient("attr-id", HOST, int(os.getenv("MQTT_AUTH_PORT")), "alice", "wrong password")
out("connect_bad_password", raised(bad.connect))
