/**
 * @file ota_mem.h
 * @brief The library's allocator, with counters.
 *
 * Every allocation the core makes goes through these functions, so the benchmark can report the
 * service's heap high-water mark and allocation count (DESIGN.md §7) without an external tool.
 *
 * The core owns no heap: by default the calls go to the port (ota_port_malloc/ota_port_free,
 * ota_port.h), which also keeps the counters - the POSIX port counts atomically with a size
 * header, a bare-metal port with plain words. A caller may install its own allocator (a pool, a
 * static arena, heap_caps_malloc on an ESP32) with ota_mem_set_allocator(), as littlefs takes
 * its buffers from the caller; the core itself never needs an atomic wider than the target's
 * word.
 */
#ifndef OTA_MEM_H
#define OTA_MEM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ota_mem_stats ota_mem_stats_t;

/** An allocator the caller supplies instead of the port's (fields NULL: not provided). */
typedef struct {
    void *(*malloc)(void *ctx, size_t size); /**< required; NULL on failure */
    void (*free)(void *ctx, void *ptr);      /**< required; never called with NULL */
    /** Optional: counters of this allocator for ota_mem_get_stats (NULL: all zero). */
    void (*get_stats)(void *ctx, ota_mem_stats_t *out);
    /** Optional: what ota_mem_reset_peak does for this allocator. */
    void (*reset_peak)(void *ctx);
    void *ctx;
} ota_allocator_t;

/**
 * Route every later ota_malloc/ota_free to @p allocator (copied); NULL restores the port's.
 * Set it once at start-up, before anything is allocated: a block must be freed by the allocator
 * that made it.
 */
void ota_mem_set_allocator(const ota_allocator_t *allocator);

/** @return the block, or NULL when the allocator cannot give it (ota_calloc: also when
 *  count * size overflows; its block is zeroed). ota_free(NULL) does nothing. */
void *ota_malloc(size_t size);
void *ota_calloc(size_t count, size_t size);
void ota_free(void *ptr);
/** strdup through ota_malloc (NULL in, NULL out). */
char *ota_strdup(const char *s);

struct ota_mem_stats {
    uint64_t allocations; /**< ota_malloc/ota_calloc calls that succeeded */
    uint64_t frees;       /**< ota_free calls with a non-NULL pointer */
    size_t current_bytes; /**< bytes allocated now */
    size_t peak_bytes;    /**< highest current_bytes since the last reset */
};

void ota_mem_get_stats(ota_mem_stats_t *out);
/** Zero the counters except current_bytes; peak restarts from the current value. */
void ota_mem_reset_peak(void);

#ifdef __cplusplus
}
#endif
#endif /* OTA_MEM_H */
