/* The transport settings every port's sources resolve the same way: the caller's
 * ota_source_posix_config_t (the struct the POSIX, ESP-IDF and bare-metal ports share) with each
 * zero field replaced by its default. Only the SD card root and the HTTP receive buffer differ
 * between ports, so they are the port's to give; the rest of the rules live here once. */
#include <string.h>

#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"
#include "source/source_internal.h"

ota_source_posix_config_t ota_source_config_resolve(const ota_source_config_t *cfg,
                                                    const ota_source_port_defaults_t *defaults)
{
    ota_source_posix_config_t c;
    if (cfg != NULL && cfg->transport != NULL) {
        c = *(const ota_source_posix_config_t *)cfg->transport;
    } else {
        memset(&c, 0, sizeof c);
    }
    if (cfg != NULL && cfg->cert_pem != NULL) {
        c.cert_pem = cfg->cert_pem; /* the item's trust anchor (ESP-ADF node cert_pem) wins */
    }
    if (c.sdcard_root == NULL || c.sdcard_root[0] == '\0') {
        c.sdcard_root = defaults->sdcard_root;
    }
    if (c.connect_timeout_ms == 0) {
        c.connect_timeout_ms = OTA_SOURCE_DEFAULT_CONNECT_TIMEOUT_MS;
    }
    if (c.stall_timeout_ms == 0) {
        c.stall_timeout_ms = OTA_SOURCE_DEFAULT_STALL_TIMEOUT_MS;
    }
    if (c.max_redirects == 0) {
        c.max_redirects = OTA_SOURCE_DEFAULT_MAX_REDIRECTS;
    } else if (c.max_redirects < 0) {
        c.max_redirects = 0;
    }
    if (c.max_retries == 0) {
        c.max_retries = OTA_SOURCE_DEFAULT_MAX_RETRIES;
    } else if (c.max_retries < 0) {
        c.max_retries = 0;
    }
    if (c.retry_backoff_ms == 0) {
        c.retry_backoff_ms = OTA_SOURCE_DEFAULT_RETRY_BACKOFF_MS;
    }
    if (c.http_buffer_size == 0) {
        c.http_buffer_size = defaults->http_buffer_size;
    } else if (c.http_buffer_size < OTA_SOURCE_MIN_HTTP_BUFFER) {
        c.http_buffer_size = OTA_SOURCE_MIN_HTTP_BUFFER;
    } else if (c.http_buffer_size > OTA_SOURCE_MAX_HTTP_BUFFER) {
        c.http_buffer_size = OTA_SOURCE_MAX_HTTP_BUFFER;
    }
    if (c.cert_pem != NULL && c.cert_pem[0] == '\0') {
        c.cert_pem = NULL;
    }
    if (c.ca_file != NULL && c.ca_file[0] == '\0') {
        c.ca_file = NULL;
    }
    /* proxy "" stays "": for libcurl it means "no proxy, whatever the environment says". */
    return c;
}

const ota_source_port_defaults_t ota_source_host_defaults = {
    .sdcard_root = OTA_SOURCE_DEFAULT_SDCARD_ROOT,
    .http_buffer_size = OTA_SOURCE_DEFAULT_HTTP_BUFFER,
};
