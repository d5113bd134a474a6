@ ARM EABI memory helpers for Thumb-2 devices (Cortex-M3 and up), included
@ by rust/umqtt-ffi/src/lib.rs (global_asm!) and assembled alone by
@ tests_py/on_target/test_aeabi_mem.py, which checks them exhaustively on
@ Cortex-M3 under qemu. Unified syntax, Thumb state (the Rust target's
@ defaults; the test adds .syntax unified / .thumb).
.section .text.umqtt_aeabi_mem,"ax",%progbits
.p2align 2
.global __aeabi_memcpy, __aeabi_memcpy4, __aeabi_memcpy8
.type __aeabi_memcpy, %function
.type __aeabi_memcpy4, %function
.type __aeabi_memcpy8, %function
__aeabi_memcpy:
__aeabi_memcpy4:
__aeabi_memcpy8:
subs r2, r2, #4
blo 2f
1: ldr r3, [r1], #4
str r3, [r0], #4
subs r2, r2, #4
bhs 1b
2: adds r2, r2, #4
beq 4f
3: ldrb r3, [r1], #1
strb r3, [r0], #1
subs r2, r2, #1
bne 3b
4: bx lr
.global __aeabi_memmove, __aeabi_memmove4, __aeabi_memmove8
.type __aeabi_memmove, %function
.type __aeabi_memmove4, %function
.type __aeabi_memmove8, %function
__aeabi_memmove:
__aeabi_memmove4:
__aeabi_memmove8:
subs r3, r0, r1
cmp r3, r2
bhs __aeabi_memcpy
adds r0, r0, r2
adds r1, r1, r2
subs r2, r2, #4
blo 2f
1: ldr r3, [r1, #-4]!
str r3, [r0, #-4]!
subs r2, r2, #4
bhs 1b
2: adds r2, r2, #4
beq 4f
3: ldrb r3, [r1, #-1]!
strb r3, [r0, #-1]!
subs r2, r2, #1
bne 3b
4: bx lr
.global __aeabi_memset, __aeabi_memset4, __aeabi_memset8
.type __aeabi_memset, %function
.type __aeabi_memset4, %function
.type __aeabi_memset8, %function
.global __aeabi_memclr, __aeabi_memclr4, __aeabi_memclr8
.type __aeabi_memclr, %function
.type __aeabi_memclr4, %function
.type __aeabi_memclr8, %function
__aeabi_memset:
__aeabi_memset4:
__aeabi_memset8:
and r2, r2, #255
orr r2, r2, r2, lsl #8
orr r2, r2, r2, lsl #16
b 5f
__aeabi_memclr:
__aeabi_memclr4:
__aeabi_memclr8:
movs r2, #0
5: subs r1, r1, #4
blo 2f
1: str r2, [r0], #4
subs r1, r1, #4
bhs 1b
2: adds r1, r1, #4
beq 4f
3: strb r2, [r0], #1
subs r1, r1, #1
bne 3b
4: bx lr
.size __aeabi_memcpy, . - __aeabi_memcpy
