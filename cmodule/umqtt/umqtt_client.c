// MQTTClient: the type, its arguments and its methods. The connection itself
// (mutex, waiting, reconnect) is umqtt_conn.c; MQTT decisions are the Rust
// core's (umqtt_core.h).

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

#define CORE(self) ((void *)(self)->core)


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

static umqtt_client_obj_t *client_of(mp_obj_t self_in) {
    return MP_OBJ_TO_PTR(mp_obj_cast_to_native_base(self_in, MP_OBJ_FROM_PTR(&umqtt_client_type)));
}

// ---------------------------------------------------------------------------
// Constructor.

static mp_obj_t umqtt_client_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *all_args) {
    enum { ARG_client_id, ARG_server, ARG_port, ARG_user, ARG_password, ARG_keepalive, ARG_ssl,
           ARG_ssl_params, ARG_reconn, ARG_version, ARG_pingmaxnum, ARG_timeout, ARG_max_packet,
           ARG_max_inflight, ARG_transport };
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
        { MP_QSTR_max_inflight, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = UMQTT_MAX_INFLIGHT} },
        { MP_QSTR_transport, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all_kw_array(n_args, n_kw, all_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);

    check_str_or_bytes(args[ARG_client_id].u_obj, MP_QSTR_client_id, false);
    check_str_or_bytes(args[ARG_server].u_obj, MP_QSTR_server, false);
    check_str_or_bytes(args[ARG_user].u_obj, MP_QSTR_user, true);
    check_str_or_bytes(args[ARG_password].u_obj, MP_QSTR_password, true);
    if (args[ARG_password].u_obj != mp_const_none && args[ARG_user].u_obj == mp_const_none) {
        // MQTT 3.1.1 section 3.1.2.9: no password without a user name.
        mp_raise_ValueError(MP_ERROR_TEXT("password needs a user name (MQTT 3.1.1 3.1.2.9)"));
    }
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
        timeout_ms = (uint32_t)(int32_t)(t * 1000);   // via int: no libgcc float-to-unsigned helper
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

    mp_int_t max_inflight = args[ARG_max_inflight].u_int;
    if (max_inflight < 1 || max_inflight > UMQTT_MAX_INFLIGHT) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("max_inflight must be 1..%d"), UMQTT_MAX_INFLIGHT);
    }

    mp_obj_t transport = args[ARG_transport].u_obj;
    if (transport != mp_const_none && !mp_obj_is_callable(transport)) {
        mp_raise_TypeError(MP_ERROR_TEXT("transport must be a callable returning a stream"));
    }

    umqtt_client_obj_t *self = mp_obj_malloc_with_finaliser(umqtt_client_obj_t, type);
    memset((uint8_t *)self + sizeof(mp_obj_base_t), 0, sizeof(*self) - sizeof(mp_obj_base_t));
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
    self->in_reconnect = false;
    self->auto_reconnect = false;
    self->max_inflight = (uint8_t)max_inflight;
    self->rng = (uint32_t)mp_hal_ticks_us() ^ (uint32_t)(uintptr_t)self;
    self->rng |= 1;
    self->subs = MP_OBJ_NULL;
    self->transport = transport;
    #if MICROPY_PY_THREAD
    mp_thread_mutex_init(&self->mutex);
    #endif
    UmqttStatus st = umqtt_core_init(self->core, sizeof(self->core));
    if (st == UMQTT_STATUS_OK) {
        st = umqtt_core_set_max_inflight(self->core, self->max_inflight);
    }
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

static mp_obj_t umqtt_client_connect(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_clean_session };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_clean_session, MP_ARG_BOOL, {.u_bool = true} },
    };
    umqtt_client_obj_t *self = client_of(pos_args[0]);
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all(n_args - 1, pos_args + 1, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    self->clean_session = args[ARG_clean_session].u_bool;
    umqtt_connect(self);
    return MP_OBJ_NEW_SMALL_INT(0);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_client_connect_obj, 1, umqtt_client_connect);

typedef struct {
    mp_obj_t topic_obj;
    mp_obj_t msg_obj;
    const uint8_t *topic;
    size_t topic_len;
    const uint8_t *payload;
    size_t payload_len;
    uint8_t qos;
    bool retain;
} publish_args_t;

// Encodes PUBLISH and, for QoS 1/2, keeps its objects for a re-send: both
// under the mutex, so a reconnect in between cannot miss the message.
static UmqttStatus encode_publish(umqtt_client_obj_t *self, const void *args, size_t *len, uint32_t *ticket) {
    const publish_args_t *p = args;
    UmqttStatus st = umqtt_core_publish(CORE(self), p->topic, p->topic_len, p->payload, p->payload_len, p->qos,
        p->retain, umqtt_now_ms(), self->tx_buf, self->tx_cap, len, ticket);
    if (st == UMQTT_STATUS_OK && *ticket != 0) {
        umqtt_slot_put(self, *ticket, p->topic_obj, p->msg_obj, p->retain);
    }
    return st;
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
    p.topic_obj = args[ARG_topic].u_obj;
    p.msg_obj = args[ARG_msg].u_obj;
    p.topic = (const uint8_t *)mp_obj_str_get_data(p.topic_obj, &p.topic_len);
    mp_buffer_info_t msg;
    if (!mp_get_buffer(p.msg_obj, &msg, MP_BUFFER_READ)) {
        mp_raise_TypeError(MP_ERROR_TEXT("msg must be str, bytes or a buffer"));
    }
    p.payload = msg.buf;
    p.payload_len = msg.len;
    p.qos = (uint8_t)check_qos(args[ARG_qos].u_int);
    p.retain = args[ARG_retain].u_bool;
    uint32_t deadline = umqtt_now_ms() + self->timeout_ms;
    for (;;) {
        uint32_t ticket = umqtt_send(self, encode_publish, &p, true);
        if (p.qos == 0 || umqtt_wait_publish(self, ticket, deadline)) {
            return mp_const_none;
        }
        // Lost with a session a reconnect cleared: publish it again rather
        // than lose it (a duplicate is possible, a loss is not).
        if (!self->reconn) {
            umqtt_raise_code(-1, "message lost: the connection dropped before the acknowledgement");
        }
    }
}
static MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_client_publish_obj, 3, umqtt_client_publish);

static UmqttStatus encode_unsubscribe(umqtt_client_obj_t *self, const void *args, size_t *len, uint32_t *ticket) {
    const umqtt_filter_args_t *s = args;
    return umqtt_core_unsubscribe(CORE(self), s->filter, s->len, umqtt_now_ms(), self->tx_buf, self->tx_cap, len, ticket);
}

// SUBSCRIBE or UNSUBSCRIBE and wait for the acknowledgement; sent again if
// a reconnect dropped it on the way. Returns the SUBACK code.
static uint8_t filter_request(umqtt_client_obj_t *self, umqtt_encode_fn_t encode, const umqtt_filter_args_t *s) {
    uint32_t deadline = umqtt_now_ms() + self->timeout_ms;
    for (;;) {
        uint8_t code = 0;
        uint32_t ticket = umqtt_send(self, encode, s, false);
        if (umqtt_wait_ticket(self, ticket, deadline, &code) == UMQTT_STATUS_OK) {
            return code;
        }
        if (!self->reconn) {
            umqtt_raise_code(-1, "connection lost before the acknowledgement");
        }
    }
}

// Subscriptions are remembered by the filter's bytes, so "a/b" and b"a/b"
// are one subscription.
static void forget_subscription(umqtt_client_obj_t *self, mp_obj_t key) {
    if (self->subs != MP_OBJ_NULL) {
        mp_map_lookup(mp_obj_dict_get_map(self->subs), key, MP_MAP_LOOKUP_REMOVE_IF_FOUND);
    }
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
    mp_obj_t topic = args[ARG_topic].u_obj;
    check_str_or_bytes(topic, MP_QSTR_topic, false);
    umqtt_filter_args_t s;
    s.filter = (const uint8_t *)mp_obj_str_get_data(topic, &s.len);
    s.qos = (uint8_t)check_qos(args[ARG_qos].u_int);
    UmqttStatus st = umqtt_core_check_topic(s.filter, s.len, true);
    if (st != UMQTT_STATUS_OK) {
        umqtt_raise_status(st);
    }
    // Remembered first, so a reconnect while we wait subscribes it again.
    if (self->subs == MP_OBJ_NULL) {
        self->subs = mp_obj_new_dict(0);
    }
    mp_obj_t key = mp_obj_new_bytes(s.filter, s.len);
    mp_obj_dict_store(self->subs, key, MP_OBJ_NEW_SMALL_INT(s.qos));
    nlr_buf_t nlr;
    uint8_t code = 0x80;
    if (nlr_push(&nlr) == 0) {
        code = filter_request(self, umqtt_encode_subscribe, &s);
        nlr_pop();
    } else {
        forget_subscription(self, key);
        nlr_jump(nlr.ret_val);
    }
    if (code == 0x80) {
        forget_subscription(self, key);
        umqtt_raise_code(0x80, "subscription refused by the broker");
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_client_subscribe_obj, 2, umqtt_client_subscribe);

static mp_obj_t umqtt_client_unsubscribe(mp_obj_t self_in, mp_obj_t topic) {
    umqtt_client_obj_t *self = client_of(self_in);
    check_str_or_bytes(topic, MP_QSTR_topic, false);
    umqtt_filter_args_t s;
    s.filter = (const uint8_t *)mp_obj_str_get_data(topic, &s.len);
    s.qos = 0;
    forget_subscription(self, mp_obj_new_bytes(s.filter, s.len));
    filter_request(self, encode_unsubscribe, &s);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(umqtt_client_unsubscribe_obj, umqtt_client_unsubscribe);

static mp_obj_t umqtt_client_wait_msg(mp_obj_t self_in) {
    umqtt_client_obj_t *self = client_of(self_in);
    while (umqtt_step(self, 100) != UMQTT_STEP_PACKET) {
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_client_wait_msg_obj, umqtt_client_wait_msg);

static mp_obj_t umqtt_client_check_msg(mp_obj_t self_in) {
    umqtt_client_obj_t *self = client_of(self_in);
    umqtt_step(self, 0);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_client_check_msg_obj, umqtt_client_check_msg);

static UmqttStatus encode_ping(umqtt_client_obj_t *self, const void *args, size_t *len, uint32_t *ticket) {
    (void)args;
    (void)ticket;
    return umqtt_core_ping(CORE(self), umqtt_now_ms(), self->tx_buf, self->tx_cap, len);
}

static mp_obj_t umqtt_client_ping(mp_obj_t self_in) {
    umqtt_send(client_of(self_in), encode_ping, NULL, false);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_client_ping_obj, umqtt_client_ping);

// DISCONNECT (no will is published), then close; stops reconnecting.
static mp_obj_t umqtt_client_disconnect(mp_obj_t self_in) {
    umqtt_client_obj_t *self = client_of(self_in);
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    self->auto_reconnect = false;
    if (self->stream != MP_OBJ_NULL) {
        size_t len = 0;
        if (umqtt_core_disconnect(CORE(self), self->tx_buf, self->tx_cap, &len) == UMQTT_STATUS_OK) {
            umqtt_io_write_all(self, self->tx_buf, len, umqtt_now_ms() + self->timeout_ms);
        }
    }
    umqtt_connection_lost(self, UMQTT_STA_CLOSED);
    umqtt_unlock(&guard);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_client_disconnect_obj, umqtt_client_disconnect);

// Close the socket only, for scripts that reconnect by hand.
static mp_obj_t umqtt_client_close(mp_obj_t self_in) {
    umqtt_client_obj_t *self = client_of(self_in);
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    self->auto_reconnect = false;
    umqtt_connection_lost(self, UMQTT_STA_CLOSED);
    umqtt_unlock(&guard);
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
