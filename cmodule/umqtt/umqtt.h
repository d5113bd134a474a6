// The MQTTClient object shared by the shim's files. MQTT logic lives in the
// Rust core (umqtt_core.h); this side owns the MicroPython objects, moves bytes
// through the stream protocol, and turns core statuses into exceptions.
#ifndef MICROPY_INCLUDED_UMQTT_H
#define MICROPY_INCLUDED_UMQTT_H

#include "py/obj.h"
#include "py/mpthread.h"
#include "umqtt_core.h"

// get_mqttsta() values, as QuecPython's client reports them.
#define UMQTT_STA_CONNECTED (0)
#define UMQTT_STA_CONNECTING (1)
#define UMQTT_STA_SERVER_CLOSED (2)
#define UMQTT_STA_CLOSED (-1)

typedef struct _umqtt_client_obj_t {
    mp_obj_base_t base;
    // Configuration, kept as the objects the script passed (GC-scanned here).
    mp_obj_t client_id;
    mp_obj_t server;
    mp_obj_t user;
    mp_obj_t password;
    mp_obj_t ssl;
    mp_obj_t ssl_params;
    mp_obj_t will_topic;            // MP_OBJ_NULL: no will
    mp_obj_t will_msg;
    mp_obj_t msg_cb;                // f(topic, msg) or None
    mp_obj_t err_cb;                // f(err: str) or None
    mp_obj_t delay;                 // DELAY attribute (umqtt.robust / QuecPython)
    mp_obj_t debug;                 // DEBUG attribute
    // The connection: `stream` is what we read and write (TLS or plain),
    // `sock` the TCP socket under it (for its file descriptor).
    mp_obj_t stream;                // MP_OBJ_NULL when closed
    mp_obj_t sock;
    int fd;                         // -1 when the transport has none to poll
    // Buffers on the GC heap, reused: nothing is allocated per publish.
    uint8_t *rx_buf;
    size_t rx_cap, rx_start, rx_end;
    uint8_t *tx_buf;
    size_t tx_cap;
    size_t max_packet;              // largest packet accepted from the broker
    mp_uint_t port;
    uint32_t timeout_ms;            // bound on each network wait
    uint16_t keepalive;
    uint8_t version;
    uint8_t will_qos;
    uint8_t pingmaxnum;
    bool will_retain;
    bool reconn;
    bool clean_session;
    bool session_present;           // from the last CONNACK
    int8_t sta;
    volatile uint16_t waiters;      // threads currently waiting for bytes
    #if MICROPY_PY_THREAD
    mp_thread_mutex_t mutex;        // guards the core, the buffers and the stream
    #endif
    // The Rust core lives here; the GC never moves a block.
    uint64_t core[(UMQTT_CORE_SIZE + 7) / 8];
} umqtt_client_obj_t;

extern const mp_obj_type_t umqtt_client_type;
extern const mp_obj_type_t mp_type_MQTTException;

// Raise MQTTException(code, text) / MQTTException(text).
NORETURN void umqtt_raise_code(mp_int_t code, const char *text);
NORETURN void umqtt_raise_status(UmqttStatus status);

// Transport (umqtt_io.c). None of these take the client mutex themselves.
void umqtt_io_open(umqtt_client_obj_t *self);       // TCP (+TLS); raises OSError
void umqtt_io_close(umqtt_client_obj_t *self);      // never raises
int umqtt_io_write_all(umqtt_client_obj_t *self, const uint8_t *buf, size_t len, uint32_t deadline);
mp_int_t umqtt_io_read_some(umqtt_client_obj_t *self, uint8_t *buf, size_t len, int *errcode);
void umqtt_io_wait(umqtt_client_obj_t *self, bool for_write, uint32_t wait_ms);
bool umqtt_deadline_passed(uint32_t deadline);

#endif // MICROPY_INCLUDED_UMQTT_H
