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

#endif // MICROPY_INCLUDED_UMQTT_CONFIG_H
