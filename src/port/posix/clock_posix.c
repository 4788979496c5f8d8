/* ota_port.h clock and sleep on POSIX. */
#include "ota/port/ota_port.h"

#include <time.h>

static uint64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t ota_port_uptime_ms(void)
{
    /* Like a device's esp_log_timestamp(): counted from the first call, i.e. from "boot". */
    static uint64_t start;
    uint64_t now = monotonic_ms();
    uint64_t expected = 0;
    /* First caller sets the origin; later callers (any thread) read it. +1 keeps it non-zero. */
    __atomic_compare_exchange_n(&start, &expected, now + 1, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    return now + 1 - __atomic_load_n(&start, __ATOMIC_RELAXED);
}

void ota_port_sleep_ms(uint32_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}
