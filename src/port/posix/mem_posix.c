/* The POSIX port's heap (ota_port.h): libc malloc with a size header, counted atomically because
 * several services may run in threads of one process (the fleet benchmark). The header is 16
 * bytes to keep max_align_t alignment for the caller. */
#include "ota/ota_port.h"

#include <stdlib.h>
#include <string.h>

#define HEADER_SIZE 16u

static uint64_t s_allocations;
static uint64_t s_frees;
static size_t s_current;
static size_t s_peak;

static void account_alloc(size_t size)
{
    __atomic_add_fetch(&s_allocations, 1, __ATOMIC_RELAXED);
    size_t now = __atomic_add_fetch(&s_current, size, __ATOMIC_RELAXED);
    size_t peak = __atomic_load_n(&s_peak, __ATOMIC_RELAXED);
    while (now > peak &&
           !__atomic_compare_exchange_n(&s_peak, &peak, now, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
}

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
    account_alloc(size);
    return block + HEADER_SIZE;
}

void ota_port_free(void *ptr)
{
    unsigned char *block = (unsigned char *)ptr - HEADER_SIZE;
    size_t size;
    memcpy(&size, block, sizeof size);
    __atomic_sub_fetch(&s_current, size, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s_frees, 1, __ATOMIC_RELAXED);
    free(block);
}

void ota_port_mem_stats(ota_mem_stats_t *out)
{
    out->allocations = __atomic_load_n(&s_allocations, __ATOMIC_RELAXED);
    out->frees = __atomic_load_n(&s_frees, __ATOMIC_RELAXED);
    out->current_bytes = __atomic_load_n(&s_current, __ATOMIC_RELAXED);
    out->peak_bytes = __atomic_load_n(&s_peak, __ATOMIC_RELAXED);
}

size_t ota_port_work_buffer_default(void)
{
    return 4096; /* RAM is plentiful: a flash sector per read */
}

void ota_port_mem_reset_peak(void)
{
    __atomic_store_n(&s_allocations, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&s_frees, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&s_peak, __atomic_load_n(&s_current, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
}
