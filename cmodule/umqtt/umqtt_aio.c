// What the asyncio client (python/_umqtt_aio.py, umqtt.aio) drives the
// native client with: single steps that never wait. In asyncio mode
// (_nb(True)) the client does not open its transport itself: the driver's
// request shows in _want_open(), the event loop opens a socket without
// blocking and hands it over with _attach(). Commands are started
// (_connect_start, _publish_start, ...) and their tickets looked at
// (_ticket) between _step()s, while the loop awaits the client's
// readability (the client is pollable: umqtt_client.c) or the driver's next
// deadline (_next_timeout). Every decision stays the driver's. A firmware
// built with MICROPY_PY_UMQTT_AIO=0 leaves this file and umqtt.aio out.

#include "py/runtime.h"
#include "py/stream.h"
#include "py/mperrno.h"
#include "umqtt_config.h"

#if MICROPY_PY_UMQTT && MICROPY_PY_UMQTT_AIO

#include "umqtt.h"

#define CORE(self) umqtt_core(self)

// _nb(on): asyncio mode (no transport opened by the client, no keep-alive thread).
static mp_obj_t umqtt_nb(mp_obj_t self_in, mp_obj_t on) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    self->nb = mp_obj_is_true(on);
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_2(umqtt_nb_obj, umqtt_nb);

// _tail(): whether the rest of a packet waits for room in the socket
// (umqtt_pump.c): the event loop then waits for the socket to be writable
// and steps again.
static mp_obj_t umqtt_tail(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    bool pending = self->tail_end != 0;
    umqtt_unlock(&guard);
    return mp_obj_new_bool(pending);
}
MP_DEFINE_CONST_FUN_OBJ_1(umqtt_tail_obj, umqtt_tail);

// _want_open(): None, or (server, port, timeout_ms) while the driver waits
// for a transport.
static mp_obj_t umqtt_want_open(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    uint32_t timeout = self->want_open ? umqtt_core_open_timeout(CORE(self), umqtt_now_ms()) : 0;
    self->want_open = timeout > 0;      // 0: the attempt ended meanwhile
    umqtt_unlock(&guard);
    if (timeout == 0) {
        return mp_const_none;
    }
    mp_obj_t items[3] = { self->server, mp_obj_new_int_from_uint(self->port), mp_obj_new_int_from_uint(timeout) };
    return mp_obj_new_tuple(3, items);
}
MP_DEFINE_CONST_FUN_OBJ_1(umqtt_want_open_obj, umqtt_want_open);

// _attach(stream): the transport asked for, connected and non-blocking.
static mp_obj_t umqtt_attach(mp_obj_t self_in, mp_obj_t stream) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    mp_get_stream_raise(stream, MP_STREAM_OP_READ | MP_STREAM_OP_WRITE | MP_STREAM_OP_IOCTL);
    int fd = umqtt_io_fileno(stream);
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    self->want_open = false;
    umqtt_io_close(self);
    umqtt_attach_locked(self, stream, stream, fd);
    umqtt_unlock(&guard);
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_2(umqtt_attach_obj, umqtt_attach);

// _attach_failed(exc): opening the transport failed; the driver decides
// what comes next (the attempt fails, or the back-off runs).
static mp_obj_t umqtt_attach_failed(mp_obj_t self_in, mp_obj_t exc) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    int err = umqtt_open_errno(exc);
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    self->want_open = false;
    self->open_error = exc;
    self->last_errno = err;
    umqtt_core_handle_transport_down(CORE(self), umqtt_now_ms(),
        err == MP_ETIMEDOUT ? UMQTT_STATUS_TIMEOUT : UMQTT_STATUS_IO);
    umqtt_unlock(&guard);
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_2(umqtt_attach_failed_obj, umqtt_attach_failed);

// _step(deliver=True): one pass that never waits; the packets it handled
// (at least 1 when whole packets wait that a tail held back: step again).
// deliver False leaves a message where it is (the application's queue is
// full): timers and acknowledgements still run.
static mp_obj_t umqtt_step(size_t n_args, const mp_obj_t *args) {
    umqtt_pass_t pass = { 0 };
    umqtt_pump(umqtt_client_of(args[0]), &pass, n_args < 2 || mp_obj_is_true(args[1]) ? UMQTT_PUMP_DELIVER : 0);
    return MP_OBJ_NEW_SMALL_INT(pass.packets + (pass.again && pass.packets == 0));
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(umqtt_step_obj, 1, 2, umqtt_step);

// The time until the next pass is needed (ms): the driver's `core_timeout`
// (a PINGREQ it owes but has not handed out schedules nothing, so a full
// socket is no busy loop), and while a tail is pending no later than its
// deadline.
static uint32_t tail_timeout(umqtt_client_obj_t *self, uint32_t core_timeout) {
    if (self->tail_end == 0) {
        return core_timeout;
    }
    int32_t left = (int32_t)(self->tail_deadline - umqtt_now_ms());
    uint32_t t = left > 0 ? (uint32_t)left : 0;
    return core_timeout < t ? core_timeout : t;
}

// _next_timeout(): ms until the driver's next deadline, -1 for none.
static mp_obj_t umqtt_next_timeout(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    uint32_t t = tail_timeout(self, umqtt_core_poll_timeout(CORE(self), umqtt_now_ms()));
    umqtt_unlock(&guard);
    return t >= 0x80000000u ? MP_OBJ_NEW_SMALL_INT(-1) : mp_obj_new_int_from_uint(t);
}
MP_DEFINE_CONST_FUN_OBJ_1(umqtt_next_timeout_obj, umqtt_next_timeout);

// _connect_start(clean_session, properties=None): a new attempt; nothing
// waits for it.
static mp_obj_t umqtt_connect_start(size_t n_args, const mp_obj_t *args) {
    umqtt_client_obj_t *self = umqtt_client_of(args[0]);
    bool clean = mp_obj_is_true(args[1]);
    umqtt_set_connect_props(self, n_args > 2 ? args[2] : mp_const_none);
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    umqtt_io_close(self);
    self->want_open = false;
    self->open_error = MP_OBJ_NULL;
    self->last_errno = 0;
    self->clean_session = clean;
    umqtt_core_connect(CORE(self), clean, umqtt_now_ms());
    umqtt_unlock(&guard);
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(umqtt_connect_start_obj, 2, 3, umqtt_connect_start);

// _connect_result(): None while pending, the session-present flag once
// connected; raises the attempt's failure.
static mp_obj_t umqtt_connect_result(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    bool session_present = false;
    uint8_t code = 0;
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    UmqttStatus st = umqtt_core_connect_result(CORE(self), &session_present, &code);
    umqtt_unlock(&guard);
    if (st == UMQTT_STATUS_PENDING) {
        return mp_const_none;
    }
    if (st != UMQTT_STATUS_OK) {
        umqtt_connect_failed(self, st, code);
    }
    return mp_obj_new_bool(session_present);
}
MP_DEFINE_CONST_FUN_OBJ_1(umqtt_connect_result_obj, umqtt_connect_result);

// A command started: its ticket (0 for QoS 0, written), or None when it
// cannot go now.
static mp_obj_t start(umqtt_client_obj_t *self, umqtt_command_fn_t fn, const umqtt_command_t *a) {
    bool issued;
    UmqttOp op = umqtt_issue_once(self, fn, a, &issued);
    return issued ? mp_obj_new_int_from_uint(op.ticket) : mp_const_none;
}

// _publish_start(topic, msg, retain=False, qos=0): ticket or None.
static mp_obj_t umqtt_publish_start(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    umqtt_client_obj_t *self = umqtt_client_of(pos_args[0]);
    umqtt_command_t a;
    umqtt_publish_args(n_args, pos_args, kw_args, &a);
    return start(self, umqtt_publish_command, &a);
}
MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_publish_start_obj, 3, umqtt_publish_start);

// _subscribe_start(topic, qos=0, **options) / _unsubscribe_start(topic):
// ticket or None.
static mp_obj_t umqtt_subscribe_start(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    umqtt_client_obj_t *self = umqtt_client_of(pos_args[0]);
    umqtt_command_t a;
    umqtt_subscribe_args(n_args, pos_args, kw_args, &a);
    return start(self, umqtt_subscribe_command, &a);
}
MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_subscribe_start_obj, 2, umqtt_subscribe_start);

static mp_obj_t umqtt_unsubscribe_start(mp_obj_t self_in, mp_obj_t topic) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    umqtt_command_t a;
    umqtt_filter_args(&a, topic);
    return start(self, umqtt_unsubscribe_command, &a);
}
MP_DEFINE_CONST_FUN_OBJ_2(umqtt_unsubscribe_start_obj, umqtt_unsubscribe_start);

// The objects of publish slots the driver has freed are let go.
static void release_done_slots(umqtt_client_obj_t *self) {
    for (uint8_t k = 0; k < UMQTT_MAX_INFLIGHT; ++k) {
        if (self->slot_topic[k] != MP_OBJ_NULL && !umqtt_core_slot_in_use(CORE(self), k)) {
            umqtt_release_slot(self, k);
        }
    }
}

// _ticket(t): None while pending; the result code when done (0, or the
// SUBACK code); -1 when dropped (issue it again); raises what the broker's
// refusal means (umqtt_raise_refused), and when the connection is closed for
// good (a sent publish stays in flight).
static mp_obj_t umqtt_ticket(mp_obj_t self_in, mp_obj_t t_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    uint32_t ticket = (uint32_t)mp_obj_get_int_truncated(t_in);
    uint8_t code = 0;
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    UmqttStatus st = umqtt_core_ticket_result(CORE(self), ticket, &code);
    if (st != UMQTT_STATUS_PENDING) {
        release_done_slots(self);           // done (or dropped): what the driver freed goes
    }
    UmqttStatus cause = umqtt_core_cause(CORE(self));
    umqtt_unlock(&guard);
    switch (st) {
        case UMQTT_STATUS_PENDING:
            return mp_const_none;
        case UMQTT_STATUS_OK:
            return MP_OBJ_NEW_SMALL_INT(code);
        case UMQTT_STATUS_REFUSED:
            umqtt_raise_refused(self, code);
        case UMQTT_STATUS_LOST:
            umqtt_raise_lost(self, cause);
        default:
            return MP_OBJ_NEW_SMALL_INT(-1);
    }
}
MP_DEFINE_CONST_FUN_OBJ_2(umqtt_ticket_obj, umqtt_ticket);

static mp_obj_t umqtt_forget_ticket(mp_obj_t self_in, mp_obj_t t_in) {
    umqtt_forget(umqtt_client_of(self_in), (uint32_t)mp_obj_get_int_truncated(t_in));
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_2(umqtt_forget_obj, umqtt_forget_ticket);

#endif // MICROPY_PY_UMQTT && MICROPY_PY_UMQTT_AIO
