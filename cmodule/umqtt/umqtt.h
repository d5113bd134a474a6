// The MQTTClient object shared by the shim's files. MQTT logic lives in the
// Rust core (umqtt_core.h); this side owns the MicroPython objects, moves bytes
// through the stream protocol, and turns core statuses into exceptions.
#ifndef MICROPY_INCLUDED_UMQTT_H
#define MICROPY_INCLUDED_UMQTT_H

#include "py/obj.h"
#include "py/mpthread.h"
#include "py/nlr.h"
#include "umqtt_core.h"

// Sockets and TLS through the port's own modules; a board without a network
// stack sets it to 0 and connects only through transport=.
#ifndef MICROPY_PY_UMQTT_NET
#define MICROPY_PY_UMQTT_NET (1)
#endif

// get_mqttsta() values, as QuecPython's client reports them.
#define UMQTT_STA_CONNECTED (0)
#define UMQTT_STA_CONNECTING (1)
#define UMQTT_STA_SERVER_CLOSED (2)
#define UMQTT_STA_CLOSED (-1)

// An outgoing QoS 1/2 message not yet acknowledged: the core keeps its state,
// we keep the objects to re-send it from after a reconnect.
typedef struct _umqtt_slot_t {
    uint32_t ticket;                // 0: free
    mp_obj_t topic;
    mp_obj_t msg;
    bool retain;
    bool waiting;                   // a publish() call waits for its acknowledgement
} umqtt_slot_t;

typedef struct _umqtt_client_obj_t umqtt_client_obj_t;

struct _umqtt_client_obj_t {
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
    mp_obj_t transport;             // callable returning a connected stream, or None
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
    bool in_reconnect;              // a thread is re-establishing the connection
    bool auto_reconnect;            // connect() succeeded, no disconnect()/close() since
    int8_t sta;
    uint8_t max_inflight;
    uint32_t rng;                   // xorshift state for back-off jitter
    mp_uint_t keepalive_gen;        // the background keep-alive thread that may run
    mp_uint_t reconnect_owner;      // thread id of the reconnecting thread
    mp_obj_t subs;                  // dict: topic filter -> qos, to subscribe again
    umqtt_slot_t slots[UMQTT_MAX_INFLIGHT];
    volatile uint16_t waiters;      // threads currently waiting for bytes
    #if MICROPY_PY_THREAD
    mp_thread_mutex_t mutex;        // guards the core, the buffers and the stream
    #endif
    // The Rust core lives here; the GC never moves a block.
    uint64_t core[(UMQTT_CORE_SIZE + 7) / 8];
};

extern const mp_obj_type_t umqtt_client_type;
extern const mp_obj_type_t mp_type_MQTTException;

// A failure noticed with the mutex held, raised once it is free.
typedef enum { UMQTT_ERR_NONE, UMQTT_ERR_OS, UMQTT_ERR_MQTT, UMQTT_ERR_STATUS } umqtt_err_kind_t;
typedef struct {
    umqtt_err_kind_t kind;
    int code;                       // errno, CONNACK code (or -1), or UmqttStatus
    const char *text;               // static text for UMQTT_ERR_MQTT
} umqtt_err_t;

// Holds the client mutex; released by a jump callback if anything raises.
typedef struct {
    nlr_jump_callback_node_t node;  // first: the callback gets its address
    struct _umqtt_client_obj_t *self;
} umqtt_guard_t;

// Encodes one packet into self->tx_buf (see umqtt_send).
typedef UmqttStatus (*umqtt_encode_fn_t)(umqtt_client_obj_t *self, const void *args, size_t *len, uint32_t *ticket);

typedef struct {
    const uint8_t *filter;
    size_t len;
    uint8_t qos;
} umqtt_filter_args_t;

#define UMQTT_STEP_IDLE (0)
#define UMQTT_STEP_PACKET (1)
#define UMQTT_STEP_RECOVERED (2)

// Exceptions: MQTTException(code, text) / MQTTException(text).
NORETURN void umqtt_raise_code(mp_int_t code, const char *text);
NORETURN void umqtt_raise_status(UmqttStatus status);
NORETURN void umqtt_raise_not_connected(void);
void umqtt_notify(umqtt_client_obj_t *self, mp_obj_t text);

// The connection (umqtt_conn.c).
void umqtt_lock(umqtt_client_obj_t *self, umqtt_guard_t *guard);
void umqtt_unlock(umqtt_guard_t *guard);
uint32_t umqtt_now_ms(void);
uint32_t umqtt_slice_until(uint32_t deadline);
void umqtt_connection_lost(umqtt_client_obj_t *self, int8_t sta);
void umqtt_slot_put(umqtt_client_obj_t *self, uint32_t ticket, mp_obj_t topic, mp_obj_t msg, bool retain);
int umqtt_step(umqtt_client_obj_t *self, uint32_t wait_ms);
void umqtt_ensure_connected(umqtt_client_obj_t *self);
UmqttStatus umqtt_encode_subscribe(umqtt_client_obj_t *self, const void *args, size_t *len, uint32_t *ticket);
uint32_t umqtt_send(umqtt_client_obj_t *self, umqtt_encode_fn_t encode, const void *args, bool resent);
UmqttStatus umqtt_wait_ticket(umqtt_client_obj_t *self, uint32_t ticket, uint32_t deadline, uint8_t *code);
bool umqtt_wait_publish(umqtt_client_obj_t *self, uint32_t ticket, uint32_t deadline);
void umqtt_connect(umqtt_client_obj_t *self);
void umqtt_reconnect(umqtt_client_obj_t *self);

// Transport (umqtt_io.c). None of these take the client mutex themselves.
void umqtt_io_open(umqtt_client_obj_t *self);       // TCP (+TLS); raises OSError
void umqtt_io_close(umqtt_client_obj_t *self);      // never raises
int umqtt_io_write_all(umqtt_client_obj_t *self, const uint8_t *buf, size_t len, uint32_t deadline);
mp_int_t umqtt_io_read_some(umqtt_client_obj_t *self, uint8_t *buf, size_t len, int *errcode);
void umqtt_io_wait(umqtt_client_obj_t *self, bool for_write, uint32_t wait_ms);
bool umqtt_deadline_passed(uint32_t deadline);

#endif // MICROPY_INCLUDED_UMQTT_H
