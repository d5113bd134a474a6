// client.stats(): the driver's counters (umqtt_core_stats) and the bytes
// the transport moved, as a dict. Counting costs a few adds per packet, so
// it is always on; only this call allocates.

#include "py/runtime.h"
#include "umqtt_config.h"

#if MICROPY_PY_UMQTT

#include "umqtt.h"

static void put(mp_obj_t dict, qstr key, mp_obj_t value) {
    mp_obj_dict_store(dict, MP_OBJ_NEW_QSTR(key), value);
}

static mp_obj_t by_qos(const uint32_t n[3]) {
    mp_obj_t items[3];
    for (size_t i = 0; i < 3; ++i) {
        items[i] = mp_obj_new_int_from_uint(n[i]);
    }
    return mp_obj_new_tuple(3, items);
}

static mp_obj_t umqtt_client_stats(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    UmqttStats s;
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    umqtt_core_stats(umqtt_core(self), &s);
    uint64_t sent = self->bytes_sent;
    uint64_t received = self->bytes_received;
    umqtt_unlock(&guard);
    mp_obj_t d = mp_obj_new_dict(16);
    put(d, MP_QSTR_connects, mp_obj_new_int_from_uint(s.connects));
    put(d, MP_QSTR_reconnects, mp_obj_new_int_from_uint(s.reconnects));
    put(d, MP_QSTR_published, mp_obj_new_int_from_uint(s.published[0] + s.published[1] + s.published[2]));
    put(d, MP_QSTR_published_by_qos, by_qos(s.published));
    put(d, MP_QSTR_received, mp_obj_new_int_from_uint(s.received[0] + s.received[1] + s.received[2]));
    put(d, MP_QSTR_received_by_qos, by_qos(s.received));
    put(d, MP_QSTR_resent, mp_obj_new_int_from_uint(s.resent));
    put(d, MP_QSTR_duplicates_dropped, mp_obj_new_int_from_uint(s.duplicates_dropped));
    put(d, MP_QSTR_bytes_sent, mp_obj_new_int_from_ull(sent));
    put(d, MP_QSTR_bytes_received, mp_obj_new_int_from_ull(received));
    put(d, MP_QSTR_pings, mp_obj_new_int_from_uint(s.pings));
    put(d, MP_QSTR_pings_missed, mp_obj_new_int_from_uint(s.pings_missed));
    put(d, MP_QSTR_ping_rtt_ms, s.last_ping_rtt_ms == 0xFFFFFFFFu ? mp_const_none
        : mp_obj_new_int_from_uint(s.last_ping_rtt_ms));
    return d;
}
MP_DEFINE_CONST_FUN_OBJ_1(umqtt_stats_obj, umqtt_client_stats);

#endif // MICROPY_PY_UMQTT
