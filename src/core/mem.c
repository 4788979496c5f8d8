/* The allocator front: ota_malloc/ota_free go to the caller's allocator if one is installed,
 * else to the port's heap (ota_port.h), which counts. The core itself holds no heap and no
 * counters, so it needs neither malloc nor atomics (a 64-bit atomic is a library call on a
 * 32-bit microcontroller, and rv32imc has no atomics at all). */
#include "ota/port/ota_mem.h"

#include <string.h>

#include "ota/port/ota_port.h"

/* Process-wide, like the log sink: set once at start-up (ota_mem.h). */
static ota_allocator_t s_allocator;

void ota_mem_set_allocator(const ota_allocator_t *allocator)
{
    if (allocator != NULL && allocator->malloc != NULL && allocator->free != NULL) {
        s_allocator = *allocator;
    } else {
        memset(&s_allocator, 0, sizeof s_allocator);
    }
}

void *ota_malloc(size_t size)
{
    if (s_allocator.malloc != NULL) {
        return s_allocator.malloc(s_allocator.ctx, size);
    }
    return ota_port_malloc(size);
}

void *ota_calloc(size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size) {
        return NULL;
    }
    void *p = ota_malloc(count * size);
    if (p != NULL) {
        memset(p, 0, count * size);
    }
    return p;
}

void ota_free(void *ptr)
{
    if (ptr == NULL) {
        return;
    }
    if (s_allocator.free != NULL) {
        s_allocator.free(s_allocator.ctx, ptr);
    } else {
        ota_port_free(ptr);
    }
}

char *ota_strdup(const char *s)
{
    if (s == NULL) {
        return NULL;
    }
    size_t n = strlen(s) + 1;
    char *copy = ota_malloc(n);
    if (copy != NULL) {
        memcpy(copy, s, n);
    }
    return copy;
}

void ota_mem_get_stats(ota_mem_stats_t *out)
{
    memset(out, 0, sizeof *out);
    if (s_allocator.malloc == NULL) {
        ota_port_mem_stats(out);
    } else if (s_allocator.get_stats != NULL) {
        s_allocator.get_stats(s_allocator.ctx, out);
    }
}

void ota_mem_reset_peak(void)
{
    if (s_allocator.malloc == NULL) {
        ota_port_mem_reset_peak();
    } else if (s_allocator.reset_peak != NULL) {
        s_allocator.reset_peak(s_allocator.ctx);
    }
}
