/* Process-wide malloc counter (see malloc_count.c). */
#ifndef BENCH_MALLOC_COUNT_H
#define BENCH_MALLOC_COUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t allocations; /* successful malloc/calloc/realloc/memalign calls since start */
    size_t current_bytes; /* usable bytes held now */
    size_t peak_bytes;    /* highest current_bytes since the last reset */
} bench_malloc_stats_t;

/* False when the counter is compiled out (sanitizer builds). */
bool bench_malloc_available(void);
void bench_malloc_get(bench_malloc_stats_t *out);
void bench_malloc_reset_peak(void);

#define BENCH_MALLOC_TRACE_MAX 64
/* Record the requested size of every malloc/calloc while on (the first BENCH_MALLOC_TRACE_MAX). */
void bench_malloc_trace(bool on);
size_t bench_malloc_traced(const size_t **sizes);

#endif
