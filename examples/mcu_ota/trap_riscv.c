/* A RISC-V trap in this firmware is a bug: say so and end the run. */
#include "ota/port/ota_port_baremetal.h"

void mcu_trap_c(void);

void mcu_trap_c(void)
{
    ota_semihost_write0("mcu: CPU trap\n");
    ota_semihost_exit(3);
}
