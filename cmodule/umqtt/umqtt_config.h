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

#endif // MICROPY_INCLUDED_UMQTT_CONFIG_H
