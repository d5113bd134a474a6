// Background keep-alive (ports with threads, keepalive > 0). While no thread
// of the application waits on the connection, a thread of ours runs the
// driver's loop without delivering messages: it sends the PINGREQ that falls
// due whatever sits unread, handles acknowledgements, and reconnects with
// reconn=True. Messages stay for wait_msg()/check_msg(), so callbacks run in
// the application's threads.
//
// The thread must not keep an abandoned client alive (one leaked thread and
// socket per client a script drops). It holds only a control block; the
// client's address sits in it bit-inverted, where the conservative GC does
// not see it. Each tick claims the client under the GC's own mutex: either
// a collection has finished (the client's finaliser has set `stop`) or the
// address is on this thread's stack before the next one starts to mark.

#include "py/runtime.h"
#include "py/mphal.h"
#include "py/gc.h"
#include "umqtt_config.h"

#if MICROPY_PY_UMQTT

#include "umqtt.h"

#if MICROPY_PY_THREAD

#define KEEPALIVE_TICK_MS (200)

typedef struct {
    volatile bool stop;
    uintptr_t hidden;               // ~(uintptr_t)client
} keepalive_ctl_t;

static keepalive_ctl_t *ctl_of(mp_obj_t ctl) {
    mp_buffer_info_t info;
    mp_get_buffer_raise(ctl, &info, MP_BUFFER_RW);
    return info.buf;
}

static void gc_mutex_lock(void) {
    #if MICROPY_PY_THREAD_RECURSIVE_MUTEX
    mp_thread_recursive_mutex_lock(&MP_STATE_MEM(gc_mutex), 1);
    #endif
}

static void gc_mutex_unlock(void) {
    #if MICROPY_PY_THREAD_RECURSIVE_MUTEX
    mp_thread_recursive_mutex_unlock(&MP_STATE_MEM(gc_mutex));
    #endif
}

// The client, or NULL once it was closed or collected.
static umqtt_client_obj_t *claim(keepalive_ctl_t *ctl) {
    gc_mutex_lock();
    umqtt_client_obj_t *self = ctl->stop ? NULL : (umqtt_client_obj_t *)~ctl->hidden;
    gc_mutex_unlock();
    return self;
}

// One tick; false once the connection is closed for good (nothing left to
// keep alive until the next connect(), which starts a new thread).
static bool keepalive_tick(umqtt_client_obj_t *self) {
    umqtt_pass_t pass = { 0 };
    umqtt_guard_t guard;
    umqtt_lock(self, &guard);
    bool idle = self->waiters == 0;
    if (idle) {
        umqtt_pump_locked(self, &pass, false);
    }
    UmqttConnStatus status = umqtt_core_status(umqtt_core(self));
    umqtt_unlock(&guard);
    if (idle) {
        umqtt_after_pass(self, &pass);
    }
    return status != UMQTT_CONN_STATUS_CLOSED && status != UMQTT_CONN_STATUS_SERVER_CLOSED;
}

// A tick whose exception has nobody to go to: the next tick tries again.
static bool keepalive_tick_protected(umqtt_client_obj_t *self) {
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        bool go_on = keepalive_tick(self);
        nlr_pop();
        return go_on;
    }
    return true;
}

static mp_obj_t keepalive_loop(mp_obj_t ctl_in) {
    keepalive_ctl_t *ctl = ctl_of(ctl_in);
    for (;;) {
        mp_hal_delay_ms(KEEPALIVE_TICK_MS);
        umqtt_client_obj_t *volatile self = claim(ctl);
        if (self == NULL) {
            break;
        }
        bool go_on = keepalive_tick_protected(self);
        self = NULL;
        if (!go_on) {
            break;
        }
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(keepalive_loop_obj, keepalive_loop);

void umqtt_keepalive_start(umqtt_client_obj_t *self) {
    umqtt_keepalive_stop(self);
    keepalive_ctl_t init = { .stop = false, .hidden = ~(uintptr_t)self };
    mp_obj_t ctl = mp_obj_new_bytearray(sizeof(init), &init);
    self->keepalive_ctl = ctl;
    mp_obj_t thread = mp_import_name(MP_QSTR__thread, mp_const_none, MP_OBJ_NEW_SMALL_INT(0));
    mp_obj_t call[2] = { MP_OBJ_FROM_PTR(&keepalive_loop_obj), mp_obj_new_tuple(1, &ctl) };
    mp_call_function_n_kw(mp_load_attr(thread, MP_QSTR_start_new_thread), 2, 0, call);
}

// Called by connect(), disconnect(), close() and the finaliser.
void umqtt_keepalive_stop(umqtt_client_obj_t *self) {
    if (self->keepalive_ctl != MP_OBJ_NULL) {
        ctl_of(self->keepalive_ctl)->stop = true;
        self->keepalive_ctl = MP_OBJ_NULL;
    }
}

#endif // MICROPY_PY_THREAD

#endif // MICROPY_PY_UMQTT
