// client.stats(): the driver's counters (umqtt_core_stats) and the bytes
// the transport moved, as a dict. Counting costs a few adds per packet, so
// it is always on; only this call allocates.

#include <stddef.h>

#include "py/runtime.h"
#include "umqtt_config.h"

#if MICROPY_PY_UMQTT

#include "umqtt.h"

// Each key, in the dict's order, and where its value comes from: a word of
// UmqttStats, the sum or tuple of three (by QoS), or the transport's bytes.
enum { S_ONE, S_SUM, S_BY_QOS, S_BYTES, S_RTT };
#define WORD(field) (offsetof(UmqttStats, field) / sizeof(uint32_t))
static const struct { uint16_t name; uint8_t at, kind; } keys[] = {     // at: S_BYTES 0 sent, 1 received
    { MP_QSTR_connects, WORD(connects), S_ONE },
    { MP_QSTR_reconnects, WORD(reconnects), S_ONE },
    { MP_QSTR_published, WORD(published), S_SUM },
    { MP_QSTR_published_by_qos, WORD(published), S_BY_QOS },
    { MP_QSTR_received, WORD(received), S_SUM },
    { MP_QSTR_received_by_qos, WORD(received), S_BY_QOS },
    { MP_QSTR_resent, WORD(resent), S_ONE },
    { MP_QSTR_duplicates_dropped, WORD(duplicates_dropped), S_ONE },
    { MP_QSTR_bytes_sent, 0, S_BYTES },
    { MP_QSTR_bytes_received, 1, S_BYTES },
    { MP_QSTR_pings, WORD(pings), S_ONE },
    { MP_QSTR_pings_missed, WORD(pings_missed), S_ONE },
    { MP_QSTR_ping_rtt_ms, WORD(last_ping_rtt_ms), S_RTT },
};

static mp_obj_t umqtt_client_stats(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    union { UmqttStats s; uint32_t w[sizeof(UmqttStats) / sizeof(uint32_t)]; } u;
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    umqtt_core_stats(umqtt_core(self), &u.s);
    uint64_t bytes[2] = { self->bytes_sent, self->bytes_received };
    umqtt_unlock(&guard);
    mp_obj_t d = mp_obj_new_dict(16);
    for (size_t i = 0; i < MP_ARRAY_SIZE(keys); ++i) {
        const uint32_t *n = &u.w[keys[i].at];
        uint8_t kind = keys[i].kind;
        mp_obj_t v;
        if (kind == S_BY_QOS) {
            mp_obj_t items[3] = { mp_obj_new_int_from_uint(n[0]), mp_obj_new_int_from_uint(n[1]),
                                  mp_obj_new_int_from_uint(n[2]) };
            v = mp_obj_new_tuple(3, items);
        } else if (kind == S_BYTES) {
            v = mp_obj_new_int_from_ull(bytes[keys[i].at]);
        } else if (kind == S_RTT && *n == 0xFFFFFFFFu) {
            v = mp_const_none;                  // no PINGRESP yet
        } else {
            v = mp_obj_new_int_from_uint(kind == S_SUM ? n[0] + n[1] + n[2] : *n);
        }
        mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(keys[i].name), v);
    }
    return d;
}
MP_DEFINE_CONST_FUN_OBJ_1(umqtt_stats_obj, umqtt_client_stats);

#endif // MICROPY_PY_UMQTT
