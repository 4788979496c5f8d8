/**
 * @file ota_port.h
 * @brief What the core needs from the platform beyond flash and sources.
 *
 * The POSIX port (src/port/posix) implements these for the host; a microcontroller port maps them
 * to its RTOS (esp_timer_get_time, vTaskDelay, ...).
 */
#ifndef OTA_PORT_H
#define OTA_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "ota/port/ota_mem.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The heap behind ota_malloc/ota_free when the caller installed no allocator (ota_mem.h). The
 * port counts: allocations, frees, bytes now and the high-water mark, so the service's heap use
 * is measured the same way on every platform. Thread safety is the port's business (the POSIX
 * port counts with atomics; a single-threaded bare-metal port needs none).
 * @return the block, or NULL when the heap cannot give @p size bytes.
 */
void *ota_port_malloc(size_t size);
/** Free a block of ota_port_malloc (never called with NULL). */
void ota_port_free(void *ptr);
/** The port heap's counters. */
void ota_port_mem_stats(ota_mem_stats_t *out);
/** Zero the counters except current_bytes; the peak restarts from the current value. */
void ota_port_mem_reset_peak(void);

/** The service's streaming buffer when the caller sets no work_buffer_size
 *  (ota_service_config_t): the platform's trade of RAM against fewer, larger reads and writes.
 *  POSIX 4096; bare metal 2048 (ESP-ADF's read size), which keeps a whole update within 16 KiB
 *  of RAM. The flash bytes of an update do not depend on it. Never below 512. */
size_t ota_port_work_buffer_default(void);

/** Milliseconds since an arbitrary start (process start on the host, boot on a device). */
uint64_t ota_port_uptime_ms(void);

/** Sleep the calling thread (used for retry back-off). */
void ota_port_sleep_ms(uint32_t ms);

/** A joinable thread (pthread on the host, a FreeRTOS task on a device). */
typedef struct ota_port_thread ota_port_thread_t;

/** Start @p fn(@p arg) in a new thread.
 *  @return OTA_OK; OTA_ERR_NO_MEM (POSIX: allocation or pthread_create failed);
 *          OTA_ERR_NOT_SUPPORTED (the bare-metal port has no threads). */
int ota_port_thread_start(ota_port_thread_t **out, const char *name, void (*fn)(void *arg), void *arg);
/** Wait for the thread to end and free it. */
void ota_port_thread_join(ota_port_thread_t *thread);

#ifdef __cplusplus
}
#endif
#endif /* OTA_PORT_H */
