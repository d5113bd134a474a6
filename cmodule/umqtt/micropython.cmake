# umqtt for cmake-based ports (rp2, esp32, ...):
#   make USER_C_MODULES=<repo>/micropython.cmake
#
# The same C source list (umqtt_sources.txt) and the same Rust recipe
# (tools/build-rust-object.sh) as micropython.mk. What a cmake port needs on
# top (MicroPython 1.25's py/usermod.cmake includes this file before the port
# creates its firmware target, and py/mkrules.cmake runs after):
#   1. the qstr pass must see the module: it preprocesses with the firmware
#      target's own COMPILE_DEFINITIONS plus MICROPY_CPP_DEF_EXTRA, not the
#      INTERFACE definitions of usermod_umqtt;
#   2. qstrdefsumqtt.h (the dotted umqtt.simple / umqtt.robust names) must be
#      registered although rp2 sets MICROPY_QSTRDEFS_PORT after user modules
#      are included (esp32 appends to it);
#   3. the Rust object must be built before the firmware links it.
# 2 and 3 are finished by a call deferred to the end of the port's directory,
# when the firmware target and the qstr rules exist (CMake 3.19 or newer).

if(CMAKE_VERSION VERSION_LESS 3.19)
    message(FATAL_ERROR "umqtt: CMake 3.19 or newer is needed (cmake_language(DEFER)); this is ${CMAKE_VERSION}")
endif()

get_filename_component(UMQTT_ROOT ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
set(UMQTT_MOD_DIR ${CMAKE_CURRENT_LIST_DIR})

# The shim's C files: one list for make and cmake.
file(STRINGS ${UMQTT_MOD_DIR}/umqtt_sources.txt _umqtt_lines)
set(UMQTT_SOURCES)
foreach(_line IN LISTS _umqtt_lines)
    string(REGEX REPLACE "#.*" "" _line "${_line}")
    string(STRIP "${_line}" _line)
    if(_line MATCHES "\\.c$")
        list(APPEND UMQTT_SOURCES ${UMQTT_MOD_DIR}/${_line})
    endif()
endforeach()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
    ${UMQTT_MOD_DIR}/umqtt_sources.txt ${UMQTT_MOD_DIR}/umqtt_cargo_features.txt)

# Build switches (umqtt_config.h), each 1 unless -D<NAME>=0 (or the
# environment) says 0: UMQTT_MQTT5 (MQTT 5, in the shim and the core),
# UMQTT_AIO (umqtt.aio and the asyncio primitives), UMQTT_FACES (umqtt.simple,
# umqtt.robust), UMQTT_CHUNKS (set_chunk_callback). UMQTT_MINIMAL=1 turns all
# four off (one given as well keeps its value), as micropython.mk does.
if(NOT DEFINED UMQTT_MINIMAL)
    set(UMQTT_MINIMAL "$ENV{UMQTT_MINIMAL}")
endif()
foreach(_switch IN ITEMS UMQTT_MQTT5 UMQTT_AIO UMQTT_FACES UMQTT_CHUNKS)
    if(NOT DEFINED ${_switch})
        set(${_switch} "$ENV{${_switch}}")
    endif()
    if("${${_switch}}" STREQUAL "" AND UMQTT_MINIMAL STREQUAL "1")
        set(${_switch} 0)
    elseif(NOT "${${_switch}}" STREQUAL "0")
        set(${_switch} 1)
    endif()
endforeach()
set(UMQTT_DEFINITIONS MICROPY_PY_UMQTT=1 MICROPY_MODULE_BUILTIN_SUBPACKAGES=1 MICROPY_PY_UMQTT_MQTT5=${UMQTT_MQTT5}
    MICROPY_PY_UMQTT_AIO=${UMQTT_AIO} MICROPY_PY_UMQTT_FACES=${UMQTT_FACES} MICROPY_PY_UMQTT_CHUNKS=${UMQTT_CHUNKS})

add_library(usermod_umqtt INTERFACE)
target_sources(usermod_umqtt INTERFACE ${UMQTT_SOURCES})
target_include_directories(usermod_umqtt INTERFACE
    ${UMQTT_MOD_DIR}
    ${UMQTT_ROOT}/rust/umqtt-ffi/include
)
target_compile_definitions(usermod_umqtt INTERFACE ${UMQTT_DEFINITIONS})
target_link_libraries(usermod INTERFACE usermod_umqtt)

# [umqtt-fix qstr-visibility] The qstr pass sees the module's definitions.
list(APPEND MICROPY_CPP_DEF_EXTRA ${UMQTT_DEFINITIONS})
# [end umqtt-fix qstr-visibility]

# [umqtt-fix qstrdefs] For ports that append to MICROPY_QSTRDEFS_PORT later
# (esp32); the deferred call below covers ports that set it (rp2).
list(APPEND MICROPY_QSTRDEFS_PORT ${UMQTT_MOD_DIR}/qstrdefsumqtt.h)
# [end umqtt-fix qstrdefs]

# The Rust core. The target follows the port's compiler and CPU flags, or the
# chip (IDF_TARGET, PICO_PLATFORM), or UMQTT_RUST_TARGET (cache or
# environment); tools/build-rust-object.sh holds the table.
if(NOT DEFINED UMQTT_RUST_TARGET)
    set(UMQTT_RUST_TARGET "$ENV{UMQTT_RUST_TARGET}")
endif()
set(UMQTT_RUST_TARGET "${UMQTT_RUST_TARGET}" CACHE STRING "Rust target triple for the umqtt core (empty: from the port)")
if(IDF_TARGET)
    set(UMQTT_PLATFORM ${IDF_TARGET})
elseif(PICO_PLATFORM)
    set(UMQTT_PLATFORM ${PICO_PLATFORM})
else()
    set(UMQTT_PLATFORM "")
endif()
string(TOUPPER "${CMAKE_BUILD_TYPE}" _umqtt_build_type)
set(UMQTT_CPU_FLAGS "${CMAKE_C_FLAGS} ${CMAKE_C_FLAGS_${_umqtt_build_type}}")
set(UMQTT_CARGO_DIR ${CMAKE_BINARY_DIR}/umqtt-cargo CACHE PATH "cargo's target directory for the umqtt core")
set(UMQTT_RUST_O ${CMAKE_BINARY_DIR}/umqtt/umqtt_rust.o)
set(UMQTT_BUILD_ENV
    UMQTT_CC=${CMAKE_C_COMPILER}
    UMQTT_CPU_FLAGS=${UMQTT_CPU_FLAGS}
    UMQTT_PLATFORM=${UMQTT_PLATFORM}
    UMQTT_LD=${CMAKE_LINKER}
    UMQTT_OBJCOPY=${CMAKE_OBJCOPY}
    UMQTT_RUST_TARGET=${UMQTT_RUST_TARGET}
    UMQTT_MQTT5=${UMQTT_MQTT5}
)
execute_process(
    COMMAND ${CMAKE_COMMAND} -E env ${UMQTT_BUILD_ENV} ${UMQTT_ROOT}/tools/build-rust-object.sh --print-target
    OUTPUT_VARIABLE UMQTT_RUST_TARGET_PICKED OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_VARIABLE _umqtt_err
    RESULT_VARIABLE _umqtt_rc
)
if(NOT _umqtt_rc EQUAL 0)
    message(FATAL_ERROR "${_umqtt_err}")
endif()
message(STATUS "umqtt: Rust core for ${UMQTT_RUST_TARGET_PICKED}")

# Runs on every build (cargo decides what is stale; the object is rewritten
# only when the library changed). MAKEFLAGS is dropped: cmake's makefiles do
# not hand make's jobserver to custom commands, and cargo would warn.
add_custom_target(umqtt_rust
    COMMAND ${CMAKE_COMMAND} -E env --unset=MAKEFLAGS ${UMQTT_BUILD_ENV}
        ${UMQTT_ROOT}/tools/build-rust-object.sh --out ${UMQTT_RUST_O} --cargo-dir ${UMQTT_CARGO_DIR}
    BYPRODUCTS ${UMQTT_RUST_O}
    WORKING_DIRECTORY ${UMQTT_ROOT}
    COMMENT "umqtt: Rust core (${UMQTT_RUST_TARGET_PICKED})"
    VERBATIM
)

# At the end of the port's directory: the firmware target exists, and so do
# the qstr rules of py/mkrules.cmake.
function(umqtt_finish)
    if(NOT MICROPY_TARGET OR NOT TARGET ${MICROPY_TARGET})
        message(FATAL_ERROR "umqtt: no firmware target (MICROPY_TARGET='${MICROPY_TARGET}') at the end of ${CMAKE_CURRENT_SOURCE_DIR}")
    endif()

    # The merged object is linked like a library of usermod's.
    target_link_libraries(usermod_umqtt INTERFACE ${UMQTT_RUST_O})

    # [umqtt-fix rust-object] Built before the firmware links it.
    add_dependencies(${MICROPY_TARGET} umqtt_rust)
    # [end umqtt-fix rust-object]

    # [umqtt-fix qstrdefs] The port replaced MICROPY_QSTRDEFS_PORT (rp2):
    # preprocess our qstrdefs as py/mkrules.cmake does its own and put them
    # first in its output (the first definition of a name wins, and the qstr
    # scan has already defined MP_QSTR_umqtt_dot_simple as "umqtt_dot_simple").
    if(NOT "${UMQTT_MOD_DIR}/qstrdefsumqtt.h" IN_LIST MICROPY_QSTRDEFS_PORT)
        if(NOT MICROPY_QSTRDEFS_PREPROCESSED)
            message(FATAL_ERROR "umqtt: py/mkrules.cmake was not included in ${CMAKE_CURRENT_SOURCE_DIR}; "
                "add ${UMQTT_MOD_DIR}/qstrdefsumqtt.h to MICROPY_QSTRDEFS_PORT")
        endif()
        set(_pre ${MICROPY_QSTRDEFS_PREPROCESSED})
        add_custom_command(OUTPUT ${_pre} APPEND
            COMMAND cat ${UMQTT_MOD_DIR}/qstrdefsumqtt.h | sed "s/^Q(.*)/\"&\"/" | ${CMAKE_C_COMPILER} -E ${MICROPY_CPP_FLAGS} - | sed "s/^\\\"\\(Q(.*)\\)\\\"/\\1/" > ${_pre}.umqtt
            COMMAND cat ${_pre} >> ${_pre}.umqtt
            COMMAND ${CMAKE_COMMAND} -E rename ${_pre}.umqtt ${_pre}
            DEPENDS ${UMQTT_MOD_DIR}/qstrdefsumqtt.h
        )
    endif()
    # [end umqtt-fix qstrdefs]
endfunction()
cmake_language(DEFER CALL umqtt_finish)
