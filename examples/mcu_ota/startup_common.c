/* Reset work shared by both boards: initialised data, zeroed bss, picolibc's TLS block (errno),
 * the stack painted for the high-water measurement, main, and its status to the host. */
#include <stdint.h>
#include <string.h>

#include <picotls.h>

#include "mcu_board.h"
#include "ota/port/ota_port_baremetal.h"

extern uint8_t __data_source[], __data_start[], __data_end[];
extern uint8_t __bss_start[], __bss_end[];
extern uint8_t __tls_base[];
extern uint8_t __stack_limit[], __stack[];

#define PAINT 0xA5A5A5A5u

void mcu_reset_c(void);

size_t mcu_stack_high_water(void)
{
    const uint32_t *p = (const uint32_t *)(void *)__stack_limit;
    while (p < (const uint32_t *)(void *)__stack && *p == PAINT) {
        p++;
    }
    return (size_t)(__stack - (const uint8_t *)p);
}

static const uint8_t *s_mark;

__attribute__((noinline)) static void paint_stack(void)
{
    /* Everything below this frame, minus a margin for the frame itself, is unused yet. */
    uint32_t *p = (uint32_t *)(void *)__stack_limit;
    uint32_t *top = (uint32_t *)__builtin_frame_address(0) - 64;
    while (p < top) {
        *p++ = PAINT;
    }
}

__attribute__((noinline)) void mcu_stack_mark(void)
{
    paint_stack();
    s_mark = (const uint8_t *)__builtin_frame_address(0);
}

size_t mcu_stack_used_since_mark(void)
{
    const uint32_t *p = (const uint32_t *)(void *)__stack_limit;
    while ((const uint8_t *)p < s_mark && *p == PAINT) {
        p++;
    }
    return (size_t)(s_mark - (const uint8_t *)p);
}

void mcu_reset_c(void)
{
    memcpy(__data_start, __data_source, (size_t)(__data_end - __data_start));
    memset(__bss_start, 0, (size_t)(__bss_end - __bss_start));
    _init_tls(__tls_base);
    _set_tls(__tls_base);
    paint_stack();
    ota_semihost_exit(main());
}
