// Dotted names of the built-in sub-packages (those the build keeps: the
// switches of umqtt_config.h, on when not defined here).
#if !defined(MICROPY_PY_UMQTT_FACES) || MICROPY_PY_UMQTT_FACES
Q(umqtt.simple)
Q(umqtt.robust)
#endif
#if !defined(MICROPY_PY_UMQTT_AIO) || MICROPY_PY_UMQTT_AIO
Q(umqtt.aio)
#endif
