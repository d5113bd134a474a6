// MQTTClient: the two native faces (umqtt.MQTTClient, QuecPython's, and
// umqtt.simple.MQTTClient, micropython-lib's), their constructor and
// methods. One object and one set of methods serve both; the face decides
// defaults and return values only. The connection loop is umqtt_pump.c;
// every MQTT decision is the Rust driver's (umqtt_core.h).

#include <string.h>

#include "py/runtime.h"
#include "py/stream.h"
#include "py/mphal.h"
#include "py/mperrno.h"
#include "py/objstr.h"
#include "umqtt_config.h"

#if MICROPY_PY_UMQTT

#include "umqtt.h"

#define DEFAULT_PORT (1883)
#define DEFAULT_TLS_PORT (8883)
#define DEFAULT_TIMEOUT_MS (10000)
#define DEFAULT_MAX_PACKET (128 * 1024)

#define CORE(self) umqtt_core(self)

umqtt_client_obj_t *umqtt_client_of(mp_obj_t obj) {
    const mp_obj_type_t *type = mp_obj_get_type(obj);
    if (type == &umqtt_client_type || type == UMQTT_SIMPLE_TYPE) {
        return MP_OBJ_TO_PTR(obj);
    }
    mp_obj_t native = mp_obj_cast_to_native_base(obj, MP_OBJ_FROM_PTR(UMQTT_SIMPLE_TYPE));
    if (MICROPY_PY_UMQTT_FACES && native == MP_OBJ_NULL) {
        native = mp_obj_cast_to_native_base(obj, MP_OBJ_FROM_PTR(&umqtt_client_type));
    }
    if (native == MP_OBJ_NULL || !mp_obj_is_obj(native)
        || (mp_obj_get_type(native) != &umqtt_client_type && mp_obj_get_type(native) != UMQTT_SIMPLE_TYPE)) {
        mp_raise_TypeError(MP_ERROR_TEXT("not an MQTTClient (call super().__init__() first)"));
    }
    return MP_OBJ_TO_PTR(native);
}

// ---------------------------------------------------------------------------
// Constructor.

// Zeroes the stack below the caller's frame. umqtt_core_init builds the
// driver on the stack and copies it into the client, its unused bytes
// (padding, empty queues) included: on a cleared stack those are zeros, not
// stale pointers that the conservative GC would find in the client and keep
// dead objects alive by (an earlier client dropped by the script, with its
// keep-alive thread and socket: tests_py/driver/test_abandoned_clients.py).
static MP_NOINLINE void clear_stack_below(void) {
    volatile uint8_t area[UMQTT_CORE_SIZE * 4];
    for (size_t i = 0; i < sizeof(area); ++i) {
        area[i] = 0;
    }
}

// QuecPython's signature, then umqtt.simple's, then our keyword-only tuning.
// The faces differ only in reconn's default.
static mp_obj_t umqtt_client_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *all_args) {
    enum { ARG_client_id, ARG_server, ARG_port, ARG_user, ARG_password, ARG_keepalive, ARG_ssl,
           ARG_ssl_params, ARG_reconn, ARG_version, ARG_pingmaxnum, ARG_manage, ARG_ipvtype, ARG_timeout,
           ARG_max_packet, ARG_max_inflight, ARG_transport };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_client_id, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_server, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_port, MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_user, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_password, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_keepalive, MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_ssl, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_FALSE} },
        { MP_QSTR_ssl_params, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_reconn, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_version, MP_ARG_INT, {.u_int = 4} },
        { MP_QSTR_pingmaxnum, MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_manage, MP_ARG_BOOL, {.u_bool = false} },
        { MP_QSTR_ipvtype, MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_timeout, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_max_packet, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = DEFAULT_MAX_PACKET} },
        { MP_QSTR_max_inflight, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = UMQTT_MAX_INFLIGHT} },
        { MP_QSTR_transport, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_map_t kw_args;
    mp_map_init_fixed_table(&kw_args, n_kw, all_args + n_args);
    umqtt_parse_args(n_args, all_args, &kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);

    // client_id and server, then user and password (None allowed): str or bytes.
    for (size_t i = ARG_client_id; i <= ARG_password; ++i) {
        if (i != ARG_port) {
            umqtt_check_str_or_bytes(args[i].u_obj, allowed_args[i].qst, i > ARG_port);
        }
    }
    if (args[ARG_password].u_obj != mp_const_none && args[ARG_user].u_obj == mp_const_none) {
        // MQTT 3.1.1 section 3.1.2.9: no password without a user name.
        mp_raise_ValueError(MP_ERROR_TEXT("password needs a user name (MQTT 3.1.1 3.1.2.9)"));
    }
    // The int arguments with bounds, in the order they are checked.
    static const struct { uint8_t arg, lo; uint16_t hi; } ranges[] = {
        { ARG_port, 0, 65535 }, { ARG_keepalive, 0, 65535 }, { ARG_pingmaxnum, 0, 255 }, { ARG_ipvtype, 0, 1 },
        { ARG_max_inflight, 1, UMQTT_MAX_INFLIGHT },
    };
    mp_int_t version = args[ARG_version].u_int;
    if (version != 3 && version != 4 && (version != 5 || !MICROPY_PY_UMQTT_MQTT5)) {
        mp_raise_ValueError(MICROPY_PY_UMQTT_MQTT5 ? MP_ERROR_TEXT("version must be 3 (MQTT 3.1), 4 (MQTT 3.1.1) or 5")
            : MP_ERROR_TEXT("version must be 3 (MQTT 3.1) or 4 (MQTT 3.1.1): this firmware has no MQTT 5"));
    }
    for (size_t i = 0; i < MP_ARRAY_SIZE(ranges); ++i) {
        umqtt_int_in_range(args[ranges[i].arg].u_int, ranges[i].lo, ranges[i].hi, allowed_args[ranges[i].arg].qst);
    }
    mp_obj_t ssl_params = args[ARG_ssl_params].u_obj;
    mp_obj_t ssl = umqtt_ssl_arg(args[ARG_ssl].u_obj, ssl_params);
    uint32_t timeout_ms = args[ARG_timeout].u_obj == mp_const_none ? DEFAULT_TIMEOUT_MS : umqtt_timeout_arg(args[ARG_timeout].u_obj);
    mp_int_t max_packet = args[ARG_max_packet].u_int;
    if (max_packet < 64) {
        mp_raise_ValueError(MP_ERROR_TEXT("max_packet must be >= 64"));
    }
    mp_obj_t transport = args[ARG_transport].u_obj;
    if (transport != mp_const_none && !mp_obj_is_callable(transport)) {
        mp_raise_TypeError(MP_ERROR_TEXT("transport must be a callable returning a stream"));
    }
    bool simple = MICROPY_PY_UMQTT_FACES && type == UMQTT_SIMPLE_TYPE;
    // QuecPython reconnects by itself; umqtt.simple leaves it to the script
    // (a lost connection raises OSError), and umqtt.robust to its reconnect().
    bool reconn = args[ARG_reconn].u_obj == mp_const_none ? !simple : mp_obj_is_true(args[ARG_reconn].u_obj);

    umqtt_client_obj_t *self = mp_obj_malloc_with_finaliser(umqtt_client_obj_t, type);
    #if !MICROPY_GC_CONSERVATIVE_CLEAR      // else the GC hands out cleared blocks
    memset((uint8_t *)self + sizeof(mp_obj_base_t), 0, sizeof(*self) - sizeof(mp_obj_base_t));
    #endif
    self->face = simple ? UMQTT_FACE_SIMPLE : UMQTT_FACE_QUECPYTHON;
    self->client_id = args[ARG_client_id].u_obj;
    self->server = args[ARG_server].u_obj;
    self->user = args[ARG_user].u_obj;
    self->password = args[ARG_password].u_obj;
    self->ssl = ssl;
    self->ssl_params = ssl_params;
    self->msg_cb = mp_const_none;
    self->err_cb = mp_const_none;
    self->delay = MP_OBJ_NEW_SMALL_INT(2);
    self->debug = mp_const_false;
    self->fd = -1;
    self->rx_buf = m_new(uint8_t, UMQTT_RX_INITIAL);
    self->rx_cap = UMQTT_RX_INITIAL;
    self->tx_buf = m_new(uint8_t, UMQTT_TX_INITIAL);
    self->tx_cap = UMQTT_TX_INITIAL;
    self->max_packet = (size_t)max_packet;
    mp_int_t port = args[ARG_port].u_int;
    self->port = port != 0 ? (mp_uint_t)port : (MICROPY_PY_UMQTT_NET && ssl != mp_const_false ? DEFAULT_TLS_PORT : DEFAULT_PORT);
    self->timeout_ms = timeout_ms;
    self->keepalive = (uint16_t)args[ARG_keepalive].u_int;
    self->reconn = reconn;
    self->version = (uint8_t)version;
    self->pingmaxnum = (uint8_t)args[ARG_pingmaxnum].u_int;
    self->max_inflight = (uint8_t)args[ARG_max_inflight].u_int;
    self->ipvtype = (uint8_t)args[ARG_ipvtype].u_int;
    self->manage = args[ARG_manage].u_bool;
    self->clean_session = true;
    self->transport = transport;
    #if MICROPY_PY_THREAD
    mp_thread_mutex_init(&self->mutex);
    #endif
    clear_stack_below();
    UmqttStatus st = umqtt_core_init(self->core, sizeof(self->core));
    if (st != UMQTT_STATUS_OK) {
        umqtt_raise_status(st);
    }
    umqtt_apply_settings(self);
    umqtt_core_seed(self->core, (uint32_t)mp_hal_ticks_us() ^ (uint32_t)(uintptr_t)self);
    return MP_OBJ_FROM_PTR(self);
}

static void umqtt_client_print(const mp_print_t *print, mp_obj_t self_in, mp_print_kind_t kind) {
    (void)kind;
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    bool connected = umqtt_core_status(CORE(self)) == UMQTT_CONN_STATUS_CONNECTED;
    umqtt_unlock(&guard);
    mp_printf(print, "<MQTTClient %s:%u %s>", mp_obj_str_get_str(self->server), (unsigned)self->port,
        connected ? "connected" : "not connected");
}

// ---------------------------------------------------------------------------
// Methods.

// Stores a callback (or None) under the mutex: other threads read it there.
static void set_field(umqtt_client_obj_t *self, mp_obj_t *field, mp_obj_t f) {
    if (f != mp_const_none && !mp_obj_is_callable(f)) {
        mp_raise_TypeError(MP_ERROR_TEXT("f must be callable or None"));
    }
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    *field = f;
    umqtt_unlock(&guard);
}

// set_callback(f, message=False): f(topic, msg), or with message=True
// f(message), one object with .topic, .payload, .qos, .retain, .dup and
// .properties (an explicit opt-in: never guessed from f's arguments).
// error_register_cb(f) takes the first of these alone.
static const mp_arg_t set_callback_args[] = {
    { MP_QSTR_f, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    { MP_QSTR_message, MP_ARG_KW_ONLY | MP_ARG_BOOL, {.u_bool = false} },
};

static mp_obj_t umqtt_client_set_callback(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_f, ARG_message };
    umqtt_client_obj_t *self = umqtt_client_of(pos_args[0]);
    mp_arg_val_t args[MP_ARRAY_SIZE(set_callback_args)];
    umqtt_parse_method_args(n_args, pos_args, kw_args, MP_ARRAY_SIZE(set_callback_args), set_callback_args, args);
    set_field(self, &self->msg_cb, args[ARG_f].u_obj);
    self->msg_objects = args[ARG_message].u_bool;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_client_set_callback_obj, 1, umqtt_client_set_callback);

static mp_obj_t umqtt_client_error_register_cb(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    mp_arg_val_t f;
    umqtt_parse_method_args(n_args, pos_args, kw_args, 1, set_callback_args, &f);
    umqtt_client_obj_t *self = umqtt_client_of(pos_args[0]);
    set_field(self, &self->err_cb, f.u_obj);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_client_error_register_cb_obj, 1, umqtt_client_error_register_cb);

static mp_obj_t umqtt_client_set_last_will(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_topic, ARG_msg, ARG_retain, ARG_qos, ARG_properties };    // publish()'s (umqtt_args.c)
    umqtt_client_obj_t *self = umqtt_client_of(pos_args[0]);
    mp_arg_val_t args[UMQTT_PUBLISH_N_ARGS];
    umqtt_parse_method_args(n_args, pos_args, kw_args, UMQTT_PUBLISH_N_ARGS, umqtt_publish_allowed_args, args);
    mp_obj_t topic = umqtt_topic_arg(args[ARG_topic].u_obj);
    umqtt_check_str_or_bytes(args[ARG_msg].u_obj, MP_QSTR_msg, false);
    size_t topic_len;
    const char *topic_buf = mp_obj_str_get_data(topic, &topic_len);
    UmqttStatus st = umqtt_core_check_topic((const uint8_t *)topic_buf, topic_len, false);
    if (st != UMQTT_STATUS_OK) {
        umqtt_raise_status(st);
    }
    uint8_t qos = umqtt_check_qos(args[ARG_qos].u_int);
    mp_obj_t props = umqtt_props_arg(self, args[ARG_properties].u_obj);
    // Every check has passed: the will changes as a whole, under the mutex
    // (a reconnect in another thread encodes the CONNECT from these fields),
    // and a call that raised above left the previous will as it was.
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    #if MICROPY_PY_UMQTT_MQTT5
    self->will_props = props;
    #else
    (void)props;
    #endif
    self->will_topic = topic;
    self->will_msg = args[ARG_msg].u_obj;
    self->will_qos = qos;
    self->will_retain = args[ARG_retain].u_bool;
    umqtt_unlock(&guard);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_client_set_last_will_obj, 1, umqtt_client_set_last_will);

// connect(clean_session=True, timeout=None, properties=None): QuecPython's
// returns 0, umqtt.simple's the session-present flag. `timeout` (newer
// umqtt.simple) becomes the client's bound on each network wait from now
// on; `properties` (MQTT 5) are sent on every connect from now on.
static mp_obj_t umqtt_connect_method(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_clean_session, ARG_timeout, ARG_properties };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_clean_session, MP_ARG_BOOL, {.u_bool = true} },
        { MP_QSTR_timeout, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_properties, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    };
    umqtt_client_obj_t *self = umqtt_client_of(pos_args[0]);
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    umqtt_parse_method_args(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    if (args[ARG_timeout].u_obj != mp_const_none) {
        self->timeout_ms = umqtt_timeout_arg(args[ARG_timeout].u_obj);
        umqtt_apply_settings(self);
    }
    umqtt_set_connect_props(self, args[ARG_properties].u_obj);
    umqtt_connect(self, args[ARG_clean_session].u_bool);
    if (UMQTT_QUEC_FACE(self)) {
        return MP_OBJ_NEW_SMALL_INT(0);
    }
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    bool session_present = umqtt_core_session_present(CORE(self));
    umqtt_unlock(&guard);
    return mp_obj_new_bool(session_present);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_client_connect_obj, 1, umqtt_connect_method);

// publish(): QoS 0 returns once written, QoS 1/2 on the acknowledgement.
// Late (the timeout passed, the message still in flight): QuecPython's face
// returns False when a re-send is coming (reconn, or a persistent session),
// else raises OSError(ETIMEDOUT), as umqtt.simple's face always does. No
// message is given up silently.
mp_obj_t umqtt_publish_method(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    umqtt_client_obj_t *self = umqtt_client_of(pos_args[0]);
    umqtt_command_t a;
    umqtt_publish_args(n_args, pos_args, kw_args, &a);
    uint32_t deadline = umqtt_now_ms() + self->timeout_ms;
    UmqttOp op = umqtt_issue(self, umqtt_publish_command, &a, deadline);
    UmqttStatus st = UMQTT_STATUS_OK;
    if (a.qos > 0) {
        uint8_t code;
        st = umqtt_wait_ticket(self, op.ticket, op.slot, deadline, &code, false, true);
        if (st == UMQTT_STATUS_REFUSED) {
            umqtt_raise_refused(self, code);    // MQTT 5: a PUBACK/PUBREC's failure code
        }
    }
    bool quec = UMQTT_QUEC_FACE(self);
    if (st == UMQTT_STATUS_OK) {
        return quec ? mp_const_true : mp_const_none;
    }
    if (st == UMQTT_STATUS_TIMEOUT) {
        if (quec && (self->reconn || !self->clean_session)) {
            return mp_const_false;
        }
        mp_raise_OSError(MP_ETIMEDOUT);
    }
    // UNKNOWN_TICKET: a connect(clean_session=True) elsewhere forgot it.
    umqtt_raise_code(-1, "message lost: the session was cleared before the acknowledgement");
}
static MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_client_publish_obj, 1, umqtt_publish_method);

static mp_obj_t umqtt_client_subscribe(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    umqtt_client_obj_t *self = umqtt_client_of(pos_args[0]);
    umqtt_command_t a;
    umqtt_subscribe_args(n_args, pos_args, kw_args, &a);
    umqtt_filter_request(self, umqtt_subscribe_command, &a);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_client_subscribe_obj, 1, umqtt_client_subscribe);

static mp_obj_t umqtt_client_unsubscribe(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    mp_arg_val_t topic;                     // publish()'s first argument: topic, required
    umqtt_parse_method_args(n_args, pos_args, kw_args, 1, umqtt_publish_allowed_args, &topic);
    umqtt_client_obj_t *self = umqtt_client_of(pos_args[0]);
    umqtt_command_t a;
    umqtt_filter_args(&a, topic.u_obj);
    umqtt_filter_request(self, umqtt_unsubscribe_command, &a);  // MQTT 5: an UNSUBACK's failure raises
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_client_unsubscribe_obj, 1, umqtt_client_unsubscribe);

// Raise when the connection is closed and nothing will reopen it.
static void check_open(umqtt_client_obj_t *self) {
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    UmqttConnStatus status = umqtt_core_status(CORE(self));
    UmqttStatus cause = umqtt_core_cause(CORE(self));
    umqtt_unlock(&guard);
    if (status == UMQTT_CONN_STATUS_CLOSED || status == UMQTT_CONN_STATUS_SERVER_CLOSED) {
        umqtt_raise_lost(self, cause);
    }
}

// Blocks until a packet from the broker has been handled: a message handed
// to the callback, an acknowledgement, or the PINGRESP to the script's own
// ping(); the client's keep-alive traffic does not count.
mp_obj_t umqtt_wait_msg_method(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    size_t packets = umqtt_pump(self, NULL, UMQTT_PUMP_RAISING);
    while (packets == 0) {
        check_open(self);
        umqtt_wait(self, umqtt_now_ms() + 1000);
        packets = umqtt_pump(self, NULL, UMQTT_PUMP_DELIVER);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_client_wait_msg_obj, umqtt_wait_msg_method);

mp_obj_t umqtt_check_msg_method(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    if (umqtt_pump(self, NULL, UMQTT_PUMP_RAISING) == 0) {
        check_open(self);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_client_check_msg_obj, umqtt_check_msg_method);

static mp_obj_t umqtt_client_ping(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    umqtt_issue(self, umqtt_ping_command, NULL, umqtt_now_ms() + self->timeout_ms);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_client_ping_obj, umqtt_client_ping);

// DISCONNECT (no will is published), then close; stops reconnecting.
static mp_obj_t umqtt_client_disconnect(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    umqtt_keepalive_stop(self);
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    // asyncio mode: never waiting; what the socket takes of a pending tail
    // first, then DISCONNECT if it fits (else the transport just closes).
    bool clear = !UMQTT_NB(self) || umqtt_flush_tail(self);
    size_t len = 0;
    if (umqtt_core_disconnect(CORE(self), self->tx_buf, self->tx_cap, &len) == UMQTT_STATUS_OK && len > 0 && clear) {
        if (UMQTT_NB(self)) {
            size_t written;
            umqtt_io_write_some(self, self->tx_buf, len, &written);
        } else {
            umqtt_io_write_all(self, self->tx_buf, len, self->timeout_ms);
        }
    }
    umqtt_io_close(self);
    umqtt_unlock(&guard);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_client_disconnect_obj, umqtt_client_disconnect);

// Close the socket only (the will is published), for scripts that reconnect
// by hand; also the finaliser.
static mp_obj_t umqtt_client_close(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    umqtt_keepalive_stop(self);
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    umqtt_core_close(CORE(self));
    umqtt_io_close(self);
    umqtt_unlock(&guard);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_client_close_obj, umqtt_client_close);

static mp_obj_t umqtt_client_get_mqttsta(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    UmqttConnStatus status = umqtt_core_status(CORE(self));
    umqtt_unlock(&guard);
    return MP_OBJ_NEW_SMALL_INT(status);
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_client_get_mqttsta_obj, umqtt_client_get_mqttsta);

// delay(i): sleeps DELAY seconds, as QuecPython's and umqtt.robust's do
// between reconnect attempts (`i`, the attempt number, is for overrides).
// DELAY is read through the object, so a subclass's or instance's wins.
mp_obj_t umqtt_delay_method(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_i, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    };
    mp_arg_val_t i;
    umqtt_parse_method_args(n_args, pos_args, kw_args, 1, allowed_args, &i);
    mp_obj_t delay = mp_load_attr(pos_args[0], MP_QSTR_DELAY);
    #if MICROPY_PY_BUILTINS_FLOAT
    mp_float_t s = mp_obj_get_float(delay);
    mp_int_t ms = s > 0 ? (mp_int_t)(s * 1000) : 0;
    #else
    mp_int_t ms = mp_obj_get_int(delay) * 1000;
    #endif
    if (ms > 0) {
        mp_hal_delay_ms((mp_uint_t)ms);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_client_delay_obj, 1, umqtt_delay_method);

static const mp_rom_map_elem_t umqtt_client_locals_dict_table[] = {
    { MP_ROM_QSTR(MP_QSTR___del__), MP_ROM_PTR(&umqtt_client_close_obj) },
    { MP_ROM_QSTR(MP_QSTR_set_callback), MP_ROM_PTR(&umqtt_client_set_callback_obj) },
    #if MICROPY_PY_UMQTT_CHUNKS
    { MP_ROM_QSTR(MP_QSTR_set_chunk_callback), MP_ROM_PTR(&umqtt_client_set_chunk_callback_obj) },
    #endif
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
    { MP_ROM_QSTR(MP_QSTR_delay), MP_ROM_PTR(&umqtt_client_delay_obj) },
    { MP_ROM_QSTR(MP_QSTR_stats), MP_ROM_PTR(&umqtt_stats_obj) },
    #if MICROPY_PY_UMQTT_AIO
    // The asyncio client's primitives (umqtt_aio.c).
    { MP_ROM_QSTR(MP_QSTR__nb), MP_ROM_PTR(&umqtt_nb_obj) },
    { MP_ROM_QSTR(MP_QSTR__tail), MP_ROM_PTR(&umqtt_tail_obj) },
    { MP_ROM_QSTR(MP_QSTR__want_open), MP_ROM_PTR(&umqtt_want_open_obj) },
    { MP_ROM_QSTR(MP_QSTR__attach), MP_ROM_PTR(&umqtt_attach_obj) },
    { MP_ROM_QSTR(MP_QSTR__attach_failed), MP_ROM_PTR(&umqtt_attach_failed_obj) },
    { MP_ROM_QSTR(MP_QSTR__step), MP_ROM_PTR(&umqtt_step_obj) },
    { MP_ROM_QSTR(MP_QSTR__next_timeout), MP_ROM_PTR(&umqtt_next_timeout_obj) },
    { MP_ROM_QSTR(MP_QSTR__connect_start), MP_ROM_PTR(&umqtt_connect_start_obj) },
    { MP_ROM_QSTR(MP_QSTR__connect_result), MP_ROM_PTR(&umqtt_connect_result_obj) },
    { MP_ROM_QSTR(MP_QSTR__publish_start), MP_ROM_PTR(&umqtt_publish_start_obj) },
    { MP_ROM_QSTR(MP_QSTR__subscribe_start), MP_ROM_PTR(&umqtt_subscribe_start_obj) },
    { MP_ROM_QSTR(MP_QSTR__unsubscribe_start), MP_ROM_PTR(&umqtt_unsubscribe_start_obj) },
    { MP_ROM_QSTR(MP_QSTR__ticket), MP_ROM_PTR(&umqtt_ticket_obj) },
    { MP_ROM_QSTR(MP_QSTR__forget), MP_ROM_PTR(&umqtt_forget_obj) },
    #endif
};
static MP_DEFINE_CONST_DICT(umqtt_client_locals_dict, umqtt_client_locals_dict_table);

// Two types over one object: the face is picked by the type make_new gets.
#define CLIENT_TYPE(name) MP_DEFINE_CONST_OBJ_TYPE( \
    name, \
    MP_QSTR_MQTTClient, \
    MP_TYPE_FLAG_NONE, \
    make_new, umqtt_client_make_new, \
    print, umqtt_client_print, \
    attr, umqtt_client_attr, \
    protocol, &umqtt_client_stream_p, \
    locals_dict, &umqtt_client_locals_dict \
    )
CLIENT_TYPE(umqtt_client_type);
#if MICROPY_PY_UMQTT_FACES
CLIENT_TYPE(umqtt_simple_client_type);
#endif

#endif // MICROPY_PY_UMQTT
