// Errors of the umqtt client: core statuses and connection losses as
// MicroPython exceptions, and notices to error_register_cb.
//
// MQTTException(code, text) carries the code in args[0] (MP_ERROR_TEXT
// messages vanish on ports built with terse errors); argument errors are
// ValueError; transport failures OSError(errno).

#include "py/runtime.h"
#include "py/mperrno.h"
#include "py/objstr.h"
#include "umqtt_config.h"

#if MICROPY_PY_UMQTT

#include "umqtt.h"

static mp_obj_t new_mqtt_exception(mp_int_t code, const char *text) {
    mp_obj_t args[2];
    size_t n = 0;
    if (code >= 0) {
        args[n++] = MP_OBJ_NEW_SMALL_INT(code);
    }
    args[n++] = mp_obj_new_str_from_cstr(text);
    return mp_obj_new_exception_args(&mp_type_MQTTException, n, args);
}

bool umqtt_is_exception(mp_obj_t exc, const mp_obj_type_t *type) {
    return mp_obj_is_subclass_fast(MP_OBJ_FROM_PTR(mp_obj_get_type(exc)), MP_OBJ_FROM_PTR(type));
}

// The errno of an OSError, else 0.
int umqtt_errno_of(mp_obj_t exc) {
    if (!umqtt_is_exception(exc, &mp_type_OSError)) {
        return 0;
    }
    mp_obj_t v = mp_obj_exception_get_value(exc);
    return mp_obj_is_small_int(v) ? MP_OBJ_SMALL_INT_VALUE(v) : 0;
}

// Why opening the transport failed, as the errno later calls raise: the
// exception's own, or ENOTCONN where it has none (a name that did not
// resolve raises OSError("[addrinfo error -2]"); a TLS layer's text): the
// client got no connection, and ECONNRESET, the fallback of a transport
// failure without errno, would say one was reset.
int umqtt_open_errno(mp_obj_t exc) {
    int err = umqtt_errno_of(exc);
    return err != 0 ? err : MP_ENOTCONN;
}

NORETURN void umqtt_raise_code(mp_int_t code, const char *text) {
    nlr_raise(new_mqtt_exception(code, text));
}

// ValueError(the status's text): an argument the driver refused.
static mp_obj_t value_error(UmqttStatus status) {
    return mp_obj_new_exception_arg1(&mp_type_ValueError, mp_obj_new_str_from_cstr(umqtt_core_strerror(status)));
}

NORETURN void umqtt_raise_status(UmqttStatus status) {
    switch (status) {
        case UMQTT_STATUS_BAD_ARGUMENT:
        case UMQTT_STATUS_INVALID_TOPIC:
        case UMQTT_STATUS_PACKET_TOO_LARGE:
            nlr_raise(value_error(status));
        case UMQTT_STATUS_TIMEOUT:
        case UMQTT_STATUS_WOULD_BLOCK:
        case UMQTT_STATUS_INFLIGHT_FULL:
            mp_raise_OSError(MP_ETIMEDOUT);
        default:
            umqtt_raise_code(-1, umqtt_core_strerror(status));
    }
}

// Why the connection is gone, as the exception a script expects: OSError
// for the transport (its errno; ECONNRESET when the broker closed it, as
// umqtt.simple raises OSError on a closed socket; ETIMEDOUT; ENOTCONN when
// there is no connection), MQTTException for the protocol (a refusal
// carries the CONNACK code, a malformed packet says so).
mp_obj_t umqtt_lost_exception(umqtt_client_obj_t *self, UmqttStatus cause, uint8_t code) {
    int err = 0;
    if (cause == UMQTT_STATUS_IO) {
        err = self->last_errno != 0 ? self->last_errno : MP_ECONNRESET;
    } else if (cause == UMQTT_STATUS_PEER_CLOSED) {
        err = MP_ECONNRESET;
    } else if (cause == UMQTT_STATUS_TIMEOUT) {
        err = MP_ETIMEDOUT;
    } else if (cause == UMQTT_STATUS_OK || cause == UMQTT_STATUS_NOT_CONNECTED) {
        err = MP_ENOTCONN;          // never connected, or closed by the script: a socket's error
    }
    if (err != 0) {
        return mp_obj_new_exception_arg1(&mp_type_OSError, MP_OBJ_NEW_SMALL_INT(err));
    }
    #if MICROPY_PY_UMQTT_MQTT5
    // MQTT 5: the CONNACK's or the broker's DISCONNECT's reason code.
    if ((cause == UMQTT_STATUS_CONNECTION_REFUSED && self->version == 5) || cause == UMQTT_STATUS_SERVER_DISCONNECT) {
        return umqtt_reason_exception(code);
    }
    #endif
    if (cause == UMQTT_STATUS_CONNECTION_REFUSED) {
        return new_mqtt_exception(code, umqtt_core_connack_text(code));
    }
    return new_mqtt_exception(-1, umqtt_core_strerror(cause));
}

NORETURN void umqtt_raise_lost(umqtt_client_obj_t *self, UmqttStatus cause) {
    uint8_t code = 0;
    if (cause == UMQTT_STATUS_SERVER_DISCONNECT) {
        umqtt_guard_t guard;
        umqtt_lock(self, &guard);
        code = umqtt_core_cause_code(umqtt_core(self));
        umqtt_unlock(&guard);
    }
    nlr_raise(umqtt_lost_exception(self, cause, code));
}

// The broker refused a command (the driver's ticket_result said REFUSED):
// MQTTException with the acknowledgement's code. MQTT 5: the reason code
// and its name (the message is finished); before it, a SUBACK's 0x80, the
// one refusal 3.1.1 has, as umqtt.simple's scripts know it.
NORETURN void umqtt_raise_refused(umqtt_client_obj_t *self, uint8_t code) {
    #if MICROPY_PY_UMQTT_MQTT5
    if (self->version == 5) {
        nlr_raise(umqtt_reason_exception(code));
    }
    #else
    (void)self;
    #endif
    umqtt_raise_code(code, "subscription refused by the broker");
}

// connect() failed: the exception as the socket, TLS or the broker gave it,
// told to error_register_cb once (reconn=False), then raised.
NORETURN void umqtt_connect_failed(umqtt_client_obj_t *self, UmqttStatus st, uint8_t code) {
    mp_obj_t exc;
    if (st == UMQTT_STATUS_IO && self->open_error != MP_OBJ_NULL) {
        exc = self->open_error;             // as the socket or TLS layer raised it
    } else if (st == UMQTT_STATUS_BAD_ARGUMENT || st == UMQTT_STATUS_PACKET_TOO_LARGE) {
        exc = value_error(st);
    } else {
        exc = umqtt_lost_exception(self, st, code);
    }
    self->open_error = MP_OBJ_NULL;
    if (!self->reconn) {
        umqtt_notify(self, mp_obj_str_make_new(&mp_type_str, 1, 0, &exc));
    }
    nlr_raise(exc);
}

// Tell error_register_cb, if any; its own exceptions are printed, not raised.
void umqtt_notify(umqtt_client_obj_t *self, mp_obj_t text) {
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    mp_obj_t cb = self->err_cb;
    umqtt_unlock(&guard);
    if (cb != mp_const_none) {
        mp_call_function_1_protected(cb, text);
    }
}

#endif // MICROPY_PY_UMQTT
