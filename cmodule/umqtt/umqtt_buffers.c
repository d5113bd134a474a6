// The client's receive and transmit buffers (mutex held): growing them for
// a packet, returning them to their size at rest, and the bytes object a
// received payload becomes. Split from umqtt_pump.c, unchanged.

#include <string.h>

#include "py/runtime.h"
#include "py/objstr.h"
#include "umqtt_config.h"

#if MICROPY_PY_UMQTT

#include "umqtt.h"

// ---------------------------------------------------------------------------
// Buffers (mutex held). Both grow and never shrink, so steady-state
// publishing and receiving allocate nothing.

void umqtt_tx_reserve(umqtt_client_obj_t *self, size_t len) {
    if (len > UMQTT_BUFFER_KEPT) {
        self->big_at = umqtt_now_ms();
    }
    if (len > self->tx_cap) {
        self->tx_buf = m_renew(uint8_t, self->tx_buf, self->tx_cap, len);
        self->tx_cap = len;
    }
}

// Buffers grown past UMQTT_BUFFER_KEPT return to their size at rest once no
// packet has needed them for UMQTT_BUFFER_REST_MS (mutex held; every pass
// of the pump, the keep-alive thread's included, looks). Shrinking in place
// never allocates; under heap_lock() it may fail, and the buffer stays.
// Not while tx_buf holds a pending tail (asyncio mode, umqtt_pump.c).
void umqtt_settle_buffers(umqtt_client_obj_t *self) {
    if (UMQTT_HAS_TAIL(self) || (self->rx_cap <= UMQTT_BUFFER_KEPT && self->tx_cap <= UMQTT_BUFFER_KEPT)
        || (uint32_t)(umqtt_now_ms() - self->big_at) < UMQTT_BUFFER_REST_MS) {
        return;
    }
    if (self->rx_cap > UMQTT_BUFFER_KEPT && self->rx_start == self->rx_end) {
        uint8_t *p = m_renew_maybe(uint8_t, self->rx_buf, self->rx_cap, UMQTT_RX_INITIAL, false);
        if (p != NULL) {
            self->rx_buf = p;
            self->rx_cap = UMQTT_RX_INITIAL;
            self->rx_start = self->rx_end = 0;
        }
    }
    if (self->tx_cap > UMQTT_BUFFER_KEPT) {
        uint8_t *p = m_renew_maybe(uint8_t, self->tx_buf, self->tx_cap, UMQTT_TX_INITIAL, false);
        if (p != NULL) {
            self->tx_buf = p;
            self->tx_cap = UMQTT_TX_INITIAL;
        }
    }
}

// Room for a packet of `need` bytes from rx_start; false when over max_packet.
bool umqtt_rx_reserve(umqtt_client_obj_t *self, size_t need) {
    if (need > self->max_packet) {
        return false;
    }
    if (need > UMQTT_BUFFER_KEPT) {
        self->big_at = umqtt_now_ms();
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

// A bytes object of `len` bytes for a received payload (or topic), its bytes at *data
// to be filled in; MP_OBJ_NULL when the heap has no room and `raise` is
// false (else MemoryError). Its hash is left to be computed on demand (0
// means "not yet" to MicroPython), not over every byte of every message as
// mp_obj_new_bytes does.
mp_obj_t umqtt_new_payload(size_t len, bool raise, uint8_t **data) {
    byte *p = raise ? m_new(byte, len + 1) : m_new_maybe(byte, len + 1);
    if (p == NULL) {
        return MP_OBJ_NULL;
    }
    p[len] = '\0';
    mp_obj_str_t *o = mp_obj_malloc(mp_obj_str_t, &mp_type_bytes);
    o->len = len;
    o->hash = 0;
    o->data = p;
    *data = p;
    return MP_OBJ_FROM_PTR(o);
}

// The same, a copy of `data`.
mp_obj_t umqtt_new_payload_bytes(const uint8_t *data, size_t len) {
    uint8_t *p;
    mp_obj_t o = umqtt_new_payload(len, true, &p);
    memcpy(p, data, len);
    return o;
}


#endif // MICROPY_PY_UMQTT
