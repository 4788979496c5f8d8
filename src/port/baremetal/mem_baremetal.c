/* ota_port.h heap without an OS: picolibc's malloc over the linker script's heap, with a size
 * header for the counters. One thread, so plain words count (no atomics: rv32imc has none). */
#include "ota/ota_port.h"

#include <stdlib.h>
#include <string.h>

#define HEADER_SIZE 8u /* keeps the 8-byte alignment malloc gives */

static uint32_t s_allocations;
static uint32_t s_frees;
static size_t s_current;
static size_t s_peak;

void *ota_port_malloc(size_t size)
{
    if (size > SIZE_MAX - HEADER_SIZE) {
        return NULL;
    }
    unsigned char *block = malloc(size + HEADER_SIZE);
    if (block == NULL) {
        return NULL;
    }
    memcpy(block, &size, sizeof size);
    s_allocations++;
    s_current += size;
    if (s_current > s_peak) {
        s_peak = s_current;
    }
    return block + HEADER_SIZE;
}

void ota_port_free(void *ptr)
{
    unsigned char *block = (unsigned char *)ptr - HEADER_SIZE;
    size_t size;
    memcpy(&size, block, sizeof size);
    s_current -= size;
    s_frees++;
    free(block);
}

void ota_port_mem_stats(ota_mem_stats_t *out)
{
    out->allocations = s_allocations;
    out->frees = s_frees;
    out->current_bytes = s_current;
    out->peak_bytes = s_peak;
}

void ota_port_mem_reset_peak(void)
{
    s_allocations = 0;
    s_frees = 0;
    s_peak = s_current;
}

size_t ota_port_work_buffer_default(void)
{
    return 2048; /* ESP-ADF's read size: an update then fits in 16 KiB of RAM (BENCHMARKS.md) */
}
