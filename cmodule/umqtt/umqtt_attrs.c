// The attributes scripts read on a client: umqtt.simple's (`sock`,
// `server`, `port`, `client_id`, `cb`, `lw_*`, `keepalive`, `pid`, `ssl`,
// `ssl_params`, `user`, `pswd`), QuecPython's (`reconn`, `pingmaxnum`,
// `mqttversion`, `topic_list`, `manage`, `ipvtype`) and ours
// (`session_present`). `DELAY`, `DEBUG` and `cb` can be set; the others are
// the client's configuration and state, read-only.

#include "py/runtime.h"
#include "umqtt_config.h"

#if MICROPY_PY_UMQTT

#include "umqtt.h"

#define CORE(self) umqtt_core(self)

static mp_obj_t or_none(mp_obj_t obj) {
    return obj == MP_OBJ_NULL ? mp_const_none : obj;
}

// The subscribed filters (bytes), in slot order: QuecPython's topic_list.
static mp_obj_t topic_list(umqtt_client_obj_t *self) {
    mp_obj_t list = mp_obj_new_list(0, NULL);
    for (size_t i = 0; i < UMQTT_MAX_SUBSCRIPTIONS; ++i) {
        if (self->sub_filter[i] != MP_OBJ_NULL) {
            mp_obj_list_append(list, self->sub_filter[i]);
        }
    }
    return list;
}

// Attributes that follow the session: read under the mutex.
static mp_obj_t session_attr(umqtt_client_obj_t *self, qstr attr) {
    switch (attr) {
        case MP_QSTR_session_present:
            return mp_obj_new_bool(umqtt_core_session_present(CORE(self)));
        case MP_QSTR_sock:
            return or_none(self->sock);
        case MP_QSTR_pid:
            return MP_OBJ_NEW_SMALL_INT(self->pid);
        case MP_QSTR_topic_list:
            return topic_list(self);
        case MP_QSTR_connack_properties:
            #if MICROPY_PY_UMQTT_MQTT5
            if (self->connack_props != MP_OBJ_NULL) {
                return mp_obj_dict_copy(self->connack_props);
            }
            #endif
            return mp_obj_new_dict(0);
        case MP_QSTR_client_id:
            return self->client_id;         // the broker may assign one (MQTT 5)
        default:
            return MP_OBJ_NULL;
    }
}

// The configuration: fixed once the constructor has returned.
static mp_obj_t config_attr(umqtt_client_obj_t *self, qstr attr) {
    switch (attr) {
        case MP_QSTR_server:
            return self->server;
        case MP_QSTR_port:
            return mp_obj_new_int_from_uint(self->port);
        case MP_QSTR_user:
            return self->user;
        case MP_QSTR_pswd:
            return self->password;
        case MP_QSTR_keepalive:
            return MP_OBJ_NEW_SMALL_INT(self->keepalive);
        case MP_QSTR_ssl:
            return self->ssl;
        case MP_QSTR_ssl_params:
            // umqtt.simple's default is {}.
            return self->ssl_params == mp_const_none ? mp_obj_new_dict(0) : self->ssl_params;
        case MP_QSTR_lw_topic:
            return or_none(self->will_topic);
        case MP_QSTR_lw_msg:
            return or_none(self->will_msg);
        case MP_QSTR_lw_qos:
            return MP_OBJ_NEW_SMALL_INT(self->will_qos);
        case MP_QSTR_lw_retain:
            return mp_obj_new_bool(self->will_retain);
        case MP_QSTR_reconn:
            return mp_obj_new_bool(self->reconn);
        case MP_QSTR_pingmaxnum:
            return MP_OBJ_NEW_SMALL_INT(self->pingmaxnum);
        case MP_QSTR_mqttversion:
            return MP_OBJ_NEW_SMALL_INT(self->version);
        case MP_QSTR_manage:
            return mp_obj_new_bool(self->manage);
        case MP_QSTR_ipvtype:
            return MP_OBJ_NEW_SMALL_INT(self->ipvtype);
        default:
            return MP_OBJ_NULL;
    }
}

static mp_obj_t *settable(umqtt_client_obj_t *self, qstr attr) {
    switch (attr) {
        case MP_QSTR_DELAY:
            return &self->delay;
        case MP_QSTR_DEBUG:
            return &self->debug;
        case MP_QSTR_cb:
            return &self->msg_cb;
        default:
            return NULL;
    }
}

static bool is_session_attr(qstr attr) {
    return attr == MP_QSTR_session_present || attr == MP_QSTR_sock || attr == MP_QSTR_pid
           || attr == MP_QSTR_topic_list || attr == MP_QSTR_connack_properties || attr == MP_QSTR_client_id;
}

// Names that are no attribute of ours (methods; __del__ while the GC
// finalises) pass through without taking the mutex.
void umqtt_client_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    mp_obj_t *field = settable(self, attr);
    umqtt_guard_t guard;
    if (dest[0] != MP_OBJ_NULL) {           // store (or delete): settable ones only
        if (field != NULL && dest[1] != MP_OBJ_NULL) {
            umqtt_lock(self, &guard);
            *field = dest[1];
            umqtt_unlock(&guard);
            dest[0] = MP_OBJ_NULL;          // stored
        }
        return;
    }
    mp_obj_t value = config_attr(self, attr);
    if (field != NULL || is_session_attr(attr)) {
        umqtt_lock(self, &guard);
        value = field != NULL ? *field : session_attr(self, attr);
        umqtt_unlock(&guard);
    }
    if (value == MP_OBJ_NULL) {
        dest[1] = MP_OBJ_SENTINEL;          // look further, in locals_dict
    } else {
        dest[0] = value;
    }
}

#endif // MICROPY_PY_UMQTT
