/* ota_source_open() of the bare-metal port: file:// read from the host over semihosting, which
 * stands in for the network stack a board would have. The URI maps to a path with the core's
 * rules (file://sdcard/x -> <sdcard_root>/x, file:///abs -> /abs, ".." refused); the host side
 * resolves it. There is no modification time over semihosting, so the validator (ETag) is the
 * size alone; http(s):// is refused: this port has no network. */
#include <stdio.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/ota_mem.h"
#include "ota/ota_port_baremetal.h"
#include "ota/ota_source.h"
#include "ota/ota_source_posix.h"
#include "source/source_internal.h"

static const char *TAG = "source";

#define PATH_MAX_LEN 256

typedef struct {
    ota_source_t base;
    int handle;
    uint64_t end; /* offset after the last byte to read */
} semihost_source_t;

static int semihost_source_read(ota_source_t *src, void *buf, size_t len)
{
    semihost_source_t *f = (semihost_source_t *)src;
    ota_source_info_t *info = &f->base.info;
    uint64_t left = f->end - info->offset;
    if (len > left) {
        len = (size_t)left;
    }
    if (len > 0x7FFFFFFFu) {
        len = 0x7FFFFFFFu;
    }
    if (len == 0) {
        return 0;
    }
    long not_read = ota_semihost_read(f->handle, buf, len);
    if (not_read < 0 || (size_t)not_read >= len) {
        ota_source_set_error(info, "semihosting read at offset %llu failed",
                             (unsigned long long)info->offset);
        OTA_LOGE(TAG, "%s", info->error);
        return not_read < 0 ? OTA_ERR_SRC_READ : OTA_ERR_SRC_TRUNCATED;
    }
    size_t n = len - (size_t)not_read;
    info->offset += n;
    return (int)n;
}

static void semihost_source_close(ota_source_t *src)
{
    semihost_source_t *f = (semihost_source_t *)src;
    ota_semihost_close(f->handle);
    ota_free(f);
}

static const ota_source_ops_t k_ops = {.read = semihost_source_read, .close = semihost_source_close};

static int open_file(const ota_source_config_t *cfg_in, const char *uri, uint64_t offset,
                     const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *info)
{
    /* The semihosting file source stands in for the host's file source, so it takes the same
     * transport settings (ota_source_posix.h, shared with examples/ota_example); only the SD card
     * root applies here. */
    const ota_source_posix_config_t *transport = cfg_in != NULL ? cfg_in->transport : NULL;
    const char *root =
        transport != NULL && transport->sdcard_root != NULL && transport->sdcard_root[0] != '\0'
            ? transport->sdcard_root
            : OTA_SOURCE_DEFAULT_SDCARD_ROOT;
    char path[PATH_MAX_LEN];
    int err = ota_uri_file_path(uri, root, path, sizeof path);
    if (err != OTA_OK) {
        ota_source_set_error(info, "%s: %s", uri,
                             err == OTA_ERR_SRC_PATH_ESCAPE ? "'..' is not allowed in a file URI"
                                                            : "not file://sdcard/PATH or file:///PATH");
        return err == OTA_ERR_BUFFER_TOO_SMALL ? OTA_ERR_SRC_URI : err;
    }
    int handle = ota_semihost_open(path, OTA_SEMIHOST_MODE_RB);
    if (handle < 0) {
        ota_source_set_error(info, "%s: cannot open on the host", path);
        return OTA_ERR_SRC_FILE_NOT_FOUND;
    }
    long size = ota_semihost_flen(handle);
    if (size < 0) {
        ota_semihost_close(handle);
        ota_source_set_error(info, "%s: no length (not a regular file?)", path);
        return OTA_ERR_SRC_NOT_REGULAR_FILE;
    }
    info->total_size = size;
    snprintf(info->etag, sizeof info->etag, "\"%lx\"", (unsigned long)size);
    err = ota_source_check_expect(info, expect, info->etag, info->total_size);
    if (err == OTA_OK && offset > (uint64_t)size) {
        ota_source_set_error(info, "%s has %ld bytes, cannot resume at %llu", path, size,
                             (unsigned long long)offset);
        err = OTA_ERR_SRC_RESOURCE_CHANGED;
    }
    if (err == OTA_OK && offset > 0 && ota_semihost_seek(handle, (size_t)offset) != 0) {
        ota_source_set_error(info, "%s: seek to %llu failed", path, (unsigned long long)offset);
        err = OTA_ERR_SRC_READ;
    }
    semihost_source_t *f = NULL;
    if (err == OTA_OK) {
        f = ota_calloc(1, sizeof *f);
        if (f == NULL) {
            err = OTA_ERR_NO_MEM;
        }
    }
    if (err != OTA_OK) {
        ota_semihost_close(handle);
        return err;
    }
    f->base.ops = &k_ops;
    f->base.info = *info;
    f->handle = handle;
    f->end = (uint64_t)size;
    if (expect != NULL && expect->length != 0 && expect->length < f->end - offset) {
        f->end = offset + expect->length;
    }
    OTA_LOGD(TAG, "open %s (%ld bytes) at offset %llu", path, size, (unsigned long long)offset);
    *out = &f->base;
    return OTA_OK;
}

int ota_source_open(void *ctx, const ota_source_config_t *cfg, const char *uri, uint64_t offset,
                    const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *diag)
{
    (void)ctx;
    if (out == NULL || uri == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    *out = NULL;
    ota_source_info_t info;
    ota_source_info_init(&info, offset);
    int err;
    if (ota_uri_scheme(uri) == OTA_URI_FILE) {
        err = open_file(cfg, uri, offset, expect, out, &info);
    } else {
        ota_source_set_error(&info, "'%.200s': this port reads file:// over semihosting only", uri);
        err = OTA_ERR_SRC_URI;
    }
    if (err != OTA_OK) {
        OTA_LOGE(TAG, "%s: %s", ota_strerror(err), info.error);
    }
    if (diag != NULL) {
        *diag = info;
    }
    return err;
}
