// A received message as one object (set_callback(f, message=True) and the
// asyncio client's client.messages): .topic and .payload (bytes), .qos,
// .retain, .dup, and .properties (MQTT 5's, a dict; {} without). A retained
// message can be told from a live one.

#include "py/runtime.h"
#include "umqtt_config.h"

#if MICROPY_PY_UMQTT

#include "umqtt.h"

typedef struct {
    mp_obj_base_t base;
    mp_obj_t topic;
    mp_obj_t payload;
    mp_obj_t properties;            // MQTT 5's, as a dict (MP_OBJ_NULL: none)
    uint8_t qos;
    bool retain;
    bool dup;
} umqtt_message_obj_t;

mp_obj_t umqtt_message_new(const UmqttRx *rx, mp_obj_t topic, mp_obj_t payload) {
    umqtt_message_obj_t *m = mp_obj_malloc(umqtt_message_obj_t, &umqtt_message_type);
    m->topic = topic;
    m->payload = payload;
    m->qos = rx->qos;
    m->retain = rx->retain;
    m->dup = rx->dup;
    m->properties = MP_OBJ_NULL;
    #if MICROPY_PY_UMQTT_MQTT5
    if (rx->props_len > 0) {
        m->properties = umqtt_props_decode(rx->props, rx->props_len);
    }
    #endif
    return MP_OBJ_FROM_PTR(m);
}

static void message_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest) {
    umqtt_message_obj_t *m = MP_OBJ_TO_PTR(self_in);
    if (dest[0] != MP_OBJ_NULL) {
        return;                             // read-only
    }
    switch (attr) {
        case MP_QSTR_topic:
            dest[0] = m->topic;
            break;
        case MP_QSTR_payload:
            dest[0] = m->payload;
            break;
        case MP_QSTR_qos:
            dest[0] = MP_OBJ_NEW_SMALL_INT(m->qos);
            break;
        case MP_QSTR_retain:
            dest[0] = mp_obj_new_bool(m->retain);
            break;
        case MP_QSTR_dup:
            dest[0] = mp_obj_new_bool(m->dup);
            break;
        case MP_QSTR_properties:
            dest[0] = m->properties != MP_OBJ_NULL ? m->properties : mp_obj_new_dict(0);
            break;
        default:
            break;
    }
}

static void message_print(const mp_print_t *print, mp_obj_t self_in, mp_print_kind_t kind) {
    (void)kind;
    umqtt_message_obj_t *m = MP_OBJ_TO_PTR(self_in);
    mp_print_str(print, "<Message topic=");
    mp_obj_print_helper(print, m->topic, PRINT_REPR);
    mp_printf(print, " qos=%d retain=%d dup=%d payload=%d bytes>", (int)m->qos, (int)m->retain, (int)m->dup,
        (int)mp_obj_get_int(mp_obj_len(m->payload)));
}

MP_DEFINE_CONST_OBJ_TYPE(
    umqtt_message_type,
    MP_QSTR_Message,
    MP_TYPE_FLAG_NONE,
    print, message_print,
    attr, message_attr
    );

#endif // MICROPY_PY_UMQTT
