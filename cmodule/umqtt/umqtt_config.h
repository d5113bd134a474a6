// umqtt's build switches and their defaults. Every .c file of the shim
// includes this header after its py/ headers and before it tests
// MICROPY_PY_UMQTT:
//     #include "umqtt_config.h"
#ifndef MICROPY_INCLUDED_UMQTT_CONFIG_H
#define MICROPY_INCLUDED_UMQTT_CONFIG_H

#include "py/mpconfig.h"

// [umqtt-fix qstr-visibility] On wherever the module's files are compiled:
// a cmake port's qstr pass preprocesses them without the module's INTERFACE
// definitions (MICROPY_PY_UMQTT=1 among them), and must still see the module.
// A port turns it off with -DMICROPY_PY_UMQTT=0 or in mpconfigport.h.
#ifndef MICROPY_PY_UMQTT
#define MICROPY_PY_UMQTT (1)
#endif
// [end umqtt-fix qstr-visibility]

// MQTT 5 (version=5): on unless the build turns it off (UMQTT_MQTT5=0 on
// make's or cmake's command line sets both this and the Rust core's cargo
// feature; a core built otherwise refuses the client's storage, so the two
// cannot disagree silently).
#ifndef MICROPY_PY_UMQTT_MQTT5
#define MICROPY_PY_UMQTT_MQTT5 (1)
#endif
#if MICROPY_PY_UMQTT_MQTT5
#define UMQTT_MQTT5 (1)             // the core header's MQTT 5 declarations
#endif

// The features below are on unless the build turns them off, as MicroPython's
// own extmod switches are: UMQTT_AIO=0, UMQTT_FACES=0, UMQTT_CHUNKS=0 on
// make's or cmake's command line (or -D... in a port's flags), and
// UMQTT_MINIMAL=1 for all of them and MQTT 5 at once. What each costs on a
// Cortex-M3: README, "Building for a device" (bench/size-arm.md).

// The asyncio face: the `umqtt.aio` submodule and the primitives its client
// drives the native one with (the `_nb`, `_step`, `_attach`, `_ticket`, ...
// methods, umqtt_aio.c), and the asyncio mode's branches in the pump. Off:
// `umqtt.aio` is absent and so are those methods; the blocking faces are
// unchanged, and the client stays pollable (select.poll, docs/api.md).
#ifndef MICROPY_PY_UMQTT_AIO
#define MICROPY_PY_UMQTT_AIO (1)
#endif

// micropython-lib's faces: `umqtt.simple.MQTTClient` (its own type and
// return values) and `umqtt.robust.MQTTClient` (umqtt_robust.c). Off: the
// `umqtt.simple` and `umqtt.robust` submodules are absent (`import
// umqtt.simple` raises ImportError); `umqtt.MQTTClient` (QuecPython's face)
// is all there is.
#ifndef MICROPY_PY_UMQTT_FACES
#define MICROPY_PY_UMQTT_FACES (1)
#endif

// Chunked delivery: `set_chunk_callback(f, buf)` and the chunk mode of
// umqtt_body.c. Off: the method is absent, and a packet longer than
// max_packet is refused ("packet too large") as it is without a chunk
// callback; payloads longer than the receive buffer still go straight into
// the message's bytes object.
#ifndef MICROPY_PY_UMQTT_CHUNKS
#define MICROPY_PY_UMQTT_CHUNKS (1)
#endif

#endif // MICROPY_INCLUDED_UMQTT_CONFIG_H
