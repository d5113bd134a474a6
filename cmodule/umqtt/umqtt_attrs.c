// The attributes scripts read on a client: umqtt.simple's (`sock`,
// `server`, `port`, `client_id`, `cb`, `lw_*`, `keepalive`, `pid`, `ssl`,
// `ssl_params`, `user`, `pswd`), QuecPython's (`reconn`, `pingmaxnum`,
// `mqttversion`, `topic_list`, `manage`, `ipvtype`) and ours
// (`session_present`). `DELAY`, `DEBUG` and `cb` can be set; the others are
// the client's configuration and state, read-only. One table says where each
// lives and how it reads.

#include <stddef.h>
#include <stdint.h>

#include "py/runtime.h"
#include "umqtt_config.h"

#if MICROPY_PY_UMQTT

#include "umqtt.h"

// How a field reads: the object (A_OR_NONE: MP_OBJ_NULL as None), a uint8_t,
// bool, uint16_t or mp_uint_t as an int, or a value made on each read (the
// low bits); whether it follows the session (read under the mutex: other
// threads change it) or can also be set.
enum { A_OBJ, A_OR_NONE, A_U8, A_BOOL, A_U16, A_UINT, A_SSL_PARAMS, A_SESSION_PRESENT, A_TOPIC_LIST,
       A_CONNACK_PROPS, A_LOCKED = 0x40, A_SETTABLE = 0x80 | A_LOCKED };
// With 32-bit pointers the offset is a byte: these fields come early in the
// client (umqtt.h), and ATTR refuses to build a later one (a negative array
// size), whatever the port's warning flags. 64-bit pointers push them past 255.
#if UINTPTR_MAX > 0xffffffffu
typedef uint16_t attr_at_t;
#else
typedef uint8_t attr_at_t;
#endif
typedef struct { uint16_t name; attr_at_t at; uint8_t kind; } attr_t;     // qstr, offset in the client, kind
#define ATTR_AT(field) (offsetof(umqtt_client_obj_t, field) \
    + 0 * sizeof(char[offsetof(umqtt_client_obj_t, field) <= (attr_at_t)-1 ? 1 : -1]))
#define ATTR(name, field, kind) { MP_QSTR_##name, ATTR_AT(field), kind }

static const attr_t attrs[] = {
    ATTR(DELAY, delay, A_OBJ | A_SETTABLE),
    ATTR(DEBUG, debug, A_OBJ | A_SETTABLE),
    ATTR(cb, msg_cb, A_OBJ | A_SETTABLE),
    ATTR(session_present, base, A_SESSION_PRESENT | A_LOCKED),
    ATTR(sock, sock, A_OR_NONE | A_LOCKED),
    ATTR(pid, pid, A_U16 | A_LOCKED),
    ATTR(topic_list, base, A_TOPIC_LIST | A_LOCKED),
    ATTR(connack_properties, base, A_CONNACK_PROPS | A_LOCKED),
    ATTR(client_id, client_id, A_OBJ | A_LOCKED),  // the broker may assign one (MQTT 5)
    ATTR(server, server, A_OBJ),
    ATTR(port, port, A_UINT),
    ATTR(user, user, A_OBJ),
    ATTR(pswd, password, A_OBJ),
    ATTR(keepalive, keepalive, A_U16),
    ATTR(ssl, ssl, A_OBJ),
    ATTR(ssl_params, ssl_params, A_SSL_PARAMS),
    ATTR(lw_topic, will_topic, A_OR_NONE),
    ATTR(lw_msg, will_msg, A_OR_NONE),
    ATTR(lw_qos, will_qos, A_U8),
    ATTR(lw_retain, will_retain, A_BOOL),
    ATTR(reconn, reconn, A_BOOL),
    ATTR(pingmaxnum, pingmaxnum, A_U8),
    ATTR(mqttversion, version, A_U8),
    ATTR(manage, manage, A_BOOL),
    ATTR(ipvtype, ipvtype, A_U8),
};

static mp_obj_t value_of(umqtt_client_obj_t *self, const attr_t *a) {
    const uint8_t *p = (const uint8_t *)self + a->at;
    #define OBJ (*(const mp_obj_t *)p)
    switch (a->kind & 0x3f) {
        case A_OBJ:
            return OBJ;
        case A_OR_NONE:
            return OBJ == MP_OBJ_NULL ? mp_const_none : OBJ;
        case A_U8:
            return MP_OBJ_NEW_SMALL_INT(*p);
        case A_BOOL:
            return mp_obj_new_bool(*p);
        case A_U16:
            return MP_OBJ_NEW_SMALL_INT(*(const uint16_t *)p);
        case A_UINT:
            return mp_obj_new_int_from_uint(*(const mp_uint_t *)p);
        case A_SSL_PARAMS:          // umqtt.simple's default is {}
            return OBJ == mp_const_none ? mp_obj_new_dict(0) : OBJ;
        case A_SESSION_PRESENT:
            return mp_obj_new_bool(umqtt_core_session_present(umqtt_core(self)));
        case A_TOPIC_LIST: {        // the subscribed filters (bytes), in slot order
            mp_obj_t list = mp_obj_new_list(0, NULL);
            for (size_t i = 0; i < UMQTT_MAX_SUBSCRIPTIONS; ++i) {
                if (self->sub_filter[i] != MP_OBJ_NULL) {
                    mp_obj_list_append(list, self->sub_filter[i]);
                }
            }
            return list;
        }
        default:                    // A_CONNACK_PROPS
            #if MICROPY_PY_UMQTT_MQTT5
            if (self->connack_props != MP_OBJ_NULL) {
                return mp_obj_dict_copy(self->connack_props);
            }
            #endif
            return mp_obj_new_dict(0);
    }
    #undef OBJ
}

// Names that are no attribute of ours (methods; __del__ while the GC
// finalises) pass through without taking the mutex.
void umqtt_client_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    const attr_t *a = attrs;
    while (a->name != attr) {
        if (++a == attrs + MP_ARRAY_SIZE(attrs)) {
            if (dest[0] == MP_OBJ_NULL) {
                dest[1] = MP_OBJ_SENTINEL;  // look further, in locals_dict
            }
            return;
        }
    }
    umqtt_guard_t guard;
    if (dest[0] != MP_OBJ_NULL) {           // store (or delete): settable ones only
        if ((a->kind & A_SETTABLE) == A_SETTABLE && dest[1] != MP_OBJ_NULL) {
            umqtt_lock(self, &guard);
            *(mp_obj_t *)((uint8_t *)self + a->at) = dest[1];
            umqtt_unlock(&guard);
            dest[0] = MP_OBJ_NULL;          // stored
        }
        return;
    }
    bool locked = a->kind & A_LOCKED;
    if (locked) {
        umqtt_lock(self, &guard);
    }
    dest[0] = value_of(self, a);
    if (MICROPY_PY_UMQTT_NET && attr == MP_QSTR_sock) {
        self->sock_lent = true;             // the client checks its mode from now on (umqtt_io_keep_nonblocking)
    }
    if (locked) {
        umqtt_unlock(&guard);
    }
}

#endif // MICROPY_PY_UMQTT
