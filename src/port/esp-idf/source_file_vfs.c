/* file:// on ESP-IDF's VFS: fopen() of the path the core's rules give (file://sdcard/x ->
 * <sdcard_root>/x, file:///abs -> /abs, ".." refused), which the VFS routes to the FAT file system
 * the app mounted (esp_vfs_fat_sdspi_mount / _sdmmc_mount at "/sdcard"). FAT has no symbolic
 * links, so a path below the root stays below it. The validator (ETag) is size and modification
 * time, as on POSIX, so a file replaced between two runs is not resumed into. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"
#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"
#include "source/source_internal.h"
#include "source_esp_idf.h"

static const char *TAG = "source";

/* CONFIG_FATFS_MAX_LFN is 255; a mount point and a long name fit. */
#define PATH_MAX_LEN 300

typedef struct {
    ota_source_t base;
    FILE *fp;
    uint64_t end; /* offset after the last byte to read */
} vfs_source_t;

static int vfs_read(ota_source_t *src, void *buf, size_t len)
{
    vfs_source_t *f = (vfs_source_t *)src;
    ota_source_info_t *info = &f->base.info;
    len = ota_source_read_len(info, f->end, len);
    if (len == 0) {
        return 0;
    }
    size_t n = fread(buf, 1, len, f->fp);
    if (n == 0) {
        bool failed = ferror(f->fp) != 0;
        ota_source_set_error(info, "%s at offset %llu of %lld", failed ? strerror(errno) : "file ended early",
                             (unsigned long long)info->offset, (long long)info->total_size);
        OTA_LOGE(TAG, "%s", info->error);
        return failed ? OTA_ERR_SRC_READ : OTA_ERR_SRC_TRUNCATED;
    }
    info->offset += n;
    return (int)n;
}

static void vfs_close(ota_source_t *src)
{
    vfs_source_t *f = (vfs_source_t *)src;
    fclose(f->fp);
    ota_free(f);
}

static const ota_source_ops_t k_ops = {.read = vfs_read, .close = vfs_close};

static int errno_to_err(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR: return OTA_ERR_SRC_FILE_NOT_FOUND;
    case EISDIR: return OTA_ERR_SRC_IS_DIRECTORY;
    case EACCES:
    case EPERM: return OTA_ERR_SRC_PERMISSION;
    default: return OTA_ERR_SRC_READ;
    }
}

static int open_path(const char *path, uint64_t offset, const ota_source_expect_t *expect, FILE **fp_out,
                     ota_source_info_t *info)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        ota_source_set_error(info, "%s: %s", path, strerror(e));
        return errno_to_err(e);
    }
    if (S_ISDIR(st.st_mode)) {
        ota_source_set_error(info, "%s: is a directory", path);
        return OTA_ERR_SRC_IS_DIRECTORY;
    }
    if (!S_ISREG(st.st_mode)) {
        ota_source_set_error(info, "%s: not a regular file", path);
        return OTA_ERR_SRC_NOT_REGULAR_FILE;
    }
    /* The validator (ETag) is size and modification time, as on POSIX (the core's rules). */
    int err = ota_source_file_accept(info, path, (uint64_t)st.st_size, (int64_t)st.st_mtime, offset, expect);
    if (err != OTA_OK) {
        return err;
    }
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        int e = errno;
        ota_source_set_error(info, "%s: %s", path, strerror(e));
        return errno_to_err(e);
    }
    if (offset > 0 && fseek(fp, (long)offset, SEEK_SET) != 0) {
        ota_source_set_error(info, "%s: seek to %llu: %s", path, (unsigned long long)offset, strerror(errno));
        fclose(fp);
        return OTA_ERR_SRC_READ;
    }
    *fp_out = fp;
    return OTA_OK;
}

int ota_source_file_open(const ota_source_config_t *cfg_in, const char *uri, uint64_t offset,
                         const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *diag)
{
    *out = NULL;
    ota_source_info_t info;
    ota_source_info_init(&info, offset);
    ota_source_posix_config_t cfg = ota_esp_idf_source_config(cfg_in);
    char path[PATH_MAX_LEN];
    FILE *fp = NULL;
    int err = ota_source_file_path(uri, cfg.sdcard_root, path, sizeof path, &info);
    if (err == OTA_OK) {
        err = open_path(path, offset, expect, &fp, &info);
    }
    vfs_source_t *f = NULL;
    if (err == OTA_OK) {
        f = ota_calloc(1, sizeof *f);
        if (f == NULL) {
            fclose(fp);
            err = OTA_ERR_NO_MEM;
        }
    }
    if (err != OTA_OK) {
        return ota_source_file_opened(NULL, path, err, &info, out, diag);
    }
    f->base.ops = &k_ops;
    f->fp = fp;
    f->end = ota_source_file_end((uint64_t)info.total_size, offset, expect);
    return ota_source_file_opened(&f->base, path, OTA_OK, &info, out, diag);
}
