/*
 * What an HTTP source does around its requests, the same for every HTTP client port (libcurl on
 * POSIX, esp_http_client on ESP-IDF): the identity a resume must find again, the Range a request
 * carries, the bounded resume loop after a broken transfer and the report of an open. The port
 * gives the one thing that differs, how to send a request (ota_http_request_fn).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_port.h"
#include "ota/port/ota_source.h"
#include "source/source_internal.h"

static const char *TAG = "HTTP_CLIENT";

void ota_http_identity_init(ota_source_expect_t *identity, uint64_t *limit_end,
                            const ota_source_expect_t *expect, uint64_t offset)
{
    identity->total_size = -1;
    *limit_end = UINT64_MAX;
    if (expect != NULL) {
        *identity = *expect;
        identity->etag[sizeof identity->etag - 1] = '\0';
        if (expect->length != 0 && expect->length <= UINT64_MAX - 1 - offset) {
            *limit_end = offset + expect->length;
        }
    }
}

bool ota_http_range_value(char *value, size_t size, uint64_t offset, uint64_t limit_end)
{
    if (offset == 0 && limit_end == UINT64_MAX) {
        value[0] = '\0';
        return false;
    }
    if (limit_end != UINT64_MAX) {
        snprintf(value, size, "bytes=%llu-%llu", (unsigned long long)offset,
                 (unsigned long long)(limit_end - 1));
    } else {
        snprintf(value, size, "bytes=%llu-", (unsigned long long)offset);
    }
    return true;
}

/* Resume from info->offset after @p why, at most max_retries times per source. */
static int resume(ota_source_info_t *info, const ota_source_posix_config_t *cfg, int why,
                  ota_http_request_fn request, void *ctx)
{
    while (info->retries < (uint32_t)cfg->max_retries) {
        uint32_t backoff = ota_source_backoff_ms(cfg->retry_backoff_ms, info->retries);
        OTA_LOGW(TAG, "%s at offset %llu of %lld (%s); resuming in %u ms (retry %u of %d)", ota_strerror(why),
                 (unsigned long long)info->offset, (long long)info->total_size, info->error,
                 (unsigned)backoff, (unsigned)info->retries + 1u, cfg->max_retries);
        ota_port_sleep_ms(backoff);
        info->retries++;
        int err = request(ctx, info->offset);
        if (err == OTA_OK) {
            info->error[0] = '\0';
            OTA_LOGI(TAG, "resumed at offset %llu (HTTP %d)", (unsigned long long)info->offset,
                     info->http_status);
            return OTA_OK;
        }
        if (!ota_source_err_retryable(err, info->http_status)) {
            OTA_LOGE(TAG, "resume at offset %llu refused: %s: %s", (unsigned long long)info->offset,
                     ota_strerror(err), info->error);
            return err;
        }
        why = err;
    }
    OTA_LOGE(TAG, "%s at offset %llu of %lld after %u retries: %s", ota_strerror(why),
             (unsigned long long)info->offset, (long long)info->total_size, (unsigned)info->retries,
             info->error);
    return why;
}

int ota_http_recover(ota_source_info_t *info, const ota_source_posix_config_t *cfg, int err,
                     ota_http_request_fn request, void *ctx)
{
    if (ota_source_err_retryable(err, info->http_status)) {
        return resume(info, cfg, err, request, ctx);
    }
    OTA_LOGE(TAG, "%s at offset %llu: %s", ota_strerror(err), (unsigned long long)info->offset, info->error);
    return err;
}

int ota_http_opened(ota_source_info_t *info, const char *uri, int err, ota_source_info_t *diag)
{
    if (err == OTA_OK) {
        OTA_LOGD(TAG, "HTTP %d, %lld bytes, offset %llu, ETag %s", info->http_status,
                 (long long)info->total_size, (unsigned long long)info->offset,
                 info->etag[0] ? info->etag : "(none)");
    } else {
        if (info->error[0] == '\0') {
            ota_source_set_error(info, "%s", ota_strerror(err));
        }
        OTA_LOGE(TAG, "%s: %s: %s", uri, ota_strerror(err), info->error);
    }
    if (diag != NULL) {
        *diag = *info;
    }
    return err;
}
