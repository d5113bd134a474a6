// The C reference client of the benchmark: libmosquitto (Debian's
// libmosquitto-dev) doing the same work as the MicroPython device script
// bench/mpy/device.py, driven by bench/run.py over the same line protocol.
//
//   mosq_bench serve HOST PORT ID [VERSION]
//                                     read commands on stdin (see below); VERSION
//                                     5 connects with MQTT 5
//                                     (MOSQ_OPT_PROTOCOL_VERSION = MQTT_PROTOCOL_V5),
//                                     else MQTT 3.1.1 (libmosquitto's default)
//   mosq_bench flood HOST PORT TOPIC SIZE COUNT
//                                     publish COUNT QoS 0 messages of SIZE bytes
//                                     as fast as possible, then one QoS 1
//                                     message (its PUBACK proves the broker has
//                                     routed all of them), print "FLOODED", exit
//
// Semantics match the MicroPython clients (see bench/README.md):
// - libmosquitto is used single-threaded: no loop_start(); the program calls
//   mosquitto_loop() itself. In that mode mosquitto_publish() writes the
//   packet to the socket at once; QoS 0 returns once the whole packet is in
//   the socket (if the socket was full, mosquitto_loop() runs until libmosquitto
//   has nothing left to write), like umqtt's publish.
// - QoS 1 / QoS 2 publish is synchronous: publish, then mosquitto_loop() until
//   on_publish() reports that message id (PUBACK / PUBCOMP), then the next one.
// - Round trip: subscribed to its own topic; publish at QoS 0, then
//   mosquitto_loop() until on_message() has seen it.
// - Receive flood: subscribed to the flood topic; mosquitto_loop() until COUNT
//   messages reached on_message().
//
// Commands (one per line) and answers:
//   pub QOS SIZE COUNT MAXMS   -> RESULT pub<QOS> SIZE N MICROSECONDS WARMUP
//   rtt SIZE COUNT MAXMS       -> RESULT rtt SIZE N MICROSECONDS WARMUP
//   floodprep SIZE             -> READY
//   flood SIZE COUNT           -> RESULT flood SIZE COUNT MICROSECONDS 0
//   quit                       -> BYE
// COUNT is an upper bound: a timed warm-up batch estimates the rate and the
// measured loop runs min(COUNT, rate * MAXMS) iterations (at least a few).

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>

static struct mosquitto *mosq;
static volatile bool connected;
static volatile int last_mid_done = -1;
static volatile long messages;          // on_message count
static char id_prefix[128];

static void die(const char *what, int rc) {
    fprintf(stderr, "mosq_bench: %s: %s\n", what, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
    exit(2);
}

static uint64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void on_connect(struct mosquitto *m, void *ud, int rc) {
    (void)m;
    (void)ud;
    if (rc != 0) {
        fprintf(stderr, "mosq_bench: connection refused: %d\n", rc);
        exit(2);
    }
    connected = true;
}

static void on_publish(struct mosquitto *m, void *ud, int mid) {
    (void)m;
    (void)ud;
    last_mid_done = mid;
}

static void on_message(struct mosquitto *m, void *ud, const struct mosquitto_message *msg) {
    (void)m;
    (void)ud;
    (void)msg;
    messages++;
}

static volatile int subscribed_mid = -1;
static void on_subscribe(struct mosquitto *m, void *ud, int mid, int n, const int *granted) {
    (void)m;
    (void)ud;
    (void)n;
    (void)granted;
    subscribed_mid = mid;
}

static void loop_once(int timeout_ms) {
    int rc = mosquitto_loop(mosq, timeout_ms, 1);
    if (rc != MOSQ_ERR_SUCCESS) {
        die("mosquitto_loop", rc);
    }
}

static void setup(const char *host, int port, const char *id, int version) {
    mosquitto_lib_init();
    mosq = mosquitto_new(id, true, NULL);
    if (mosq == NULL) {
        die("mosquitto_new", MOSQ_ERR_NOMEM);
    }
    if (version == 5) {
        // The same callbacks serve MQTT 5 (on_connect gets the reason code);
        // no property is sent or read.
        int rc = mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
        if (rc != MOSQ_ERR_SUCCESS) {
            die("MOSQ_OPT_PROTOCOL_VERSION", rc);
        }
    }
    mosquitto_connect_callback_set(mosq, on_connect);
    mosquitto_publish_callback_set(mosq, on_publish);
    mosquitto_message_callback_set(mosq, on_message);
    mosquitto_subscribe_callback_set(mosq, on_subscribe);
    int rc = mosquitto_connect(mosq, host, port, 60);
    if (rc != MOSQ_ERR_SUCCESS) {
        die("mosquitto_connect", rc);
    }
    uint64_t deadline = now_us() + 10000000u;
    while (!connected) {
        if (now_us() > deadline) {
            die("no CONNACK", MOSQ_ERR_CONN_LOST);
        }
        loop_once(100);
    }
}

// Run the loop until libmosquitto has nothing left to write.
static void flush_writes(void) {
    while (mosquitto_want_write(mosq)) {
        loop_once(100);
    }
}

static void publish_one(const char *topic, const void *payload, int len, int qos) {
    int mid = 0;
    int rc = mosquitto_publish(mosq, &mid, topic, len, payload, qos, false);
    if (rc != MOSQ_ERR_SUCCESS) {
        die("mosquitto_publish", rc);
    }
    if (qos == 0) {
        if (mosquitto_want_write(mosq)) {
            flush_writes();
        }
        return;
    }
    uint64_t deadline = now_us() + 10000000u;
    while (last_mid_done != mid) {
        if (now_us() > deadline) {
            die("no PUBACK/PUBCOMP within 10 s", MOSQ_ERR_CONN_LOST);
        }
        loop_once(1000);
    }
}

static void subscribe(const char *topic, int qos) {
    int mid = 0;
    int rc = mosquitto_subscribe(mosq, &mid, topic, qos);
    if (rc != MOSQ_ERR_SUCCESS) {
        die("mosquitto_subscribe", rc);
    }
    while (subscribed_mid != mid) {
        loop_once(1000);
    }
}

static void rtt_one(const char *topic, const void *payload, int len) {
    long want = messages + 1;
    publish_one(topic, payload, len, 0);
    uint64_t deadline = now_us() + 10000000u;
    while (messages < want) {
        if (now_us() > deadline) {
            die("round trip message not back within 10 s", MOSQ_ERR_CONN_LOST);
        }
        loop_once(1000);
    }
}

static unsigned char *payload_of(int size) {
    unsigned char *p = malloc(size ? size : 1);
    if (p == NULL) {
        die("malloc", MOSQ_ERR_NOMEM);
    }
    for (int i = 0; i < size; i++) {
        p[i] = (unsigned char)((i * 31 + 7) & 0xFF);
    }
    return p;
}

// Warm up (at most max(2, count/20) iterations, at most 200, or a quarter of
// the time budget), estimate the rate, then time min(count, rate * max_ms)
// iterations, as device.py does. Returns the iterations; *dt gets microseconds.
typedef void (*step_fn)(const char *topic, const unsigned char *p, int size, int qos);

static long measure(step_fn step, const char *topic, const unsigned char *p, int size, int qos,
    long count, long max_ms, uint64_t *dt, long *warm_n) {
    long w = count / 20;
    w = w < 2 ? 2 : (w > 200 ? 200 : w);
    uint64_t budget = (uint64_t)max_ms * 250u;
    long i = 0;
    uint64_t t0 = now_us();
    while (i < w) {
        step(topic, p, size, qos);
        i++;
        if (now_us() - t0 > budget) {
            break;
        }
    }
    uint64_t warm = now_us() - t0;
    if (warm == 0) {
        warm = 1;
    }
    long n = (long)((double)i * (double)max_ms * 1000.0 / (double)warm);
    n = n > count ? count : n;
    n = n < 3 ? 3 : n;
    t0 = now_us();
    for (long k = 0; k < n; k++) {
        step(topic, p, size, qos);
    }
    *dt = now_us() - t0;
    *warm_n = i;
    return n;
}

static void pub_step(const char *topic, const unsigned char *p, int size, int qos) {
    publish_one(topic, p, size, qos);
}

static void rtt_step(const char *topic, const unsigned char *p, int size, int qos) {
    (void)qos;
    rtt_one(topic, p, size);
}

static void cmd_pub(int qos, int size, long count, long max_ms) {
    char topic[256], sync_topic[256];
    snprintf(topic, sizeof topic, "%s/pub%d/%d", id_prefix, qos, size);
    snprintf(sync_topic, sizeof sync_topic, "%s/sync", id_prefix);
    unsigned char *p = payload_of(size);
    uint64_t dt;
    long w;
    long n = measure(pub_step, topic, p, size, qos, count, max_ms, &dt, &w);
    publish_one(sync_topic, "", 0, 1);   // untimed: the broker has caught up
    printf("RESULT pub%d %d %ld %" PRIu64 " %ld\n", qos, size, n, dt, w);
    fflush(stdout);
    free(p);
}

static bool rtt_subscribed;

static void cmd_rtt(int size, long count, long max_ms) {
    char topic[256];
    snprintf(topic, sizeof topic, "%s/rtt", id_prefix);
    if (!rtt_subscribed) {
        subscribe(topic, 0);
        rtt_subscribed = true;
    }
    unsigned char *p = payload_of(size);
    uint64_t dt;
    long w;
    long n = measure(rtt_step, topic, p, size, 0, count, max_ms, &dt, &w);
    printf("RESULT rtt %d %ld %" PRIu64 " %ld\n", size, n, dt, w);
    fflush(stdout);
    free(p);
}

static void cmd_floodprep(int size) {
    char topic[256];
    snprintf(topic, sizeof topic, "%s/flood/%d", id_prefix, size);
    subscribe(topic, 0);
    printf("READY\n");
    fflush(stdout);
}

static void cmd_flood(int size, long count) {
    long start = messages;
    uint64_t t0 = now_us();
    uint64_t deadline = t0 + 20000000u;
    while (messages - start < count) {
        if (now_us() > deadline) {
            fprintf(stderr, "mosq_bench: flood: %ld of %ld messages after 20 s\n", messages - start, count);
            exit(2);
        }
        loop_once(1000);
    }
    uint64_t dt = now_us() - t0;
    printf("RESULT flood %d %ld %" PRIu64 " 0\n", size, count, dt);
    fflush(stdout);
}

static int serve(const char *host, int port, const char *id, int version) {
    snprintf(id_prefix, sizeof id_prefix, "bench/%s", id);
    setup(host, port, id, version);
    printf("HELLO\n");
    fflush(stdout);
    char line[256];
    while (fgets(line, sizeof line, stdin) != NULL) {
        char cmd[32];
        long a = 0, b = 0, c = 0, d = 0;
        int n = sscanf(line, "%31s %ld %ld %ld %ld", cmd, &a, &b, &c, &d);
        if (n < 1) {
            continue;
        }
        if (strcmp(cmd, "pub") == 0 && n == 5) {
            cmd_pub((int)a, (int)b, c, d);
        } else if (strcmp(cmd, "rtt") == 0 && n == 4) {
            cmd_rtt((int)a, b, c);
        } else if (strcmp(cmd, "floodprep") == 0 && n == 2) {
            cmd_floodprep((int)a);
        } else if (strcmp(cmd, "flood") == 0 && n == 3) {
            cmd_flood((int)a, b);
        } else if (strcmp(cmd, "quit") == 0) {
            break;
        } else {
            fprintf(stderr, "mosq_bench: bad command: %s", line);
            return 2;
        }
    }
    mosquitto_disconnect(mosq);
    flush_writes();
    mosquitto_destroy(mosq);
    mosquitto_lib_cleanup();
    printf("BYE\n");
    fflush(stdout);
    return 0;
}

static int flood(const char *host, int port, const char *topic, int size, long count) {
    char id[64];
    snprintf(id, sizeof id, "flooder-%ld", (long)now_us());
    setup(host, port, id, 4);
    unsigned char *p = payload_of(size);
    for (long i = 0; i < count; i++) {
        int rc = mosquitto_publish(mosq, NULL, topic, size, p, 0, false);
        if (rc != MOSQ_ERR_SUCCESS) {
            die("mosquitto_publish", rc);
        }
        if (mosquitto_want_write(mosq)) {
            loop_once(0);
        }
    }
    flush_writes();
    char sync_topic[300];
    snprintf(sync_topic, sizeof sync_topic, "%s/flooder-sync", topic);
    publish_one(sync_topic, "", 0, 1);
    mosquitto_disconnect(mosq);
    flush_writes();
    mosquitto_destroy(mosq);
    mosquitto_lib_cleanup();
    free(p);
    printf("FLOODED\n");
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv) {
    if ((argc == 5 || argc == 6) && strcmp(argv[1], "serve") == 0) {
        return serve(argv[2], atoi(argv[3]), argv[4], argc == 6 ? atoi(argv[5]) : 4);
    }
    if (argc == 7 && strcmp(argv[1], "flood") == 0) {
        return flood(argv[2], atoi(argv[3]), argv[4], atoi(argv[5]), atol(argv[6]));
    }
    if (argc == 2 && strcmp(argv[1], "version") == 0) {
        int major, minor, rev;
        mosquitto_lib_version(&major, &minor, &rev);
        printf("libmosquitto %d.%d.%d\n", major, minor, rev);
        return 0;
    }
    fprintf(stderr, "usage: mosq_bench serve HOST PORT ID [VERSION] | flood HOST PORT TOPIC SIZE COUNT | version\n");
    return 2;
}
