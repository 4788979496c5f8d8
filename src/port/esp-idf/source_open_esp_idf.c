/* The ESP-IDF port's source opener: file:// on the VFS (the SD card's FAT mount), http(s):// on
 * esp_http_client, picked by the URI's scheme with the core's dispatch (src/source/). The transport
 * settings are the POSIX port's struct (ota_source_posix.h), resolved with this port's defaults
 * (source_esp_idf.h). */
#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"
#include "source/source_internal.h"
#include "source_esp_idf.h"

ota_source_posix_config_t ota_source_posix_config_resolve(const ota_source_config_t *cfg)
{
    return ota_esp_idf_source_config(cfg);
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
