/* Rules every source shares: defaults, info bookkeeping, Content-Range, resume checks. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/port/ota_source.h"
#include "source/source_internal.h"

void ota_source_info_init(ota_source_info_t *info, uint64_t offset)
{
    memset(info, 0, sizeof *info);
    info->total_size = -1;
    info->offset = offset;
}

void ota_source_set_error(ota_source_info_t *info, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(info->error, sizeof info->error, fmt, ap);
    va_end(ap);
}

bool ota_source_copy_string(char *dst, size_t dst_size, const char *src)
{
    size_t len = strlen(src);
    if (dst_size == 0) {
        return len == 0;
    }
    size_t n = len < dst_size - 1 ? len : dst_size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return n == len;
}

int ota_source_check_expect(ota_source_info_t *info, const ota_source_expect_t *expect, const char *etag,
                            int64_t total_size)
{
    if (expect == NULL) {
        return OTA_OK;
    }
    if (expect->etag[0] != '\0' && strncmp(expect->etag, etag, sizeof expect->etag) != 0) {
        if (etag[0] == '\0') {
            ota_source_set_error(info, "the resource no longer has ETag %.100s", expect->etag);
        } else {
            ota_source_set_error(info, "ETag changed from %.100s to %.100s", expect->etag, etag);
        }
        return OTA_ERR_SRC_RESOURCE_CHANGED;
    }
    if (expect->total_size >= 0 && total_size >= 0 && expect->total_size != total_size) {
        ota_source_set_error(info, "length changed from %lld to %lld bytes", (long long)expect->total_size,
                             (long long)total_size);
        return OTA_ERR_SRC_RESOURCE_CHANGED;
    }
    return OTA_OK;
}
