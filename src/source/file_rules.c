/*
 * The rules of a file:// source, independent of the file API that reads it (POSIX open/read,
 * ESP-IDF's VFS fopen, semihosting): which path a URI names, what validator a file gets, whether a
 * file found at open is the one a resume expects, and where reading stops. The ports keep only
 * the calls that open, stat and read.
 */
#include <stdint.h>
#include <stdio.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_source.h"
#include "source/source_internal.h"

static const char *TAG = "source";

int ota_source_file_path(const char *uri, const char *root, char *path, size_t path_size,
                         ota_source_info_t *info)
{
    int err = ota_uri_file_path(uri, root, path, path_size);
    if (err == OTA_OK) {
        return OTA_OK;
    }
    ota_source_set_error(info, "%s: %s", uri,
                         err == OTA_ERR_SRC_PATH_ESCAPE    ? "'..' is not allowed in a file URI"
                         : err == OTA_ERR_BUFFER_TOO_SMALL ? "path too long"
                                                           : "not file://sdcard/PATH or file:///PATH");
    return err == OTA_ERR_BUFFER_TOO_SMALL ? OTA_ERR_SRC_URI : err;
}

int ota_source_file_accept(ota_source_info_t *info, const char *path, uint64_t size, int64_t mtime,
                           uint64_t offset, const ota_source_expect_t *expect)
{
    info->total_size = (int64_t)size;
    /* A validator like nginx's ("mtime-size" in hex), so a file that changed between two runs is
     * told apart the same way as an HTTP resource; the size alone where there is no time. */
    if (mtime >= 0) {
        snprintf(info->etag, sizeof info->etag, "\"%llx-%llx\"", (unsigned long long)mtime,
                 (unsigned long long)size);
    } else {
        snprintf(info->etag, sizeof info->etag, "\"%llx\"", (unsigned long long)size);
    }
    int err = ota_source_check_expect(info, expect, info->etag, info->total_size);
    if (err == OTA_OK && offset > size) {
        ota_source_set_error(info, "%s has %lld bytes, cannot resume at %llu", path, (long long)size,
                             (unsigned long long)offset);
        err = OTA_ERR_SRC_RESOURCE_CHANGED;
    }
    return err;
}

uint64_t ota_source_file_end(uint64_t size, uint64_t offset, const ota_source_expect_t *expect)
{
    if (expect != NULL && expect->length != 0 && expect->length < size - offset) {
        return offset + expect->length;
    }
    return size;
}

size_t ota_source_read_len(const ota_source_info_t *info, uint64_t end, size_t len)
{
    /* The size seen at open is the resource: a file that grows meanwhile is not read past it, so
     * what is read always matches the total the caller was told. */
    uint64_t left = end > info->offset ? end - info->offset : 0;
    if (len > left) {
        len = (size_t)left;
    }
    return len > (size_t)INT32_MAX ? (size_t)INT32_MAX : len;
}

int ota_source_file_opened(ota_source_t *src, const char *path, int err, ota_source_info_t *info,
                           ota_source_t **out, ota_source_info_t *diag)
{
    if (err == OTA_OK) {
        src->info = *info;
        OTA_LOGD(TAG, "open %s (%lld bytes) at offset %llu", path, (long long)info->total_size,
                 (unsigned long long)info->offset);
        *out = src;
    } else {
        if (info->error[0] == '\0') {
            ota_source_set_error(info, "%s", ota_strerror(err));
        }
        OTA_LOGE(TAG, "%s: %s", ota_strerror(err), info->error);
    }
    if (diag != NULL) {
        *diag = *info;
    }
    return err;
}
