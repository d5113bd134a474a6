// Module `umqtt`: MQTTClient and MQTTException, also importable as
// `umqtt.simple` and `umqtt.robust` so micropython-lib scripts run unchanged.

#include <stdlib.h>

#include "py/runtime.h"
#include "py/mphal.h"
#include "umqtt_config.h"

#if MICROPY_PY_UMQTT

#include "umqtt.h"

MP_DEFINE_EXCEPTION(MQTTException, Exception)

// The Rust core is built with panic = "abort" and written never to panic;
// this hook only exists so that a bug stops the device loudly, not silently.
NORETURN void umqtt_port_panic(void) {
    mp_hal_stdout_tx_str("umqtt: fatal error in the protocol core\r\n");
    #if defined(__unix__) || defined(__APPLE__)
    abort();
    #else
    // Bare-metal ports link no C library (the qemu port: libgcc only), so
    // abort() may not exist; nlr_jump_fail() is every port's own fatal stop.
    nlr_jump_fail(NULL);
    #endif
}

#define UMQTT_CLIENT_GLOBALS \
    { MP_ROM_QSTR(MP_QSTR_MQTTClient), MP_ROM_PTR(&umqtt_client_type) }, \
    { MP_ROM_QSTR(MP_QSTR_MQTTException), MP_ROM_PTR(&mp_type_MQTTException) }

static const mp_rom_map_elem_t umqtt_simple_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_umqtt_dot_simple) },
    UMQTT_CLIENT_GLOBALS,
};
static MP_DEFINE_CONST_DICT(umqtt_simple_globals, umqtt_simple_globals_table);

static const mp_obj_module_t umqtt_simple_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&umqtt_simple_globals,
};

static const mp_rom_map_elem_t umqtt_robust_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_umqtt_dot_robust) },
    UMQTT_CLIENT_GLOBALS,
};
static MP_DEFINE_CONST_DICT(umqtt_robust_globals, umqtt_robust_globals_table);

static const mp_obj_module_t umqtt_robust_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&umqtt_robust_globals,
};

static const mp_rom_map_elem_t umqtt_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_umqtt) },
    UMQTT_CLIENT_GLOBALS,
    { MP_ROM_QSTR(MP_QSTR_simple), MP_ROM_PTR(&umqtt_simple_module) },
    { MP_ROM_QSTR(MP_QSTR_robust), MP_ROM_PTR(&umqtt_robust_module) },
};
static MP_DEFINE_CONST_DICT(umqtt_module_globals, umqtt_module_globals_table);

const mp_obj_module_t umqtt_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&umqtt_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_umqtt, umqtt_user_cmodule);

#endif // MICROPY_PY_UMQTT
