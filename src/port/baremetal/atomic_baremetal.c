/* Word-size atomics for cores without atomic instructions (rv32imc, the ESP32-C3's ISA): GCC
 * turns __atomic_* on them into these library calls. One core, so masking interrupts makes the
 * sequence atomic (ESP-IDF does the same for the ESP32-C3). Cortex-M4 has LDREX/STREX and never
 * calls these. Types as GCC declares the built-ins (unsigned int, not uint32_t). */
#include <stdbool.h>
#include <stdint.h>

#if defined(__riscv) && !defined(__riscv_atomic)

static uint32_t irq_save(void)
{
    uint32_t mstatus;
    /* CSR access is the Zicsr extension, separate from "I" since ISA spec 20191213. */
    __asm__ volatile(".option push\n.option arch, +zicsr\ncsrrci %0, mstatus, 8\n.option pop"
                     : "=r"(mstatus)::"memory");
    return mstatus;
}

static void irq_restore(uint32_t mstatus)
{
    __asm__ volatile(".option push\n.option arch, +zicsr\ncsrs mstatus, %0\n.option pop" ::"r"(mstatus & 8u)
                     : "memory");
}

bool __atomic_compare_exchange_4(volatile void *ptr, void *expected, unsigned int desired, bool weak,
                                 int success, int failure);
unsigned int __atomic_fetch_add_4(volatile void *ptr, unsigned int val, int order);
unsigned int __atomic_fetch_sub_4(volatile void *ptr, unsigned int val, int order);
unsigned int __atomic_exchange_4(volatile void *ptr, unsigned int val, int order);

bool __atomic_compare_exchange_4(volatile void *ptr, void *expected, unsigned int desired, bool weak,
                                 int success, int failure)
{
    (void)weak;
    (void)success;
    (void)failure;
    volatile unsigned int *p = ptr;
    unsigned int *e = expected;
    unsigned int s = irq_save();
    bool ok = *p == *e;
    if (ok) {
        *p = desired;
    } else {
        *e = *p;
    }
    irq_restore(s);
    return ok;
}

unsigned int __atomic_fetch_add_4(volatile void *ptr, unsigned int val, int order)
{
    (void)order;
    volatile unsigned int *p = ptr;
    unsigned int s = irq_save();
    unsigned int old = *p;
    *p = old + val;
    irq_restore(s);
    return old;
}

unsigned int __atomic_fetch_sub_4(volatile void *ptr, unsigned int val, int order)
{
    (void)order;
    volatile unsigned int *p = ptr;
    unsigned int s = irq_save();
    unsigned int old = *p;
    *p = old - val;
    irq_restore(s);
    return old;
}

unsigned int __atomic_exchange_4(volatile void *ptr, unsigned int val, int order)
{
    (void)order;
    volatile unsigned int *p = ptr;
    unsigned int s = irq_save();
    unsigned int old = *p;
    *p = val;
    irq_restore(s);
    return old;
}

#else
/* ISO C forbids an empty translation unit. */
typedef int ota_atomic_baremetal_unused_t;
#endif
