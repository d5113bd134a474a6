// The `time` module for MicroPython 1.25's qemu port, which has none
// (MICROPY_PY_TIME is 0 in its mpconfigport.h): MicroPython's own
// extmod/modtime.c, compiled here with the module switched on, over the
// virtual clock of qemu_hal.c. asyncio (core.py) and umqtt.aio need its
// ticks_ms/ticks_add/ticks_diff; sleep_ms moves the virtual clock.
// Only the umqtt variant of the test firmware has it (micropython.mk).
#include "py/mpconfig.h"
#include "py/mphal.h"
#include "py/runtime.h"

#undef MICROPY_PY_TIME
#define MICROPY_PY_TIME (1)

// The port has no cycle counter: ticks_cpu() counts microseconds.
#define mp_hal_ticks_cpu() mp_hal_ticks_us()

#include "extmod/modtime.c"
