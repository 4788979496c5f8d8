/* file:// source: the ESP-ADF example's SD card (file://sdcard/x) or an absolute path. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"
#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"
#include "port/posix/open_beneath.h"
#include "source/source_internal.h"

static const char *TAG = "source";

typedef struct {
    ota_source_t base;
    int fd;
    uint64_t end;   /* offset after the last byte to read (expect->length), or the file size */
    int sticky_err; /* once a read failed, every later read returns the same error */
} file_source_t;

static int file_read(ota_source_t *src, void *buf, size_t len)
{
    file_source_t *f = (file_source_t *)src;
    ota_source_info_t *info = &f->base.info;
    if (f->sticky_err != OTA_OK) {
        return f->sticky_err;
    }
    len = ota_source_read_len(info, f->end, len);
    if (len == 0) {
        return 0;
    }
    ssize_t n;
    do {
        n = read(f->fd, buf, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        ota_source_set_error(info, "read at offset %llu: %s", (unsigned long long)info->offset,
                             strerror(errno));
        OTA_LOGE(TAG, "%s", info->error);
        f->sticky_err = OTA_ERR_SRC_READ;
        return f->sticky_err;
    }
    if (n == 0) {
        ota_source_set_error(info, "file shrank to %llu bytes while being read (was %lld)",
                             (unsigned long long)info->offset, (long long)info->total_size);
        OTA_LOGE(TAG, "%s", info->error);
        f->sticky_err = OTA_ERR_SRC_TRUNCATED;
        return f->sticky_err;
    }
    info->offset += (uint64_t)n;
    return (int)n;
}

static void file_close(ota_source_t *src)
{
    file_source_t *f = (file_source_t *)src;
    close(f->fd);
    ota_free(f);
}

static const ota_source_ops_t k_file_ops = {.read = file_read, .close = file_close};

static int errno_to_err(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR: return OTA_ERR_SRC_FILE_NOT_FOUND;
    case EACCES:
    case EPERM: return OTA_ERR_SRC_PERMISSION;
    case EISDIR: return OTA_ERR_SRC_IS_DIRECTORY;
    case ENAMETOOLONG: return OTA_ERR_SRC_URI;
    case ENOMEM: return OTA_ERR_NO_MEM;
    default: return OTA_ERR_SRC_READ;
    }
}

/* Last-Modified for the message and the caller; the validator itself is the core's (file_rules.c). */
static void file_last_modified(const struct stat *st, ota_source_info_t *info)
{
    struct tm tm;
    time_t t = st->st_mtim.tv_sec;
    if (gmtime_r(&t, &tm) != NULL) {
        strftime(info->last_modified, sizeof info->last_modified, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    }
}

/* Why @p path was refused: for the message only (the open itself never trusts a resolved name). */
static void describe_escape(const char *path, const char *root, int e, ota_source_info_t *info)
{
    char root_real[PATH_MAX];
    char resolved[PATH_MAX];
    if (e == ELOOP) {
        ota_source_set_error(info, "%s: too many levels of symbolic links (a loop?) under the sdcard root %s",
                             path, root);
    } else if (realpath(path, resolved) == NULL || realpath(root, root_real) == NULL) {
        ota_source_set_error(info, "%s leads outside the sdcard root %s", path, root);
    } else if (strncmp(resolved, root_real, strlen(root_real)) == 0) {
        /* resolved inside by now: the path was changed while it was being opened */
        ota_source_set_error(info, "%s led outside the sdcard root %s while it was opened", path, root_real);
    } else {
        ota_source_set_error(info, "%s resolves to %s, outside the sdcard root %s", path, resolved,
                             root_real);
    }
}

/*
 * Open file://sdcard/REL below the root in one resolution by the kernel (or a descriptor walk),
 * so a directory on the path swapped for a symlink between a check and the open cannot lead out.
 * Symlinks that stay below the root are followed. Returns a descriptor or a negative OTA_ERR_*.
 */
static int open_in_root(const char *uri, const char *root, const char *path, ota_source_info_t *info)
{
    char rel[PATH_MAX];
    int err = ota_uri_file_path(uri, "/", rel, sizeof rel);
    if (err != OTA_OK) {
        ota_source_set_error(info, "%s: path too long", uri);
        return OTA_ERR_SRC_URI;
    }
    /* The root itself may be a symlink (a mount point alias): it is the caller's choice. */
    int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) {
        int e = errno;
        ota_source_set_error(info, "sdcard root %s: %s", root, strerror(e));
        return errno_to_err(e);
    }
    int fd = ota_posix_open_beneath(root_fd, rel + 1, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, true);
    close(root_fd);
    if (fd >= 0) {
        return fd;
    }
    int e = -fd;
    if (e == EXDEV || e == ELOOP) {
        describe_escape(path, root, e, info);
        return OTA_ERR_SRC_PATH_ESCAPE;
    }
    ota_source_set_error(info, "%s: %s", path, strerror(e));
    return errno_to_err(e);
}

/* Open @p path (file://sdcard/ below @p root); a descriptor of a regular file, or a negative
 * OTA_ERR_* with info->error saying why. */
static int open_regular(const char *uri, const char *root, const char *path, struct stat *st,
                        ota_source_info_t *info)
{
    int fd;
    /* file://sdcard/... must stay under the root even through symlinks; file:///abs (also
     * file://localhost/abs, RFC 8089) is explicit. */
    if (ota_uri_file_is_sdcard(uri)) {
        fd = open_in_root(uri, root, path, info);
        if (fd < 0) {
            return fd;
        }
    } else {
        /* O_NONBLOCK: opening a FIFO must not hang the service; it is refused just below. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) {
            int e = errno;
            ota_source_set_error(info, "%s: %s", path, strerror(e));
            return errno_to_err(e);
        }
    }
    int err = OTA_OK;
    if (fstat(fd, st) != 0) {
        ota_source_set_error(info, "%s: %s", path, strerror(errno));
        err = OTA_ERR_SRC_READ;
    } else if (S_ISDIR(st->st_mode)) {
        ota_source_set_error(info, "%s: %s", path, strerror(EISDIR));
        err = OTA_ERR_SRC_IS_DIRECTORY;
    } else if (!S_ISREG(st->st_mode)) {
        ota_source_set_error(info, "%s: not a regular file", path);
        err = OTA_ERR_SRC_NOT_REGULAR_FILE;
    }
    if (err != OTA_OK) {
        close(fd);
        return err;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) {
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    }
    return fd;
}

int ota_source_file_open(const ota_source_config_t *cfg_in, const char *uri, uint64_t offset,
                         const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *diag)
{
    ota_source_posix_config_t cfg = ota_source_config_resolve(cfg_in, &ota_source_host_defaults);
    ota_source_info_t info;
    ota_source_info_init(&info, offset);
    *out = NULL;

    char path[PATH_MAX];
    struct stat st;
    int fd = -1;
    file_source_t *f = NULL;
    int err = ota_source_file_path(uri, cfg.sdcard_root, path, sizeof path, &info);
    if (err == OTA_OK) {
        fd = open_regular(uri, cfg.sdcard_root, path, &st, &info);
        err = fd < 0 ? fd : OTA_OK;
    }
    if (err == OTA_OK) {
        file_last_modified(&st, &info);
        err = ota_source_file_accept(&info, path, (uint64_t)st.st_size, (int64_t)st.st_mtim.tv_sec, offset,
                                     expect);
    }
    if (err == OTA_OK && offset > 0 && lseek(fd, (off_t)offset, SEEK_SET) != (off_t)offset) {
        ota_source_set_error(&info, "%s: seek to %llu: %s", path, (unsigned long long)offset,
                             strerror(errno));
        err = OTA_ERR_SRC_READ;
    }
    if (err == OTA_OK) {
        f = ota_calloc(1, sizeof *f);
        err = f != NULL ? OTA_OK : OTA_ERR_NO_MEM;
    }
    if (err != OTA_OK) {
        if (fd >= 0) {
            close(fd);
        }
        return ota_source_file_opened(NULL, path, err, &info, out, diag);
    }
    f->base.ops = &k_file_ops;
    f->fd = fd;
    f->end = ota_source_file_end((uint64_t)st.st_size, offset, expect);
    return ota_source_file_opened(&f->base, path, OTA_OK, &info, out, diag);
}
