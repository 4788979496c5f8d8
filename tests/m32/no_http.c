/* The 32-bit test build has no libcurl (no :i386 packages): http(s):// is refused as a port
 * without a network stack would refuse it. */
#include "ota/ota_err.h"
#include "source/source_internal.h"

int ota_source_http_open(const ota_source_config_t *cfg, const char *uri, uint64_t offset,
                         const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *diag)
{
    (void)cfg;
    (void)expect;
    *out = NULL;
    if (diag != NULL) {
        ota_source_info_init(diag, offset);
        ota_source_set_error(diag, "%.200s: no HTTP in the 32-bit test build", uri);
    }
    return OTA_ERR_SRC_URI;
}
