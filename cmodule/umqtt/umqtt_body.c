// A received PUBLISH whose payload goes from the transport straight to where
// the application wants it, instead of through a receive buffer the size of
// the packet (mutex held throughout):
//   - into the bytes object the callback gets: one copy, and the receive
//     buffer stays at its size at rest;
//   - into the application's own buffer a chunk at a time
//     (set_chunk_callback), so a message larger than the heap arrives
//     (left out of a firmware built with MICROPY_PY_UMQTT_CHUNKS=0);
//   - nowhere, for a QoS 2 duplicate the driver has answered already.
// The driver decided what the message is from its head (handle_rx_head) and
// holds it; it counts it delivered only when accepted here, once the payload
// is held (for chunks: once the last one is in the buffer).

#include <string.h>

#include "py/runtime.h"
#include "py/objstr.h"
#include "umqtt_config.h"

#if MICROPY_PY_UMQTT

#include "umqtt.h"

void umqtt_body_clear(umqtt_client_obj_t *self) {
    memset(&self->body, 0, sizeof(self->body));
}

// The chunk buffer, or NULL when the application took it away.
static uint8_t *chunk_buffer(umqtt_client_obj_t *self, size_t *len) {
    mp_buffer_info_t info;
    if (self->chunk_buf == MP_OBJ_NULL || !mp_get_buffer(self->chunk_buf, &info, MP_BUFFER_WRITE)) {
        *len = 0;
        return NULL;
    }
    *len = info.len;
    return info.buf;
}

// The chunk buffer a message is being read into, or NULL when the
// application took it away (or gave a smaller one) in the middle: the rest
// of the payload has nowhere to go, so the connection drops as for a packet
// too large, and the broker sends a QoS 1/2 message again.
static uint8_t *chunk_buffer_of_body(umqtt_client_obj_t *self, size_t *cap) {
    uint8_t *buf = chunk_buffer(self, cap);
    if (buf == NULL || self->chunk_cb == MP_OBJ_NULL || *cap == 0 || *cap < self->body.fill) {
        umqtt_transport_lost(self, UMQTT_STATUS_PACKET_TOO_LARGE);
        return NULL;
    }
    return buf;
}

// Messages longer than the chunk buffer go in chunks when the application
// asked for them; so do those longer than max_packet (which the driver takes
// only then), as no payload object grows past it: with the chunk buffer
// taken away, chunk_buffer_of_body drops the connection instead.
static bool wants_chunks(umqtt_client_obj_t *self, size_t payload_len, size_t packet_len) {
    size_t cap;
    if (!MICROPY_PY_UMQTT_CHUNKS || self->chunk_cb == MP_OBJ_NULL) {
        return false;
    }
    if (packet_len > self->max_packet) {
        return true;
    }
    return chunk_buffer(self, &cap) != NULL && cap > 0 && payload_len > cap;
}

// The head the driver handled (rx from umqtt_core_handle_rx_head: MESSAGE,
// or CONSUMED of a duplicate, with body_len payload bytes to come). Makes the
// objects first, so a MemoryError consumes nothing; then the head leaves the
// receive buffer. False when the objects could not be made (deliver false).
bool umqtt_body_begin(umqtt_client_obj_t *self, const UmqttRx *rx, bool deliver) {
    umqtt_body_t *b = &self->body;
    umqtt_body_clear(self);
    if (rx->kind == UMQTT_RX_KIND_MESSAGE) {
        bool chunks = wants_chunks(self, rx->body_len, rx->n + rx->body_len);
        // Without room on the heap: MemoryError in an application thread (the
        // message stays offered), left for later in the keep-alive thread.
        uint8_t *data;
        mp_obj_t payload = chunks ? mp_const_none : umqtt_new_payload(rx->body_len, deliver, &data);
        if (payload == MP_OBJ_NULL) {
            return false;
        }
        b->topic = UMQTT_MESSAGE_TOPIC(self, rx);
        b->payload = payload;
        if (chunks || self->msg_objects) {
            b->message = umqtt_message_new(rx, b->topic, payload);
        }
        b->mode = chunks ? UMQTT_BODY_CHUNKS : UMQTT_BODY_BYTES;
    } else {
        UMQTT_KEEP_ALIAS(self, rx);         // a QoS 2 duplicate may set an alias (MQTT 5)
        b->mode = UMQTT_BODY_SKIP;
    }
    b->len = rx->body_len;
    self->rx_start += rx->n;
    return true;
}

// Where the next bytes from the transport go: the rest of the payload
// object, or the room in the chunk buffer. NULL: read into the receive
// buffer as usual (no body, a duplicate's skipped bytes, a payload already
// whole).
uint8_t *umqtt_body_room(umqtt_client_obj_t *self, size_t *room) {
    umqtt_body_t *b = &self->body;
    size_t left = b->len - b->have;
    *room = 0;
    if (left == 0) {
        return NULL;
    }
    if (b->mode == UMQTT_BODY_BYTES) {
        *room = left;
        return (uint8_t *)((mp_obj_str_t *)MP_OBJ_TO_PTR(b->payload))->data + b->have;
    }
    if (!MICROPY_PY_UMQTT_CHUNKS || b->mode != UMQTT_BODY_CHUNKS) {
        return NULL;
    }
    size_t cap;
    uint8_t *buf = chunk_buffer(self, &cap);
    if (buf == NULL || self->chunk_lent || b->fill >= cap) {
        return NULL;
    }
    *room = cap - b->fill < left ? cap - b->fill : left;
    return buf + b->fill;
}

void umqtt_body_got(umqtt_client_obj_t *self, size_t n) {
    self->body.have += n;
    if (MICROPY_PY_UMQTT_CHUNKS && self->body.mode == UMQTT_BODY_CHUNKS) {
        self->body.fill += n;
    }
}

// What the receive buffer holds of the body (read with its head, or a
// duplicate's bytes read through it) moves into place.
static void take_buffered(umqtt_client_obj_t *self) {
    umqtt_body_t *b = &self->body;
    size_t avail = self->rx_end - self->rx_start;
    size_t n = b->len - b->have;
    n = n < avail ? n : avail;
    if (b->mode != UMQTT_BODY_SKIP) {
        size_t room;
        uint8_t *dst = umqtt_body_room(self, &room);
        n = dst == NULL ? 0 : (n < room ? n : room);
        if (n > 0) {
            memcpy(dst, self->rx_buf + self->rx_start, n);
        }
    }
    if (n > 0) {
        b->have += n;
        b->fill += MICROPY_PY_UMQTT_CHUNKS && b->mode == UMQTT_BODY_CHUNKS ? n : 0;
        self->rx_start += n;
    }
}

// The payload is held: the driver counts the message delivered, and the
// pass carries it to the callback.
static umqtt_body_step_t take_whole(umqtt_client_obj_t *self, umqtt_pass_t *pass) {
    umqtt_body_t *b = &self->body;
    size_t consumed;
    if (umqtt_accept_locked(self, &consumed)) {
        pass->packets++;
        pass->topic = b->topic;
        pass->msg = b->payload;
        pass->message = b->message;
    }
    umqtt_body_clear(self);
    return UMQTT_BODY_STOP;
}

// A full chunk buffer (or the payload's last bytes) goes to the chunk
// callback; the buffer is lent until it returns. The message is delivered
// with its last chunk, as a whole message is once its objects exist.
static umqtt_body_step_t hand_out_chunk(umqtt_client_obj_t *self, umqtt_pass_t *pass) {
    umqtt_body_t *b = &self->body;
    size_t cap;
    uint8_t *buf = chunk_buffer(self, &cap);
    size_t n = b->fill < cap ? b->fill : cap;
    bool last = b->have == b->len;
    size_t consumed;
    if (buf == NULL || (last && !umqtt_accept_locked(self, &consumed))) {
        umqtt_body_clear(self);
        return UMQTT_BODY_STOP;
    }
    pass->packets++;
    pass->message = b->message;
    pass->chunk = mp_obj_new_memoryview('B', n, buf);
    pass->chunk_cb = self->chunk_cb;
    pass->chunk_at = b->have - b->fill;
    pass->chunk_total = b->len;
    self->chunk_lent = true;
    b->fill = 0;
    if (last) {
        umqtt_body_clear(self);
    }
    return UMQTT_BODY_STOP;
}

umqtt_body_step_t umqtt_body_advance(umqtt_client_obj_t *self, umqtt_pass_t *pass, bool deliver) {
    umqtt_body_t *b = &self->body;
    take_buffered(self);
    bool whole = b->have == b->len;
    switch (b->mode) {
        case UMQTT_BODY_SKIP:
            if (!whole) {
                return UMQTT_BODY_READ;
            }
            umqtt_body_clear(self);
            return UMQTT_BODY_NEXT;
        case UMQTT_BODY_BYTES:
            if (!whole) {
                return UMQTT_BODY_READ;
            }
            if (!deliver) {
                self->rx_whole = true;      // held for the application; bytes behind it still count
                return UMQTT_BODY_READ;
            }
            return take_whole(self, pass);
        default: {                          // CHUNKS
            size_t cap;
            if (!MICROPY_PY_UMQTT_CHUNKS || self->chunk_lent) {
                return UMQTT_BODY_STOP;
            }
            if (chunk_buffer_of_body(self, &cap) == NULL) {
                return UMQTT_BODY_STOP;
            }
            if (!whole && b->fill < cap) {
                return UMQTT_BODY_READ;
            }
            if (!deliver) {
                self->rx_whole = true;      // a chunk waits for the application
                return UMQTT_BODY_STOP;
            }
            return hand_out_chunk(self, pass);
        }
    }
}

#if MICROPY_PY_UMQTT_CHUNKS
// Calls chunk_cb(message, chunk, offset, total) without the mutex; the buffer
// is the application's again when it returns or raises.
void umqtt_body_deliver_chunk(umqtt_client_obj_t *self, umqtt_pass_t *pass) {
    mp_obj_t args[4] = {
        pass->message, pass->chunk, mp_obj_new_int_from_uint(pass->chunk_at),
        mp_obj_new_int_from_uint(pass->chunk_total),
    };
    nlr_buf_t nlr;
    void *raised = NULL;
    if (nlr_push(&nlr) == 0) {
        mp_call_function_n_kw(pass->chunk_cb, 4, 0, args);
        nlr_pop();
    } else {
        raised = nlr.ret_val;
    }
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    self->chunk_lent = false;
    umqtt_unlock(&guard);
    if (raised != NULL) {
        nlr_jump(raised);
    }
}

// Checked at once, not when a long message comes: a non-callable f would
// only fail in wait_msg() then, and a read-only buf (bytes, a memoryview of
// bytes) would have the client write into an immutable object.
static void check_chunk_args(mp_obj_t f, mp_obj_t buf) {
    if (f == mp_const_none) {
        return;
    }
    if (!mp_obj_is_callable(f)) {
        mp_raise_TypeError(MP_ERROR_TEXT("f must be callable or None"));
    }
    if (buf == mp_const_none) {
        return;
    }
    mp_buffer_info_t info;
    if (!mp_get_buffer(buf, &info, MP_BUFFER_WRITE)) {
        mp_raise_TypeError(MP_ERROR_TEXT("buf must be a writable buffer (bytearray) or None"));
    }
    if (info.len == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("chunk buffer is empty"));
    }
}

// set_chunk_callback(f, buf): a message whose payload is longer than buf
// (or whose packet is longer than max_packet) comes to f(message, chunk,
// offset, total) a buffer-full at a time, chunk a memoryview of buf that is
// valid until f returns, message.payload None; f(None) or buf None turns it
// off. Shorter messages go to the set_callback function as before.
static mp_obj_t umqtt_client_set_chunk_callback(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_f, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_buf, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    };
    mp_arg_val_t args[2];
    umqtt_parse_method_args(n_args, pos_args, kw_args, 2, allowed_args, args);
    mp_obj_t f = args[0].u_obj;
    mp_obj_t buf = args[1].u_obj;
    umqtt_client_obj_t *self = umqtt_client_of(pos_args[0]);
    check_chunk_args(f, buf);
    bool off = f == mp_const_none || buf == mp_const_none;
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    self->chunk_cb = off ? MP_OBJ_NULL : f;
    self->chunk_buf = off ? MP_OBJ_NULL : buf;
    // Under the same lock: the driver never takes a long message without
    // the callback to hand it to (this cannot fail: every other setting
    // passed before).
    umqtt_configure_locked(self);
    umqtt_unlock(&guard);
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_client_set_chunk_callback_obj, 1, umqtt_client_set_chunk_callback);
#endif // MICROPY_PY_UMQTT_CHUNKS

#endif // MICROPY_PY_UMQTT
