/* ota_source_open's dispatch by URI scheme, the same on every port: the port hands in its
 * per-scheme openers (function pointers, so the core names no port symbol and the port's files
 * call the core one way only). */
#include <stddef.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_source.h"
#include "source/source_internal.h"

static const char *TAG = "source";

int ota_source_open_by_scheme(const ota_source_openers_t *openers, const ota_source_config_t *cfg,
                              const char *uri, uint64_t offset, const ota_source_expect_t *expect,
                              ota_source_t **out, ota_source_info_t *diag)
{
    if (out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    *out = NULL;
    ota_source_scheme_open_fn open = NULL;
    switch (ota_uri_scheme(uri)) {
    case OTA_URI_FILE: open = openers->file_open; break;
    case OTA_URI_HTTP:
    case OTA_URI_HTTPS: open = openers->http_open; break;
    case OTA_URI_INVALID:
    default: break;
    }
    if (open != NULL) {
        return open(cfg, uri, offset, expect, out, diag);
    }
    OTA_LOGE(TAG, "%s: '%s' (%s expected)", ota_strerror(OTA_ERR_SRC_URI), uri ? uri : "(null)",
             openers->schemes);
    if (diag != NULL) {
        ota_source_info_init(diag, offset);
        ota_source_set_error(diag, "unsupported URI '%.200s' (%s expected)", uri ? uri : "(null)",
                             openers->schemes);
    }
    return uri == NULL ? OTA_ERR_INVALID_ARG : OTA_ERR_SRC_URI;
}
