// The MQTTClient object shared by the shim's files. Every MQTT decision is the
// Rust driver's (umqtt_core.h): this side owns the MicroPython objects, moves
// bytes through the stream protocol, waits, and raises exceptions.
#ifndef MICROPY_INCLUDED_UMQTT_H
#define MICROPY_INCLUDED_UMQTT_H

#include "py/obj.h"
#include "py/mpthread.h"
#include "py/nlr.h"
#include "py/stream.h"
#include "umqtt_config.h"
#include "umqtt_core.h"

// Sockets and TLS through the port's own modules; a board without a network
// stack sets it to 0 and connects only through transport=.
#ifndef MICROPY_PY_UMQTT_NET
#define MICROPY_PY_UMQTT_NET (1)
#endif

typedef struct _umqtt_client_obj_t umqtt_client_obj_t;

// Debug builds with threads check that every call into the core holds the
// client mutex (umqtt_core).
#if MICROPY_PY_THREAD && (MICROPY_DEBUG_VERBOSE || !defined(NDEBUG))
#define UMQTT_TRACK_OWNER (1)
#else
#define UMQTT_TRACK_OWNER (0)
#endif

// The receive and transmit buffers: their size at rest, and the most they
// keep once grown. A larger packet grows them for itself; they return to
// their size at rest once no packet has needed more for UMQTT_BUFFER_REST_MS,
// so one large message does not hold its RAM for good, while a stream of
// large ones (or steady traffic up to the kept size) allocates nothing.
#define UMQTT_RX_INITIAL (512)
#define UMQTT_TX_INITIAL (256)
#define UMQTT_BUFFER_KEPT (2048)
#define UMQTT_BUFFER_REST_MS (1000)

// A received PUBLISH whose payload goes from the transport straight to where
// the application wants it (umqtt_body.c), instead of through a receive
// buffer the size of the packet.
typedef enum {
    UMQTT_BODY_NONE = 0,
    UMQTT_BODY_BYTES,               // into the bytes object the callback gets (one copy)
    UMQTT_BODY_CHUNKS,              // into the application's buffer, a chunk at a time
    UMQTT_BODY_SKIP,                // nowhere: a QoS 2 duplicate's
} umqtt_body_mode_t;
typedef struct {
    uint8_t mode;                   // umqtt_body_mode_t (first: the client's short byte loads reach it)
    mp_obj_t topic;                 // the message's topic (bytes)
    mp_obj_t payload;               // BYTES: the bytes object being filled
    mp_obj_t message;               // its message object (message=True; CHUNKS)
    size_t len;                     // payload bytes in all
    size_t have;                    // of them read so far
    size_t fill;                    // CHUNKS: bytes in the chunk buffer not handed out yet
} umqtt_body_t;

// The face a client was made through: its defaults and return values.
typedef enum {
    UMQTT_FACE_QUECPYTHON = 0,      // umqtt.MQTTClient
    UMQTT_FACE_SIMPLE = 1,          // umqtt.simple.MQTTClient (and umqtt.robust's base)
} umqtt_face_t;

// The fields are in order of use: Thumb-2's 16-bit loads and stores reach
// bytes at offsets 0..31, halfwords 0..62 and words 0..124 from the object,
// and every other access takes a 32-bit instruction (on Cortex-M, 2 bytes
// more each). So the flags come first (the body's mode among them), then
// the words the pump touches on every pass, then the configuration;
// umqtt_attrs.c keeps each attribute's offset in a byte, so its fields stay
// below 256.
struct _umqtt_client_obj_t {
    mp_obj_base_t base;
    // Flags.
    uint8_t will_qos;
    bool will_retain;
    bool reconn;
    uint8_t face;                   // umqtt_face_t
    uint8_t version;                // 3, 4 or 5
    uint8_t pingmaxnum;
    uint8_t max_inflight;
    uint8_t ipvtype;                // 0 IPv4 (or whatever the name resolves to), 1 IPv6
    bool manage;                    // QuecPython's flag, kept for scripts that read it
    bool clean_session;             // of the last connect()
    bool nb;                        // asyncio mode: an external opener, no blocking waits (umqtt_aio.c)
    bool want_open;                 // asyncio mode: the driver asked for a transport
    bool rx_whole;                  // the receive buffer holds a whole packet not yet handled
    bool sock_lent;                 // the script read `sock` and may change its mode (umqtt_io_keep_nonblocking)
    bool msg_objects;               // set_callback(f, message=True): f(message)
    bool chunk_lent;                // the chunk buffer is with the chunk callback
    uint16_t keepalive;
    uint16_t pid;                   // packet identifier of the last publish/subscribe (umqtt.simple's `pid`)
    uint16_t waiters;               // application threads waiting on the connection
    umqtt_body_t body;              // a payload being read past the receive buffer
    // The connection: `stream` is what we read and write (TLS or plain),
    // `sock` the TCP socket under it (for its file descriptor).
    mp_obj_t stream;                // MP_OBJ_NULL when closed
    // Buffers on the GC heap, reused: nothing is allocated per publish.
    uint8_t *rx_buf;
    size_t rx_cap, rx_start, rx_end;
    uint8_t *tx_buf;
    size_t tx_cap;
    uint32_t timeout_ms;            // bound on each call's network waits
    size_t max_packet;              // largest packet accepted from the broker
    uint32_t big_at;                // when a packet last needed more than UMQTT_BUFFER_KEPT
    int last_errno;                 // of the last transport failure, for OSError
    int fd;                         // -1 when the transport has none to poll
    mp_obj_t msg_cb;                // f(topic, msg) or None
    mp_obj_t err_cb;                // f(err: str) or None
    mp_obj_t deferred_exc;          // a callback's exception raised while a command waited (umqtt_pump.c)
    mp_obj_t open_error;            // why the last transport open failed
    mp_obj_t sock;
    uint8_t *inbound_map;           // lent to the driver when a broker's QoS 2 window needs it
    // asyncio mode: the unwritten end of the last packet written, tx_buf[tail_at:tail_end)
    // (tail_end 0: none), written before anything else (umqtt_pump.c, flush_tail).
    size_t tail_at, tail_end;
    uint32_t tail_deadline;         // the transport is lost if the tail is still there then
    // Configuration, kept as the objects the script passed (GC-scanned here).
    mp_obj_t client_id;
    mp_obj_t server;
    mp_obj_t user;
    mp_obj_t password;
    mp_obj_t ssl;
    mp_obj_t ssl_params;
    mp_obj_t will_topic;            // MP_OBJ_NULL: no will
    mp_obj_t will_msg;
    mp_obj_t transport;             // callable returning a connected stream, or None
    mp_obj_t delay;                 // DELAY attribute (umqtt.robust / QuecPython)
    mp_obj_t debug;                 // DEBUG attribute
    mp_uint_t port;
    mp_obj_t chunk_cb;              // set_chunk_callback(f, buf): f(message, chunk, offset, total)
    mp_obj_t chunk_buf;             // its buffer (writable)
    mp_obj_t keepalive_ctl;         // the background keep-alive thread's control block
    uint64_t bytes_sent;            // for stats(): what the transport took and gave
    uint64_t bytes_received;
    // Objects the driver's slots stand for: the topic and payload of each
    // in-flight QoS 1/2 message, the filter of each subscription.
    mp_obj_t slot_topic[UMQTT_MAX_INFLIGHT];
    mp_obj_t slot_msg[UMQTT_MAX_INFLIGHT];
    mp_obj_t sub_filter[UMQTT_MAX_SUBSCRIPTIONS];
    #if MICROPY_PY_UMQTT_MQTT5
    // MQTT 5: the encoded properties of each in-flight message, of CONNECT
    // and of the will; the CONNACK's as a dict; the topic kept under each
    // incoming Topic Alias (umqtt_v5.c).
    mp_obj_t slot_props[UMQTT_MAX_INFLIGHT];
    mp_obj_t connect_props;
    mp_obj_t will_props;
    mp_obj_t connack_props;
    mp_obj_t rx_alias[UMQTT_MAX_RX_ALIASES];
    #endif
    #if MICROPY_PY_THREAD
    mp_thread_mutex_t mutex;        // guards the driver, the buffers, the stream and the fields above
    #endif
    #if UMQTT_TRACK_OWNER
    mp_uint_t owner;                // thread holding the mutex (debug builds check it)
    #endif
    // The Rust driver lives here; the GC never moves a block.
    uint64_t core[(UMQTT_CORE_SIZE + 7) / 8];
};

extern const mp_obj_type_t umqtt_client_type;           // umqtt.MQTTClient
extern const mp_obj_type_t mp_type_MQTTException;
#if MICROPY_PY_UMQTT_FACES
extern const mp_obj_type_t umqtt_simple_client_type;    // umqtt.simple.MQTTClient
#define UMQTT_SIMPLE_TYPE (&umqtt_simple_client_type)
#else
#define UMQTT_SIMPLE_TYPE (&umqtt_client_type)          // one face: QuecPython's
#endif
// Whether a client answers as QuecPython's face (the only one without
// MICROPY_PY_UMQTT_FACES), and whether it is in asyncio mode (never without
// MICROPY_PY_UMQTT_AIO): constants where the build leaves the other out, so
// the other's branches compile away.
#define UMQTT_QUEC_FACE(self) (!MICROPY_PY_UMQTT_FACES || (self)->face == UMQTT_FACE_QUECPYTHON)
#define UMQTT_NB(self) (MICROPY_PY_UMQTT_AIO && (self)->nb)

// The client under `obj`: one of the faces, or an instance of a Python
// subclass of one (umqtt.robust's, a script's).
umqtt_client_obj_t *umqtt_client_of(mp_obj_t obj);

// Arguments (umqtt_args.c).
void umqtt_parse_args(size_t n_pos, const mp_obj_t *pos, mp_map_t *kw_args,
    size_t n_allowed, const mp_arg_t *allowed, mp_arg_val_t *out);
void umqtt_parse_method_args(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args,
    size_t n_allowed, const mp_arg_t *allowed, mp_arg_val_t *out);     // after self
void umqtt_check_str_or_bytes(mp_obj_t obj, qstr name, bool none_ok);
mp_obj_t umqtt_topic_arg(mp_obj_t obj);
uint8_t umqtt_check_qos(mp_int_t qos);
mp_int_t umqtt_int_in_range(mp_int_t v, mp_int_t lo, mp_int_t hi, qstr name);
uint32_t umqtt_timeout_arg(mp_obj_t t_in);
mp_obj_t umqtt_ssl_arg(mp_obj_t ssl, mp_obj_t params);     // ssl as kept; ssl_params checked

// Attributes (umqtt_attrs.c).
void umqtt_client_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest);



// Holds the client mutex; released by a jump callback if anything raises.
typedef struct {
    nlr_jump_callback_node_t node;  // first: the callback gets its address
    umqtt_client_obj_t *self;
} umqtt_guard_t;

// What one pass of the pump leaves for the calling thread to do once the
// mutex is free: deliver a message, tell error_register_cb, open the transport.
#define UMQTT_MAX_NOTICES (4)
typedef struct {
    bool again;                     // asyncio mode: packets wait that a tail held back; step again
    bool open;                      // the driver asked this thread to open the transport
    mp_obj_t topic;                 // a message to hand to the callback, else MP_OBJ_NULL
    mp_obj_t msg;
    mp_obj_t message;               // the same as a message object (set_callback(f, message=True))
    mp_obj_t chunk;                 // a chunk of a long message (memoryview), for chunk_cb
    mp_obj_t chunk_cb;
    size_t chunk_at;                // its offset in the payload
    size_t chunk_total;             // the payload's length
    mp_obj_t notices[UMQTT_MAX_NOTICES];
    size_t n_notices;
    size_t packets;                 // packets handled
} umqtt_pass_t;

// Errors (umqtt_error.c).
NORETURN void umqtt_raise_code(mp_int_t code, const char *text);
NORETURN void umqtt_raise_status(UmqttStatus status);
mp_obj_t umqtt_lost_exception(umqtt_client_obj_t *self, UmqttStatus cause, uint8_t code);
NORETURN void umqtt_raise_lost(umqtt_client_obj_t *self, UmqttStatus cause);
NORETURN void umqtt_raise_refused(umqtt_client_obj_t *self, uint8_t code);
void umqtt_notify(umqtt_client_obj_t *self, mp_obj_t text);
NORETURN void umqtt_connect_failed(umqtt_client_obj_t *self, UmqttStatus st, uint8_t code);
bool umqtt_is_exception(mp_obj_t exc, const mp_obj_type_t *type);
int umqtt_errno_of(mp_obj_t exc);
int umqtt_open_errno(mp_obj_t exc);

// The connection pump (umqtt_pump.c).
#if MICROPY_PY_THREAD
void umqtt_lock(umqtt_client_obj_t *self, umqtt_guard_t *guard);
void umqtt_unlock(umqtt_guard_t *guard);
#else
#define umqtt_lock(self, guard) ((void)(self), (void)(guard))      // one thread: nothing to exclude
#define umqtt_unlock(guard) ((void)(guard))
#endif
#if UMQTT_TRACK_OWNER
void *umqtt_core(umqtt_client_obj_t *self);     // the driver; asserts the mutex is held
#else
#define umqtt_core(self) ((void *)(self)->core)
#endif
uint32_t umqtt_now_ms(void);
bool umqtt_deadline_passed(uint32_t deadline);
void umqtt_tx_reserve(umqtt_client_obj_t *self, size_t len);
void umqtt_settle_buffers(umqtt_client_obj_t *self);
bool umqtt_rx_reserve(umqtt_client_obj_t *self, size_t need);    // umqtt_buffers.c
mp_obj_t umqtt_new_payload(size_t len, bool raise, uint8_t **data);
mp_obj_t umqtt_new_payload_bytes(const uint8_t *data, size_t len);
bool umqtt_accept_locked(umqtt_client_obj_t *self, size_t *consumed);

// A payload read past the receive buffer (umqtt_body.c, mutex held).
typedef enum {
    UMQTT_BODY_READ,                // read the transport for it
    UMQTT_BODY_NEXT,                // done with it: feed the next packet
    UMQTT_BODY_STOP,                // nothing more now (a message or chunk taken, or held for the application)
} umqtt_body_step_t;
bool umqtt_body_begin(umqtt_client_obj_t *self, const UmqttRx *rx, bool deliver);
umqtt_body_step_t umqtt_body_advance(umqtt_client_obj_t *self, umqtt_pass_t *pass, bool deliver);
uint8_t *umqtt_body_room(umqtt_client_obj_t *self, size_t *room);
void umqtt_body_got(umqtt_client_obj_t *self, size_t n);
void umqtt_body_clear(umqtt_client_obj_t *self);
void umqtt_body_deliver_chunk(umqtt_client_obj_t *self, umqtt_pass_t *pass);
MP_DECLARE_CONST_FUN_OBJ_KW(umqtt_client_set_chunk_callback_obj);
bool umqtt_write_locked(umqtt_client_obj_t *self, const uint8_t *buf, size_t len);
#if MICROPY_PY_UMQTT_AIO
bool umqtt_flush_tail(umqtt_client_obj_t *self);
#define UMQTT_HAS_TAIL(self) ((self)->tail_end != 0)
#else
// Only asyncio mode leaves a packet's tail unwritten (umqtt_pump.c).
static inline bool umqtt_flush_tail(umqtt_client_obj_t *self) {
    (void)self;
    return true;
}
#define UMQTT_HAS_TAIL(self) (false)
#endif
void umqtt_transport_lost(umqtt_client_obj_t *self, UmqttStatus cause);
void umqtt_pump_locked(umqtt_client_obj_t *self, umqtt_pass_t *pass, bool deliver);
void umqtt_drain_transmit(umqtt_client_obj_t *self, uint32_t now);
void umqtt_read_transport(umqtt_client_obj_t *self, uint32_t now);     // umqtt_receive.c
bool umqtt_feed(umqtt_client_obj_t *self, umqtt_pass_t *pass, bool deliver, uint32_t now);
void umqtt_after_pass(umqtt_client_obj_t *self, umqtt_pass_t *pass);
void umqtt_finish_pass(umqtt_client_obj_t *self, umqtt_pass_t *pass, mp_obj_t cb);
#define UMQTT_PUMP_DELIVER (1)             // umqtt_pump's `how`
#define UMQTT_PUMP_RAISING (2 | UMQTT_PUMP_DELIVER)
#define UMQTT_PUMP_DEFERRING (4 | UMQTT_PUMP_DELIVER)
size_t umqtt_pump(umqtt_client_obj_t *self, umqtt_pass_t *pass, unsigned how);
void umqtt_finish_pass_deferring(umqtt_client_obj_t *self, umqtt_pass_t *pass, mp_obj_t cb);
void umqtt_wait(umqtt_client_obj_t *self, uint32_t deadline);
#if MICROPY_PY_UMQTT_NET
void umqtt_wait_written(umqtt_client_obj_t *self, uint32_t deadline);
#else
// Without sockets every blocking transport is transport='s, without a
// descriptor: nothing to wait on (umqtt_pump.c).
#define umqtt_wait_written(self, deadline) ((void)(self), (void)(deadline))
#endif

// Commands (umqtt_command.c): the objects and bytes of one command, and the
// function that encodes it with the mutex held.
typedef struct {
    mp_obj_t topic;                 // topic or filter object
    mp_obj_t msg;
    const uint8_t *topic_buf;
    size_t topic_len;
    const uint8_t *payload;
    size_t payload_len;
    uint8_t qos;
    bool retain;
    mp_obj_t props;                 // MQTT 5: publish properties, encoded (MP_OBJ_NULL: none)
    UmqttSubPacked sub;             // subscribe: its options as the driver packed them
} umqtt_command_t;
typedef UmqttStatus (*umqtt_command_fn_t)(umqtt_client_obj_t *self, const umqtt_command_t *a, UmqttOp *op);
UmqttStatus umqtt_publish_command(umqtt_client_obj_t *self, const umqtt_command_t *a, UmqttOp *op);
UmqttStatus umqtt_subscribe_command(umqtt_client_obj_t *self, const umqtt_command_t *a, UmqttOp *op);
UmqttStatus umqtt_unsubscribe_command(umqtt_client_obj_t *self, const umqtt_command_t *a, UmqttOp *op);
UmqttStatus umqtt_ping_command(umqtt_client_obj_t *self, const umqtt_command_t *a, UmqttOp *op);
UmqttOp umqtt_issue(umqtt_client_obj_t *self, umqtt_command_fn_t fn, const umqtt_command_t *a, uint32_t deadline);
void umqtt_filter_request(umqtt_client_obj_t *self, umqtt_command_fn_t fn, const umqtt_command_t *a);
void umqtt_connect(umqtt_client_obj_t *self, bool clean_session);
UmqttStatus umqtt_wait_ticket(umqtt_client_obj_t *self, uint32_t ticket, int slot, uint32_t deadline, uint8_t *code,
    bool keep, bool written);
void umqtt_forget(umqtt_client_obj_t *self, uint32_t ticket);
UmqttStatus umqtt_configure_locked(umqtt_client_obj_t *self);
void umqtt_apply_settings(umqtt_client_obj_t *self);

// The face methods umqtt.robust builds on (umqtt_client.c), and the robust
// class, made on first use (umqtt_robust.c).
mp_obj_t umqtt_publish_method(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args);
mp_obj_t umqtt_wait_msg_method(mp_obj_t self_in);
mp_obj_t umqtt_check_msg_method(mp_obj_t self_in);
mp_obj_t umqtt_delay_method(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args);
void umqtt_publish_args(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args, umqtt_command_t *a);
#define UMQTT_PUBLISH_N_ARGS (5)
extern const mp_arg_t umqtt_publish_allowed_args[UMQTT_PUBLISH_N_ARGS];   // publish(topic, msg, retain, qos, properties)
mp_obj_t umqtt_robust_class(void);

// Background keep-alive (umqtt_keepalive.c).
#if MICROPY_PY_THREAD
void umqtt_keepalive_start(umqtt_client_obj_t *self);
void umqtt_keepalive_stop(umqtt_client_obj_t *self);
#else
#define umqtt_keepalive_start(self) ((void)(self))     // no thread to run it in
#define umqtt_keepalive_stop(self) ((void)(self))
#endif

// Transport (umqtt_io.c). None of these take the client mutex themselves.
typedef struct {
    mp_obj_t stream;
    mp_obj_t sock;
    int fd;
} umqtt_link_t;
void umqtt_io_open(umqtt_client_obj_t *self, uint32_t timeout_ms, umqtt_link_t *link);  // raises
void umqtt_io_close(umqtt_client_obj_t *self);      // never raises
#if MICROPY_PY_UMQTT_NET
void umqtt_io_keep_nonblocking(umqtt_client_obj_t *self);  // undoes a script's sock.setblocking(True)
#else
#define umqtt_io_keep_nonblocking(self) ((void)(self))      // no socket of the client's own to undo it on
#endif
extern const mp_stream_p_t umqtt_client_stream_p;      // the client's poll (select.poll, asyncio)
int umqtt_io_write_all(umqtt_client_obj_t *self, const uint8_t *buf, size_t len, uint32_t timeout_ms);
int umqtt_io_write_some(umqtt_client_obj_t *self, const uint8_t *buf, size_t len, size_t *written);
mp_int_t umqtt_io_read_some(umqtt_client_obj_t *self, uint8_t *buf, size_t len, int *errcode);
void umqtt_io_wait(umqtt_client_obj_t *self, mp_obj_t stream, int fd, bool for_write, uint32_t wait_ms);
int umqtt_io_fileno(mp_obj_t sock);                 // -1 when it has none

// MQTT 5 (umqtt_v5.c).
#if MICROPY_PY_UMQTT_MQTT5
mp_obj_t umqtt_props_encode(mp_obj_t dict);
mp_obj_t umqtt_props_decode(const uint8_t *block, size_t len);
void umqtt_v5_connack(umqtt_client_obj_t *self, const UmqttRx *rx);
mp_obj_t umqtt_v5_topic(umqtt_client_obj_t *self, const UmqttRx *rx);
mp_obj_t umqtt_reason_exception(uint8_t code);
#define UMQTT_MESSAGE_TOPIC(self, rx) umqtt_v5_topic(self, rx)
// A packet consumed without delivery that set a Topic Alias (a QoS 2
// duplicate): its topic is kept under the alias all the same.
#define UMQTT_KEEP_ALIAS(self, rx) do { if ((rx)->alias != 0) { umqtt_v5_topic(self, rx); } } while (0)
// The driver refused what the broker sent: the DISCONNECT with the reason
// code it owes (4.13.1) goes before the transport closes, as any packet
// does (bounded by the timeout; a failed write only closes the transport,
// which is closing anyway). MQTT 3.1.1 has no such packet.
#define UMQTT_SAY_WHY(self, now) umqtt_drain_transmit(self, now)
#else
#define UMQTT_MESSAGE_TOPIC(self, rx) umqtt_new_payload_bytes((rx)->topic, (rx)->topic_len)
#define UMQTT_KEEP_ALIAS(self, rx) do { } while (0)
#define UMQTT_SAY_WHY(self, now) do { } while (0)
#endif

// The asyncio primitives and the message object (umqtt_aio.c, umqtt_message.c).
void umqtt_attach_locked(umqtt_client_obj_t *self, mp_obj_t stream, mp_obj_t sock, int fd);
mp_obj_t umqtt_message_new(const UmqttRx *rx, mp_obj_t topic, mp_obj_t payload);
extern const mp_obj_type_t umqtt_message_type;
extern const mp_obj_fun_builtin_fixed_t umqtt_nb_obj, umqtt_tail_obj, umqtt_want_open_obj, umqtt_attach_obj, umqtt_attach_failed_obj,
    umqtt_next_timeout_obj, umqtt_connect_result_obj, umqtt_ticket_obj,
    umqtt_forget_obj, umqtt_unsubscribe_start_obj, umqtt_stats_obj;
extern const mp_obj_fun_builtin_var_t umqtt_step_obj, umqtt_publish_start_obj, umqtt_subscribe_start_obj,
    umqtt_connect_start_obj;
UmqttOp umqtt_issue_once(umqtt_client_obj_t *self, umqtt_command_fn_t fn, const umqtt_command_t *a, bool *issued);
void umqtt_filter_args(umqtt_command_t *a, mp_obj_t topic);
void umqtt_subscribe_args(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args, umqtt_command_t *a);
mp_obj_t umqtt_props_arg(umqtt_client_obj_t *self, mp_obj_t dict);
void umqtt_set_connect_props(umqtt_client_obj_t *self, mp_obj_t dict);
void umqtt_release_slot(umqtt_client_obj_t *self, uint8_t slot);

#endif // MICROPY_INCLUDED_UMQTT_H
