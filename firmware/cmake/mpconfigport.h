// A small host firmware built with cmake (see CMakeLists.txt): the core
// language with the "extra features" set, a GC heap, no file system, no
// socket, no threads. umqtt connects through transport=.
#include <stdint.h>
#include <alloca.h>

#define MICROPY_CONFIG_ROM_LEVEL (MICROPY_CONFIG_ROM_LEVEL_EXTRA_FEATURES)

#define MICROPY_ENABLE_COMPILER (1)
#define MICROPY_ENABLE_GC (1)
// As on rp2 and esp32 (a board with a file system): dotted imports of
// built-in sub-packages (import umqtt.simple) need the full importer.
#define MICROPY_ENABLE_EXTERNAL_IMPORT (1)
#define MICROPY_HELPER_REPL (0)
#define MICROPY_FLOAT_IMPL (MICROPY_FLOAT_IMPL_DOUBLE)
#define MICROPY_LONGINT_IMPL (MICROPY_LONGINT_IMPL_MPZ)
#define MICROPY_PY_SYS_STDFILES (0)
#define MICROPY_PY_SYS_PLATFORM "cmake-host"
#define MICROPY_PY_IO_IOBASE (1)
#define MICROPY_ALLOC_PATH_MAX (256)
#define MICROPY_KBD_EXCEPTION (0)
#define MICROPY_PY_BUILTINS_INPUT (0)
#define MICROPY_PY_UCTYPES (0)
#define MICROPY_VFS (0)
#define MICROPY_READER_POSIX (0)
#define MICROPY_READER_VFS (0)

// No socket module on this board: umqtt's transport= only.
#define MICROPY_PY_UMQTT_NET (0)

typedef intptr_t mp_int_t;
typedef uintptr_t mp_uint_t;
typedef long mp_off_t;

#define MICROPY_HW_BOARD_NAME "cmake-host"
#define MICROPY_HW_MCU_NAME "host"

#define MP_STATE_PORT MP_STATE_VM
