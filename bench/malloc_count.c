/* Process-wide malloc counter for ota_bench, without LD_PRELOAD.
 *
 * An executable's own malloc/free/... take precedence over libc's for every shared library of
 * the process (ELF symbol interposition; glibc supports replacing malloc this way and exports
 * __libc_malloc & co. to forward to). So libcurl's and OpenSSL's allocations, which do not go
 * through ota_malloc, are seen here too. Sizes are malloc_usable_size() of each block: what the
 * heap really hands out, a little more than what was asked.
 *
 * Not built under sanitizers (they interpose malloc themselves): bench_malloc_available() is
 * false then and the counters stay zero. */
#include "malloc_count.h"

#ifndef BENCH_NO_MALLOC_HOOK

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *ptr);

static uint64_t s_count;
static size_t s_current;
static size_t s_peak;
static int s_trace; /* record requested sizes (single-threaded use only) */
static size_t s_sizes[BENCH_MALLOC_TRACE_MAX];
static size_t s_nsizes;

static void trace(size_t size)
{
    if (s_trace && s_nsizes < BENCH_MALLOC_TRACE_MAX) {
        s_sizes[s_nsizes++] = size;
    }
}

static void *account(void *p)
{
    if (p != NULL) {
        size_t n = malloc_usable_size(p);
        __atomic_add_fetch(&s_count, 1, __ATOMIC_RELAXED);
        size_t now = __atomic_add_fetch(&s_current, n, __ATOMIC_RELAXED);
        size_t peak = __atomic_load_n(&s_peak, __ATOMIC_RELAXED);
        while (now > peak &&
               !__atomic_compare_exchange_n(&s_peak, &peak, now, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
        }
    }
    return p;
}

static void unaccount(void *p)
{
    if (p != NULL) {
        __atomic_sub_fetch(&s_current, malloc_usable_size(p), __ATOMIC_RELAXED);
    }
}

void *malloc(size_t size)
{
    trace(size);
    return account(__libc_malloc(size));
}

void *calloc(size_t count, size_t size)
{
    trace(count * size);
    return account(__libc_calloc(count, size));
}

void free(void *ptr)
{
    unaccount(ptr);
    __libc_free(ptr);
}

void *realloc(void *ptr, size_t size)
{
    if (ptr == NULL) {
        return malloc(size);
    }
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    size_t old = malloc_usable_size(ptr);
    void *q = __libc_realloc(ptr, size);
    if (q != NULL) {
        __atomic_sub_fetch(&s_current, old, __ATOMIC_RELAXED);
        account(q);
    }
    return q;
}

void *memalign(size_t alignment, size_t size)
{
    return account(__libc_memalign(alignment, size));
}

void *aligned_alloc(size_t alignment, size_t size)
{
    return account(__libc_memalign(alignment, size));
}

int posix_memalign(void **out, size_t alignment, size_t size)
{
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) {
        return EINVAL;
    }
    void *p = account(__libc_memalign(alignment, size));
    if (p == NULL) {
        return ENOMEM;
    }
    *out = p;
    return 0;
}

void *valloc(size_t size)
{
    return account(__libc_memalign((size_t)sysconf(_SC_PAGESIZE), size));
}

void *pvalloc(size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return account(__libc_memalign(page, (size + page - 1) / page * page));
}

bool bench_malloc_available(void)
{
    return true;
}

void bench_malloc_get(bench_malloc_stats_t *out)
{
    out->allocations = __atomic_load_n(&s_count, __ATOMIC_RELAXED);
    out->current_bytes = __atomic_load_n(&s_current, __ATOMIC_RELAXED);
    out->peak_bytes = __atomic_load_n(&s_peak, __ATOMIC_RELAXED);
}

void bench_malloc_reset_peak(void)
{
    __atomic_store_n(&s_peak, __atomic_load_n(&s_current, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
}

void bench_malloc_trace(bool on)
{
    if (on) {
        s_nsizes = 0;
    }
    s_trace = on;
}

size_t bench_malloc_traced(const size_t **sizes)
{
    *sizes = s_sizes;
    return s_nsizes;
}

#else

bool bench_malloc_available(void)
{
    return false;
}

void bench_malloc_get(bench_malloc_stats_t *out)
{
    out->allocations = 0;
    out->current_bytes = 0;
    out->peak_bytes = 0;
}

void bench_malloc_reset_peak(void)
{
}

void bench_malloc_trace(bool on)
{
    (void)on;
}

size_t bench_malloc_traced(const size_t **sizes)
{
    *sizes = NULL;
    return 0;
}

#endif
