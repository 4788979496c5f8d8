/* The POSIX port's source opener: picks file:// or http(s):// by the URI's scheme. */
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/ota_source.h"
#include "source/source_internal.h"

static const char *TAG = "source";

int ota_source_open(void *ctx, const ota_source_config_t *cfg, const char *uri, uint64_t offset,
                    const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *diag)
{
    (void)ctx;
    if (out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    *out = NULL;
    switch (ota_uri_scheme(uri)) {
    case OTA_URI_FILE:
        return ota_source_file_open(cfg, uri, offset, expect, out, diag);
    case OTA_URI_HTTP:
    case OTA_URI_HTTPS:
        return ota_source_http_open(cfg, uri, offset, expect, out, diag);
    case OTA_URI_INVALID:
    default:
        break;
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
