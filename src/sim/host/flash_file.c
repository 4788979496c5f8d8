/* Device image file mapped MAP_SHARED under the NOR emulator. */
#include "ota/sim/ota_flash_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"

static const char *TAG = "flash_file";

struct ota_flash_file {
    int fd;
    uint8_t *map;
    size_t size; /* mapped bytes: the file, or a short read-only image copied into anonymous memory */
    ota_flash_emu_t *emu;
};

static int errno_to_err(int e)
{
    switch (e) {
    case ENOENT: return OTA_ERR_NOT_FOUND;
    case ENOMEM: return OTA_ERR_NO_MEM;
    default: return OTA_ERR_IO;
    }
}

static int wrap(int fd, uint8_t *map, ota_flash_emu_config_t *cfg, ota_flash_file_t **out)
{
    ota_flash_file_t *file = ota_calloc(1, sizeof *file);
    int err = file ? ota_flash_emu_create(cfg, map, &file->emu) : OTA_ERR_NO_MEM;
    if (err != OTA_OK) {
        ota_free(file);
        munmap(map, cfg->size);
        close(fd);
        return err;
    }
    file->fd = fd;
    file->map = map;
    file->size = cfg->size;
    *out = file;
    return OTA_OK;
}

/* A merged image shorter than its flash: the missing tail is erased flash (0xFF). */
static int open_short_image(int fd, const char *path, const ota_flash_file_options_t *opts,
                            ota_flash_emu_config_t *cfg, off_t have, ota_flash_file_t **out)
{
    cfg->size = opts->pad_to;
    uint8_t *map;
    if (opts->readonly) {
        map = mmap(NULL, cfg->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (map == MAP_FAILED) {
            close(fd);
            return OTA_ERR_NO_MEM;
        }
        memset(map + have, OTA_FLASH_ERASED_BYTE, cfg->size - (size_t)have);
        off_t done = 0;
        while (done < have) {
            ssize_t n = pread(fd, map + done, (size_t)(have - done), done);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                munmap(map, cfg->size);
                close(fd);
                return OTA_ERR_IO;
            }
            done += n;
        }
        OTA_LOGD(TAG, "%s: %lld bytes, read as a %u-byte flash (rest erased)", path, (long long)have,
                 (unsigned)cfg->size);
        return wrap(fd, map, cfg, out);
    }
    if (ftruncate(fd, (off_t)cfg->size) != 0) {
        OTA_LOGE(TAG, "cannot size %s: %s", path, strerror(errno));
        close(fd);
        return OTA_ERR_IO;
    }
    map = mmap(NULL, cfg->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        int err = errno_to_err(errno);
        close(fd);
        return err;
    }
    memset(map + have, OTA_FLASH_ERASED_BYTE, cfg->size - (size_t)have);
    OTA_LOGI(TAG, "%s: %lld bytes extended with erased flash to %u bytes (its bootloader's flash size)", path,
             (long long)have, (unsigned)cfg->size);
    return wrap(fd, map, cfg, out);
}

int ota_flash_file_open(const char *path, const ota_flash_file_options_t *opts, ota_flash_file_t **out)
{
    if (path == NULL || opts == NULL || out == NULL || (opts->create && opts->readonly)) {
        return OTA_ERR_INVALID_ARG;
    }
    *out = NULL;
    ota_flash_emu_config_t cfg = opts->emu;
    cfg.readonly = cfg.readonly || opts->readonly;
    if (opts->create) {
        if (cfg.size == 0) {
            cfg.size = OTA_FLASH_EMU_DEFAULT_SIZE;
        }
        if (cfg.size % OTA_FLASH_BLOCK_SIZE != 0 || cfg.size > OTA_FLASH_EMU_MAX_SIZE) {
            return OTA_ERR_FLASH_GEOMETRY;
        }
    }

    int flags = opts->readonly ? O_RDONLY : O_RDWR;
    if (opts->create) {
        flags |= O_CREAT;
    }
    int fd = open(path, flags | O_CLOEXEC, 0644);
    if (fd < 0) {
        int err = errno_to_err(errno);
        OTA_LOGE(TAG, "cannot open device %s: %s", path, strerror(errno));
        return err;
    }
    /* Exclusive for writers, shared for readers: a reader never sees a half-done update by
     * another process mid-operation, and two writers cannot interleave. */
    if (flock(fd, (opts->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
        OTA_LOGE(TAG, "%s is in use by another process", path);
        close(fd);
        return OTA_ERR_BUSY;
    }
    if (opts->create) {
        /* Truncate to zero first so the whole image reads back as erased flash. */
        if (ftruncate(fd, 0) != 0 || ftruncate(fd, cfg.size) != 0) {
            OTA_LOGE(TAG, "cannot size %s: %s", path, strerror(errno));
            close(fd);
            return OTA_ERR_IO;
        }
    } else {
        struct stat st;
        if (fstat(fd, &st) != 0) {
            close(fd);
            return OTA_ERR_IO;
        }
        if (S_ISREG(st.st_mode) && opts->pad_to != 0 && opts->pad_to % OTA_FLASH_BLOCK_SIZE == 0 &&
            opts->pad_to <= OTA_FLASH_EMU_MAX_SIZE && st.st_size < (off_t)opts->pad_to) {
            return open_short_image(fd, path, opts, &cfg, st.st_size, out);
        }
        if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size % OTA_FLASH_BLOCK_SIZE != 0 ||
            st.st_size > (off_t)OTA_FLASH_EMU_MAX_SIZE) {
            OTA_LOGE(TAG, "%s: size %lld is not a flash size (a multiple of 64 KiB up to 16 MiB)", path,
                     (long long)st.st_size);
            close(fd);
            return OTA_ERR_FLASH_GEOMETRY;
        }
        cfg.size = (uint32_t)st.st_size;
    }

    int prot = opts->readonly ? PROT_READ : PROT_READ | PROT_WRITE;
    uint8_t *map = mmap(NULL, cfg.size, prot, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        int err = errno_to_err(errno);
        OTA_LOGE(TAG, "cannot map %s: %s", path, strerror(errno));
        close(fd);
        return err;
    }
    if (opts->create) {
        memset(map, OTA_FLASH_ERASED_BYTE, cfg.size);
    }

    return wrap(fd, map, &cfg, out);
}

void ota_flash_file_close(ota_flash_file_t *file)
{
    if (file == NULL) {
        return;
    }
    ota_flash_emu_destroy(file->emu);
    munmap(file->map, file->size);
    close(file->fd); /* releases the flock */
    ota_free(file);
}

ota_flash_emu_t *ota_flash_file_emu(ota_flash_file_t *file)
{
    return file->emu;
}

ota_flash_t *ota_flash_file_flash(ota_flash_file_t *file)
{
    return ota_flash_emu_flash(file->emu);
}
