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

#include <string.h>

#include "py/runtime.h"
#include "py/mphal.h"
#include "py/gc.h"
#include "py/stackctrl.h"
#include "umqtt_config.h"

#if MICROPY_PY_UMQTT

#include "umqtt.h"

#if MICROPY_PY_THREAD

#define KEEPALIVE_TICK_MS (200)
// Deeper than a tick's frames go (the pump, the driver, a stream's calls)
// and a signal frame below them (forget_the_client).
#define KEEPALIVE_SCRUB_BYTES (8192)

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

// One tick of the client `ctl` names; false once there is nothing left to
// keep alive. Its own frame, so that the loop's registers never hold the
// client's address (the callee-saved ones come back as they were).
static MP_NOINLINE bool keepalive_claim_and_tick(keepalive_ctl_t *ctl) {
    umqtt_client_obj_t *volatile self = claim(ctl);
    if (self == NULL) {
        return false;
    }
    bool go_on = keepalive_tick_protected(self);
    self = NULL;
    return go_on;
}

// The vector registers a struct copy may have left the client's address in
// (seen on x86-64: an SSE register, saved in every signal frame after it and
// so scanned by each collection).
static MP_NOINLINE void forget_vector_registers(void) {
    #if defined(__x86_64__)
    __asm__ volatile (
        "pxor %%xmm0, %%xmm0\n pxor %%xmm1, %%xmm1\n pxor %%xmm2, %%xmm2\n pxor %%xmm3, %%xmm3\n"
        "pxor %%xmm4, %%xmm4\n pxor %%xmm5, %%xmm5\n pxor %%xmm6, %%xmm6\n pxor %%xmm7, %%xmm7\n"
        "pxor %%xmm8, %%xmm8\n pxor %%xmm9, %%xmm9\n pxor %%xmm10, %%xmm10\n pxor %%xmm11, %%xmm11\n"
        "pxor %%xmm12, %%xmm12\n pxor %%xmm13, %%xmm13\n pxor %%xmm14, %%xmm14\n pxor %%xmm15, %%xmm15\n"
        : : : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
        "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    #elif defined(__aarch64__)
    // v8-v15 are callee-saved: the tick's frames gave them back.
    __asm__ volatile (
        "movi v0.16b, #0\n movi v1.16b, #0\n movi v2.16b, #0\n movi v3.16b, #0\n"
        "movi v4.16b, #0\n movi v5.16b, #0\n movi v6.16b, #0\n movi v7.16b, #0\n"
        "movi v16.16b, #0\n movi v17.16b, #0\n movi v18.16b, #0\n movi v19.16b, #0\n"
        "movi v20.16b, #0\n movi v21.16b, #0\n movi v22.16b, #0\n movi v23.16b, #0\n"
        "movi v24.16b, #0\n movi v25.16b, #0\n movi v26.16b, #0\n movi v27.16b, #0\n"
        "movi v28.16b, #0\n movi v29.16b, #0\n movi v30.16b, #0\n movi v31.16b, #0\n"
        : : : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v16", "v17", "v18", "v19",
        "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
    #endif
}

// After a tick nothing of this thread may hold the client's address where
// the collector looks, or the client the script dropped stays alive,
// pinging, with its socket (defect 3 of issue 10). A collection started by
// another thread scans this one from the frame of its signal handler (unix)
// up: through the registers the kernel saved there, vector ones included,
// and through slots of the signal frame and of the sleep's frames that are
// never written. So after the tick the stack below this frame, where the
// tick's frames were, is zeroed, as far as the thread's stack limit allows,
// and so are the vector registers.
static MP_NOINLINE bool tick_then_forget_the_client(keepalive_ctl_t *ctl) {
    bool go_on = keepalive_claim_and_tick(ctl);
    #if MICROPY_STACK_CHECK
    size_t used = mp_stack_usage() + 1024;  // this frame, and a margin
    size_t room = MP_STATE_THREAD(stack_limit) > used ? MP_STATE_THREAD(stack_limit) - used : 0;
    size_t n = room < KEEPALIVE_SCRUB_BYTES ? room : KEEPALIVE_SCRUB_BYTES;
    uint8_t area[n > 0 ? n : 1];
    memset(area, 0, n);
    __asm__ volatile ("" : : "r" (area) : "memory");   // the stores are kept
    #endif
    forget_vector_registers();
    return go_on;
}

static mp_obj_t keepalive_loop(mp_obj_t ctl_in) {
    keepalive_ctl_t *ctl = ctl_of(ctl_in);
    // A new thread starts with a copy of its creator's registers, and the
    // creator was working on the client: seen under AddressSanitizer, xmm3
    // held its address through the whole first sleep, so every client closed
    // within a tick of its connect() outlived the next collection.
    forget_vector_registers();
    for (;;) {
        mp_hal_delay_ms(KEEPALIVE_TICK_MS);
        if (!tick_then_forget_the_client(ctl)) {
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
