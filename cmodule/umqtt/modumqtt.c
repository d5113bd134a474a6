// Module `umqtt` and its faces: `umqtt.MQTTClient` (QuecPython's),
// `umqtt.simple.MQTTClient` and `umqtt.robust.MQTTClient` (micropython-lib's),
// all from this C module alone (no frozen Python: USER_C_MODULES is the
// only step a port needs), and `umqtt.aio`. The build leaves out the
// micropython-lib faces with MICROPY_PY_UMQTT_FACES=0 and umqtt.aio with
// MICROPY_PY_UMQTT_AIO=0 (umqtt_config.h).

#include <stdlib.h>

#include "py/runtime.h"
#include "py/mphal.h"
#include "py/objstr.h"
#include "umqtt_config.h"

#if MICROPY_PY_UMQTT

#include "umqtt.h"

MP_DEFINE_EXCEPTION(MQTTException, Exception)

#define UMQTT_VERSION "0.3.0"
static const MP_DEFINE_STR_OBJ(umqtt_version_obj, UMQTT_VERSION);

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

#if MICROPY_PY_UMQTT_FACES
static const mp_rom_map_elem_t umqtt_simple_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_umqtt_dot_simple) },
    { MP_ROM_QSTR(MP_QSTR_MQTTClient), MP_ROM_PTR(&umqtt_simple_client_type) },
    { MP_ROM_QSTR(MP_QSTR_MQTTException), MP_ROM_PTR(&mp_type_MQTTException) },
};
static MP_DEFINE_CONST_DICT(umqtt_simple_globals, umqtt_simple_globals_table);

static const mp_obj_module_t umqtt_simple_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&umqtt_simple_globals,
};

// umqtt.robust's MQTTClient is a class made on first use (umqtt_robust.c);
// the module answers for it through __getattr__.
static mp_obj_t umqtt_robust_getattr(mp_obj_t attr) {
    if (mp_obj_str_get_qstr(attr) == MP_QSTR_MQTTClient) {
        return umqtt_robust_class();
    }
    mp_raise_msg_varg(&mp_type_AttributeError, MP_ERROR_TEXT("module 'umqtt.robust' has no attribute '%q'"),
        mp_obj_str_get_qstr(attr));
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_robust_getattr_obj, umqtt_robust_getattr);

static const mp_rom_map_elem_t umqtt_robust_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_umqtt_dot_robust) },
    { MP_ROM_QSTR(MP_QSTR___getattr__), MP_ROM_PTR(&umqtt_robust_getattr_obj) },
    { MP_ROM_QSTR(MP_QSTR_MQTTException), MP_ROM_PTR(&mp_type_MQTTException) },
};
static MP_DEFINE_CONST_DICT(umqtt_robust_globals, umqtt_robust_globals_table);

static const mp_obj_module_t umqtt_robust_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&umqtt_robust_globals,
};
#endif // MICROPY_PY_UMQTT_FACES

#if MICROPY_PY_UMQTT_AIO
// umqtt.aio: the asyncio client, Python frozen from python/_umqtt_aio.py
// (a port adds it with one manifest line); this module answers for it.
static mp_obj_t umqtt_aio_getattr(mp_obj_t attr) {
    mp_obj_t aio;
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        aio = mp_import_name(MP_QSTR__umqtt_aio, mp_const_none, MP_OBJ_NEW_SMALL_INT(0));
        nlr_pop();
    } else {
        // Only the frozen module's own absence gets the hint; an ImportError
        // from inside it (no asyncio on this port) is raised as it is.
        mp_obj_t exc = MP_OBJ_FROM_PTR(nlr.ret_val);
        if (!umqtt_is_exception(exc, &mp_type_ImportError)
            || mp_binary_op(MP_BINARY_OP_CONTAINS, mp_obj_str_make_new(&mp_type_str, 1, 0, &exc),
            MP_OBJ_NEW_QSTR(MP_QSTR__umqtt_aio)) == mp_const_false) {
            nlr_jump(nlr.ret_val);
        }
        mp_raise_msg(&mp_type_ImportError,
            MP_ERROR_TEXT("umqtt.aio: freeze python/manifest.py into the firmware"));
    }
    return mp_load_attr(aio, mp_obj_str_get_qstr(attr));
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_aio_getattr_obj, umqtt_aio_getattr);

static const mp_rom_map_elem_t umqtt_aio_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_umqtt_dot_aio) },
    { MP_ROM_QSTR(MP_QSTR___getattr__), MP_ROM_PTR(&umqtt_aio_getattr_obj) },
    { MP_ROM_QSTR(MP_QSTR_MQTTException), MP_ROM_PTR(&mp_type_MQTTException) },
};
static MP_DEFINE_CONST_DICT(umqtt_aio_globals, umqtt_aio_globals_table);

static const mp_obj_module_t umqtt_aio_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&umqtt_aio_globals,
};
#endif // MICROPY_PY_UMQTT_AIO

static const mp_rom_map_elem_t umqtt_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_umqtt) },
    { MP_ROM_QSTR(MP_QSTR___version__), MP_ROM_PTR(&umqtt_version_obj) },
    { MP_ROM_QSTR(MP_QSTR_MQTTClient), MP_ROM_PTR(&umqtt_client_type) },
    { MP_ROM_QSTR(MP_QSTR_MQTTException), MP_ROM_PTR(&mp_type_MQTTException) },
    { MP_ROM_QSTR(MP_QSTR_Message), MP_ROM_PTR(&umqtt_message_type) },
    #if MICROPY_PY_UMQTT_FACES
    { MP_ROM_QSTR(MP_QSTR_simple), MP_ROM_PTR(&umqtt_simple_module) },
    { MP_ROM_QSTR(MP_QSTR_robust), MP_ROM_PTR(&umqtt_robust_module) },
    #endif
    #if MICROPY_PY_UMQTT_AIO
    { MP_ROM_QSTR(MP_QSTR_aio), MP_ROM_PTR(&umqtt_aio_module) },
    #endif
};
static MP_DEFINE_CONST_DICT(umqtt_module_globals, umqtt_module_globals_table);

const mp_obj_module_t umqtt_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&umqtt_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_umqtt, umqtt_user_cmodule);

#endif // MICROPY_PY_UMQTT
