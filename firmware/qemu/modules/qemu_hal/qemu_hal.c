// A clock for MicroPython 1.25's qemu port (MPS2_AN385, SABRELITE, ...).
//
// That port defines no mp_hal_ticks_ms/us and no mp_hal_delay_ms/us (it has
// no `time` module either); every real port does. umqtt bounds each network
// wait with them, so the test firmware supplies a virtual clock: it moves
// forward when the firmware sleeps, and by 1 us each time it is read, so any
// deadline passes after a bounded number of polls. Time under emulation is
// then the same on an idle and on a loaded host: a test that waits for a
// timeout waits for the firmware's own count of slices, never for the host.
// (32-bit arithmetic only: a 64-bit division would pull libgcc objects with
// unwind tables into a port whose linker script has no room for them.)
#include <stdint.h>
#include <stdlib.h>

#include "py/mphal.h"
#include "py/nlr.h"

static uint32_t qemu_now_ms;
static uint32_t qemu_now_frac_us;   // 0..999 past qemu_now_ms
static uint32_t qemu_now_us;        // wraps, as ticks_us does

static void qemu_advance_us(uint32_t us) {
    qemu_now_us += us;
    us += qemu_now_frac_us;
    qemu_now_ms += us / 1000;
    qemu_now_frac_us = us % 1000;
}

mp_uint_t mp_hal_ticks_us(void) {
    qemu_advance_us(1);
    return qemu_now_us;
}

mp_uint_t mp_hal_ticks_ms(void) {
    qemu_advance_us(1);
    return qemu_now_ms;
}

void mp_hal_delay_us(mp_uint_t us) {
    qemu_advance_us(us);
}

void mp_hal_delay_ms(mp_uint_t ms) {
    while (ms > 1000000) {
        qemu_advance_us(1000000000);
        ms -= 1000000;
    }
    qemu_advance_us(ms * 1000);
}

// The port links no C library: abort() is missing. Weak, so that a port or
// shim that brings its own wins; it stops like an uncaught exception does.
__attribute__((weak)) void abort(void) {
    nlr_jump_fail(NULL);
}
