// Arguments of the client's methods: keyword parsing that names a misspelt
// keyword, and the checks every face shares (str/bytes, topics, QoS,
// ssl_params). Each raises TypeError/ValueError naming the argument.

#include <string.h>

#include "py/runtime.h"
#include "py/objstr.h"
#include "umqtt_config.h"

#if MICROPY_PY_UMQTT

#include "umqtt.h"

// A keyword the method does not take, named (MicroPython's own parser only
// says "extra keyword arguments given").
static void check_keywords(const mp_map_t *kw_args, size_t n_allowed, const mp_arg_t *allowed) {
    for (size_t i = 0; i < kw_args->alloc; ++i) {
        if (!mp_map_slot_is_filled(kw_args, i)) {
            continue;
        }
        qstr key = mp_obj_str_get_qstr(kw_args->table[i].key);
        bool known = false;
        for (size_t j = 0; j < n_allowed && !known; ++j) {
            known = allowed[j].qst == key;
        }
        if (!known) {
            mp_raise_msg_varg(&mp_type_TypeError, MP_ERROR_TEXT("unexpected keyword argument '%q'"), key);
        }
    }
}

void umqtt_parse_args(size_t n_pos, const mp_obj_t *pos, mp_map_t *kw_args,
    size_t n_allowed, const mp_arg_t *allowed, mp_arg_val_t *out) {
    check_keywords(kw_args, n_allowed, allowed);
    mp_arg_parse_all(n_pos, pos, kw_args, n_allowed, allowed, out);
}

// A method's arguments after self (pos_args[0]).
void umqtt_parse_method_args(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args,
    size_t n_allowed, const mp_arg_t *allowed, mp_arg_val_t *out) {
    umqtt_parse_args(n_args - 1, pos_args + 1, kw_args, n_allowed, allowed, out);
}

void umqtt_check_str_or_bytes(mp_obj_t obj, qstr name, bool none_ok) {
    if ((none_ok && obj == mp_const_none) || mp_obj_is_str_or_bytes(obj)) {
        return;
    }
    mp_raise_msg_varg(&mp_type_TypeError, MP_ERROR_TEXT("%q must be str or bytes"), name);
}

// A topic or filter as a str or bytes the client may keep: a bytearray or
// other buffer is copied (umqtt.simple takes any bytes-like topic; a
// mutable one could change before a re-send).
mp_obj_t umqtt_topic_arg(mp_obj_t obj) {
    if (mp_obj_is_str_or_bytes(obj)) {
        return obj;
    }
    mp_buffer_info_t info;
    if (!mp_get_buffer(obj, &info, MP_BUFFER_READ)) {
        mp_raise_TypeError(MP_ERROR_TEXT("topic must be str, bytes or bytearray"));
    }
    return mp_obj_new_bytes(info.buf, info.len);
}

uint8_t umqtt_check_qos(mp_int_t qos) {
    if (qos < 0 || qos > 2) {
        mp_raise_ValueError(MP_ERROR_TEXT("qos must be 0, 1 or 2"));
    }
    return (uint8_t)qos;
}

#if MICROPY_PY_UMQTT_NET
// Certificates and keys are data (PEM text or DER bytes); a file name is the
// usual mistake (the data is read from the file by the script). Messages
// stay short: MicroPython 1.25 decompresses an exception message into a
// buffer one byte short for the longest message of the firmware
// (py/objexcept.c), which AddressSanitizer caught with a longer one here.
static void check_cert_data(qstr key, mp_obj_t value) {
    mp_buffer_info_t info;
    if (!mp_get_buffer(value, &info, MP_BUFFER_READ)) {
        mp_raise_msg_varg(&mp_type_TypeError, MP_ERROR_TEXT("ssl_params['%q'] must be str or bytes"), key);
    }
    const uint8_t *p = info.buf;
    bool der = info.len > 1 && p[0] == 0x30;
    static const char pem[] = "-----BEGIN";
    bool is_pem = false;
    for (size_t i = 0; !is_pem && i + sizeof(pem) - 1 <= info.len; ++i) {
        is_pem = memcmp(p + i, pem, sizeof(pem) - 1) == 0;
    }
    if (!der && !is_pem) {
        mp_raise_msg_varg(&mp_type_ValueError,
            MP_ERROR_TEXT("ssl_params['%q'] must be PEM or DER data, not a file name"), key);
    }
}

// ssl_params: QuecPython's keys and the keywords umqtt.simple passes to
// wrap_socket. An unknown key is refused: ignoring "cafile" would connect
// without authenticating the server.
static void check_ssl_params(mp_obj_t params) {
    if (params == mp_const_none) {
        return;
    }
    if (!mp_obj_is_dict_or_ordereddict(params)) {
        mp_raise_TypeError(MP_ERROR_TEXT("ssl_params must be a dict"));
    }
    // The first four are certificates and keys.
    static const uint16_t keys[] = { MP_QSTR_ca, MP_QSTR_cadata, MP_QSTR_cert, MP_QSTR_key, MP_QSTR_cert_reqs,
                                     MP_QSTR_server_hostname, MP_QSTR_server_side, MP_QSTR_do_handshake };
    mp_map_t *map = mp_obj_dict_get_map(params);
    for (size_t i = 0; i < map->alloc; ++i) {
        if (!mp_map_slot_is_filled(map, i)) {
            continue;
        }
        mp_obj_t k = map->table[i].key;
        mp_obj_t v = map->table[i].value;
        if (!mp_obj_is_str(k)) {
            mp_raise_TypeError(MP_ERROR_TEXT("ssl_params keys must be str"));
        }
        qstr key = mp_obj_str_get_qstr(k);
        size_t j = 0;
        while (j < MP_ARRAY_SIZE(keys) && keys[j] != key) {
            ++j;
        }
        if (j == MP_ARRAY_SIZE(keys)) {
            mp_raise_msg_varg(&mp_type_ValueError,
                MP_ERROR_TEXT("ssl_params: unknown key '%s'"),
                mp_obj_str_get_str(k));
        }
        if (j < 4 && v != mp_const_none) {
            check_cert_data(key, v);
        }
        if (key == MP_QSTR_server_side && mp_obj_is_true(v)) {
            mp_raise_ValueError(MP_ERROR_TEXT("ssl_params: server_side must be False for a client"));
        }
    }
}

// The ssl argument (a bool, 0/1, or an SSLContext) as the client keeps it,
// and ssl_params checked.
mp_obj_t umqtt_ssl_arg(mp_obj_t ssl, mp_obj_t params) {
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
    check_ssl_params(params);
    return ssl;
}

#else
// No TLS on this board (MICROPY_PY_UMQTT_NET=0): refused when the client is
// made, not at its first connect().
mp_obj_t umqtt_ssl_arg(mp_obj_t ssl, mp_obj_t params) {
    bool no_params = params == mp_const_none || (mp_obj_is_dict_or_ordereddict(params) && mp_obj_dict_len(params) == 0);
    if ((ssl != mp_const_none && ssl != mp_const_false && ssl != MP_OBJ_NEW_SMALL_INT(0)) || !no_params) {
        mp_raise_ValueError(MP_ERROR_TEXT("no TLS on this port: ssl must be False, ssl_params empty"));
    }
    return mp_const_false;
}
#endif

MP_NOINLINE NORETURN static void raise_range(qstr name, mp_int_t lo, mp_int_t hi) {
    mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%q must be %d..%d"), name, (int)lo, (int)hi);
}

// The constructor's checks (umqtt_client.c): an int within bounds, the
// timeout in seconds.
mp_int_t umqtt_int_in_range(mp_int_t v, mp_int_t lo, mp_int_t hi, qstr name) {
    if (v < lo || v > hi) {
        raise_range(name, lo, hi);
    }
    return v;
}

// Seconds (int or float) as milliseconds, for timeout=.
uint32_t umqtt_timeout_arg(mp_obj_t t_in) {
    #if MICROPY_PY_BUILTINS_FLOAT
    mp_float_t t = mp_obj_get_float(t_in);
    if (!(t > 0 && t <= 86400)) {
        mp_raise_ValueError(MP_ERROR_TEXT("timeout must be > 0 seconds"));
    }
    return (uint32_t)(int32_t)(t * 1000);   // via int: no libgcc float-to-unsigned helper
    #else
    mp_int_t t = mp_obj_get_int(t_in);
    if (t <= 0 || t > 86400) {
        mp_raise_ValueError(MP_ERROR_TEXT("timeout must be > 0 seconds"));
    }
    return (uint32_t)t * 1000;
    #endif
}

// MQTT 5's properties= (a dict, or None) as the encoded block the driver
// takes (MP_OBJ_NULL: none); refused below version 5.
mp_obj_t umqtt_props_arg(umqtt_client_obj_t *self, mp_obj_t dict) {
    if (dict == mp_const_none) {
        return MP_OBJ_NULL;
    }
    #if MICROPY_PY_UMQTT_MQTT5
    if (self->version == 5) {
        return umqtt_props_encode(dict);
    }
    #endif
    if (mp_obj_is_dict_or_ordereddict(dict) && mp_obj_dict_len(dict) == 0) {
        return MP_OBJ_NULL;
    }
    mp_raise_ValueError(MP_ERROR_TEXT("properties need version=5"));
}

// A publish's payload as the object the client keeps (`info`: its bytes). A
// QoS 1/2 message stays in its slot until acknowledged and is re-sent from
// it after a reconnect, which may come after publish() has returned or
// raised; by then the script may have refilled its buffer (one bytearray
// for every reading is the usual loop). So a writable buffer (bytearray, a
// memoryview of one, array) is copied into bytes here, before anything is
// sent: every path that leaves the slot in flight holds what was published.
// str, bytes and read-only views cannot change: kept as they are, with no
// allocation.
static mp_obj_t kept_payload(mp_obj_t msg, uint8_t qos, mp_buffer_info_t *info) {
    mp_buffer_info_t writable;
    if (qos == 0 || !mp_get_buffer(msg, &writable, MP_BUFFER_WRITE)) {
        return msg;
    }
    mp_obj_t copy = mp_obj_new_bytes(info->buf, info->len);
    mp_get_buffer_raise(copy, info, MP_BUFFER_READ);
    return copy;
}

// publish(topic, msg, retain=False, qos=0, properties=None): every face's.
// A call with positional arguments alone (the common one, in a loop) skips
// the keyword machinery: a quarter of a QoS 0 publish's instructions.
// set_last_will() takes the same arguments.
const mp_arg_t umqtt_publish_allowed_args[UMQTT_PUBLISH_N_ARGS] = {
    { MP_QSTR_topic, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    { MP_QSTR_msg, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    { MP_QSTR_retain, MP_ARG_BOOL, {.u_bool = false} },
    { MP_QSTR_qos, MP_ARG_INT, {.u_int = 0} },
    { MP_QSTR_properties, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
};

void umqtt_publish_args(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args, umqtt_command_t *a) {
    enum { ARG_topic, ARG_msg, ARG_retain, ARG_qos, ARG_properties, N_ARGS };
    mp_obj_t topic, msg_obj, props = mp_const_none;
    bool retain = false;
    mp_int_t qos = 0;
    if (kw_args->used == 0 && n_args >= 3 && n_args <= 1 + N_ARGS) {
        topic = pos_args[1];
        msg_obj = pos_args[2];
        retain = n_args > 3 && mp_obj_is_true(pos_args[3]);
        qos = n_args > 4 ? mp_obj_get_int(pos_args[4]) : 0;
        props = n_args > 5 ? pos_args[5] : mp_const_none;
    } else {
        mp_arg_val_t args[N_ARGS];
        umqtt_parse_method_args(n_args, pos_args, kw_args, N_ARGS, umqtt_publish_allowed_args, args);
        topic = args[ARG_topic].u_obj;
        msg_obj = args[ARG_msg].u_obj;
        retain = args[ARG_retain].u_bool;
        qos = args[ARG_qos].u_int;
        props = args[ARG_properties].u_obj;
    }
    a->topic = umqtt_topic_arg(topic);
    a->topic_buf = (const uint8_t *)mp_obj_str_get_data(a->topic, &a->topic_len);
    mp_buffer_info_t msg;
    if (!mp_get_buffer(msg_obj, &msg, MP_BUFFER_READ)) {
        mp_raise_TypeError(MP_ERROR_TEXT("msg must be str, bytes or a buffer"));
    }
    a->qos = umqtt_check_qos(qos);
    a->msg = kept_payload(msg_obj, a->qos, &msg);
    a->payload = msg.buf;
    a->payload_len = msg.len;
    a->retain = retain;
    a->props = props == mp_const_none ? MP_OBJ_NULL : umqtt_props_arg(umqtt_client_of(pos_args[0]), props);
}

void umqtt_filter_args(umqtt_command_t *a, mp_obj_t topic) {
    memset(a, 0, sizeof(*a));
    topic = umqtt_topic_arg(topic);
    a->topic_buf = (const uint8_t *)mp_obj_str_get_data(topic, &a->topic_len);
    // Kept as bytes: the same filter as str or bytes is one subscription.
    a->topic = mp_obj_new_bytes(a->topic_buf, a->topic_len);
    a->topic_buf = (const uint8_t *)mp_obj_str_get_data(a->topic, &a->topic_len);
}

// A subscription option the driver refused, named (UmqttSubOption's order):
// the range the driver gave for its value, or MQTT 5's own.
NORETURN static void bad_sub_option(const UmqttSubPacked *p) {
    static const uint16_t names[] = { MP_QSTR_qos, MP_QSTR_qos, MP_QSTR_retain_handling,
                                      MP_QSTR_subscription_identifier };
    if (p->refused == UMQTT_SUB_OPTION_VERSION) {
        mp_raise_ValueError(MP_ERROR_TEXT("subscription options need version=5"));
    }
    raise_range(names[p->refused], p->lo, p->hi);
}

// subscribe(topic, qos=0, *, no_local=False, retain_as_published=False,
// retain_handling=0, subscription_identifier=None): the filter, the options
// as the driver packs them (it checks their values, and that MQTT 5's need
// version=5), and a callback to deliver to (as umqtt.simple asserts: its
// messages would have nowhere to go).
void umqtt_subscribe_args(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args, umqtt_command_t *a) {
    enum { ARG_topic, ARG_qos, ARG_no_local, ARG_rap, ARG_rh, ARG_sub_id };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_topic, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_qos, MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_no_local, MP_ARG_KW_ONLY | MP_ARG_BOOL, {.u_bool = false} },
        { MP_QSTR_retain_as_published, MP_ARG_KW_ONLY | MP_ARG_BOOL, {.u_bool = false} },
        { MP_QSTR_retain_handling, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_subscription_identifier, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    };
    umqtt_client_obj_t *self = umqtt_client_of(pos_args[0]);
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    umqtt_parse_method_args(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    umqtt_filter_args(a, args[ARG_topic].u_obj);
    UmqttSubOptions given;                  // each field set: no memset
    given.qos = umqtt_check_qos(args[ARG_qos].u_int);  // publish()'s check and message
    given.retain_handling = args[ARG_rh].u_int;
    given.no_local = args[ARG_no_local].u_bool;
    given.retain_as_published = args[ARG_rap].u_bool;
    given.has_id = args[ARG_sub_id].u_obj != mp_const_none;
    given.id = given.has_id ? mp_obj_get_int(args[ARG_sub_id].u_obj) : 0;
    if (umqtt_core_sub_options(self->version, &given, &a->sub) != UMQTT_STATUS_OK) {
        bad_sub_option(&a->sub);
    }
    UmqttStatus st = umqtt_core_check_topic(a->topic_buf, a->topic_len, true);
    if (st != UMQTT_STATUS_OK) {
        umqtt_raise_status(st);
    }
    if (self->msg_cb == mp_const_none) {
        mp_raise_msg(&mp_type_AssertionError, MP_ERROR_TEXT("Subscribe callback is not set: call set_callback() first"));
    }
}

#endif // MICROPY_PY_UMQTT
