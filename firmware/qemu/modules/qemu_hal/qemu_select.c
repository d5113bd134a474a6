// The `select` module for MicroPython 1.25's qemu port, which has none
// (MICROPY_PY_SELECT is 0 in its mpconfigport.h): MicroPython's own
// extmod/modselect.c, compiled here with the module switched on. asyncio's
// event loop waits in select.poll().ipoll(timeout).
//
// A poll that finds nothing ready sleeps, and a sleep on the virtual clock
// of qemu_hal.c moves the clock to the deadline at once (there is no other
// thread, nor interrupt, that could make a stream ready meanwhile). So an
// asyncio.sleep_ms(10) costs one look at the streams, not 10 ms of polling,
// and the timing of a script is the same on every host.
// Only the umqtt variant of the test firmware has it (micropython.mk).
#include "py/mpconfig.h"
#include "py/mphal.h"
#include "py/runtime.h"

#undef MICROPY_PY_SELECT
#define MICROPY_PY_SELECT (1)
// poll() only: asyncio needs no select.select().
#undef MICROPY_PY_SELECT_SELECT
#define MICROPY_PY_SELECT_SELECT (0)

static void qemu_select_wait_ms(mp_uint_t ms) {
    mp_event_handle_nowait();
    mp_hal_delay_ms(ms);
}
#define mp_event_wait_ms(ms) qemu_select_wait_ms(ms)

#include "extmod/modselect.c"
