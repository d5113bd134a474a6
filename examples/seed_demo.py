# The complete example of the QuecPython MQTT application note, verbatim:
# the MqttClientManage class and the main code with checkNet. Changed: only
# `server` (a local broker instead of mq.tongxinmao.com); tools/demo.py and
# the tests substitute the `port` line with the local broker's port.
# Appended after the note's main code (marked below): the main thread
# publishes to Client A's topic for a bounded time, then the script ends.
#
# Run:  python3 tools/demo.py build/micropython
import _thread
from umqtt import MQTTClient


class MqttClientManage(object):
    """
    Quecpython client manage
    """

    def __init__(self, client_id, server, port, user=None, password=None, keepalive=60, ssl=False, ssl_params=None,reconn=True):
        self.client_id = client_id
        self.server = server
        self.port = port
        self.user = user
        self.password = password
        self.keepalive = keepalive
        self.ssl = ssl
        self.ssl_params = ssl_params
        self.reconn = reconn
        self.client = MQTTClient(self.client_id, self.server, self.port, self.user, self.password,
                                 keepalive=self.keepalive, ssl=self.ssl, ssl_params=self.ssl_params,
                                 reconn=reconn)

    def connect(self):
        '''
        Connect MQTT Server
        '''
        return self.client.connect()

    def set_callback(self, sub_cb=None):
        '''
        Set MQTT callback message function
        '''
        if sub_cb is None:
            sub_cb = self.mqtt_cli_cb
        self.client.set_callback(sub_cb)

    def mqtt_cli_cb(self, topic, data):
        print("QuecPython receive Topic={},Msg={}".format(topic.decode(), data.decode()))

    def subscribe(self, topic, qos=0):
        '''
        Subscribe the topic
        '''
        return self.client.subscribe(topic, qos)

    def publish(self, topic, msg, qos=0):
        '''
        Publish the message
        '''
        return self.client.publish(topic, msg, qos)

    def disconnect(self):
        '''
        Disconnect
        '''
        return self.client.disconnect()

    def __listen(self):
        while True:
            try:
                self.client.wait_msg()
            except Exception as err:
                print("mqtt client listen error: " + str(err))

    def loop_forever(self):
        _thread.start_new_thread(self.__listen, ())


import checkNet

client_id = "QuecPython_cli_2023"
server = "127.0.0.1"
port = 18830

# Device topic
sub_topic_b = "/public/TEST/QuecPython2023_B"

# Create MQTT connection object
mqtt_cli_obj = MqttClientManage(client_id, server, port)

# Register the message callback function
mqtt_cli_obj.set_callback()

stage, state = checkNet.waitNetworkReady(30)
if stage == 3 and state == 1: # Network status id normal
    # Request to connect the MQTT server
    connect_state = mqtt_cli_obj.connect()
    print("mqtt connect state: ", connect_state)

    # Subscribe to a topic of Client A
    sub_state = mqtt_cli_obj.subscribe(sub_topic_b)
    print("mqtt subscribe state: ", sub_state)

    # Start listening for messages
    mqtt_cli_obj.loop_forever()
else:
    print('Network connection failed, stage={}, state={}'.format(stage, state))

# ---------------------------------------------------------------------------
# Appended for the local demo (not in the application note): as in the note's
# "mqtt_cli_obj.publish(...)" step, the main thread publishes to Client A's
# topic every 200 ms for a bounded time (30 messages, about 6 s), then the
# script ends (which ends the listening thread too).
import utime

if stage == 3 and state == 1:
    for i in range(30):
        mqtt_cli_obj.publish("/public/TEST/QuecPython2023_A", "Hello, PC {}".format(i), qos=0)
        utime.sleep_ms(200)
print("demo done")
