/* Cortex-M reset: the vector table (initial stack pointer, reset, faults, SysTick) and the
 * handlers. A fault ends the run with status 3 so a test never hangs on it. */
#include <stdint.h>

#include "ota/port/ota_port_baremetal.h"

extern uint8_t __stack[];
void mcu_reset_c(void);
void Reset_Handler(void);
void Fault_Handler(void);
void SysTick_Handler(void);

void Reset_Handler(void)
{
    mcu_reset_c();
}

void Fault_Handler(void)
{
    ota_semihost_write0("mcu: CPU fault\n");
    ota_semihost_exit(3);
}

__attribute__((section(".vectors"), used)) static const void *const k_vectors[16] = {
    __stack, /* initial SP */
    Reset_Handler,
    Fault_Handler, /* NMI */
    Fault_Handler, /* HardFault */
    Fault_Handler, /* MemManage */
    Fault_Handler, /* BusFault */
    Fault_Handler, /* UsageFault */
    0,
    0,
    0,
    0,
    Fault_Handler, /* SVCall */
    Fault_Handler, /* DebugMon */
    0,
    Fault_Handler, /* PendSV */
    SysTick_Handler,
};
