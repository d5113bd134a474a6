/* Exhaustive check of rust/umqtt-ffi/src/aeabi_mem.s, the ARM EABI memory
 * helpers the Rust core uses on Thumb-2 devices, against byte loops: every
 * length 0..LEN_MAX at every source and destination alignment, memmove at
 * every overlap distance in both directions, memset/memclr at every
 * alignment, with guard bytes checked on both sides. Bare metal on
 * MPS2_AN385 (Cortex-M3) under qemu; output and exit status by semihosting.
 * Built and run by test_aeabi_mem.py. */
#include <stddef.h>
#include <stdint.h>

void __aeabi_memcpy(void *dest, const void *src, size_t n);
void __aeabi_memcpy4(void *dest, const void *src, size_t n);
void __aeabi_memmove(void *dest, const void *src, size_t n);
void __aeabi_memset(void *dest, size_t n, int c);
void __aeabi_memclr(void *dest, size_t n);

#define LEN_MAX 72
#define SPAN 192
#define GUARD 0xEE

static uint8_t buf[SPAN] __attribute__((aligned(8)));
static uint8_t want[SPAN], src_buf[SPAN] __attribute__((aligned(8)));
static unsigned long checks;

static int semihost(int op, const void *arg) {
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static void put(const char *s) { semihost(0x04, s); }

static void put_num(unsigned long v) {
    char text[12];
    int i = sizeof text - 1;
    text[i] = 0;
    do {
        text[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    put(text + i);
}

static void leave(int ok) {
    semihost(0x18, (const void *)(ok ? 0x20026 : 0x20023));
    for (;;) {
    }
}

static void fail(const char *what, unsigned a, unsigned b, unsigned n) {
    put("FAIL ");
    put(what);
    put(" ");
    put_num(a);
    put(" ");
    put_num(b);
    put(" ");
    put_num(n);
    put("\n");
    leave(0);
}

static void fill(uint8_t *p, unsigned salt) {
    for (unsigned i = 0; i < SPAN; i++) {
        p[i] = (uint8_t)(i * 13u + salt * 7u + 1u);
    }
}

static void expect_equal(const char *what, unsigned a, unsigned b, unsigned n) {
    checks++;
    for (unsigned i = 0; i < SPAN; i++) {
        if (buf[i] != want[i]) {
            fail(what, a, b, n);
        }
    }
}

/* Disjoint buffers: dest buf+16+d, src src_buf+16+s. */
static void check_copy(void (*copy)(void *, const void *, size_t), const char *what, unsigned step) {
    for (unsigned d = 0; d < 8; d += step) {
        for (unsigned s = 0; s < 8; s += step) {
            for (unsigned n = 0; n <= LEN_MAX; n++) {
                fill(src_buf, n + 3);
                for (unsigned i = 0; i < SPAN; i++) {
                    buf[i] = want[i] = GUARD;
                }
                for (unsigned i = 0; i < n; i++) {
                    want[16 + d + i] = src_buf[16 + s + i];
                }
                copy(buf + 16 + d, src_buf + 16 + s, n);
                expect_equal(what, d, s, n);
            }
        }
    }
}

/* Overlapping: both ends inside buf, destination at distance -12..12 from source. */
static void check_move(void) {
    for (unsigned s = 32; s < 40; s++) {
        for (int dist = -12; dist <= 12; dist++) {
            for (unsigned n = 0; n <= LEN_MAX; n++) {
                unsigned d = (unsigned)((int)s + dist);
                fill(buf, n + (unsigned)dist);
                for (unsigned i = 0; i < SPAN; i++) {
                    want[i] = buf[i];
                }
                uint8_t tmp[LEN_MAX];
                for (unsigned i = 0; i < n; i++) {
                    tmp[i] = buf[s + i];
                }
                for (unsigned i = 0; i < n; i++) {
                    want[d + i] = tmp[i];
                }
                __aeabi_memmove(buf + d, buf + s, n);
                expect_equal("memmove", s, (unsigned)(dist + 12), n);
            }
        }
    }
}

static void check_set(void) {
    /* only the low byte counts: 0x102 stores 0x02 (a missing mask would store 0x03 in words) */
    static const int values[] = {0x00, 0xA5, 0x7F, 0x102, 0x1FF, -1};
    const unsigned n_values = sizeof values / sizeof values[0];
    for (unsigned v = 0; v <= n_values; v++) {
        for (unsigned d = 0; d < 8; d++) {
            for (unsigned n = 0; n <= LEN_MAX; n++) {
                fill(buf, n + d);
                for (unsigned i = 0; i < SPAN; i++) {
                    want[i] = buf[i];
                }
                /* the last round is memclr */
                uint8_t byte = v < n_values ? (uint8_t)values[v] : 0;
                for (unsigned i = 0; i < n; i++) {
                    want[16 + d + i] = byte;
                }
                if (v < n_values) {
                    __aeabi_memset(buf + 16 + d, n, values[v]);
                } else {
                    __aeabi_memclr(buf + 16 + d, n);
                }
                expect_equal(v < n_values ? "memset" : "memclr", v, d, n);
            }
        }
    }
}

void check_main(void) {
    check_copy(__aeabi_memcpy, "memcpy", 1);
    check_copy(__aeabi_memcpy4, "memcpy4", 4);
    check_copy(__aeabi_memmove, "memmove-disjoint", 1);
    check_move();
    check_set();
    put("OK ");
    put_num(checks);
    put(" checks\n");
    leave(1);
}

/* Minimal Cortex-M vector table: initial stack pointer, reset handler. */
extern uint32_t umqtt_check_stack_top;
__attribute__((section(".vectors"), used)) static const void *const vectors[2] = {
    &umqtt_check_stack_top,
    (const void *)check_main,
};
