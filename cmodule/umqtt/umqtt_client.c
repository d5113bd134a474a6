// MQTTClient: argument checking, the client mutex, waiting, callbacks and
// exceptions. Every MQTT decision is the Rust core's (umqtt_core.h): this file
// hands it bytes and the time, writes what it returns, and calls back Python
// only once Rust has returned and the mutex is free.

#include <string.h>

#include "py/runtime.h"
#include "py/stream.h"
#include "py/mphal.h"
#include "py/mperrno.h"
#include "py/objstr.h"

#if MICROPY_PY_UMQTT

#include "umqtt.h"

#define DEFAULT_PORT (1883)
#define DEFAULT_TLS_PORT (8883)
#define DEFAULT_TIMEOUT_MS (10000)
#define DEFAULT_MAX_PACKET (128 * 1024)
#define RX_INITIAL (512)
#define TX_INITIAL (256)
// Longest sleep between looks at Ctrl-C and keep-alive; shorter while another
// thread is reading the same connection and may consume what we wait for.
#define WAIT_SLICE_MS (100)
#define SHARED_WAIT_SLICE_MS (2)

#define CORE(self) ((void *)(self)->core)

// ---------------------------------------------------------------------------
// Errors: collected while the mutex is held, raised once it is free.

typedef enum { ERR_NONE, ERR_OS, ERR_MQTT, ERR_STATUS } err_kind_t;

typedef struct {
    err_kind_t kind;
    int code;               // errno, CONNACK/SUBACK code (or -1), or UmqttStatus
    const char *text;       // static text for ERR_MQTT
} client_err_t;

static mp_obj_t new_mqtt_exception(mp_int_t code, const char *text) {
    mp_obj_t args[2];
    size_t n = 0;
    if (code >= 0) {
        args[n++] = MP_OBJ_NEW_SMALL_INT(code);
    }
    args[n++] = mp_obj_new_str(text, strlen(text));
    return mp_obj_new_exception_args(&mp_type_MQTTException, n, args);
}

NORETURN void umqtt_raise_code(mp_int_t code, const char *text) {
    nlr_raise(new_mqtt_exception(code, text));
}

static mp_obj_t status_exception(UmqttStatus status) {
    const char *text = umqtt_core_strerror(status);
    switch (status) {
        case UMQTT_STATUS_BAD_ARGUMENT:
        case UMQTT_STATUS_INVALID_TOPIC:
        case UMQTT_STATUS_PACKET_TOO_LARGE:
            return mp_obj_new_exception_arg1(&mp_type_ValueError, mp_obj_new_str(text, strlen(text)));
        default:
            return new_mqtt_exception(-1, text);
    }
}

NORETURN void umqtt_raise_status(UmqttStatus status) {
    nlr_raise(status_exception(status));
}

static mp_obj_t err_exception(const client_err_t *err) {
    switch (err->kind) {
        case ERR_OS:
            return mp_obj_new_exception_arg1(&mp_type_OSError, MP_OBJ_NEW_SMALL_INT(err->code));
        case ERR_MQTT:
            return new_mqtt_exception(err->code, err->text);
        default:
            return status_exception((UmqttStatus)err->code);
    }
}

// ---------------------------------------------------------------------------
// The client mutex. A jump callback releases it if anything raises (memory
// error, Ctrl-C inside a stream call) while it is held.

typedef struct {
    nlr_jump_callback_node_t node;  // first: the callback gets its address
    umqtt_client_obj_t *self;
} client_guard_t;

static void guard_release(void *ctx) {
    #if MICROPY_PY_THREAD
    client_guard_t *guard = ctx;
    mp_thread_mutex_unlock(&guard->self->mutex);
    #else
    (void)ctx;
    #endif
}

static void client_lock(umqtt_client_obj_t *self, client_guard_t *guard) {
    #if MICROPY_PY_THREAD
    MP_THREAD_GIL_EXIT();
    mp_thread_mutex_lock(&self->mutex, 1);
    MP_THREAD_GIL_ENTER();
    #endif
    guard->self = self;
    nlr_push_jump_callback(&guard->node, guard_release);
}

static void client_unlock(client_guard_t *guard) {
    (void)guard;
    nlr_pop_jump_callback(true);
}

// ---------------------------------------------------------------------------
// Helpers run with the mutex held.

static uint32_t now_ms(void) {
    return (uint32_t)mp_hal_ticks_ms();
}

static void connection_lost(umqtt_client_obj_t *self, int8_t sta) {
    umqtt_core_connection_lost(CORE(self));
    umqtt_io_close(self);
    self->sta = sta;
}

// Grow the transmit buffer to hold `len` bytes (it never shrinks, so steady
// state publishing allocates nothing).
static void tx_reserve(umqtt_client_obj_t *self, size_t len) {
    if (len > self->tx_cap) {
        self->tx_buf = m_renew(uint8_t, self->tx_buf, self->tx_cap, len);
        self->tx_cap = len;
    }
}

// Make room for a packet of `need` bytes starting at rx_start.
static bool rx_reserve(umqtt_client_obj_t *self, size_t need) {
    if (need > self->max_packet) {
        return false;
    }
    if (self->rx_start > 0 && self->rx_cap - self->rx_start < need) {
        size_t avail = self->rx_end - self->rx_start;
        memmove(self->rx_buf, self->rx_buf + self->rx_start, avail);
        self->rx_start = 0;
        self->rx_end = avail;
    }
    if (need > self->rx_cap) {
        size_t cap = self->rx_cap * 2;
        cap = cap < need ? need : cap;
        cap = cap > self->max_packet ? self->max_packet : cap;
        self->rx_buf = m_renew(uint8_t, self->rx_buf, self->rx_cap, cap);
        self->rx_cap = cap;
    }
    return true;
}

static void set_os_err(client_err_t *err, int code) {
    err->kind = ERR_OS;
    err->code = code;
}

static void set_status_err(client_err_t *err, UmqttStatus status) {
    err->kind = ERR_STATUS;
    err->code = status;
}

static bool write_packet(umqtt_client_obj_t *self, const uint8_t *buf, size_t len, client_err_t *err) {
    int e = umqtt_io_write_all(self, buf, len, now_ms() + self->timeout_ms);
    if (e != 0) {
        connection_lost(self, UMQTT_STA_CLOSED);
        set_os_err(err, e);
        return false;
    }
    return true;
}

// What one packet asks of us once the mutex is free.
typedef struct {
    UmqttEventKind kind;
    mp_obj_t topic;             // MESSAGE to hand to the callback, else NULL
    mp_obj_t msg;
    uint8_t reply[UMQTT_ACK_MAX];
    size_t reply_len;
} client_packet_t;

// Take at most one packet from the buffer or the transport, without
// blocking. Returns 1 (packet in *pkt), 0 (nothing yet) or -1 (*err set,
// connection dropped).
static int take_packet(umqtt_client_obj_t *self, client_packet_t *pkt, client_err_t *err) {
    for (;;) {
        size_t avail = self->rx_end - self->rx_start;
        if (avail == 0) {
            self->rx_start = self->rx_end = 0;
        } else {
            UmqttEvent ev;
            size_t consumed = 0;
            UmqttStatus st = umqtt_core_handle_rx(CORE(self), self->rx_buf + self->rx_start, avail,
                now_ms(), &consumed, &ev);
            if (st == UMQTT_STATUS_OK) {
                pkt->kind = ev.kind;
                pkt->topic = MP_OBJ_NULL;
                if (ev.kind == UMQTT_EVENT_KIND_MESSAGE && ev.deliver) {
                    pkt->topic = mp_obj_new_bytes(ev.topic, ev.topic_len);
                    pkt->msg = mp_obj_new_bytes(ev.payload, ev.payload_len);
                } else if (ev.kind == UMQTT_EVENT_KIND_CONNACK) {
                    self->sta = UMQTT_STA_CONNECTED;
                    self->session_present = ev.session_present;
                }
                pkt->reply_len = ev.reply_len;
                memcpy(pkt->reply, ev.reply, ev.reply_len);
                self->rx_start += consumed;
                return 1;
            }
            if (st == UMQTT_STATUS_CONNECTION_REFUSED) {
                connection_lost(self, UMQTT_STA_CLOSED);
                err->kind = ERR_MQTT;
                err->code = ev.code;
                err->text = umqtt_core_connack_text(ev.code);
                return -1;
            }
            if (st != UMQTT_STATUS_NEED_MORE) {
                connection_lost(self, UMQTT_STA_CLOSED);
                set_status_err(err, st);
                return -1;
            }
            if (!rx_reserve(self, ev.need)) {
                connection_lost(self, UMQTT_STA_CLOSED);
                err->kind = ERR_MQTT;
                err->code = -1;
                err->text = "packet from broker exceeds max_packet";
                return -1;
            }
        }
        if (self->rx_end == self->rx_cap) {
            rx_reserve(self, self->rx_cap);     // compacts
        }
        int e = 0;
        mp_int_t n = umqtt_io_read_some(self, self->rx_buf + self->rx_end, self->rx_cap - self->rx_end, &e);
        if (n > 0) {
            self->rx_end += n;
            continue;
        }
        if (n < 0 && mp_is_nonblocking_error(e)) {
            return 0;
        }
        connection_lost(self, n == 0 ? UMQTT_STA_SERVER_CLOSED : UMQTT_STA_CLOSED);
        set_os_err(err, n == 0 ? MP_ECONNRESET : e);
        return -1;
    }
}

// Send a due PINGREQ; notice a PINGRESP that never came. Shortens *wait_ms to
// the next keep-alive deadline.
static bool run_timers(umqtt_client_obj_t *self, uint32_t *wait_ms, client_err_t *err) {
    uint8_t ping[2];
    size_t len = 0;
    uint32_t next = UINT32_MAX;
    UmqttStatus st = umqtt_core_poll_timers(CORE(self), now_ms(), ping, sizeof(ping), &len, &next);
    if (st == UMQTT_STATUS_KEEPALIVE_TIMEOUT) {
        connection_lost(self, UMQTT_STA_CLOSED);
        set_status_err(err, st);
        return false;
    }
    if (st == UMQTT_STATUS_OK && len > 0 && !write_packet(self, ping, len, err)) {
        return false;
    }
    if (next < *wait_ms) {
        *wait_ms = next;
    }
    return true;
}

// ---------------------------------------------------------------------------
// Steps, run without the mutex held across any wait or callback.

// Report a failure to error_register_cb, then raise it.
NORETURN static void raise_err(umqtt_client_obj_t *self, const client_err_t *err) {
    mp_obj_t exc = err_exception(err);
    if (self->err_cb != mp_const_none) {
        mp_obj_t text = mp_obj_str_make_new(&mp_type_str, 1, 0, &exc);
        mp_call_function_1_protected(self->err_cb, text);
    }
    nlr_raise(exc);
}

NORETURN static void raise_not_connected(void) {
    umqtt_raise_code(-1, "not connected");
}

// Run the callback for a message, then send the acknowledgement the core
// asked for, even when the callback raised (the message was delivered).
static void finish_packet(umqtt_client_obj_t *self, client_packet_t *pkt) {
    mp_obj_t exc = MP_OBJ_NULL;
    if (pkt->topic != MP_OBJ_NULL && self->msg_cb != mp_const_none) {
        nlr_buf_t nlr;
        if (nlr_push(&nlr) == 0) {
            mp_call_function_2(self->msg_cb, pkt->topic, pkt->msg);
            nlr_pop();
        } else {
            exc = MP_OBJ_FROM_PTR(nlr.ret_val);
        }
    }
    if (pkt->reply_len > 0) {
        client_err_t err = { ERR_NONE };
        client_guard_t guard;
        client_lock(self, &guard);
        bool ok = self->stream != MP_OBJ_NULL && write_packet(self, pkt->reply, pkt->reply_len, &err);
        client_unlock(&guard);
        if (!ok && exc == MP_OBJ_NULL) {
            if (err.kind == ERR_NONE) {
                raise_not_connected();
            }
            raise_err(self, &err);
        }
    }
    if (exc != MP_OBJ_NULL) {
        nlr_jump(MP_OBJ_TO_PTR(exc));
    }
}

// Handle at most one packet, waiting up to wait_ms for one to arrive.
// Returns the kind of packet handled, or UMQTT_EVENT_KIND_NONE.
static int client_step(umqtt_client_obj_t *self, uint32_t wait_ms) {
    client_packet_t pkt;
    client_err_t err = { ERR_NONE };
    client_guard_t guard;
    client_lock(self, &guard);
    if (self->stream == MP_OBJ_NULL) {
        client_unlock(&guard);
        raise_not_connected();
    }
    int got = run_timers(self, &wait_ms, &err) ? take_packet(self, &pkt, &err) : -1;
    bool shared = self->waiters > 0;
    if (got == 0) {
        self->waiters++;
    }
    client_unlock(&guard);
    if (got < 0) {
        raise_err(self, &err);
    }
    if (got > 0) {
        finish_packet(self, &pkt);
        return pkt.kind == UMQTT_EVENT_KIND_NONE ? -1 : (int)pkt.kind;
    }
    if (shared && wait_ms > SHARED_WAIT_SLICE_MS) {
        wait_ms = SHARED_WAIT_SLICE_MS;
    }
    umqtt_io_wait(self, false, wait_ms);
    client_lock(self, &guard);
    self->waiters--;
    client_unlock(&guard);
    mp_handle_pending(true);        // Ctrl-C: no Rust frame below, no lock held
    return UMQTT_EVENT_KIND_NONE;
}

static uint32_t slice_until(uint32_t deadline) {
    int32_t left = (int32_t)(deadline - now_ms());
    if (left <= 0) {
        return 0;
    }
    return left < WAIT_SLICE_MS ? (uint32_t)left : WAIT_SLICE_MS;
}

// Wait for the acknowledgement of `ticket`; returns its code (SUBACK).
static uint8_t wait_ticket(umqtt_client_obj_t *self, uint32_t ticket) {
    uint32_t deadline = now_ms() + self->timeout_ms;
    for (;;) {
        uint8_t code = 0;
        client_guard_t guard;
        client_lock(self, &guard);
        UmqttStatus st = umqtt_core_ticket_result(CORE(self), ticket, &code);
        bool connected = umqtt_core_state(CORE(self)) == UMQTT_CONN_STATE_CONNECTED;
        bool expired = st == UMQTT_STATUS_PENDING && umqtt_deadline_passed(deadline);
        if (expired) {
            umqtt_core_forget(CORE(self), ticket);
        }
        client_unlock(&guard);
        if (st == UMQTT_STATUS_OK) {
            return code;
        }
        if (st != UMQTT_STATUS_PENDING || !connected) {
            umqtt_raise_code(-1, "connection lost before the acknowledgement");
        }
        if (expired) {
            mp_raise_OSError(MP_ETIMEDOUT);
        }
        client_step(self, slice_until(deadline));
    }
}

// Encode with `encode` into the transmit buffer, growing it if the core asks,
// and write the packet. Raises on a bad argument or a dead connection.
typedef UmqttStatus (*encode_fn_t)(umqtt_client_obj_t *self, const void *args, size_t *len, uint32_t *ticket);

static uint32_t send_packet(umqtt_client_obj_t *self, encode_fn_t encode, const void *args) {
    client_err_t err = { ERR_NONE };
    uint32_t ticket = 0;
    size_t len = 0;
    client_guard_t guard;
    client_lock(self, &guard);
    UmqttStatus st = encode(self, args, &len, &ticket);
    if (st == UMQTT_STATUS_BUFFER_TOO_SMALL) {
        tx_reserve(self, len);
        st = encode(self, args, &len, &ticket);
    }
    bool ok = st == UMQTT_STATUS_OK && write_packet(self, self->tx_buf, len, &err);
    client_unlock(&guard);
    if (st != UMQTT_STATUS_OK) {
        umqtt_raise_status(st);
    }
    if (!ok) {
        raise_err(self, &err);
    }
    return ticket;
}

// ---------------------------------------------------------------------------
// Argument helpers.

static void check_str_or_bytes(mp_obj_t obj, qstr name, bool none_ok) {
    if ((none_ok && obj == mp_const_none) || mp_obj_is_str_or_bytes(obj)) {
        return;
    }
    mp_raise_msg_varg(&mp_type_TypeError, MP_ERROR_TEXT("%q must be str or bytes"), name);
}

static mp_int_t check_qos(mp_int_t qos) {
    if (qos < 0 || qos > 2) {
        mp_raise_ValueError(MP_ERROR_TEXT("qos must be 0, 1 or 2"));
    }
    return qos;
}

static UmqttBytes bytes_of(mp_obj_t obj) {
    UmqttBytes b = { NULL, 0 };
    if (obj != MP_OBJ_NULL && obj != mp_const_none) {
        size_t len;
        b.ptr = (const uint8_t *)mp_obj_str_get_data(obj, &len);
        b.len = len;
    }
    return b;
}

static umqtt_client_obj_t *client_of(mp_obj_t self_in) {
    return MP_OBJ_TO_PTR(mp_obj_cast_to_native_base(self_in, MP_OBJ_FROM_PTR(&umqtt_client_type)));
}

// ---------------------------------------------------------------------------
// Constructor.

static mp_obj_t umqtt_client_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *all_args) {
    enum { ARG_client_id, ARG_server, ARG_port, ARG_user, ARG_password, ARG_keepalive, ARG_ssl,
           ARG_ssl_params, ARG_reconn, ARG_version, ARG_pingmaxnum, ARG_timeout, ARG_max_packet };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_client_id, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_server, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_port, MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_user, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_password, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_keepalive, MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_ssl, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_FALSE} },
        { MP_QSTR_ssl_params, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_reconn, MP_ARG_BOOL, {.u_bool = true} },
        { MP_QSTR_version, MP_ARG_INT, {.u_int = 4} },
        { MP_QSTR_pingmaxnum, MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_timeout, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_max_packet, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = DEFAULT_MAX_PACKET} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all_kw_array(n_args, n_kw, all_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);

    check_str_or_bytes(args[ARG_client_id].u_obj, MP_QSTR_client_id, false);
    check_str_or_bytes(args[ARG_server].u_obj, MP_QSTR_server, false);
    check_str_or_bytes(args[ARG_user].u_obj, MP_QSTR_user, true);
    check_str_or_bytes(args[ARG_password].u_obj, MP_QSTR_password, true);
    mp_int_t port = args[ARG_port].u_int;
    if (port < 0 || port > 65535) {
        mp_raise_ValueError(MP_ERROR_TEXT("port must be 0..65535"));
    }
    mp_int_t keepalive = args[ARG_keepalive].u_int;
    if (keepalive < 0 || keepalive > 65535) {
        mp_raise_ValueError(MP_ERROR_TEXT("keepalive must be 0..65535"));
    }
    mp_int_t version = args[ARG_version].u_int;
    if (version != 3 && version != 4) {
        mp_raise_ValueError(MP_ERROR_TEXT("version must be 3 (MQTT 3.1) or 4 (MQTT 3.1.1)"));
    }
    mp_int_t pingmaxnum = args[ARG_pingmaxnum].u_int;
    if (pingmaxnum < 0 || pingmaxnum > 255) {
        mp_raise_ValueError(MP_ERROR_TEXT("pingmaxnum must be 0..255"));
    }
    mp_obj_t ssl = args[ARG_ssl].u_obj;
    if (ssl == mp_const_none || ssl == MP_OBJ_NEW_SMALL_INT(0)) {
        ssl = mp_const_false;
    } else if (ssl == MP_OBJ_NEW_SMALL_INT(1)) {
        ssl = mp_const_true;
    } else if (!mp_obj_is_bool(ssl)) {
        mp_obj_t dest[2];
        mp_load_method_maybe(ssl, MP_QSTR_wrap_socket, dest);
        if (dest[0] == MP_OBJ_NULL) {
            mp_raise_TypeError(MP_ERROR_TEXT("ssl must be a bool or an SSLContext"));
        }
    }
    mp_obj_t ssl_params = args[ARG_ssl_params].u_obj;
    if (ssl_params != mp_const_none && !mp_obj_is_dict_or_ordereddict(ssl_params)) {
        mp_raise_TypeError(MP_ERROR_TEXT("ssl_params must be a dict"));
    }
    uint32_t timeout_ms = DEFAULT_TIMEOUT_MS;
    if (args[ARG_timeout].u_obj != mp_const_none) {
        #if MICROPY_PY_BUILTINS_FLOAT
        mp_float_t t = mp_obj_get_float(args[ARG_timeout].u_obj);
        if (!(t > 0 && t <= 86400)) {
            mp_raise_ValueError(MP_ERROR_TEXT("timeout must be > 0 seconds"));
        }
        timeout_ms = (uint32_t)(t * 1000);
        #else
        mp_int_t t = mp_obj_get_int(args[ARG_timeout].u_obj);
        if (t <= 0 || t > 86400) {
            mp_raise_ValueError(MP_ERROR_TEXT("timeout must be > 0 seconds"));
        }
        timeout_ms = (uint32_t)t * 1000;
        #endif
    }
    mp_int_t max_packet = args[ARG_max_packet].u_int;
    if (max_packet < 64) {
        mp_raise_ValueError(MP_ERROR_TEXT("max_packet must be >= 64"));
    }

    umqtt_client_obj_t *self = mp_obj_malloc_with_finaliser(umqtt_client_obj_t, type);
    self->client_id = args[ARG_client_id].u_obj;
    self->server = args[ARG_server].u_obj;
    self->user = args[ARG_user].u_obj;
    self->password = args[ARG_password].u_obj;
    self->ssl = ssl;
    self->ssl_params = ssl_params;
    self->will_topic = MP_OBJ_NULL;
    self->will_msg = MP_OBJ_NULL;
    self->msg_cb = mp_const_none;
    self->err_cb = mp_const_none;
    self->delay = MP_OBJ_NEW_SMALL_INT(2);
    self->debug = mp_const_false;
    self->stream = MP_OBJ_NULL;
    self->sock = MP_OBJ_NULL;
    self->fd = -1;
    self->rx_buf = m_new(uint8_t, RX_INITIAL);
    self->rx_cap = RX_INITIAL;
    self->rx_start = self->rx_end = 0;
    self->tx_buf = m_new(uint8_t, TX_INITIAL);
    self->tx_cap = TX_INITIAL;
    self->max_packet = (size_t)max_packet;
    self->port = port != 0 ? (mp_uint_t)port : (ssl != mp_const_false ? DEFAULT_TLS_PORT : DEFAULT_PORT);
    self->timeout_ms = timeout_ms;
    self->keepalive = (uint16_t)keepalive;
    self->version = (uint8_t)version;
    self->will_qos = 0;
    self->pingmaxnum = (uint8_t)pingmaxnum;
    self->will_retain = false;
    self->reconn = args[ARG_reconn].u_bool;
    self->clean_session = true;
    self->session_present = false;
    self->sta = UMQTT_STA_CLOSED;
    self->waiters = 0;
    #if MICROPY_PY_THREAD
    mp_thread_mutex_init(&self->mutex);
    #endif
    UmqttStatus st = umqtt_core_init(self->core, sizeof(self->core));
    if (st != UMQTT_STATUS_OK) {
        umqtt_raise_status(st);
    }
    return MP_OBJ_FROM_PTR(self);
}

static void umqtt_client_print(const mp_print_t *print, mp_obj_t self_in, mp_print_kind_t kind) {
    (void)kind;
    umqtt_client_obj_t *self = client_of(self_in);
    mp_printf(print, "<MQTTClient %s:%u %s>", mp_obj_str_get_str(self->server), (unsigned)self->port,
        self->sta == UMQTT_STA_CONNECTED ? "connected" : "not connected");
}

// ---------------------------------------------------------------------------
// Methods.

static mp_obj_t umqtt_client_set_callback(mp_obj_t self_in, mp_obj_t f) {
    umqtt_client_obj_t *self = client_of(self_in);
    if (f != mp_const_none && !mp_obj_is_callable(f)) {
        mp_raise_TypeError(MP_ERROR_TEXT("callback must be callable or None"));
    }
    self->msg_cb = f;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(umqtt_client_set_callback_obj, umqtt_client_set_callback);

static mp_obj_t umqtt_client_error_register_cb(mp_obj_t self_in, mp_obj_t f) {
    umqtt_client_obj_t *self = client_of(self_in);
    if (f != mp_const_none && !mp_obj_is_callable(f)) {
        mp_raise_TypeError(MP_ERROR_TEXT("callback must be callable or None"));
    }
    self->err_cb = f;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(umqtt_client_error_register_cb_obj, umqtt_client_error_register_cb);

static mp_obj_t umqtt_client_set_last_will(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_topic, ARG_msg, ARG_retain, ARG_qos };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_topic, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_msg, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_retain, MP_ARG_BOOL, {.u_bool = false} },
        { MP_QSTR_qos, MP_ARG_INT, {.u_int = 0} },
    };
    umqtt_client_obj_t *self = client_of(pos_args[0]);
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all(n_args - 1, pos_args + 1, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    check_str_or_bytes(args[ARG_topic].u_obj, MP_QSTR_topic, false);
    check_str_or_bytes(args[ARG_msg].u_obj, MP_QSTR_msg, false);
    size_t topic_len;
    const char *topic = mp_obj_str_get_data(args[ARG_topic].u_obj, &topic_len);
    UmqttStatus st = umqtt_core_check_topic((const uint8_t *)topic, topic_len, false);
    if (st != UMQTT_STATUS_OK) {
        umqtt_raise_status(st);
    }
    self->will_qos = (uint8_t)check_qos(args[ARG_qos].u_int);
    self->will_topic = args[ARG_topic].u_obj;
    self->will_msg = args[ARG_msg].u_obj;
    self->will_retain = args[ARG_retain].u_bool;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_client_set_last_will_obj, 3, umqtt_client_set_last_will);

static UmqttStatus encode_connect(umqtt_client_obj_t *self, const void *args, size_t *len, uint32_t *ticket) {
    (void)ticket;
    return umqtt_core_connect(CORE(self), args, now_ms(), self->tx_buf, self->tx_cap, len);
}

static mp_obj_t umqtt_client_connect(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_clean_session };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_clean_session, MP_ARG_BOOL, {.u_bool = true} },
    };
    umqtt_client_obj_t *self = client_of(pos_args[0]);
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all(n_args - 1, pos_args + 1, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);

    client_guard_t guard;
    client_lock(self, &guard);
    if (self->stream != MP_OBJ_NULL) {
        connection_lost(self, UMQTT_STA_CLOSED);
    }
    self->sta = UMQTT_STA_CONNECTING;
    client_unlock(&guard);

    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        umqtt_io_open(self);
        nlr_pop();
    } else {
        self->sta = UMQTT_STA_CLOSED;
        mp_obj_t exc = MP_OBJ_FROM_PTR(nlr.ret_val);
        if (self->err_cb != mp_const_none) {
            mp_obj_t text = mp_obj_str_make_new(&mp_type_str, 1, 0, &exc);
            mp_call_function_1_protected(self->err_cb, text);
        }
        nlr_jump(nlr.ret_val);
    }

    self->clean_session = args[ARG_clean_session].u_bool;
    UmqttConnectOptions opts = {
        .client_id = bytes_of(self->client_id),
        .user = bytes_of(self->user),
        .password = bytes_of(self->password),
        .will_topic = bytes_of(self->will_topic),
        .will_payload = bytes_of(self->will_msg),
        .will_qos = self->will_qos,
        .will_retain = self->will_retain,
        .clean_session = self->clean_session,
        .keepalive_s = self->keepalive,
        .protocol_level = self->version,
        .ping_max_missed = self->pingmaxnum,
    };
    if (opts.will_topic.ptr != NULL && opts.will_payload.ptr == NULL) {
        static const uint8_t empty = 0;
        opts.will_payload.ptr = &empty;
    }
    nlr_buf_t nlr2;
    if (nlr_push(&nlr2) == 0) {
        send_packet(self, encode_connect, &opts);
        uint32_t deadline = now_ms() + self->timeout_ms;
        while (umqtt_core_state(CORE(self)) != UMQTT_CONN_STATE_CONNECTED) {
            if (umqtt_deadline_passed(deadline)) {
                mp_raise_OSError(MP_ETIMEDOUT);
            }
            client_step(self, slice_until(deadline));
        }
        nlr_pop();
    } else {
        // Refused, timed out or dropped: leave a closed client, usable for
        // another connect().
        client_lock(self, &guard);
        if (self->stream != MP_OBJ_NULL) {
            connection_lost(self, UMQTT_STA_CLOSED);
        }
        self->sta = UMQTT_STA_CLOSED;
        client_unlock(&guard);
        nlr_jump(nlr2.ret_val);
    }
    self->sta = UMQTT_STA_CONNECTED;
    return MP_OBJ_NEW_SMALL_INT(0);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_client_connect_obj, 1, umqtt_client_connect);

typedef struct {
    const uint8_t *topic;
    size_t topic_len;
    const uint8_t *payload;
    size_t payload_len;
    uint8_t qos;
    bool retain;
} publish_args_t;

static UmqttStatus encode_publish(umqtt_client_obj_t *self, const void *args, size_t *len, uint32_t *ticket) {
    const publish_args_t *p = args;
    return umqtt_core_publish(CORE(self), p->topic, p->topic_len, p->payload, p->payload_len, p->qos,
        p->retain, now_ms(), self->tx_buf, self->tx_cap, len, ticket);
}

static mp_obj_t umqtt_client_publish(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_topic, ARG_msg, ARG_retain, ARG_qos };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_topic, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_msg, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_retain, MP_ARG_BOOL, {.u_bool = false} },
        { MP_QSTR_qos, MP_ARG_INT, {.u_int = 0} },
    };
    umqtt_client_obj_t *self = client_of(pos_args[0]);
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all(n_args - 1, pos_args + 1, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    check_str_or_bytes(args[ARG_topic].u_obj, MP_QSTR_topic, false);
    publish_args_t p;
    p.topic = (const uint8_t *)mp_obj_str_get_data(args[ARG_topic].u_obj, &p.topic_len);
    mp_buffer_info_t msg;
    if (!mp_get_buffer(args[ARG_msg].u_obj, &msg, MP_BUFFER_READ)) {
        mp_raise_TypeError(MP_ERROR_TEXT("msg must be str, bytes or a buffer"));
    }
    p.payload = msg.buf;
    p.payload_len = msg.len;
    p.qos = (uint8_t)check_qos(args[ARG_qos].u_int);
    p.retain = args[ARG_retain].u_bool;
    if (self->stream == MP_OBJ_NULL) {
        raise_not_connected();
    }
    uint32_t ticket = send_packet(self, encode_publish, &p);
    if (p.qos > 0) {
        wait_ticket(self, ticket);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_client_publish_obj, 3, umqtt_client_publish);

typedef struct {
    const uint8_t *filter;
    size_t len;
    uint8_t qos;
} subscribe_args_t;

static UmqttStatus encode_subscribe(umqtt_client_obj_t *self, const void *args, size_t *len, uint32_t *ticket) {
    const subscribe_args_t *s = args;
    return umqtt_core_subscribe(CORE(self), s->filter, s->len, s->qos, now_ms(), self->tx_buf, self->tx_cap, len, ticket);
}

static UmqttStatus encode_unsubscribe(umqtt_client_obj_t *self, const void *args, size_t *len, uint32_t *ticket) {
    const subscribe_args_t *s = args;
    return umqtt_core_unsubscribe(CORE(self), s->filter, s->len, now_ms(), self->tx_buf, self->tx_cap, len, ticket);
}

static mp_obj_t umqtt_client_subscribe(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_topic, ARG_qos };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_topic, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_qos, MP_ARG_INT, {.u_int = 0} },
    };
    umqtt_client_obj_t *self = client_of(pos_args[0]);
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all(n_args - 1, pos_args + 1, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    check_str_or_bytes(args[ARG_topic].u_obj, MP_QSTR_topic, false);
    subscribe_args_t s;
    s.filter = (const uint8_t *)mp_obj_str_get_data(args[ARG_topic].u_obj, &s.len);
    s.qos = (uint8_t)check_qos(args[ARG_qos].u_int);
    if (self->stream == MP_OBJ_NULL) {
        raise_not_connected();
    }
    uint8_t code = wait_ticket(self, send_packet(self, encode_subscribe, &s));
    if (code == 0x80) {
        umqtt_raise_code(0x80, "subscription refused by the broker");
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_client_subscribe_obj, 2, umqtt_client_subscribe);

static mp_obj_t umqtt_client_unsubscribe(mp_obj_t self_in, mp_obj_t topic) {
    umqtt_client_obj_t *self = client_of(self_in);
    check_str_or_bytes(topic, MP_QSTR_topic, false);
    subscribe_args_t s;
    s.filter = (const uint8_t *)mp_obj_str_get_data(topic, &s.len);
    s.qos = 0;
    if (self->stream == MP_OBJ_NULL) {
        raise_not_connected();
    }
    wait_ticket(self, send_packet(self, encode_unsubscribe, &s));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(umqtt_client_unsubscribe_obj, umqtt_client_unsubscribe);

static mp_obj_t umqtt_client_wait_msg(mp_obj_t self_in) {
    umqtt_client_obj_t *self = client_of(self_in);
    while (client_step(self, WAIT_SLICE_MS) == UMQTT_EVENT_KIND_NONE) {
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_client_wait_msg_obj, umqtt_client_wait_msg);

static mp_obj_t umqtt_client_check_msg(mp_obj_t self_in) {
    umqtt_client_obj_t *self = client_of(self_in);
    client_step(self, 0);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_client_check_msg_obj, umqtt_client_check_msg);

static UmqttStatus encode_ping(umqtt_client_obj_t *self, const void *args, size_t *len, uint32_t *ticket) {
    (void)args;
    (void)ticket;
    return umqtt_core_ping(CORE(self), now_ms(), self->tx_buf, self->tx_cap, len);
}

static mp_obj_t umqtt_client_ping(mp_obj_t self_in) {
    umqtt_client_obj_t *self = client_of(self_in);
    if (self->stream == MP_OBJ_NULL) {
        raise_not_connected();
    }
    send_packet(self, encode_ping, NULL);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_client_ping_obj, umqtt_client_ping);

static mp_obj_t umqtt_client_disconnect(mp_obj_t self_in) {
    umqtt_client_obj_t *self = client_of(self_in);
    client_guard_t guard;
    client_lock(self, &guard);
    if (self->stream != MP_OBJ_NULL) {
        size_t len = 0;
        if (umqtt_core_disconnect(CORE(self), self->tx_buf, self->tx_cap, &len) == UMQTT_STATUS_OK) {
            umqtt_io_write_all(self, self->tx_buf, len, now_ms() + self->timeout_ms);
        }
    }
    connection_lost(self, UMQTT_STA_CLOSED);
    client_unlock(&guard);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_client_disconnect_obj, umqtt_client_disconnect);

static mp_obj_t umqtt_client_close(mp_obj_t self_in) {
    umqtt_client_obj_t *self = client_of(self_in);
    client_guard_t guard;
    client_lock(self, &guard);
    connection_lost(self, UMQTT_STA_CLOSED);
    client_unlock(&guard);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_client_close_obj, umqtt_client_close);

static mp_obj_t umqtt_client_get_mqttsta(mp_obj_t self_in) {
    umqtt_client_obj_t *self = client_of(self_in);
    return MP_OBJ_NEW_SMALL_INT(self->sta);
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_client_get_mqttsta_obj, umqtt_client_get_mqttsta);

// DELAY and DEBUG (settable per instance, as scripts for umqtt.robust and
// QuecPython do) and the read-only session_present of the last CONNACK.
static void umqtt_client_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest) {
    umqtt_client_obj_t *self = client_of(self_in);
    mp_obj_t *field = NULL;
    if (attr == MP_QSTR_DELAY) {
        field = &self->delay;
    } else if (attr == MP_QSTR_DEBUG) {
        field = &self->debug;
    } else if (attr == MP_QSTR_session_present && dest[0] == MP_OBJ_NULL) {
        dest[0] = mp_obj_new_bool(self->session_present);
        return;
    }
    if (field == NULL) {
        dest[1] = MP_OBJ_SENTINEL;      // look further, in locals_dict
    } else if (dest[0] == MP_OBJ_NULL) {
        dest[0] = *field;
    } else if (dest[1] != MP_OBJ_NULL) {
        *field = dest[1];
        dest[0] = MP_OBJ_NULL;
    }
}

static const mp_rom_map_elem_t umqtt_client_locals_dict_table[] = {
    { MP_ROM_QSTR(MP_QSTR___del__), MP_ROM_PTR(&umqtt_client_close_obj) },
    { MP_ROM_QSTR(MP_QSTR_set_callback), MP_ROM_PTR(&umqtt_client_set_callback_obj) },
    { MP_ROM_QSTR(MP_QSTR_error_register_cb), MP_ROM_PTR(&umqtt_client_error_register_cb_obj) },
    { MP_ROM_QSTR(MP_QSTR_set_last_will), MP_ROM_PTR(&umqtt_client_set_last_will_obj) },
    { MP_ROM_QSTR(MP_QSTR_connect), MP_ROM_PTR(&umqtt_client_connect_obj) },
    { MP_ROM_QSTR(MP_QSTR_disconnect), MP_ROM_PTR(&umqtt_client_disconnect_obj) },
    { MP_ROM_QSTR(MP_QSTR_close), MP_ROM_PTR(&umqtt_client_close_obj) },
    { MP_ROM_QSTR(MP_QSTR_ping), MP_ROM_PTR(&umqtt_client_ping_obj) },
    { MP_ROM_QSTR(MP_QSTR_publish), MP_ROM_PTR(&umqtt_client_publish_obj) },
    { MP_ROM_QSTR(MP_QSTR_subscribe), MP_ROM_PTR(&umqtt_client_subscribe_obj) },
    { MP_ROM_QSTR(MP_QSTR_unsubscribe), MP_ROM_PTR(&umqtt_client_unsubscribe_obj) },
    { MP_ROM_QSTR(MP_QSTR_wait_msg), MP_ROM_PTR(&umqtt_client_wait_msg_obj) },
    { MP_ROM_QSTR(MP_QSTR_check_msg), MP_ROM_PTR(&umqtt_client_check_msg_obj) },
    { MP_ROM_QSTR(MP_QSTR_get_mqttsta), MP_ROM_PTR(&umqtt_client_get_mqttsta_obj) },
};
static MP_DEFINE_CONST_DICT(umqtt_client_locals_dict, umqtt_client_locals_dict_table);

MP_DEFINE_CONST_OBJ_TYPE(
    umqtt_client_type,
    MP_QSTR_MQTTClient,
    MP_TYPE_FLAG_NONE,
    make_new, umqtt_client_make_new,
    print, umqtt_client_print,
    attr, umqtt_client_attr,
    locals_dict, &umqtt_client_locals_dict
    );

#endif // MICROPY_PY_UMQTT
