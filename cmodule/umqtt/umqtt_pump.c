// The connection pump of an MQTTClient: the client mutex, and one pass of
// the loop around the Rust driver (read what the transport has, feed the
// driver, write what it asks for, collect its events), then waiting until
// the driver's next deadline in short slices. Every decision is the
// driver's; Python callbacks run only once Rust has returned and the mutex
// is free.

#include <string.h>
#include <assert.h>

#include "py/runtime.h"
#include "py/stream.h"
#include "py/mphal.h"
#include "py/mperrno.h"
#include "py/objstr.h"
#include "umqtt_config.h"

#if MICROPY_PY_UMQTT

#include "umqtt.h"

// Longest sleep between looks at Ctrl-C and the driver's deadlines; shorter
// while another thread waits on the same connection and may take what we wait for.
#define WAIT_SLICE_MS (100)
#define SHARED_WAIT_SLICE_MS (2)

// ---------------------------------------------------------------------------
// The client mutex. A jump callback releases it if anything raises (memory
// error, Ctrl-C inside a stream call) while it is held. Without threads
// there is none (umqtt.h).

#if MICROPY_PY_THREAD
static void guard_release(void *ctx) {
    umqtt_guard_t *guard = ctx;
    #if UMQTT_TRACK_OWNER
    guard->self->owner = 0;
    #endif
    mp_thread_mutex_unlock(&guard->self->mutex);
}

void umqtt_lock(umqtt_client_obj_t *self, umqtt_guard_t *guard) {
    MP_THREAD_GIL_EXIT();
    mp_thread_mutex_lock(&self->mutex, 1);
    MP_THREAD_GIL_ENTER();
    #if UMQTT_TRACK_OWNER
    self->owner = (mp_uint_t)mp_thread_get_state();
    #endif
    guard->self = self;
    nlr_push_jump_callback(&guard->node, guard_release);
}

void umqtt_unlock(umqtt_guard_t *guard) {
    (void)guard;
    nlr_pop_jump_callback(true);
}
#endif

#if UMQTT_TRACK_OWNER
// The driver, for a call into the core: debug builds check that this
// thread holds the client mutex (the core is not thread-safe).
void *umqtt_core(umqtt_client_obj_t *self) {
    assert(self->owner == (mp_uint_t)mp_thread_get_state());
    return self->core;
}
#endif

#define CORE(self) umqtt_core(self)

uint32_t umqtt_now_ms(void) {
    return (uint32_t)mp_hal_ticks_ms();
}

bool umqtt_deadline_passed(uint32_t deadline) {
    return (int32_t)(deadline - umqtt_now_ms()) <= 0;
}

// ---------------------------------------------------------------------------
// Writing, and losing the transport (mutex held).

void umqtt_transport_lost(umqtt_client_obj_t *self, UmqttStatus cause) {
    umqtt_core_handle_transport_down(CORE(self), umqtt_now_ms(), cause);
    umqtt_io_close(self);
}

// asyncio mode (nb): a packet is written as far as the socket takes it now;
// the rest, its tail, stays where it is in tx_buf (every packet is written
// from there) and goes before anything else: until it has, nothing new is
// taken from the driver (drain_transmit), no command is encoded
// (umqtt_issue_once) and tx_buf is neither grown nor shrunk. The event loop
// waits for the socket to take more (_umqtt_aio.py, `_tail()`). The blocking
// faces never leave a tail: their write waits, up to `timeout`.
static bool write_keeping_tail(umqtt_client_obj_t *self, const uint8_t *buf, size_t len) {
    assert(self->tail_end == 0);
    assert(buf >= self->tx_buf && buf + len <= self->tx_buf + self->tx_cap);
    size_t n = 0;
    int e = umqtt_io_write_some(self, buf, len, &n);
    self->bytes_sent += n;
    if (e != 0) {
        self->last_errno = e;
        umqtt_transport_lost(self, UMQTT_STATUS_IO);
        return false;
    }
    if (n < len) {
        self->tail_at = (size_t)(buf - self->tx_buf) + n;
        self->tail_end = (size_t)(buf - self->tx_buf) + len;
        // As long as a blocking write would have waited for the same packet.
        self->tail_deadline = umqtt_now_ms() + self->timeout_ms;
    }
    return true;
}

// Write what the socket takes of a pending tail, without waiting. Returns
// whether none is left: written, or dropped with a transport that failed,
// or stuck past its deadline (ETIMEDOUT, as a blocking write reports a
// broker that stopped reading; the driver re-sends what needs re-sending
// after the reconnect). A firmware without asyncio mode leaves no tail
// (umqtt.h).
#if MICROPY_PY_UMQTT_AIO
bool umqtt_flush_tail(umqtt_client_obj_t *self) {
    if (self->tail_end == 0) {
        return true;
    }
    size_t n = 0;
    int e = umqtt_io_write_some(self, self->tx_buf + self->tail_at, self->tail_end - self->tail_at, &n);
    self->bytes_sent += n;
    self->tail_at += n;
    if (e == 0 && self->tail_at == self->tail_end) {
        self->tail_at = self->tail_end = 0;
        return true;
    }
    if (e == 0 && umqtt_deadline_passed(self->tail_deadline)) {
        e = MP_ETIMEDOUT;
    }
    if (e != 0) {
        self->last_errno = e;
        umqtt_transport_lost(self, e == MP_ETIMEDOUT ? UMQTT_STATUS_TIMEOUT : UMQTT_STATUS_IO);
        return true;        // umqtt_io_close dropped it
    }
    return false;
}
#endif

bool umqtt_write_locked(umqtt_client_obj_t *self, const uint8_t *buf, size_t len) {
    if (UMQTT_NB(self)) {
        return write_keeping_tail(self, buf, len);
    }
    int e = umqtt_io_write_all(self, buf, len, self->timeout_ms);
    if (e == 0) {
        self->bytes_sent += len;
    } else {
        self->last_errno = e;
        umqtt_transport_lost(self, e == MP_ETIMEDOUT ? UMQTT_STATUS_TIMEOUT : UMQTT_STATUS_IO);
        return false;
    }
    return true;
}

static UmqttBytes bytes_of(mp_obj_t obj) {
    UmqttBytes b = { NULL, 0 };
    if (obj != MP_OBJ_NULL && obj != mp_const_none) {
        mp_buffer_info_t info;
        mp_get_buffer_raise(obj, &info, MP_BUFFER_READ);
        b.ptr = info.buf;
        b.len = info.len;
    }
    return b;
}

// The bytes of a CONNECT, re-send or restore the driver asked for, from the
// objects the client keeps.
static UmqttStatus encode_request(umqtt_client_obj_t *self, UmqttTransmitKind kind, uint8_t slot, size_t *len) {
    uint32_t now = umqtt_now_ms();
    if (kind == UMQTT_TRANSMIT_KIND_CONNECT) {
        static const uint8_t empty = 0;
        UmqttIdentity id = {
            .client_id = bytes_of(self->client_id),
            .user = bytes_of(self->user),
            .password = bytes_of(self->password),
            .will_topic = bytes_of(self->will_topic),
            .will_payload = bytes_of(self->will_msg),
            .will_qos = self->will_qos,
            .will_retain = self->will_retain,
            #if MICROPY_PY_UMQTT_MQTT5
            .props = bytes_of(self->connect_props),
            .will_props = bytes_of(self->will_topic != MP_OBJ_NULL ? self->will_props : MP_OBJ_NULL),
            #endif
        };
        if (id.password.ptr == NULL && self->password != mp_const_none) {
            id.password.ptr = &empty;
        }
        if (!UMQTT_QUEC_FACE(self) && id.user.len == 0) {
            // umqtt.simple sends credentials `if self.user:`, so user=""
            // means none there; QuecPython's reference tests `is not None`.
            id.user = id.password = (UmqttBytes) { NULL, 0 };
        }
        return umqtt_core_encode_connect(CORE(self), &id, now, self->tx_buf, self->tx_cap, len);
    }
    if (kind == UMQTT_TRANSMIT_KIND_PUBLISH) {
        UmqttBytes topic = bytes_of(self->slot_topic[slot]);
        UmqttBytes msg = bytes_of(self->slot_msg[slot]);
        #if MICROPY_PY_UMQTT_MQTT5
        UmqttBytes props = bytes_of(self->slot_props[slot]);
        #else
        UmqttBytes props = { NULL, 0 };
        #endif
        return umqtt_core_encode_publish(CORE(self), slot, topic.ptr, topic.len, msg.ptr, msg.len,
            props.ptr, props.len, now, self->tx_buf, self->tx_cap, len);
    }
    UmqttBytes filter = bytes_of(self->sub_filter[slot]);
    return umqtt_core_encode_subscribe(CORE(self), slot, filter.ptr, filter.len, now,
        self->tx_buf, self->tx_cap, len);
}

// Write everything the driver has to send, until it has nothing, the
// transport fails or (asyncio mode) the socket is full: a packet's tail
// then waits, and nothing more is taken from the driver.
void umqtt_drain_transmit(umqtt_client_obj_t *self, uint32_t now) {
    while (self->stream != MP_OBJ_NULL && umqtt_flush_tail(self)) {
        UmqttTransmit tx;
        UmqttStatus st = umqtt_core_poll_transmit(CORE(self), now, self->tx_buf, self->tx_cap, &tx);
        if (st == UMQTT_STATUS_BUFFER_TOO_SMALL) {
            umqtt_tx_reserve(self, tx.len);
            continue;
        }
        if (st != UMQTT_STATUS_OK || tx.kind == UMQTT_TRANSMIT_KIND_NOTHING) {
            return;
        }
        size_t len = tx.len;
        UmqttTransmitKind kind = tx.kind;
        if (kind != UMQTT_TRANSMIT_KIND_BYTES) {
            st = encode_request(self, kind, tx.slot, &len);
            if (st == UMQTT_STATUS_BUFFER_TOO_SMALL) {
                umqtt_tx_reserve(self, len);
                continue;
            }
            if (st == UMQTT_STATUS_PACKET_TOO_LARGE && kind == UMQTT_TRANSMIT_KIND_PUBLISH) {
                continue;                       // the driver finished that re-send (too large now)
            }
            if (st != UMQTT_STATUS_OK) {
                if (kind == UMQTT_TRANSMIT_KIND_CONNECT) {
                    umqtt_io_close(self);       // the driver ended the attempt (bad identity)
                }
                return;
            }
        }
        if (!umqtt_write_locked(self, self->tx_buf, len)) {
            return;
        }
    }
}

// ---------------------------------------------------------------------------
// One pass.

// The text of why a connection ended, as error_register_cb and DEBUG see it.
static mp_obj_t cause_text(UmqttStatus cause, uint8_t code) {
    #if MICROPY_PY_UMQTT_MQTT5
    if (code >= 0x80) {         // an MQTT 5 reason code (CONNACK or DISCONNECT)
        size_t n;
        const uint8_t *name = umqtt_reason_name(code, &n);
        return mp_obj_new_str((const char *)name, n);
    }
    #endif
    const char *text = cause == UMQTT_STATUS_CONNECTION_REFUSED
        ? umqtt_core_connack_text(code) : umqtt_core_strerror(cause);
    return mp_obj_new_str_from_cstr(text);
}

// The driver's events: a transport to open, and the notices for
// error_register_cb (the first UMQTT_MAX_NOTICES of a pass).
static void drain_events(umqtt_client_obj_t *self, umqtt_pass_t *pass) {
    UmqttEvent ev;
    while (umqtt_core_poll_event(CORE(self), &ev)) {
        mp_obj_t notice = MP_OBJ_NULL;
        // An if chain, not a switch: GCC would make a jump table of it.
        if (ev.kind == UMQTT_EVENT_KIND_OPEN_TRANSPORT) {
            pass->open = true;
        } else if (ev.kind == UMQTT_EVENT_KIND_CONNECTION_LOST) {
            umqtt_io_close(self);
            mp_obj_t text = cause_text(ev.cause, ev.code);
            if (mp_obj_is_true(self->debug)) {
                mp_printf(&mp_plat_print, "umqtt: connection lost: %s (errno %d)\n",
                    mp_obj_str_get_str(text), self->last_errno);
            }
            if (!self->reconn) {
                notice = text;
            }
        } else if (ev.kind == UMQTT_EVENT_KIND_RECONNECT_START) {
            notice = MP_OBJ_NEW_QSTR(MP_QSTR_reconnect_start);
        } else if (ev.kind == UMQTT_EVENT_KIND_RECONNECT_SUCCESS) {
            notice = MP_OBJ_NEW_QSTR(MP_QSTR_reconnect_success);
        }
        if (notice != MP_OBJ_NULL && pass->n_notices < UMQTT_MAX_NOTICES) {
            pass->notices[pass->n_notices++] = notice;
        }
    }
}

// Bytes already received (a PINGRESP among them) are handled before the
// driver judges its deadlines.
void umqtt_pump_locked(umqtt_client_obj_t *self, umqtt_pass_t *pass, bool deliver) {
    // The transport is read only when the buffer has nothing whole to act
    // on: one read fills the buffer with many small packets.
    uint32_t now = umqtt_now_ms();
    umqtt_io_keep_nonblocking(self);
    umqtt_flush_tail(self);                 // asyncio mode: the rest of the last packet goes first
    if (umqtt_feed(self, pass, deliver, now)) {
        umqtt_read_transport(self, now);
        umqtt_feed(self, pass, deliver, now);
    }
    if (umqtt_core_poll_timeout(CORE(self), now) == 0
        && umqtt_core_handle_timeout(CORE(self), now) != UMQTT_STATUS_OK) {
        umqtt_io_close(self);
    }
    bool held = UMQTT_HAS_TAIL(self);
    umqtt_drain_transmit(self, now);
    // A tail that stopped feed() (its acknowledgements could not go) has
    // gone since: the packets it held back are buffered, not in the socket.
    pass->again = held && !UMQTT_HAS_TAIL(self) && self->rx_whole;
    drain_events(self, pass);
    umqtt_settle_buffers(self);
}

// Open the transport the driver asked for, without the mutex (name lookup,
// TCP and TLS block), bounded by what is left of the attempt's deadline.
static void open_transport(umqtt_client_obj_t *self) {
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    uint32_t timeout = umqtt_core_open_timeout(CORE(self), umqtt_now_ms());
    umqtt_unlock(&guard);
    if (timeout == 0) {
        return;
    }
    umqtt_link_t link;
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        umqtt_io_open(self, timeout, &link);
        nlr_pop();
    } else {
        mp_obj_t exc = MP_OBJ_FROM_PTR(nlr.ret_val);
        int err = umqtt_open_errno(exc);
        umqtt_lock(self, &guard);
        self->open_error = exc;
        self->last_errno = err;
        umqtt_core_handle_transport_down(CORE(self), umqtt_now_ms(),
            err == MP_ETIMEDOUT ? UMQTT_STATUS_TIMEOUT : UMQTT_STATUS_IO);
        umqtt_unlock(&guard);
        if (!umqtt_is_exception(exc, &mp_type_Exception)) {
            nlr_jump(nlr.ret_val);          // KeyboardInterrupt, SystemExit
        }
        return;
    }
    umqtt_lock(self, &guard);
    umqtt_attach_locked(self, link.stream, link.sock, link.fd);
    umqtt_unlock(&guard);
}

// A transport opened for the driver's attempt: CONNECT goes out on it, or it
// is closed again if the attempt ended meanwhile (mutex held).
void umqtt_attach_locked(umqtt_client_obj_t *self, mp_obj_t stream, mp_obj_t sock, int fd) {
    self->stream = stream;
    self->sock = sock;
    self->fd = fd;
    self->sock_lent = false;
    self->rx_start = self->rx_end = 0;
    uint32_t now = umqtt_now_ms();
    if (umqtt_core_handle_transport_up(CORE(self), now)) {
        umqtt_drain_transmit(self, now);          // CONNECT
    } else {
        umqtt_io_close(self);               // the attempt ended meanwhile
    }
}

// What a pass left for this thread, mutex free: notices, then the transport.
void umqtt_after_pass(umqtt_client_obj_t *self, umqtt_pass_t *pass) {
    for (size_t i = 0; i < pass->n_notices; ++i) {
        umqtt_notify(self, pass->notices[i]);
    }
    if (pass->open && UMQTT_NB(self)) {
        self->want_open = true;     // the asyncio client opens it (umqtt_aio.c)
    } else if (pass->open) {
        open_transport(self);
    }
}

// One pass in an application thread; returns the packets it handled, what it
// did left in *pass (NULL: a pass of its own). `how` (umqtt.h):
// UMQTT_PUMP_DELIVER: a message among its packets is handed to the callback
// (whose exception propagates; the message stays delivered).
// UMQTT_PUMP_RAISING, wait_msg()/check_msg()'s first pass: what a callback
// raised while a command waited is raised first, instead of the pass; both
// under one lock.
// UMQTT_PUMP_DEFERRING, for a thread waiting on its own command (publish(),
// subscribe(), ...): an exception from the message callback is kept for the
// next wait_msg()/check_msg() instead of ending the command. The command has
// done what it was asked (a QoS 2 publish went out exactly once): raising
// from it would make a script that retries on an exception send it again.
size_t umqtt_pump(umqtt_client_obj_t *self, umqtt_pass_t *pass, unsigned how) {
    umqtt_pass_t own = { 0 };
    pass = pass != NULL ? pass : &own;
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    mp_obj_t exc = self->deferred_exc;
    if ((how & UMQTT_PUMP_RAISING) == UMQTT_PUMP_RAISING && exc != MP_OBJ_NULL) {
        self->deferred_exc = MP_OBJ_NULL;
        umqtt_unlock(&guard);
        nlr_raise(exc);
    }
    umqtt_pump_locked(self, pass, how & UMQTT_PUMP_DELIVER);
    mp_obj_t cb = self->msg_cb;
    umqtt_unlock(&guard);
    if ((how & UMQTT_PUMP_DEFERRING) == UMQTT_PUMP_DEFERRING) {
        umqtt_finish_pass_deferring(self, pass, cb);
    } else {
        umqtt_finish_pass(self, pass, cb);
    }
    return pass->packets;
}

void umqtt_finish_pass_deferring(umqtt_client_obj_t *self, umqtt_pass_t *pass, mp_obj_t cb) {
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        umqtt_finish_pass(self, pass, cb);
        nlr_pop();
        return;
    }
    mp_obj_t exc = MP_OBJ_FROM_PTR(nlr.ret_val);
    if (!umqtt_is_exception(exc, &mp_type_Exception)) {
        nlr_jump(nlr.ret_val);      // KeyboardInterrupt, SystemExit: the script's own stop
    }
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    if (self->deferred_exc == MP_OBJ_NULL) {
        self->deferred_exc = exc;   // the first one; later ones while it waits are dropped
    }
    umqtt_unlock(&guard);
}

// The rest of a pass, mutex free: notices, the transport, then the message
// to the callback `cb` (read under the mutex).
void umqtt_finish_pass(umqtt_client_obj_t *self, umqtt_pass_t *pass, mp_obj_t cb) {
    umqtt_after_pass(self, pass);
    if (MICROPY_PY_UMQTT_CHUNKS && pass->chunk != MP_OBJ_NULL) {
        umqtt_body_deliver_chunk(self, pass);
    } else if (pass->message != MP_OBJ_NULL && cb != mp_const_none) {
        mp_call_function_1(cb, pass->message);
    } else if (pass->topic != MP_OBJ_NULL && cb != mp_const_none) {
        mp_call_function_2(cb, pass->topic, pass->msg);
    }
}

// Wait until the driver's next deadline, `deadline`, bytes to read, or one
// slice, whichever is first; then let Ctrl-C in (no Rust frame below, no
// lock held).
static void wait_until(umqtt_client_obj_t *self, uint32_t deadline, bool only_socket) {
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    #if MICROPY_PY_UMQTT_NET                // else only_socket has nothing to wait on (umqtt.h)
    if (only_socket && !(self->fd >= 0 && self->stream == self->sock && !UMQTT_NB(self) && !UMQTT_HAS_TAIL(self)
                         && self->rx_start == self->rx_end && self->body.mode == UMQTT_BODY_NONE)) {
        umqtt_unlock(&guard);
        return;
    }
    #else
    (void)only_socket;
    #endif
    uint32_t now = umqtt_now_ms();
    uint32_t wait = umqtt_core_poll_timeout(CORE(self), now);
    int32_t left = (int32_t)(deadline - now);
    uint32_t slice = MICROPY_PY_THREAD && self->waiters > 0 ? SHARED_WAIT_SLICE_MS : WAIT_SLICE_MS;
    wait = left <= 0 ? 0 : (wait < (uint32_t)left ? wait : (uint32_t)left);
    wait = wait < slice ? wait : slice;
    mp_obj_t stream = self->stream;
    int fd = self->fd;
    #if MICROPY_PY_THREAD
    self->waiters++;
    umqtt_unlock(&guard);
    void *raised = NULL;
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        if (wait > 0) {
            umqtt_io_wait(self, stream, fd, false, wait);
        }
        nlr_pop();
    } else {
        raised = nlr.ret_val;       // Ctrl-C inside a stream's ioctl
    }
    umqtt_lock(self, &guard);
    self->waiters--;
    umqtt_unlock(&guard);
    if (raised != NULL) {
        nlr_jump(raised);
    }
    #else
    umqtt_unlock(&guard);           // no other thread counts waiters
    if (wait > 0) {
        umqtt_io_wait(self, stream, fd, false, wait);
    }
    #endif
    mp_handle_pending(true);
}

void umqtt_wait(umqtt_client_obj_t *self, uint32_t deadline) {
    wait_until(self, deadline, false);
}

// After a command was written, before the first pass that looks for its
// acknowledgement: on a plain socket (no TLS, whose records the descriptor
// does not show) with nothing buffered, anything to read can only come
// through the descriptor, so wait until it is readable (at once if it is
// already) instead of a pass whose read finds nothing. Else nothing.
#if MICROPY_PY_UMQTT_NET
void umqtt_wait_written(umqtt_client_obj_t *self, uint32_t deadline) {
    wait_until(self, deadline, true);
}
#endif

#endif // MICROPY_PY_UMQTT
