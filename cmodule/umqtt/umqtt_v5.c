// MQTT 5's objects (MICROPY_PY_UMQTT_MQTT5): properties dicts to the
// encoded blocks the driver takes and back, the CONNACK's properties and a
// server-assigned client identifier, incoming topic aliases (the topic
// objects kept under each alias number), and reason codes as exceptions.
// Names, types, ranges and which packet may carry which property are the
// driver's (umqtt_props_*); this side only marshals values.

#include <string.h>

#include "py/runtime.h"
#include "py/objstr.h"
#include "umqtt_config.h"

#if MICROPY_PY_UMQTT

#include "umqtt.h"

#if MICROPY_PY_UMQTT_MQTT5

#define CORE(self) umqtt_core(self)

// ---------------------------------------------------------------------------
// A dict to a block.

NORETURN static void bad_property(const char *why, mp_obj_t name) {
    mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("property %s: %s"), mp_obj_str_get_str(name), why);
}

// str and bytes read as buffers too (a bytearray as well).
static void data_of(mp_obj_t v, mp_buffer_info_t *info, mp_obj_t name) {
    if (!mp_get_buffer(v, info, MP_BUFFER_READ)) {
        bad_property("needs str or bytes", name);
    }
}

// Appends one property, growing the buffer while it does not fit.
static void put(vstr_t *v, mp_obj_t name, uint8_t id, UmqttPropType kind, mp_obj_t value) {
    for (;;) {
        UmqttStatus st;
        size_t len = v->len;
        if (kind == UMQTT_PROP_TYPE_INT) {
            mp_int_t n = mp_obj_get_int(value);
            st = n < 0 || (uint64_t)n > 0xffffffffu ? UMQTT_STATUS_BAD_ARGUMENT
                : umqtt_props_put_int((uint8_t *)v->buf, v->alloc, &len, id, (uint32_t)n);
        } else {
            mp_buffer_info_t a = { 0 }, b = { 0 };
            if (kind == UMQTT_PROP_TYPE_PAIR) {
                size_t n;
                mp_obj_t *kv;
                if (!mp_obj_is_type(value, &mp_type_tuple) && !mp_obj_is_type(value, &mp_type_list)) {
                    bad_property("needs (name, value) pairs", name);
                }
                mp_obj_get_array(value, &n, &kv);
                if (n != 2) {
                    bad_property("needs (name, value) pairs", name);
                }
                data_of(kv[0], &a, name);
                data_of(kv[1], &b, name);
            } else {
                data_of(value, &a, name);
            }
            st = umqtt_props_put_bytes((uint8_t *)v->buf, v->alloc, &len, id, a.buf, a.len, b.buf, b.len);
        }
        if (st == UMQTT_STATUS_OK) {
            v->len = len;
            return;
        }
        if (st != UMQTT_STATUS_BUFFER_TOO_SMALL) {
            bad_property("bad value", name);
        }
        vstr_hint_size(v, v->alloc + 16);      // room for more after len
    }
}

// The encoded block of a properties dict (MP_OBJ_NULL for None or {}).
mp_obj_t umqtt_props_encode(mp_obj_t dict) {
    bool none = dict == mp_const_none || dict == MP_OBJ_NULL;
    if (!none && !mp_obj_is_dict_or_ordereddict(dict)) {
        mp_raise_TypeError(MP_ERROR_TEXT("properties must be a dict"));
    }
    vstr_t v;
    vstr_init(&v, 32);
    mp_map_t *map = none ? NULL : mp_obj_dict_get_map(dict);
    for (size_t i = 0; map != NULL && i < map->alloc; ++i) {
        if (!mp_map_slot_is_filled(map, i)) {
            continue;
        }
        mp_obj_t name = map->table[i].key, value = map->table[i].value;
        if (!mp_obj_is_str(name)) {
            mp_raise_TypeError(MP_ERROR_TEXT("property names are str"));
        }
        size_t n;
        const char *s = mp_obj_str_get_data(name, &n);
        UmqttPropType kind;
        uint8_t id = umqtt_props_lookup((const uint8_t *)s, n, &kind);
        if (id == 0) {
            bad_property("unknown", name);
        }
        size_t count = 1;
        mp_obj_t *items = &value;
        if (umqtt_props_is_list(id)) {
            // user_properties (subscription_identifiers): a list of values.
            if (!mp_obj_is_type(value, &mp_type_list) && !mp_obj_is_type(value, &mp_type_tuple)) {
                bad_property("needs a list", name);
            }
            mp_obj_get_array(value, &count, &items);
        }
        for (size_t k = 0; k < count; ++k) {
            put(&v, name, id, kind, items[k]);
        }
    }
    if (v.len == 0) {
        vstr_clear(&v);
        return MP_OBJ_NULL;
    }
    return mp_obj_new_bytes_from_vstr(&v);
}

// ---------------------------------------------------------------------------
// A block to a dict.

mp_obj_t umqtt_props_decode(const uint8_t *block, size_t len) {
    mp_obj_t dict = mp_obj_new_dict(0);
    size_t at = 0;
    UmqttProperty p;
    while (umqtt_props_next(block, len, &at, &p)) {
        size_t n;
        const uint8_t *name = umqtt_props_name(p.id, &n);
        if (name == NULL) {
            continue;
        }
        mp_obj_t key = mp_obj_new_str((const char *)name, n);
        mp_obj_t value;
        switch (p.kind) {
            case UMQTT_PROP_TYPE_UTF8:
                value = mp_obj_new_str((const char *)p.a.ptr, p.a.len);
                break;
            case UMQTT_PROP_TYPE_BINARY:
                value = mp_obj_new_bytes(p.a.ptr, p.a.len);
                break;
            case UMQTT_PROP_TYPE_PAIR: {
                mp_obj_t kv[2] = {
                    mp_obj_new_str((const char *)p.a.ptr, p.a.len),
                    mp_obj_new_str((const char *)p.b.ptr, p.b.len),
                };
                value = mp_obj_new_tuple(2, kv);
                break;
            }
            default:
                value = mp_obj_new_int_from_uint(p.value);
                break;
        }
        if (p.list) {
            mp_map_elem_t *e = mp_map_lookup(mp_obj_dict_get_map(dict), key, MP_MAP_LOOKUP_ADD_IF_NOT_FOUND);
            if (e->value == MP_OBJ_NULL) {
                e->value = mp_obj_new_list(0, NULL);
            }
            mp_obj_list_append(e->value, value);
        } else {
            mp_obj_dict_store(dict, key, value);
        }
    }
    return dict;
}

// ---------------------------------------------------------------------------
// The CONNACK, topic aliases, reason codes.

// The CONNACK accepted the connection (mutex held, its bytes consumed):
// its properties become connack_properties, and an identifier the broker
// assigned becomes client_id (of the type the script gave). Without memory
// for them the connection stands and connack_properties stays {}.
void umqtt_v5_connack(umqtt_client_obj_t *self, const UmqttRx *rx) {
    self->connack_props = MP_OBJ_NULL;
    memset(self->rx_alias, 0, sizeof(self->rx_alias));     // aliases last one connection
    if (rx->props_len == 0) {
        return;
    }
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        mp_obj_t d = umqtt_props_decode(rx->props, rx->props_len);
        mp_map_elem_t *id = mp_map_lookup(mp_obj_dict_get_map(d), MP_OBJ_NEW_QSTR(MP_QSTR_assigned_client_identifier),
            MP_MAP_LOOKUP);
        if (id != NULL) {
            size_t n;
            const char *s = mp_obj_str_get_data(id->value, &n);
            self->client_id = mp_obj_is_str(self->client_id) ? id->value : mp_obj_new_bytes((const byte *)s, n);
        }
        self->connack_props = d;
        nlr_pop();
    }
}

// The topic object of a received message (mutex held): made from its bytes,
// or the one kept under its Topic Alias; one that sets an alias is kept.
mp_obj_t umqtt_v5_topic(umqtt_client_obj_t *self, const UmqttRx *rx) {
    if (rx->alias == 0 || rx->alias > UMQTT_MAX_RX_ALIASES) {
        return umqtt_new_payload_bytes(rx->topic, rx->topic_len);
    }
    if (rx->topic_len == 0) {
        // Set before: the driver checked it (and forgets aliases with the
        // connection, as the shim does on the CONNACK).
        mp_obj_t kept = self->rx_alias[rx->alias - 1];
        return kept != MP_OBJ_NULL ? kept : mp_const_empty_bytes;
    }
    mp_obj_t topic = umqtt_new_payload_bytes(rx->topic, rx->topic_len);
    self->rx_alias[rx->alias - 1] = topic;
    return topic;
}

// MQTTException(code, "Not authorized"): a reason code and its name.
mp_obj_t umqtt_reason_exception(uint8_t code) {
    size_t n;
    const uint8_t *name = umqtt_reason_name(code, &n);
    vstr_t v;
    vstr_init(&v, n + 1);
    vstr_add_strn(&v, (const char *)name, n);
    if (v.len > 0 && v.buf[0] >= 'a' && v.buf[0] <= 'z') {
        v.buf[0] -= 'a' - 'A';
    }
    mp_obj_t args[2] = { MP_OBJ_NEW_SMALL_INT(code), mp_obj_new_str_from_vstr(&v) };
    return mp_obj_new_exception_args(&mp_type_MQTTException, 2, args);
}

#endif // MICROPY_PY_UMQTT_MQTT5

// connect(properties=...): kept encoded for every CONNECT from now on (None:
// as before; {} clears them); refused below version 5 unless None or empty.
// The driver adds our max_packet as the Maximum Packet Size to each CONNECT
// (unless these carry one, or a chunk callback takes messages of any size).
void umqtt_set_connect_props(umqtt_client_obj_t *self, mp_obj_t dict) {
    mp_obj_t props = umqtt_props_arg(self, dict);
    #if MICROPY_PY_UMQTT_MQTT5
    if (dict != mp_const_none) {
        umqtt_guard_t guard;
        umqtt_lock(self, &guard);
        self->connect_props = props;
        umqtt_unlock(&guard);
    }
    #else
    (void)props;
    #endif
}

#endif // MICROPY_PY_UMQTT
