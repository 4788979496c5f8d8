/**
 * @file ota_port.h
 * @brief What the core needs from the platform beyond flash and sources.
 *
 * The POSIX port (src/port/posix) implements these for the host; a microcontroller port maps them
 * to its RTOS (esp_timer_get_time, vTaskDelay, ...).
 */
#ifndef OTA_PORT_H
#define OTA_PORT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Milliseconds since an arbitrary start (process start on the host, boot on a device). */
uint64_t ota_port_uptime_ms(void);

/** Sleep the calling thread (used for retry back-off). */
void ota_port_sleep_ms(uint32_t ms);

/** A joinable thread (pthread on the host, a FreeRTOS task on a device). */
typedef struct ota_port_thread ota_port_thread_t;

/** Start @p fn(@p arg) in a new thread. */
int ota_port_thread_start(ota_port_thread_t **out, const char *name, void (*fn)(void *arg), void *arg);
/** Wait for the thread to end and free it. */
void ota_port_thread_join(ota_port_thread_t *thread);

#ifdef __cplusplus
}
#endif
#endif /* OTA_PORT_H */
