/* RISC-V reset (machine mode, QEMU virt with -bios none): stack, global pointer, trap vector,
 * then the common C reset code. A trap ends the run with status 3 so a test never hangs. */
    /* ".reset", not ".text.start": no C function's -ffunction-sections section can have this name,
     * so the linker script's KEEP keeps this code only (mcu_sections.ld) */
    .section .reset, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la sp, __stack
    la t0, trap_entry
    .option push
    .option arch, +zicsr   /* CSRs are the Zicsr extension since ISA spec 20191213 */
    csrw mtvec, t0
    .option pop
    call mcu_reset_c
1:  j 1b

    .balign 4
trap_entry:
    la sp, __stack
    call mcu_trap_c
2:  j 2b
