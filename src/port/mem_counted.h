/* The heap of ota_port.h that both ports share (posix/mem_posix.c, baremetal/mem_baremetal.c):
 * the C library's malloc with a size header in front of each block, for the counters
 * ota_mem_get_stats() reports. One definition of the logic; what differs is the port's choice,
 * made by the including file before it includes this one (once):
 *   OTA_MEM_HEADER_SIZE  bytes before each block: a multiple of the alignment malloc gives,
 *                        so the caller keeps it (16 for glibc's max_align_t, 8 for picolibc)
 *   OTA_MEM_ATOMIC       1: counters updated with __atomic builtins (threads of one process
 *                        share the heap: the fleet benchmark); 0: plain words (one thread, and
 *                        rv32imc has no atomics)
 *   ota_mem_count_t      the type of the allocation and free counters
 * The port still defines ota_port_work_buffer_default(). No OS call here: malloc/free are the C
 * library's, which both ports link (glibc, picolibc). */
#ifndef OTA_PORT_MEM_COUNTED_H
#define OTA_PORT_MEM_COUNTED_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ota/port/ota_port.h"

#if !defined(OTA_MEM_HEADER_SIZE) || !defined(OTA_MEM_ATOMIC)
#error "define OTA_MEM_HEADER_SIZE, OTA_MEM_ATOMIC and ota_mem_count_t before including mem_counted.h"
#endif

static ota_mem_count_t s_allocations;
static ota_mem_count_t s_frees;
static size_t s_current;
static size_t s_peak;

#if OTA_MEM_ATOMIC
#define OTA_MEM_ADD(var, v)   __atomic_add_fetch(&(var), (v), __ATOMIC_RELAXED)
#define OTA_MEM_SUB(var, v)   __atomic_sub_fetch(&(var), (v), __ATOMIC_RELAXED)
#define OTA_MEM_LOAD(var)     __atomic_load_n(&(var), __ATOMIC_RELAXED)
#define OTA_MEM_STORE(var, v) __atomic_store_n(&(var), (v), __ATOMIC_RELAXED)
#else
#define OTA_MEM_ADD(var, v)   ((var) += (v))
#define OTA_MEM_SUB(var, v)   ((var) -= (v))
#define OTA_MEM_LOAD(var)     (var)
#define OTA_MEM_STORE(var, v) ((var) = (v))
#endif

static void ota_mem_account_alloc(size_t size)
{
    OTA_MEM_ADD(s_allocations, 1);
    size_t now = OTA_MEM_ADD(s_current, size);
#if OTA_MEM_ATOMIC
    size_t peak = __atomic_load_n(&s_peak, __ATOMIC_RELAXED);
    while (now > peak &&
           !__atomic_compare_exchange_n(&s_peak, &peak, now, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
#else
    if (now > s_peak) {
        s_peak = now;
    }
#endif
}

void *ota_port_malloc(size_t size)
{
    if (size > SIZE_MAX - OTA_MEM_HEADER_SIZE) {
        return NULL;
    }
    unsigned char *block = malloc(size + OTA_MEM_HEADER_SIZE);
    if (block == NULL) {
        return NULL;
    }
    memcpy(block, &size, sizeof size);
    ota_mem_account_alloc(size);
    return block + OTA_MEM_HEADER_SIZE;
}

void ota_port_free(void *ptr)
{
    unsigned char *block = (unsigned char *)ptr - OTA_MEM_HEADER_SIZE;
    size_t size;
    memcpy(&size, block, sizeof size);
    OTA_MEM_SUB(s_current, size);
    OTA_MEM_ADD(s_frees, 1);
    free(block);
}

void ota_port_mem_stats(ota_mem_stats_t *out)
{
    out->allocations = OTA_MEM_LOAD(s_allocations);
    out->frees = OTA_MEM_LOAD(s_frees);
    out->current_bytes = OTA_MEM_LOAD(s_current);
    out->peak_bytes = OTA_MEM_LOAD(s_peak);
}

void ota_port_mem_reset_peak(void)
{
    OTA_MEM_STORE(s_allocations, 0);
    OTA_MEM_STORE(s_frees, 0);
    OTA_MEM_STORE(s_peak, OTA_MEM_LOAD(s_current));
}

#endif
