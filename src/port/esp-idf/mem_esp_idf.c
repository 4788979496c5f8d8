/* ota_port.h heap on ESP-IDF: heap_caps_malloc from byte-addressable internal RAM or PSRAM
 * (MALLOC_CAP_8BIT), behind an 8-byte size header for the counters. The service may run in its
 * own task while the app reads the counters: a critical section (a spinlock on multi-core chips)
 * keeps them consistent. heap_caps_get_minimum_free_size() is the system-wide figure; these count
 * the service's own blocks only. */
#include <string.h>

#include "esp_heap_caps.h"
#include "freertos/FreeRTOS.h"
#include "sdkconfig.h"

#include "ota/port/ota_port.h"

#ifndef CONFIG_OTA_SERVICE_WORK_BUFFER_SIZE
#define CONFIG_OTA_SERVICE_WORK_BUFFER_SIZE 4096
#endif

#define HEADER_SIZE 8u /* keeps the 8-byte alignment heap_caps_malloc gives */

static portMUX_TYPE s_lock = portMUX_INITIALIZER_UNLOCKED;
static uint32_t s_allocations;
static uint32_t s_frees;
static size_t s_current;
static size_t s_peak;

void *ota_port_malloc(size_t size)
{
    if (size > SIZE_MAX - HEADER_SIZE) {
        return NULL;
    }
    unsigned char *block = heap_caps_malloc(size + HEADER_SIZE, MALLOC_CAP_8BIT);
    if (block == NULL) {
        return NULL;
    }
    memcpy(block, &size, sizeof size);
    portENTER_CRITICAL(&s_lock);
    s_allocations++;
    s_current += size;
    if (s_current > s_peak) {
        s_peak = s_current;
    }
    portEXIT_CRITICAL(&s_lock);
    return block + HEADER_SIZE;
}

void ota_port_free(void *ptr)
{
    unsigned char *block = (unsigned char *)ptr - HEADER_SIZE;
    size_t size;
    memcpy(&size, block, sizeof size);
    portENTER_CRITICAL(&s_lock);
    s_current -= size;
    s_frees++;
    portEXIT_CRITICAL(&s_lock);
    heap_caps_free(block);
}

void ota_port_mem_stats(ota_mem_stats_t *out)
{
    portENTER_CRITICAL(&s_lock);
    out->allocations = s_allocations;
    out->frees = s_frees;
    out->current_bytes = s_current;
    out->peak_bytes = s_peak;
    portEXIT_CRITICAL(&s_lock);
}

void ota_port_mem_reset_peak(void)
{
    portENTER_CRITICAL(&s_lock);
    s_allocations = 0;
    s_frees = 0;
    s_peak = s_current;
    portEXIT_CRITICAL(&s_lock);
}

size_t ota_port_work_buffer_default(void)
{
    /* CONFIG_OTA_SERVICE_WORK_BUFFER_SIZE (components/ota_service/Kconfig): a flash sector by
     * default; the core refuses sizes below 512. */
    return CONFIG_OTA_SERVICE_WORK_BUFFER_SIZE;
}
