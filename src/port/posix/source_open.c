/* The POSIX port's source opener: picks file:// or http(s):// by the URI's scheme. */
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"
#include "source/source_internal.h"

static const char *TAG = "source";

ota_source_posix_config_t ota_source_posix_config_resolve(const ota_source_config_t *cfg)
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
        c.sdcard_root = OTA_SOURCE_DEFAULT_SDCARD_ROOT;
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
        c.http_buffer_size = OTA_SOURCE_DEFAULT_HTTP_BUFFER;
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
    return c;
}

int ota_source_open(void *ctx, const ota_source_config_t *cfg, const char *uri, uint64_t offset,
                    const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *diag)
{
    (void)ctx;
    if (out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    *out = NULL;
    switch (ota_uri_scheme(uri)) {
    case OTA_URI_FILE: return ota_source_file_open(cfg, uri, offset, expect, out, diag);
    case OTA_URI_HTTP:
    case OTA_URI_HTTPS: return ota_source_http_open(cfg, uri, offset, expect, out, diag);
    case OTA_URI_INVALID:
    default: break;
    }
    OTA_LOGE(TAG, "%s: '%s' (file://, http:// or https:// expected)", ota_strerror(OTA_ERR_SRC_URI),
             uri ? uri : "(null)");
    if (diag != NULL) {
        ota_source_info_init(diag, offset);
        ota_source_set_error(diag, "unsupported URI '%.200s' (file://, http:// or https:// expected)",
                             uri ? uri : "(null)");
    }
    return uri == NULL ? OTA_ERR_INVALID_ARG : OTA_ERR_SRC_URI;
}
