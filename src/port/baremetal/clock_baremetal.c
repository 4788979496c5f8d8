/* ota_port.h clock and sleep without an OS. Cortex-M: SysTick interrupts at 1 kHz and count
 * milliseconds (QEMU does not model the DWT cycle counter; SysTick is on every Cortex-M).
 * RISC-V virt: the CLINT's 64-bit mtime at 10 MHz, read directly - it never wraps. */
#include "ota/port/ota_port.h"
#include "ota/port/ota_port_baremetal.h"

#if defined(__arm__)
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

static volatile uint32_t s_ticks_ms;
static volatile uint32_t s_wraps; /* a 32-bit ms count wraps after 49 days; the port says 64 */

/* The vector table of the firmware points here (CMSIS name). */
void SysTick_Handler(void);
void SysTick_Handler(void)
{
    uint32_t t = s_ticks_ms + 1u;
    if (t == 0) {
        s_wraps = s_wraps + 1u;
    }
    s_ticks_ms = t;
}

void ota_baremetal_clock_init(uint32_t cpu_hz)
{
    SYST_RVR = cpu_hz / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7u; /* processor clock, interrupt, enable */
}

uint64_t ota_port_uptime_ms(void)
{
    uint32_t hi, lo;
    do {
        hi = s_wraps;
        lo = s_ticks_ms;
    } while (hi != s_wraps);
    return ((uint64_t)hi << 32) | lo;
}

#elif defined(__riscv)
#define CLINT_MTIME_LO (*(volatile uint32_t *)0x0200BFF8u)
#define CLINT_MTIME_HI (*(volatile uint32_t *)0x0200BFFCu)
#define MTIME_HZ       10000000u /* QEMU virt's timebase-frequency */

static uint64_t s_start;

static uint64_t mtime(void)
{
    uint32_t hi, lo;
    do { /* two 32-bit halves: re-read if the low half carried into the high one meanwhile */
        hi = CLINT_MTIME_HI;
        lo = CLINT_MTIME_LO;
    } while (hi != CLINT_MTIME_HI);
    return ((uint64_t)hi << 32) | lo;
}

void ota_baremetal_clock_init(uint32_t cpu_hz)
{
    (void)cpu_hz;
    s_start = mtime();
}

uint64_t ota_port_uptime_ms(void)
{
    return (mtime() - s_start) / (MTIME_HZ / 1000u);
}
#else
#error "clock: Cortex-M or RISC-V only"
#endif

void ota_port_sleep_ms(uint32_t ms)
{
    uint64_t end = ota_port_uptime_ms() + ms;
    while (ota_port_uptime_ms() < end) {
    }
}
