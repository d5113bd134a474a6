// Receiving (mutex held): reading the transport behind what is buffered,
// handing the driver the buffered packets one by one, and the two-phase
// delivery of a message (its objects first, then the driver counts it
// delivered). A long PUBLISH's payload is read past the buffer by
// umqtt_body.c. Split from umqtt_pump.c.

#include <string.h>

#include "py/runtime.h"
#include "py/mperrno.h"
#include "umqtt_config.h"

#if MICROPY_PY_UMQTT

#include "umqtt.h"

#define CORE(self) umqtt_core(self)

// Read what the transport has, without blocking, behind what is buffered.
void umqtt_read_transport(umqtt_client_obj_t *self, uint32_t now) {
    if (self->stream == MP_OBJ_NULL) {
        return;
    }
    if (self->rx_start == self->rx_end) {
        self->rx_start = self->rx_end = 0;
    }
    size_t room;
    uint8_t *body = umqtt_body_room(self, &room);
    if (body == NULL && self->rx_end == self->rx_cap && !umqtt_rx_reserve(self, self->rx_end - self->rx_start + 1)) {
        return;     // full of unread packets: the broker waits (TCP flow control)
    }
    int err = 0;
    mp_int_t n = body != NULL
        ? umqtt_io_read_some(self, body, room, &err)     // a payload straight into place
        : umqtt_io_read_some(self, self->rx_buf + self->rx_end, self->rx_cap - self->rx_end, &err);
    if (n > 0) {
        if (body != NULL) {
            umqtt_body_got(self, (size_t)n);
        } else {
            self->rx_end += n;
        }
        self->bytes_received += (mp_uint_t)n;
        umqtt_core_handle_data_received(CORE(self), now);
    } else if (n == 0) {
        umqtt_transport_lost(self, UMQTT_STATUS_PEER_CLOSED);
    } else if (!mp_is_nonblocking_error(err)) {
        self->last_errno = err;
        umqtt_transport_lost(self, UMQTT_STATUS_IO);
    }
}

// The driver holds every incoming QoS 2 id a broker may leave awaiting
// PUBREL once it has a map of all 65,535 (8 KiB, taken only from a broker
// whose window outgrows the core's table).
static bool lend_inbound_map(umqtt_client_obj_t *self) {
    if (self->inbound_map == NULL) {
        self->inbound_map = m_new_maybe(uint8_t, UMQTT_INBOUND_MAP_BYTES);
        if (self->inbound_map == NULL) {
            return false;
        }
    }
    return umqtt_core_lend_inbound_map(CORE(self), self->inbound_map, UMQTT_INBOUND_MAP_BYTES) == UMQTT_STATUS_OK;
}

// The driver counts the message it offered delivered (its objects exist).
// False: no room to remember a QoS 2 id, and the connection was dropped
// instead (the broker sends the message again).
bool umqtt_accept_locked(umqtt_client_obj_t *self, size_t *consumed) {
    *consumed = 0;
    UmqttStatus st = umqtt_core_accept_message(CORE(self), umqtt_now_ms(), consumed);
    if (st == UMQTT_STATUS_INBOUND_FULL && lend_inbound_map(self)) {
        st = umqtt_core_accept_message(CORE(self), umqtt_now_ms(), consumed);
    }
    if (st != UMQTT_STATUS_OK) {
        umqtt_transport_lost(self, UMQTT_STATUS_INBOUND_FULL);
        return false;
    }
    return true;
}

// Two-phase delivery: the objects first (a MemoryError here leaves the
// message undelivered and in the buffer), then the driver counts it delivered.
static void take_message(umqtt_client_obj_t *self, umqtt_pass_t *pass, const UmqttRx *rx) {
    mp_obj_t topic = UMQTT_MESSAGE_TOPIC(self, rx);
    mp_obj_t msg = umqtt_new_payload_bytes(rx->payload, rx->payload_len);
    mp_obj_t message = self->msg_objects ? umqtt_message_new(rx, topic, msg) : MP_OBJ_NULL;
    size_t consumed;
    if (!umqtt_accept_locked(self, &consumed)) {
        return;
    }
    self->rx_start += consumed;
    pass->packets++;
    pass->topic = topic;
    pass->msg = msg;
    pass->message = message;
}

// A packet too long to be worth buffering whole: if it is a PUBLISH, the
// driver handles it from its head and its payload is read straight into
// place (umqtt_body.c). Returns feed()'s result, or -1 to go on feeding.
static int feed_head(umqtt_client_obj_t *self, uint32_t now, bool deliver) {
    UmqttRx rx;
    UmqttStatus st = umqtt_core_handle_rx_head(CORE(self), self->rx_buf + self->rx_start,
        self->rx_end - self->rx_start, now, &rx);
    if (st != UMQTT_STATUS_OK) {
        UMQTT_SAY_WHY(self, now);
        self->last_errno = 0;
        umqtt_io_close(self);               // the driver has declared the connection lost
        return 0;
    }
    if (rx.kind == UMQTT_RX_KIND_NEED_MORE) {
        // The head is still coming, or it is not a PUBLISH: buffer it.
        if (!umqtt_rx_reserve(self, rx.n)) {
            umqtt_transport_lost(self, UMQTT_STATUS_PACKET_TOO_LARGE);
            return 0;
        }
        return 1;
    }
    bool body = rx.body_len > 0 && (rx.kind == UMQTT_RX_KIND_MESSAGE || rx.kind == UMQTT_RX_KIND_CONSUMED);
    return body && umqtt_body_begin(self, &rx, deliver) ? -1 : 0;
}

// Hand the driver the buffered packets one by one, until it needs more bytes
// or a message is taken (deliver) or left for the application (!deliver).
// Returns whether reading the transport is worth it: the buffer holds no
// whole packet, or only a message left for the application (the keep-alive
// still needs to see bytes arrive behind it).
bool umqtt_feed(umqtt_client_obj_t *self, umqtt_pass_t *pass, bool deliver, uint32_t now) {
    // Until the driver says it needs more, what is buffered may be whole:
    // the client polls readable (umqtt_aio.c) while it is.
    self->rx_whole = self->rx_start != self->rx_end;
    while (self->stream != MP_OBJ_NULL) {
        if (self->body.mode != UMQTT_BODY_NONE) {
            self->rx_whole = false;
            umqtt_body_step_t step = umqtt_body_advance(self, pass, deliver);
            if (step != UMQTT_BODY_NEXT) {
                return step == UMQTT_BODY_READ;
            }
            pass->packets++;
            continue;
        }
        if (self->rx_start == self->rx_end) {
            self->rx_whole = false;
            return true;                    // nothing buffered: no need to ask the driver
        }
        UmqttRx rx;
        UmqttStatus st = umqtt_core_handle_rx(CORE(self), self->rx_buf + self->rx_start,
            self->rx_end - self->rx_start, now, &rx);
        if (st != UMQTT_STATUS_OK) {
            UMQTT_SAY_WHY(self, now);
            self->last_errno = 0;
            umqtt_io_close(self);           // the driver has declared the connection lost
            return false;
        }
        // An if chain, not a switch: GCC would make a jump table of it.
        UmqttRxKind kind = rx.kind;
        if (kind == UMQTT_RX_KIND_CONSUMED || kind == UMQTT_RX_KIND_CONNACK) {
            if (kind == UMQTT_RX_KIND_CONSUMED) {
                UMQTT_KEEP_ALIAS(self, &rx);    // a QoS 2 duplicate may set an alias (MQTT 5)
            }
            self->rx_start += rx.n;
            pass->packets++;
            #if MICROPY_PY_UMQTT_MQTT5
            if (kind == UMQTT_RX_KIND_CONNACK) {
                umqtt_v5_connack(self, &rx);
            }
            #endif
        } else if (kind == UMQTT_RX_KIND_KEEP_ALIVE) {
            self->rx_start += rx.n;         // the driver's own traffic: no news for wait_msg()
        } else if (kind == UMQTT_RX_KIND_BUSY) {
            umqtt_drain_transmit(self, now);
            if (UMQTT_HAS_TAIL(self)) {
                return false;               // asyncio mode: the acknowledgements wait behind a tail
            }
        } else if (kind == UMQTT_RX_KIND_NEED_MORE) {
            self->rx_whole = false;
            // The driver refused what it does not take (past max_packet);
            // a packet the buffer should not grow for, or cannot (a PUBLISH
            // past max_packet, for the chunk callback), goes by its head.
            if (rx.n > UMQTT_BUFFER_KEPT || !umqtt_rx_reserve(self, rx.n)) {
                int go = feed_head(self, now, deliver);
                if (go >= 0) {
                    return go;
                }
                continue;
            }
            return true;
        } else if (kind == UMQTT_RX_KIND_MESSAGE) {
            if (deliver) {
                take_message(self, pass, &rx);
                return false;
            }
            return true;
        } else {
            return false;
        }
    }
    return false;
}

#endif // MICROPY_PY_UMQTT
