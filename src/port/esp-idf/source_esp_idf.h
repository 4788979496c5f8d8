/* The ESP-IDF port's source settings, shared by its opener and its two transports (not installed). */
#ifndef OTA_PORT_ESP_IDF_SOURCE_ESP_IDF_H
#define OTA_PORT_ESP_IDF_SOURCE_ESP_IDF_H

#include <stddef.h>

#include "ota/port/ota_port_esp_idf.h"
#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"
#include "source/source_internal.h"

/* esp_http_client's receive buffer: ESP-IDF's own default is 512 bytes (DEFAULT_HTTP_BUF_SIZE);
 * esp_https_ota's examples use 1024 to 4096. 2048 is ESP-ADF's read size. */
#define OTA_ESP_IDF_DEFAULT_HTTP_BUFFER 2048u

/** The core's settings rules (source_config.c) with this port's defaults; a "" proxy is none (the
 *  port has no proxy support, and "" asks for none). */
static inline ota_source_posix_config_t ota_esp_idf_source_config(const ota_source_config_t *cfg)
{
    static const ota_source_port_defaults_t defaults = {
        .sdcard_root = OTA_ESP_IDF_DEFAULT_SDCARD_ROOT,
        .http_buffer_size = OTA_ESP_IDF_DEFAULT_HTTP_BUFFER,
    };
    ota_source_posix_config_t c = ota_source_config_resolve(cfg, &defaults);
    if (c.proxy != NULL && c.proxy[0] == '\0') {
        c.proxy = NULL;
    }
    return c;
}

#endif /* OTA_PORT_ESP_IDF_SOURCE_ESP_IDF_H */
