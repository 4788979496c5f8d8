/**
 * @file ota_mem.h
 * @brief The library's allocator, with counters.
 *
 * Every allocation the core makes goes through these functions, so the benchmark can report the
 * service's heap high-water mark and allocation count (DESIGN.md §7) without an external tool.
 * Counters are process-wide and updated atomically.
 */
#ifndef OTA_MEM_H
#define OTA_MEM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void *ota_malloc(size_t size);
void *ota_calloc(size_t count, size_t size);
void ota_free(void *ptr);
/** strdup through ota_malloc (NULL in, NULL out). */
char *ota_strdup(const char *s);

typedef struct {
    uint64_t allocations;   /**< ota_malloc/ota_calloc calls that succeeded */
    uint64_t frees;         /**< ota_free calls with a non-NULL pointer */
    size_t current_bytes;   /**< bytes allocated now */
    size_t peak_bytes;      /**< highest current_bytes since the last reset */
} ota_mem_stats_t;

void ota_mem_get_stats(ota_mem_stats_t *out);
/** Zero the counters except current_bytes; peak restarts from the current value. */
void ota_mem_reset_peak(void);

#ifdef __cplusplus
}
#endif
#endif /* OTA_MEM_H */
