/* What the firmware needs from its board's startup code (startup_*.c). */
#ifndef MCU_BOARD_H
#define MCU_BOARD_H

#include <stddef.h>

#if defined(__arm__)
#define MCU_BOARD_NAME   "Cortex-M4, QEMU mps2-an386"
#define MCU_BOARD_CPU_HZ 25000000u /* the MPS2 FPGA's 25 MHz system clock (SysTick source) */
#elif defined(__riscv)
#define MCU_BOARD_NAME   "RV32IMC, QEMU virt"
#define MCU_BOARD_CPU_HZ 0u /* the clock uses mtime, not the CPU clock */
#endif

/** Deepest stack use since reset, from the pattern the startup code painted. */
size_t mcu_stack_high_water(void);

/** Repaint the free stack below the caller and remember where it is... */
void mcu_stack_mark(void);
/** ...and how deep the stack went below that point since. */
size_t mcu_stack_used_since_mark(void);

int main(void);

#endif
