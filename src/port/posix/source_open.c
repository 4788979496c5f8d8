/* The POSIX port's source opener: file:// (source_file.c) or http(s):// (source_http.c, libcurl) by
 * the URI's scheme. The dispatch and the settings' defaults are the core's (src/source/). */
#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"
#include "source/source_internal.h"

ota_source_posix_config_t ota_source_posix_config_resolve(const ota_source_config_t *cfg)
{
    return ota_source_config_resolve(cfg, &ota_source_host_defaults);
}

static const ota_source_openers_t k_openers = {
    .file_open = ota_source_file_open,
    .http_open = ota_source_http_open,
    .schemes = "file://, http:// or https://",
};

int ota_source_open(void *ctx, const ota_source_config_t *cfg, const char *uri, uint64_t offset,
                    const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *diag)
{
    (void)ctx;
    return ota_source_open_by_scheme(&k_openers, cfg, uri, offset, expect, out, diag);
}
