// Commands through the pump: connect(), and issuing a publish, subscribe,
// unsubscribe or ping, then waiting for its acknowledgement. The driver
// says "not now" (connecting, reconnecting, re-sends first, window full)
// and this side pumps the connection until the call's own deadline.

#include <string.h>

#include "py/runtime.h"
#include "py/mperrno.h"
#include "umqtt_config.h"

#if MICROPY_PY_UMQTT

#include "umqtt.h"

#define CORE(self) umqtt_core(self)

// ---------------------------------------------------------------------------
// connect(): one attempt, its failure raised (umqtt_connect_failed).

void umqtt_connect(umqtt_client_obj_t *self, bool clean_session) {
    umqtt_keepalive_stop(self);
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    umqtt_io_close(self);
    self->open_error = MP_OBJ_NULL;
    self->last_errno = 0;
    self->clean_session = clean_session;
    umqtt_core_connect(CORE(self), clean_session, umqtt_now_ms());
    umqtt_unlock(&guard);
    // The driver bounds the attempt by the timeout; this bound only guards it.
    uint32_t deadline = umqtt_now_ms() + self->timeout_ms + 1000;
    nlr_buf_t nlr;
    if (nlr_push(&nlr) != 0) {
        // Ctrl-C, or a callback's exception: no half-open attempt is left behind.
        umqtt_lock(self, &guard);
        umqtt_core_close(CORE(self));
        umqtt_io_close(self);
        umqtt_unlock(&guard);
        nlr_jump(nlr.ret_val);
    }
    for (;;) {
        bool handled = umqtt_pump(self, NULL, UMQTT_PUMP_DELIVER) > 0;
        bool session_present;
        uint8_t code;
        umqtt_lock(self, &guard);
        UmqttStatus st = umqtt_core_connect_result(CORE(self), &session_present, &code);
        if (st == UMQTT_STATUS_PENDING && umqtt_deadline_passed(deadline)) {
            umqtt_core_close(CORE(self));
            umqtt_io_close(self);
            st = UMQTT_STATUS_TIMEOUT;
        }
        umqtt_unlock(&guard);
        if (st == UMQTT_STATUS_OK) {
            break;
        }
        if (st != UMQTT_STATUS_PENDING) {
            umqtt_connect_failed(self, st, code);
        }
        if (!handled) {
            umqtt_wait(self, deadline);
        }
    }
    nlr_pop();
    if (self->keepalive > 0) {
        umqtt_keepalive_start(self);
    }
}

// Wait for `ticket` (of the publish in `slot`, or -1) until `deadline`: OK
// (with *code, the SUBACK code), REFUSED (with *code, the acknowledgement's
// failure code: umqtt_raise_refused), UNKNOWN_TICKET (dropped with a
// connection, or a publish withdrawn unsent: issue it again) or TIMEOUT.
// Raises when the connection is closed for good. Unless `keep`, a ticket
// given up on (at the deadline, or by an exception) is forgotten; a publish
// stays in flight either way, to be re-sent on a resumed session.
// `written`: the command was just issued by this thread, so its
// acknowledgement cannot be there yet unless the socket says so
// (umqtt_wait_written).
UmqttStatus umqtt_wait_ticket(umqtt_client_obj_t *self, uint32_t ticket, int slot, uint32_t deadline, uint8_t *code,
    bool keep, bool written) {
    if (written) {
        umqtt_wait_written(self, deadline);
    }
    for (;;) {
        // One pass of the pump and the ticket's news under one lock.
        umqtt_pass_t pass = { 0 };
        umqtt_guard_t guard;
        umqtt_lock(self, &guard);
        umqtt_pump_locked(self, &pass, true);
        UmqttStatus st = umqtt_core_ticket_result(CORE(self), ticket, code);
        if (st != UMQTT_STATUS_PENDING && slot >= 0 && !umqtt_core_slot_in_use(CORE(self), (uint8_t)slot)) {
            // The driver has freed the slot: let its objects go.
            umqtt_release_slot(self, (uint8_t)slot);
        }
        if (st == UMQTT_STATUS_PENDING && umqtt_deadline_passed(deadline)) {
            st = UMQTT_STATUS_TIMEOUT;
        }
        if (!keep && (st == UMQTT_STATUS_TIMEOUT || st == UMQTT_STATUS_LOST)) {
            umqtt_core_forget(CORE(self), ticket);
        }
        UmqttStatus cause = st == UMQTT_STATUS_LOST ? umqtt_core_cause(CORE(self)) : UMQTT_STATUS_OK;
        mp_obj_t cb = self->msg_cb;
        umqtt_unlock(&guard);
        umqtt_finish_pass_deferring(self, &pass, cb);
        if (st == UMQTT_STATUS_LOST) {
            umqtt_raise_lost(self, cause);
        }
        if (st != UMQTT_STATUS_PENDING) {
            return st;
        }
        if (pass.packets == 0) {
            umqtt_wait(self, deadline);
        }
    }
}

// The driver's settings from the client's fields (mutex held): at
// construction, when connect(timeout=...) changes the timeout, and when a
// chunk callback is set or cleared (the driver then takes, or refuses, a
// PUBLISH longer than max_packet, and advertises accordingly).
UmqttStatus umqtt_configure_locked(umqtt_client_obj_t *self) {
    UmqttSettings settings = {
        .keepalive_s = self->keepalive,
        .ping_max_missed = self->pingmaxnum,
        .protocol_level = self->version,
        .timeout_ms = self->timeout_ms,
        .reconnect = self->reconn,
        .max_inflight = self->max_inflight,
        .chunked = MICROPY_PY_UMQTT_CHUNKS && self->chunk_cb != MP_OBJ_NULL,
        .max_packet = self->max_packet < UINT32_MAX ? (uint32_t)self->max_packet : UINT32_MAX,
    };
    return umqtt_core_configure(CORE(self), &settings);
}

void umqtt_apply_settings(umqtt_client_obj_t *self) {
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    UmqttStatus st = umqtt_configure_locked(self);
    umqtt_unlock(&guard);
    if (st != UMQTT_STATUS_OK) {
        umqtt_raise_status(st);
    }
}

void umqtt_forget(umqtt_client_obj_t *self, uint32_t ticket) {
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    umqtt_core_forget(CORE(self), ticket);
    umqtt_unlock(&guard);
}

// ---------------------------------------------------------------------------
// Issuing a command: encode under the mutex (growing the buffer if the
// driver asks), keep the objects its slot stands for, write; while the
// driver says "not now" (connecting, reconnecting, window full), pump the
// connection until the call's deadline.

UmqttStatus umqtt_publish_command(umqtt_client_obj_t *self, const umqtt_command_t *a, UmqttOp *op) {
    const uint8_t *props = NULL;
    size_t props_len = 0;
    if (a->props != MP_OBJ_NULL) {
        props = (const uint8_t *)mp_obj_str_get_data(a->props, &props_len);
    }
    UmqttStatus st = umqtt_core_publish(CORE(self), a->topic_buf, a->topic_len, a->payload, a->payload_len,
        a->qos, a->retain, props, props_len, umqtt_now_ms(), self->tx_buf, self->tx_cap, op);
    if (st == UMQTT_STATUS_OK && op->ticket != 0) {      // QoS 1/2: issued, whatever the write does
        self->pid = (uint16_t)op->ticket;
        self->slot_topic[op->slot] = a->topic;
        self->slot_msg[op->slot] = a->msg;
        #if MICROPY_PY_UMQTT_MQTT5
        self->slot_props[op->slot] = a->props;
        #endif
    }
    return st;
}

// A publish slot the driver has freed: its objects go.
void umqtt_release_slot(umqtt_client_obj_t *self, uint8_t slot) {
    self->slot_topic[slot] = MP_OBJ_NULL;
    self->slot_msg[slot] = MP_OBJ_NULL;
    #if MICROPY_PY_UMQTT_MQTT5
    self->slot_props[slot] = MP_OBJ_NULL;
    #endif
}

// The subscription slot that holds a filter equal to `a`'s, or -1. Filters
// are compared by their bytes, so "a/b" and b"a/b" are one subscription.
static int find_subscription(umqtt_client_obj_t *self, const umqtt_command_t *a) {
    for (int i = 0; i < UMQTT_MAX_SUBSCRIPTIONS; ++i) {
        if (self->sub_filter[i] != MP_OBJ_NULL) {
            size_t len;
            const char *f = mp_obj_str_get_data(self->sub_filter[i], &len);
            if (len == a->topic_len && memcmp(f, a->topic_buf, len) == 0) {
                return i;
            }
        }
    }
    return -1;
}

// SUBSCRIBE and UNSUBSCRIBE name the slot of an equal filter, looked up
// under the same lock as the encoding.
UmqttStatus umqtt_subscribe_command(umqtt_client_obj_t *self, const umqtt_command_t *a, UmqttOp *op) {
    UmqttStatus st = umqtt_core_subscribe(CORE(self), a->topic_buf, a->topic_len, a->sub.options,
        a->sub.sub_id, find_subscription(self, a), umqtt_now_ms(), self->tx_buf, self->tx_cap, op);
    if (st == UMQTT_STATUS_OK) {
        self->sub_filter[op->slot] = a->topic;
    }
    return st;
}

UmqttStatus umqtt_unsubscribe_command(umqtt_client_obj_t *self, const umqtt_command_t *a, UmqttOp *op) {
    int slot = find_subscription(self, a);
    UmqttStatus st = umqtt_core_unsubscribe(CORE(self), a->topic_buf, a->topic_len, slot,
        umqtt_now_ms(), self->tx_buf, self->tx_cap, op);
    if (st == UMQTT_STATUS_OK && slot >= 0) {
        self->sub_filter[slot] = MP_OBJ_NULL;
    }
    return st;
}

UmqttStatus umqtt_ping_command(umqtt_client_obj_t *self, const umqtt_command_t *a, UmqttOp *op) {
    (void)a;
    op->ticket = 0;
    op->slot = 0;
    return umqtt_core_ping(CORE(self), umqtt_now_ms(), self->tx_buf, self->tx_cap, &op->len);
}

// One try: *issued and the op when the command went out (written, or a
// publish whose waiter learns what became of an unwritten one); !*issued
// when the driver says "not now" (connecting, reconnecting, re-sends first,
// window full). Raises when the connection is closed for good or the
// command is refused.
UmqttOp umqtt_issue_once(umqtt_client_obj_t *self, umqtt_command_fn_t fn, const umqtt_command_t *a, bool *issued) {
    UmqttOp op = { 0 };
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    umqtt_io_keep_nonblocking(self);
    if (!umqtt_flush_tail(self)) {
        // asyncio mode: the rest of a packet the socket could not take goes
        // first; the command waits (it is encoded into tx_buf, which holds it).
        umqtt_unlock(&guard);
        *issued = false;
        return op;
    }
    UmqttStatus st = fn(self, a, &op);
    if (st == UMQTT_STATUS_BUFFER_TOO_SMALL) {
        umqtt_tx_reserve(self, op.len);
        st = fn(self, a, &op);
    }
    bool written = st == UMQTT_STATUS_OK && umqtt_write_locked(self, self->tx_buf, op.len);
    if (st == UMQTT_STATUS_OK && !written && op.ticket != 0) {
        umqtt_core_mark_unsent(CORE(self), op.ticket);
    }
    umqtt_settle_buffers(self);
    UmqttConnStatus status = umqtt_core_status(CORE(self));
    UmqttStatus cause = umqtt_core_cause(CORE(self));
    umqtt_unlock(&guard);
    *issued = written || (st == UMQTT_STATUS_OK && op.ticket != 0);
    if (*issued) {
        return op;
    }
    if (st == UMQTT_STATUS_OK) {
        st = status == UMQTT_CONN_STATUS_CONNECTING ? UMQTT_STATUS_WOULD_BLOCK : UMQTT_STATUS_LOST;
    }
    if (st == UMQTT_STATUS_NOT_CONNECTED || st == UMQTT_STATUS_LOST) {
        umqtt_raise_lost(self, cause);
    }
    if (st != UMQTT_STATUS_WOULD_BLOCK && st != UMQTT_STATUS_INFLIGHT_FULL) {
        #if MICROPY_PY_UMQTT_MQTT5
        uint8_t reason = umqtt_core_refusal_code(self->version, st);
        if (reason != 0) {
            nlr_raise(umqtt_reason_exception(reason));      // as the broker would have refused it
        }
        #endif
        umqtt_raise_status(st);
    }
    return op;
}

UmqttOp umqtt_issue(umqtt_client_obj_t *self, umqtt_command_fn_t fn, const umqtt_command_t *a, uint32_t deadline) {
    for (;;) {
        bool issued;
        UmqttOp op = umqtt_issue_once(self, fn, a, &issued);
        if (issued) {
            return op;
        }
        if (umqtt_deadline_passed(deadline)) {
            mp_raise_OSError(MP_ETIMEDOUT);
        }
        if (umqtt_pump(self, NULL, UMQTT_PUMP_DEFERRING) == 0) {
            umqtt_wait(self, deadline);
        }
    }
}

// SUBSCRIBE or UNSUBSCRIBE, then its acknowledgement; issued again when a
// reconnect dropped it on the way. A refusal raises (outside the handler
// that gives a subscription up: the driver has freed its slot).
void umqtt_filter_request(umqtt_client_obj_t *self, umqtt_command_fn_t fn, const umqtt_command_t *a) {
    uint32_t deadline = umqtt_now_ms() + self->timeout_ms;
    for (;;) {
        UmqttOp op = umqtt_issue(self, fn, a, deadline);
        uint8_t code = 0;
        UmqttStatus st = UMQTT_STATUS_UNKNOWN_TICKET;
        nlr_buf_t nlr;
        if (nlr_push(&nlr) == 0) {
            st = umqtt_wait_ticket(self, op.ticket, -1, deadline, &code, false, true);
            if (st == UMQTT_STATUS_TIMEOUT) {
                mp_raise_OSError(MP_ETIMEDOUT);     // given up: the handler below frees the slot
            }
            nlr_pop();
        } else {
            if (fn == umqtt_subscribe_command) {
                umqtt_guard_t guard;
                umqtt_lock(self, &guard);
                umqtt_core_abandon_subscribe(CORE(self), op.ticket, op.slot);
                self->sub_filter[op.slot] = MP_OBJ_NULL;
                umqtt_unlock(&guard);
            }
            nlr_jump(nlr.ret_val);
        }
        if (st == UMQTT_STATUS_REFUSED) {
            umqtt_raise_refused(self, code);
        }
        if (st == UMQTT_STATUS_OK) {
            return;
        }
    }
}

#endif // MICROPY_PY_UMQTT
