// The host cmake port: everything in main.c.
static inline void mp_hal_set_interrupt_char(char c) {
    (void)c;
}
