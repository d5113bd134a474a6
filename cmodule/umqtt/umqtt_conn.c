// The connection of an MQTTClient: the client mutex, pumping bytes between the
// transport and the Rust core, waiting for acknowledgements, and re-establishing
// a lost connection (reconn=True). Every MQTT decision is the core's
// (umqtt_core.h): this file hands it bytes and the time, writes what it
// returns, and calls back Python only once Rust has returned and the mutex is
// free.

#include <string.h>

#include "py/runtime.h"
#include "py/stream.h"
#include "py/mphal.h"
#include "py/mperrno.h"
#include "py/objstr.h"

#if MICROPY_PY_UMQTT

#include "umqtt.h"

// Longest sleep between looks at Ctrl-C and keep-alive; shorter while another
// thread is reading the same connection and may consume what we wait for.
#define WAIT_SLICE_MS (100)
#define SHARED_WAIT_SLICE_MS (2)
// Reconnect back-off: the first retry within a second, doubling up to the cap.
#define RECONNECT_BASE_MS (1000)
#define RECONNECT_CAP_MS (30000)

#define CORE(self) ((void *)(self)->core)

// ---------------------------------------------------------------------------
// Errors: collected while the mutex is held, raised once it is free.

static mp_obj_t new_mqtt_exception(mp_int_t code, const char *text) {
    mp_obj_t args[2];
    size_t n = 0;
    if (code >= 0) {
        args[n++] = MP_OBJ_NEW_SMALL_INT(code);
    }
    args[n++] = mp_obj_new_str(text, strlen(text));
    return mp_obj_new_exception_args(&mp_type_MQTTException, n, args);
}

NORETURN void umqtt_raise_code(mp_int_t code, const char *text) {
    nlr_raise(new_mqtt_exception(code, text));
}

static mp_obj_t status_exception(UmqttStatus status) {
    const char *text = umqtt_core_strerror(status);
    switch (status) {
        case UMQTT_STATUS_BAD_ARGUMENT:
        case UMQTT_STATUS_INVALID_TOPIC:
        case UMQTT_STATUS_PACKET_TOO_LARGE:
            return mp_obj_new_exception_arg1(&mp_type_ValueError, mp_obj_new_str(text, strlen(text)));
        default:
            return new_mqtt_exception(-1, text);
    }
}

NORETURN void umqtt_raise_status(UmqttStatus status) {
    nlr_raise(status_exception(status));
}

NORETURN void umqtt_raise_not_connected(void) {
    umqtt_raise_code(-1, "not connected");
}

static mp_obj_t err_exception(const umqtt_err_t *err) {
    switch (err->kind) {
        case UMQTT_ERR_OS:
            return mp_obj_new_exception_arg1(&mp_type_OSError, MP_OBJ_NEW_SMALL_INT(err->code));
        case UMQTT_ERR_MQTT:
            return new_mqtt_exception(err->code, err->text);
        case UMQTT_ERR_STATUS:
            return status_exception((UmqttStatus)err->code);
        default:
            return new_mqtt_exception(-1, "not connected");
    }
}

// Tell error_register_cb, if any; its own exceptions are printed, not raised.
void umqtt_notify(umqtt_client_obj_t *self, mp_obj_t text) {
    if (self->err_cb != mp_const_none) {
        mp_call_function_1_protected(self->err_cb, text);
    }
}

// Raise a failure; with reconn=False its text goes to error_register_cb too.
NORETURN static void raise_err(umqtt_client_obj_t *self, const umqtt_err_t *err) {
    mp_obj_t exc = err_exception(err);
    if (!self->reconn) {
        umqtt_notify(self, mp_obj_str_make_new(&mp_type_str, 1, 0, &exc));
    }
    nlr_raise(exc);
}

// ---------------------------------------------------------------------------
// The client mutex. A jump callback releases it if anything raises (memory
// error, Ctrl-C inside a stream call) while it is held.

static void guard_release(void *ctx) {
    #if MICROPY_PY_THREAD
    umqtt_guard_t *guard = ctx;
    mp_thread_mutex_unlock(&guard->self->mutex);
    #else
    (void)ctx;
    #endif
}

void umqtt_lock(umqtt_client_obj_t *self, umqtt_guard_t *guard) {
    #if MICROPY_PY_THREAD
    MP_THREAD_GIL_EXIT();
    mp_thread_mutex_lock(&self->mutex, 1);
    MP_THREAD_GIL_ENTER();
    #endif
    guard->self = self;
    nlr_push_jump_callback(&guard->node, guard_release);
}

void umqtt_unlock(umqtt_guard_t *guard) {
    (void)guard;
    nlr_pop_jump_callback(true);
}

static mp_uint_t thread_id(void) {
    #if MICROPY_PY_THREAD
    return mp_thread_get_id();
    #else
    return 0;
    #endif
}

// ---------------------------------------------------------------------------
// Helpers run with the mutex held.

uint32_t umqtt_now_ms(void) {
    return (uint32_t)mp_hal_ticks_ms();
}

void umqtt_connection_lost(umqtt_client_obj_t *self, int8_t sta) {
    umqtt_core_connection_lost(CORE(self));
    umqtt_io_close(self);
    self->sta = sta;
}

// Grow the transmit buffer to hold `len` bytes (it never shrinks, so steady
// state publishing allocates nothing).
static void tx_reserve(umqtt_client_obj_t *self, size_t len) {
    if (len > self->tx_cap) {
        self->tx_buf = m_renew(uint8_t, self->tx_buf, self->tx_cap, len);
        self->tx_cap = len;
    }
}

// Make room for a packet of `need` bytes starting at rx_start.
static bool rx_reserve(umqtt_client_obj_t *self, size_t need) {
    if (need > self->max_packet) {
        return false;
    }
    if (self->rx_start > 0 && self->rx_cap - self->rx_start < need) {
        size_t avail = self->rx_end - self->rx_start;
        memmove(self->rx_buf, self->rx_buf + self->rx_start, avail);
        self->rx_start = 0;
        self->rx_end = avail;
    }
    if (need > self->rx_cap) {
        size_t cap = self->rx_cap * 2;
        cap = cap < need ? need : cap;
        cap = cap > self->max_packet ? self->max_packet : cap;
        self->rx_buf = m_renew(uint8_t, self->rx_buf, self->rx_cap, cap);
        self->rx_cap = cap;
    }
    return true;
}

static void set_err(umqtt_err_t *err, umqtt_err_kind_t kind, int code, const char *text) {
    err->kind = kind;
    err->code = code;
    err->text = text;
}

static bool write_packet(umqtt_client_obj_t *self, const uint8_t *buf, size_t len, umqtt_err_t *err) {
    int e = umqtt_io_write_all(self, buf, len, umqtt_now_ms() + self->timeout_ms);
    if (e != 0) {
        umqtt_connection_lost(self, UMQTT_STA_CLOSED);
        set_err(err, UMQTT_ERR_OS, e, NULL);
        return false;
    }
    return true;
}

// A bytes object for a received payload. Its hash is left to be computed on
// demand (0 means "not yet" to MicroPython), not over every byte of every
// message as mp_obj_new_bytes does.
static mp_obj_t new_payload_bytes(const uint8_t *data, size_t len) {
    mp_obj_str_t *o = mp_obj_malloc(mp_obj_str_t, &mp_type_bytes);
    byte *p = m_new(byte, len + 1);
    memcpy(p, data, len);
    p[len] = '\0';
    o->len = len;
    o->hash = 0;
    o->data = p;
    return MP_OBJ_FROM_PTR(o);
}

// What one packet asks of us once the mutex is free.
typedef struct {
    mp_obj_t topic;             // MESSAGE to hand to the callback, else NULL
    mp_obj_t msg;
    uint8_t reply[UMQTT_ACK_MAX];
    size_t reply_len;
} client_packet_t;

// Take at most one packet from the buffer or the transport, without
// blocking; with leave_messages, stop before a PUBLISH (the background
// keep-alive leaves messages to the application's own calls). Returns 1 (packet in *pkt), 0 (nothing yet) or -1 (*err set,
// connection dropped).
static int take_packet(umqtt_client_obj_t *self, client_packet_t *pkt, umqtt_err_t *err, bool leave_messages) {
    for (;;) {
        size_t avail = self->rx_end - self->rx_start;
        if (avail == 0) {
            self->rx_start = self->rx_end = 0;
        } else if (leave_messages && umqtt_core_next_is_message(self->rx_buf + self->rx_start, avail)) {
            return 0;
        } else {
            UmqttEvent ev;
            size_t consumed = 0;
            UmqttStatus st = umqtt_core_handle_rx(CORE(self), self->rx_buf + self->rx_start, avail,
                umqtt_now_ms(), &consumed, &ev);
            if (st == UMQTT_STATUS_OK) {
                pkt->topic = MP_OBJ_NULL;
                if (ev.kind == UMQTT_EVENT_KIND_MESSAGE && ev.deliver) {
                    pkt->topic = mp_obj_new_bytes(ev.topic, ev.topic_len);
                    pkt->msg = new_payload_bytes(ev.payload, ev.payload_len);
                } else if (ev.kind == UMQTT_EVENT_KIND_CONNACK) {
                    self->session_present = ev.session_present;
                }
                pkt->reply_len = ev.reply_len;
                memcpy(pkt->reply, ev.reply, ev.reply_len);
                self->rx_start += consumed;
                return 1;
            }
            if (st == UMQTT_STATUS_CONNECTION_REFUSED) {
                umqtt_connection_lost(self, UMQTT_STA_CLOSED);
                set_err(err, UMQTT_ERR_MQTT, ev.code, umqtt_core_connack_text(ev.code));
                return -1;
            }
            if (st != UMQTT_STATUS_NEED_MORE) {
                umqtt_connection_lost(self, UMQTT_STA_CLOSED);
                set_err(err, UMQTT_ERR_STATUS, st, NULL);
                return -1;
            }
            if (!rx_reserve(self, ev.need)) {
                umqtt_connection_lost(self, UMQTT_STA_CLOSED);
                set_err(err, UMQTT_ERR_MQTT, -1, "packet from broker exceeds max_packet");
                return -1;
            }
        }
        if (self->rx_end == self->rx_cap) {
            rx_reserve(self, self->rx_cap);     // compacts
        }
        int e = 0;
        mp_int_t n = umqtt_io_read_some(self, self->rx_buf + self->rx_end, self->rx_cap - self->rx_end, &e);
        if (n > 0) {
            self->rx_end += n;
            continue;
        }
        if (n < 0 && mp_is_nonblocking_error(e)) {
            return 0;
        }
        umqtt_connection_lost(self, n == 0 ? UMQTT_STA_SERVER_CLOSED : UMQTT_STA_CLOSED);
        set_err(err, UMQTT_ERR_OS, n == 0 ? MP_ECONNRESET : e, NULL);
        return -1;
    }
}

// Send a due PINGREQ; notice a PINGRESP that never came. Shortens *wait_ms to
// the next keep-alive deadline.
static bool run_timers(umqtt_client_obj_t *self, uint32_t *wait_ms, umqtt_err_t *err) {
    uint8_t ping[2];
    size_t len = 0;
    uint32_t next = UINT32_MAX;
    UmqttStatus st = umqtt_core_poll_timers(CORE(self), umqtt_now_ms(), ping, sizeof(ping), &len, &next);
    if (st == UMQTT_STATUS_KEEPALIVE_TIMEOUT) {
        umqtt_connection_lost(self, UMQTT_STA_CLOSED);
        set_err(err, UMQTT_ERR_STATUS, st, NULL);
        return false;
    }
    if (st == UMQTT_STATUS_OK && len > 0 && !write_packet(self, ping, len, err)) {
        return false;
    }
    if (next < *wait_ms) {
        *wait_ms = next;
    }
    return true;
}

// ---------------------------------------------------------------------------
// In-flight slots: the objects of each unacknowledged QoS 1/2 publish.

static umqtt_slot_t *slot_find(umqtt_client_obj_t *self, uint32_t ticket) {
    for (size_t i = 0; i < MP_ARRAY_SIZE(self->slots); ++i) {
        if (self->slots[i].ticket == ticket && ticket != 0) {
            return &self->slots[i];
        }
    }
    return NULL;
}

static void slot_free(umqtt_slot_t *slot) {
    if (slot != NULL) {
        slot->ticket = 0;
        slot->topic = MP_OBJ_NULL;
        slot->msg = MP_OBJ_NULL;
        slot->waiting = false;
    }
}

// Remember a new in-flight publish. Slots whose publish() gave up waiting are
// reclaimed once the core has finished with their message.
void umqtt_slot_put(umqtt_client_obj_t *self, uint32_t ticket, mp_obj_t topic, mp_obj_t msg, bool retain) {
    umqtt_slot_t *free_slot = NULL;
    for (size_t i = 0; i < MP_ARRAY_SIZE(self->slots) && free_slot == NULL; ++i) {
        umqtt_slot_t *slot = &self->slots[i];
        if (slot->ticket != 0 && !slot->waiting) {
            uint8_t code;
            if (umqtt_core_ticket_result(CORE(self), slot->ticket, &code) != UMQTT_STATUS_PENDING) {
                slot_free(slot);
            }
        }
        if (slot->ticket == 0) {
            free_slot = slot;
        }
    }
    if (free_slot != NULL) {
        free_slot->ticket = ticket;
        free_slot->topic = topic;
        free_slot->msg = msg;
        free_slot->retain = retain;
        free_slot->waiting = true;
    }
}

// ---------------------------------------------------------------------------
// Steps, run without the mutex held across any wait or callback.

static bool is_reconnect_owner(umqtt_client_obj_t *self) {
    return self->in_reconnect && self->reconnect_owner == thread_id();
}

static bool other_thread_reconnecting(umqtt_client_obj_t *self) {
    return self->in_reconnect && self->reconnect_owner != thread_id();
}

static bool can_reconnect(umqtt_client_obj_t *self) {
    return self->reconn && self->auto_reconnect && !is_reconnect_owner(self);
}

// After a lost connection: reconnect if the client may (or let the thread
// already doing so finish), else raise. Returns once the caller may go on.
static void recover_or_raise(umqtt_client_obj_t *self, const umqtt_err_t *err) {
    if (other_thread_reconnecting(self)) {
        mp_hal_delay_ms(20);
        return;
    }
    if (can_reconnect(self)) {
        if (mp_obj_is_true(self->debug) && err != NULL && err->kind != UMQTT_ERR_NONE) {
            // DEBUG, as umqtt.robust has it: say why before reconnecting.
            mp_printf(&mp_plat_print, "umqtt: connection lost (");
            mp_obj_print_helper(&mp_plat_print, err_exception(err), PRINT_REPR);
            mp_printf(&mp_plat_print, "), reconnecting\n");
        }
        umqtt_reconnect(self);
        return;
    }
    if (err == NULL || err->kind == UMQTT_ERR_NONE) {
        umqtt_raise_not_connected();
    }
    raise_err(self, err);
}

// Run the callback for a message, then send the acknowledgement the core
// asked for, even when the callback raised (the message was delivered).
static void finish_packet(umqtt_client_obj_t *self, client_packet_t *pkt) {
    mp_obj_t exc = MP_OBJ_NULL;
    if (pkt->topic != MP_OBJ_NULL && self->msg_cb != mp_const_none) {
        nlr_buf_t nlr;
        if (nlr_push(&nlr) == 0) {
            mp_call_function_2(self->msg_cb, pkt->topic, pkt->msg);
            nlr_pop();
        } else {
            exc = MP_OBJ_FROM_PTR(nlr.ret_val);
        }
    }
    if (pkt->reply_len > 0) {
        umqtt_err_t err = { UMQTT_ERR_NONE, 0, NULL };
        umqtt_guard_t guard;
        umqtt_lock(self, &guard);
        // Lost meanwhile: the broker sends the message again after a reconnect.
        if (self->stream != MP_OBJ_NULL) {
            write_packet(self, pkt->reply, pkt->reply_len, &err);
        }
        umqtt_unlock(&guard);
    }
    if (exc != MP_OBJ_NULL) {
        nlr_jump(MP_OBJ_TO_PTR(exc));
    }
}

// Handle at most one packet, waiting up to wait_ms for one to arrive.
// Returns UMQTT_STEP_PACKET, UMQTT_STEP_IDLE or UMQTT_STEP_RECOVERED.
int umqtt_step(umqtt_client_obj_t *self, uint32_t wait_ms) {
    if (other_thread_reconnecting(self)) {
        mp_hal_delay_ms(wait_ms < 20 ? wait_ms : 20);
        return UMQTT_STEP_IDLE;
    }
    client_packet_t pkt;
    umqtt_err_t err = { UMQTT_ERR_NONE, 0, NULL };
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    // Bytes that arrived while nobody was looking (a PINGRESP among them)
    // are handled before the keep-alive deadlines are judged.
    int got = -1;
    if (self->stream != MP_OBJ_NULL) {
        got = take_packet(self, &pkt, &err, false);
        if (got == 0 && !run_timers(self, &wait_ms, &err)) {
            got = -1;
        }
    }
    bool shared = self->waiters > 0;
    int fd_wait = got == 0;
    if (fd_wait) {
        self->waiters++;
    }
    umqtt_unlock(&guard);
    if (got < 0) {
        recover_or_raise(self, &err);
        return UMQTT_STEP_RECOVERED;
    }
    if (got > 0) {
        finish_packet(self, &pkt);
        return UMQTT_STEP_PACKET;
    }
    if (shared && wait_ms > SHARED_WAIT_SLICE_MS) {
        wait_ms = SHARED_WAIT_SLICE_MS;
    }
    umqtt_io_wait(self, false, wait_ms);
    umqtt_lock(self, &guard);
    self->waiters--;
    umqtt_unlock(&guard);
    mp_handle_pending(true);        // Ctrl-C: no Rust frame below, no lock held
    return UMQTT_STEP_IDLE;
}

uint32_t umqtt_slice_until(uint32_t deadline) {
    int32_t left = (int32_t)(deadline - umqtt_now_ms());
    if (left <= 0) {
        return 0;
    }
    return left < WAIT_SLICE_MS ? (uint32_t)left : WAIT_SLICE_MS;
}

// Wait for the acknowledgement of `ticket` until `deadline`. Returns OK (with
// *code, the SUBACK code) or UNKNOWN_TICKET (the connection or session that
// carried it is gone); raises OSError(ETIMEDOUT) at the deadline.
UmqttStatus umqtt_wait_ticket(umqtt_client_obj_t *self, uint32_t ticket, uint32_t deadline, uint8_t *code) {
    for (;;) {
        umqtt_guard_t guard;
        umqtt_lock(self, &guard);
        UmqttStatus st = umqtt_core_ticket_result(CORE(self), ticket, code);
        bool expired = st == UMQTT_STATUS_PENDING && umqtt_deadline_passed(deadline);
        if (expired && slot_find(self, ticket) == NULL) {
            // A SUBSCRIBE/UNSUBSCRIBE given up on; a publish stays in flight.
            umqtt_core_forget(CORE(self), ticket);
        }
        umqtt_unlock(&guard);
        if (st != UMQTT_STATUS_PENDING) {
            return st;
        }
        if (expired) {
            mp_raise_OSError(MP_ETIMEDOUT);
        }
        umqtt_step(self, umqtt_slice_until(deadline));
    }
}

// Encode into the transmit buffer (growing it if the core asks) and write,
// all under the mutex. Returns the core's status; *sent is false when the
// write failed (connection dropped, *err set).
static UmqttStatus try_send(umqtt_client_obj_t *self, umqtt_encode_fn_t encode, const void *args,
    uint32_t *ticket, bool *sent, umqtt_err_t *err) {
    size_t len = 0;
    *ticket = 0;
    *sent = false;
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    UmqttStatus st = UMQTT_STATUS_NOT_CONNECTED;
    if (self->stream != MP_OBJ_NULL) {
        st = encode(self, args, &len, ticket);
        if (st == UMQTT_STATUS_BUFFER_TOO_SMALL) {
            tx_reserve(self, len);
            st = encode(self, args, &len, ticket);
        }
        *sent = st == UMQTT_STATUS_OK && write_packet(self, self->tx_buf, len, err);
    }
    umqtt_unlock(&guard);
    return st;
}

// Wait while another thread reconnects; reconnect ourselves if the client
// may; raise if it is not connected and may not.
void umqtt_ensure_connected(umqtt_client_obj_t *self) {
    for (;;) {
        if (other_thread_reconnecting(self)) {
            mp_hal_delay_ms(20);
            continue;
        }
        if (self->stream != MP_OBJ_NULL && umqtt_core_state(CORE(self)) == UMQTT_CONN_STATE_CONNECTED) {
            return;
        }
        if (!can_reconnect(self)) {
            umqtt_raise_not_connected();
        }
        umqtt_reconnect(self);
    }
}

// Send a packet on an established connection. A connection lost on the way
// is re-established when the client may, and the packet sent again, unless
// the reconnect already re-sent it (an in-flight QoS 1/2 publish, `resent`).
uint32_t umqtt_send(umqtt_client_obj_t *self, umqtt_encode_fn_t encode, const void *args, bool resent) {
    for (;;) {
        umqtt_ensure_connected(self);
        umqtt_err_t err = { UMQTT_ERR_NONE, 0, NULL };
        uint32_t ticket;
        bool sent;
        UmqttStatus st = try_send(self, encode, args, &ticket, &sent, &err);
        if (st == UMQTT_STATUS_NOT_CONNECTED) {
            continue;       // lost between the check and the lock
        }
        if (st != UMQTT_STATUS_OK) {
            umqtt_raise_status(st);
        }
        if (sent) {
            return ticket;
        }
        recover_or_raise(self, &err);
        if (resent && ticket != 0) {
            return ticket;
        }
    }
}

// Send a packet and raise on any failure: for the connection being set up.
static uint32_t send_or_raise(umqtt_client_obj_t *self, umqtt_encode_fn_t encode, const void *args) {
    umqtt_err_t err = { UMQTT_ERR_NONE, 0, NULL };
    uint32_t ticket;
    bool sent;
    UmqttStatus st = try_send(self, encode, args, &ticket, &sent, &err);
    if (st != UMQTT_STATUS_OK) {
        umqtt_raise_status(st);
    }
    if (!sent) {
        nlr_raise(err_exception(&err));
    }
    return ticket;
}

// ---------------------------------------------------------------------------
// Establishing a session: connect() and the automatic reconnect.

static UmqttBytes bytes_of(mp_obj_t obj) {
    UmqttBytes b = { NULL, 0 };
    if (obj != MP_OBJ_NULL && obj != mp_const_none) {
        size_t len;
        b.ptr = (const uint8_t *)mp_obj_str_get_data(obj, &len);
        b.len = len;
    }
    return b;
}

static UmqttStatus encode_connect(umqtt_client_obj_t *self, const void *args, size_t *len, uint32_t *ticket) {
    (void)ticket;
    return umqtt_core_connect(CORE(self), args, umqtt_now_ms(), self->tx_buf, self->tx_cap, len);
}

// SUBSCRIBE for one filter (umqtt_filter_args_t): subscribe() and the re-subscribe after a reconnect.
UmqttStatus umqtt_encode_subscribe(umqtt_client_obj_t *self, const void *args, size_t *len, uint32_t *ticket) {
    const umqtt_filter_args_t *s = args;
    return umqtt_core_subscribe(CORE(self), s->filter, s->len, s->qos, umqtt_now_ms(),
        self->tx_buf, self->tx_cap, len, ticket);
}

static UmqttStatus encode_resend(umqtt_client_obj_t *self, const void *args, size_t *len, uint32_t *ticket) {
    const umqtt_slot_t *slot = args;
    size_t topic_len, msg_len;
    const uint8_t *topic = (const uint8_t *)mp_obj_str_get_data(slot->topic, &topic_len);
    mp_buffer_info_t msg;
    mp_get_buffer_raise(slot->msg, &msg, MP_BUFFER_READ);
    msg_len = msg.len;
    *ticket = slot->ticket;
    return umqtt_core_encode_resend(CORE(self), slot->ticket, topic, topic_len, msg.buf, msg_len,
        slot->retain, umqtt_now_ms(), self->tx_buf, self->tx_cap, len);
}

static UmqttStatus encode_pubrel(umqtt_client_obj_t *self, const void *args, size_t *len, uint32_t *ticket) {
    const UmqttResendItem *item = args;
    (void)ticket;
    if (self->tx_cap < sizeof(item->pubrel)) {
        *len = sizeof(item->pubrel);
        return UMQTT_STATUS_BUFFER_TOO_SMALL;
    }
    memcpy(self->tx_buf, item->pubrel, sizeof(item->pubrel));
    *len = sizeof(item->pubrel);
    return UMQTT_STATUS_OK;
}

// Open the transport, send CONNECT and wait for the CONNACK. Raises on any
// failure, leaving the transport closed.
static void open_session(umqtt_client_obj_t *self) {
    umqtt_io_open(self);
    UmqttConnectOptions opts = {
        .client_id = bytes_of(self->client_id),
        .user = bytes_of(self->user),
        .password = bytes_of(self->password),
        .will_topic = bytes_of(self->will_topic),
        .will_payload = bytes_of(self->will_msg),
        .will_qos = self->will_qos,
        .will_retain = self->will_retain,
        .clean_session = self->clean_session,
        .keepalive_s = self->keepalive,
        .protocol_level = self->version,
        .ping_max_missed = self->pingmaxnum,
    };
    static const uint8_t empty = 0;
    if (opts.will_topic.ptr != NULL && opts.will_payload.ptr == NULL) {
        opts.will_payload.ptr = &empty;
    }
    send_or_raise(self, encode_connect, &opts);
    uint32_t deadline = umqtt_now_ms() + self->timeout_ms;
    while (umqtt_core_state(CORE(self)) != UMQTT_CONN_STATE_CONNECTED) {
        if (umqtt_deadline_passed(deadline)) {
            mp_raise_OSError(MP_ETIMEDOUT);
        }
        umqtt_step(self, umqtt_slice_until(deadline));
    }
}

// On a new connection, before anything else is sent: re-send every in-flight
// message in its original order (MQTT 3.1.1 section 4.4), then subscribe
// again when the broker kept no session.
static void resume_session(umqtt_client_obj_t *self) {
    UmqttResendItem item;
    for (size_t idx = 0; umqtt_core_resend_item(CORE(self), idx, &item) == UMQTT_STATUS_OK; ++idx) {
        if (item.kind == UMQTT_RESEND_KIND_PUBREL) {
            send_or_raise(self, encode_pubrel, &item);
        } else {
            umqtt_slot_t *slot = slot_find(self, item.ticket);
            if (slot != NULL) {
                send_or_raise(self, encode_resend, slot);
            }
        }
    }
    if (self->session_present || self->subs == MP_OBJ_NULL) {
        return;
    }
    mp_map_t *map = mp_obj_dict_get_map(self->subs);
    for (size_t i = 0; i < map->alloc; ++i) {
        if (!mp_map_slot_is_filled(map, i)) {
            continue;
        }
        umqtt_filter_args_t s;
        s.filter = (const uint8_t *)mp_obj_str_get_data(map->table[i].key, &s.len);
        s.qos = (uint8_t)mp_obj_get_int(map->table[i].value);
        uint8_t code;
        uint32_t ticket = send_or_raise(self, umqtt_encode_subscribe, &s);
        if (umqtt_wait_ticket(self, ticket, umqtt_now_ms() + self->timeout_ms, &code) != UMQTT_STATUS_OK) {
            umqtt_raise_not_connected();
        }
    }
}

#if MICROPY_PY_THREAD
static void start_keepalive_thread(umqtt_client_obj_t *self);
#endif

// connect(): one attempt, errors raised to the caller.
void umqtt_connect(umqtt_client_obj_t *self) {
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    self->auto_reconnect = false;
    if (self->stream != MP_OBJ_NULL) {
        umqtt_connection_lost(self, UMQTT_STA_CLOSED);
    }
    self->sta = UMQTT_STA_CONNECTING;
    umqtt_unlock(&guard);
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        open_session(self);
        resume_session(self);
        nlr_pop();
    } else {
        umqtt_lock(self, &guard);
        if (self->stream != MP_OBJ_NULL) {
            umqtt_connection_lost(self, UMQTT_STA_CLOSED);
        }
        self->sta = UMQTT_STA_CLOSED;
        umqtt_unlock(&guard);
        mp_obj_t exc = MP_OBJ_FROM_PTR(nlr.ret_val);
        if (!self->reconn) {
            umqtt_notify(self, mp_obj_str_make_new(&mp_type_str, 1, 0, &exc));
        }
        nlr_jump(nlr.ret_val);
    }
    self->sta = UMQTT_STA_CONNECTED;
    self->auto_reconnect = true;
    #if MICROPY_PY_THREAD
    if (self->keepalive > 0) {
        start_keepalive_thread(self);
    }
    #endif
}

static uint32_t next_random(umqtt_client_obj_t *self) {
    uint32_t x = self->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    self->rng = x;
    return x;
}

// Become the reconnecting thread, unless another thread is, or already
// has: a thread that saw the old connection fail may come here after another
// one re-established it.
static bool claim_reconnect(umqtt_client_obj_t *self) {
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    bool connected = self->stream != MP_OBJ_NULL && umqtt_core_state(CORE(self)) == UMQTT_CONN_STATE_CONNECTED;
    bool mine = !self->in_reconnect && !connected;
    if (mine) {
        self->in_reconnect = true;
        self->reconnect_owner = thread_id();
    }
    umqtt_unlock(&guard);
    return mine;
}

static void release_reconnect(umqtt_client_obj_t *self) {
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    self->in_reconnect = false;
    if (self->stream == MP_OBJ_NULL && self->sta == UMQTT_STA_CONNECTING) {
        self->sta = UMQTT_STA_CLOSED;
    }
    umqtt_unlock(&guard);
}

// One reconnect attempt. Exceptions (refused, unreachable, timed out) make it
// fail; KeyboardInterrupt and SystemExit go on up.
static bool try_reconnect(umqtt_client_obj_t *self) {
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        open_session(self);
        resume_session(self);
        nlr_pop();
        return true;
    }
    mp_obj_t exc = MP_OBJ_FROM_PTR(nlr.ret_val);
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    if (self->stream != MP_OBJ_NULL) {
        umqtt_connection_lost(self, UMQTT_STA_CONNECTING);
    }
    self->sta = UMQTT_STA_CONNECTING;
    umqtt_unlock(&guard);
    if (!mp_obj_is_subclass_fast(MP_OBJ_FROM_PTR(mp_obj_get_type(exc)), MP_OBJ_FROM_PTR(&mp_type_Exception))) {
        nlr_jump(nlr.ret_val);
    }
    return false;
}

// Re-establish a lost connection with back-off, until it succeeds or the
// application calls disconnect()/close(). Tells error_register_cb
// "reconnect_start" and "reconnect_success", as QuecPython's client does.
void umqtt_reconnect(umqtt_client_obj_t *self) {
    if (!claim_reconnect(self)) {
        return;
    }
    self->sta = UMQTT_STA_CONNECTING;
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        umqtt_notify(self, MP_OBJ_NEW_QSTR(MP_QSTR_reconnect_start));
        for (uint32_t attempt = 0;; ++attempt) {
            mp_hal_delay_ms(umqtt_core_backoff_ms(attempt, RECONNECT_BASE_MS, RECONNECT_CAP_MS, next_random(self)));
            if (!self->auto_reconnect) {
                umqtt_raise_not_connected();
            }
            if (try_reconnect(self)) {
                break;
            }
        }
        nlr_pop();
    } else {
        release_reconnect(self);
        nlr_jump(nlr.ret_val);
    }
    self->sta = UMQTT_STA_CONNECTED;
    release_reconnect(self);
    umqtt_notify(self, MP_OBJ_NEW_QSTR(MP_QSTR_reconnect_success));
}

// ---------------------------------------------------------------------------
// Background keep-alive (ports with threads, keepalive > 0): while no thread
// of the application is waiting on the connection, a thread of ours sends the
// PINGREQ that falls due and handles what arrives except messages (PINGRESP,
// acknowledgements, PUBREL), so an idle application keeps its connection and
// a dead broker is noticed. Messages stay for wait_msg()/check_msg(), so
// callbacks still run in the application's threads.

#if MICROPY_PY_THREAD

#define KEEPALIVE_TICK_MS (200)

static void keepalive_tick(umqtt_client_obj_t *self) {
    umqtt_err_t err = { UMQTT_ERR_NONE, 0, NULL };
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    int got = 0;
    if (self->stream != MP_OBJ_NULL && self->waiters == 0 && !self->in_reconnect
        && umqtt_core_state(CORE(self)) == UMQTT_CONN_STATE_CONNECTED) {
        client_packet_t pkt;
        while ((got = take_packet(self, &pkt, &err, true)) > 0) {
            if (pkt.reply_len > 0 && !write_packet(self, pkt.reply, pkt.reply_len, &err)) {
                got = -1;
                break;
            }
        }
        // A message waiting for the application is proof of life: judge the
        // keep-alive deadlines only when everything received was handled.
        uint32_t wait = UINT32_MAX;
        if (got == 0 && self->rx_end == self->rx_start && !run_timers(self, &wait, &err)) {
            got = -1;
        }
    }
    umqtt_unlock(&guard);
    if (got < 0 && !self->reconn) {
        mp_obj_t exc = err_exception(&err);
        umqtt_notify(self, mp_obj_str_make_new(&mp_type_str, 1, 0, &exc));
    }
    // With reconn=True the application's next call reconnects.
}

static mp_obj_t keepalive_loop(mp_obj_t self_in, mp_obj_t gen_in) {
    umqtt_client_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_uint_t gen = mp_obj_get_int(gen_in);
    while (self->keepalive_gen == gen && self->auto_reconnect) {
        mp_hal_delay_ms(KEEPALIVE_TICK_MS);
        nlr_buf_t nlr;
        if (nlr_push(&nlr) == 0) {
            if (self->keepalive_gen == gen && self->auto_reconnect) {
                keepalive_tick(self);
            }
            nlr_pop();
        } else {
            break;      // nothing to report to: stop quietly
        }
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(keepalive_loop_obj, keepalive_loop);

static void start_keepalive_thread(umqtt_client_obj_t *self) {
    mp_obj_t thread = mp_import_name(MP_QSTR__thread, mp_const_none, MP_OBJ_NEW_SMALL_INT(0));
    mp_obj_t args[2] = { MP_OBJ_FROM_PTR(self), MP_OBJ_NEW_SMALL_INT(++self->keepalive_gen) };
    mp_obj_t call[2] = { MP_OBJ_FROM_PTR(&keepalive_loop_obj), mp_obj_new_tuple(2, args) };
    mp_call_function_n_kw(mp_load_attr(thread, MP_QSTR_start_new_thread), 2, 0, call);
}

#endif

// Wait for the acknowledgement of a QoS 1/2 publish until `deadline`.
// Returns false when the message was lost with a cleared session (a reconnect
// with clean_session=True), so the caller can publish it again. At the
// deadline it raises; the message stays in flight and is re-sent after a
// reconnect.
bool umqtt_wait_publish(umqtt_client_obj_t *self, uint32_t ticket, uint32_t deadline) {
    uint8_t code;
    UmqttStatus st = UMQTT_STATUS_UNKNOWN_TICKET;
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        st = umqtt_wait_ticket(self, ticket, deadline, &code);
        nlr_pop();
    } else {
        umqtt_guard_t guard;
        umqtt_lock(self, &guard);
        umqtt_slot_t *slot = slot_find(self, ticket);
        if (slot != NULL) {
            slot->waiting = false;
        }
        umqtt_unlock(&guard);
        nlr_jump(nlr.ret_val);
    }
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    slot_free(slot_find(self, ticket));
    umqtt_unlock(&guard);
    return st == UMQTT_STATUS_OK;
}

#endif // MICROPY_PY_UMQTT
