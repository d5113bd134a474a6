# umqtt.simple's and QuecPython's instance attributes, read by scripts and
# subclasses, with the values the constructor and the session gave them.
from face_common import HOST, PORT, CLIENT_ID, TOPIC, FACE, face_class

MQTTClient = face_class()
c = MQTTClient(CLIENT_ID, HOST, PORT, user="u1", password="p1", keepalive=30, ssl=False, ssl_params={},
               version=4, pingmaxnum=2)
print("BEFORE sock={} lw_topic={} lw_msg={} lw_qos={} lw_retain={} pid={}".format(
    c.sock, c.lw_topic, c.lw_msg, c.lw_qos, c.lw_retain, c.pid))
c.set_last_will(TOPIC + "/will", b"gone", retain=True, qos=1)
print("WILL", c.lw_topic == TOPIC + "/will", c.lw_msg, c.lw_qos, c.lw_retain)
print("CONFIG", c.server == HOST, c.port == PORT, c.client_id == CLIENT_ID, c.user, c.pswd, c.keepalive,
      c.ssl, c.ssl_params, c.reconn, c.pingmaxnum, c.mqttversion, c.manage, c.ipvtype, c.DELAY, c.DEBUG)
