# umqtt for cmake-based ports (rp2, esp32 with a Rust target, ...):
#   make USER_C_MODULES=<repo>/micropython.cmake
# Builds the Rust core with cargo for UMQTT_RUST_TARGET, merges it into one
# relocatable object exporting only umqtt_*, and links that into usermod.

add_library(usermod_umqtt INTERFACE)

get_filename_component(UMQTT_ROOT ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)

target_sources(usermod_umqtt INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/modumqtt.c
    ${CMAKE_CURRENT_LIST_DIR}/umqtt_client.c
    ${CMAKE_CURRENT_LIST_DIR}/umqtt_conn.c
    ${CMAKE_CURRENT_LIST_DIR}/umqtt_io.c
)

target_include_directories(usermod_umqtt INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}
    ${UMQTT_ROOT}/rust/umqtt-ffi/include
)

target_compile_definitions(usermod_umqtt INTERFACE
    MICROPY_PY_UMQTT=1
    MICROPY_MODULE_BUILTIN_SUBPACKAGES=1
)

# The Rust target: set UMQTT_RUST_TARGET (for example thumbv6m-none-eabi on
# rp2, thumbv8m.main-none-eabihf on rp2350); empty builds for the host.
set(UMQTT_RUST_TARGET "$ENV{UMQTT_RUST_TARGET}" CACHE STRING "Rust target triple for the umqtt core")
set(UMQTT_CARGO "cargo" CACHE STRING "cargo to build the umqtt core with")
set(UMQTT_CARGO_DIR ${CMAKE_BINARY_DIR}/umqtt-cargo)
if(UMQTT_RUST_TARGET)
    set(UMQTT_RUST_LIB ${UMQTT_CARGO_DIR}/${UMQTT_RUST_TARGET}/release/libumqtt_ffi.a)
    set(UMQTT_CARGO_FLAGS --target ${UMQTT_RUST_TARGET} -Z build-std=core,compiler_builtins
        -Z build-std-features=compiler-builtins-mem)
else()
    set(UMQTT_RUST_LIB ${UMQTT_CARGO_DIR}/release/libumqtt_ffi.a)
    set(UMQTT_CARGO_FLAGS "")
endif()
set(UMQTT_RUST_O ${CMAKE_BINARY_DIR}/umqtt/umqtt_rust.o)

# cargo decides what is stale, so it runs on every build.
add_custom_target(umqtt_cargo
    COMMAND ${UMQTT_CARGO} build --quiet --release --locked -p umqtt-ffi
        --target-dir ${UMQTT_CARGO_DIR} ${UMQTT_CARGO_FLAGS}
    WORKING_DIRECTORY ${UMQTT_ROOT}
    BYPRODUCTS ${UMQTT_RUST_LIB}
    COMMENT "cargo: umqtt core"
    VERBATIM
)

add_custom_command(
    OUTPUT ${UMQTT_RUST_O}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/umqtt
    COMMAND ${CMAKE_LINKER} -r --unique --whole-archive -o ${UMQTT_RUST_O}.tmp ${UMQTT_RUST_LIB}
    COMMAND ${CMAKE_OBJCOPY} --wildcard --keep-global-symbol=umqtt_*
        --remove-section=.ARM.exidx* --remove-section=.ARM.extab*
        --remove-section=.llvmbc --remove-section=.llvmcmd
        ${UMQTT_RUST_O}.tmp ${UMQTT_RUST_O}
    DEPENDS umqtt_cargo ${UMQTT_RUST_LIB}
    VERBATIM
)
add_custom_target(umqtt_rust_object DEPENDS ${UMQTT_RUST_O})

target_link_libraries(usermod_umqtt INTERFACE ${UMQTT_RUST_O})
target_link_libraries(usermod INTERFACE usermod_umqtt)
# Make sure the object exists before anything links against usermod.
if(TARGET ${MICROPY_TARGET})
    add_dependencies(${MICROPY_TARGET} umqtt_rust_object)
endif()
