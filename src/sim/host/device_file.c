/* A device on the host: flash image file + `DEVICE.bin.state` sidecar (see ota_device_file.h). */
#include "ota/sim/ota_device_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ota/ota_app_image.h"
#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"
#include "ota/ota_ops.h"

#include "sim/host/device_state.h"

static const char *TAG = "device";

struct ota_device_file {
    ota_flash_file_t *flash;
    ota_device_t dev;
    char *state_path;
    char *extra; /* unknown lines of the sidecar, re-emitted on save */
    size_t extra_len;
    char *decrypt_path; /* decrypt_key_file=, "" none */
    ota_enc_scheme_t decrypt_scheme;
    uint8_t *decrypt_key;                            /* its bytes, lent to dev.security.decrypt_key */
    char stale_running[OTA_PARTITION_LABEL_MAX + 1]; /* running= named this, its slot holds no valid app */
};

static int read_text_file(const char *path, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return errno == ENOENT ? OTA_ERR_NOT_FOUND : OTA_ERR_IO;
    }
    size_t cap = 1024, used = 0;
    char *buf = malloc(cap);
    int err = OTA_OK;
    while (buf != NULL) {
        size_t n = fread(buf + used, 1, cap - used, f);
        used += n;
        if (n == 0) {
            break;
        }
        if (used == cap) {
            if (cap >= (1u << 20)) {
                err = OTA_ERR_DEVICE_STATE; /* not a state file */
                break;
            }
            char *grown = realloc(buf, cap * 2);
            if (grown == NULL) {
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    if (buf == NULL) {
        err = OTA_ERR_NO_MEM;
    } else if (ferror(f)) {
        err = OTA_ERR_IO;
    }
    fclose(f);
    if (err != OTA_OK) {
        free(buf);
        return err;
    }
    *out = buf;
    *len = used;
    return OTA_OK;
}

/* An `esptool merge_bin` output ends after its last part; the rest of the chip is erased. */
uint32_t ota_device_file_short_image_size(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    uint8_t head[0x2000 + OTA_BOOTLOADER_PROBE_SIZE];
    ssize_t n = pread(fd, head, sizeof head, 0);
    off_t size = lseek(fd, 0, SEEK_END);
    close(fd);
    static const uint32_t offsets[] = {0x0, 0x1000, 0x2000};
    for (size_t i = 0; n > 0 && i < sizeof offsets / sizeof offsets[0]; i++) {
        ota_bootloader_image_info_t bl;
        if ((size_t)n >= offsets[i] + OTA_BOOTLOADER_PROBE_SIZE &&
            ota_bootloader_image_parse(head + offsets[i], OTA_BOOTLOADER_PROBE_SIZE, offsets[i], &bl) ==
                OTA_OK) {
            bool whole = size > 0 && size % OTA_FLASH_BLOCK_SIZE == 0 && (uint64_t)size >= bl.flash_size;
            return whole || bl.flash_size > OTA_FLASH_EMU_MAX_SIZE ? 0 : bl.flash_size;
        }
    }
    return 0;
}

int ota_device_file_set_decrypt_key(ota_device_file_t *file, ota_enc_scheme_t scheme, const char *key_path,
                                    char *diag, size_t diag_size)
{
    if (file == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (key_path == NULL || key_path[0] == '\0') {
        free(file->decrypt_path);
        free(file->decrypt_key);
        file->decrypt_path = NULL;
        file->decrypt_key = NULL;
        memset(&file->dev.security.decrypt_key, 0, sizeof file->dev.security.decrypt_key);
        return OTA_OK;
    }
    if (scheme != OTA_ENC_SCHEME_RSA3072 && scheme != OTA_ENC_SCHEME_ECIES_P256) {
        ota_device_state_diag(diag, diag_size, "decrypt key %s: no scheme (rsa3072 or ecies)", key_path);
        return OTA_ERR_INVALID_ARG;
    }
    char *text = NULL;
    size_t len = 0;
    int err = read_text_file(key_path, &text, &len);
    if (err != OTA_OK) {
        ota_device_state_diag(diag, diag_size, "cannot read the decrypt key %s: %s", key_path,
                              ota_strerror(err));
        return OTA_ERR_KEY_PARSE;
    }
    /* ECIES: the device's HMAC key is 32 raw bytes (the eFuse block, as esp_enc_img_gen.py takes it) */
    if (scheme == OTA_ENC_SCHEME_ECIES_P256 && len != 32) {
        ota_device_state_diag(diag, diag_size,
                              "decrypt key %s: an ECIES HMAC key is 32 bytes, the file has %zu", key_path,
                              len);
        free(text);
        return OTA_ERR_KEY_PARSE;
    }
    size_t plen = strlen(key_path) + 1;
    char *path_copy = malloc(plen);
    if (path_copy == NULL) {
        free(text);
        return OTA_ERR_NO_MEM;
    }
    memcpy(path_copy, key_path, plen);
    free(file->decrypt_path);
    free(file->decrypt_key);
    file->decrypt_path = path_copy;
    file->decrypt_key = (uint8_t *)text;
    file->decrypt_scheme = scheme;
    file->dev.security.decrypt_key.scheme = scheme;
    file->dev.security.decrypt_key.data = file->decrypt_key;
    file->dev.security.decrypt_key.len = len;
    return OTA_OK;
}

const char *ota_device_file_decrypt_key_path(const ota_device_file_t *file)
{
    return file->decrypt_path != NULL ? file->decrypt_path : "";
}

/* `running=` is RAM state, the flash is the truth: a CPU cannot run an app that is not in flash (a
 * flash re-created, rewritten or erased under an old sidecar). Such a device has not booted; the
 * next `ota run` boots it, and the next save writes `running=` empty. */
static void drop_stale_running(ota_device_file_t *f)
{
    const ota_partition_info_t *running = ota_device_running(&f->dev);
    if (running == NULL) {
        return;
    }
    ota_image_diag_t idiag = {0};
    int err = ota_ops_image_verify(&f->dev, running, true, NULL, &idiag);
    if (err != OTA_OK) {
        OTA_LOGW(TAG, "%s: running=%s, but %s holds no valid app (%s): not running", f->state_path,
                 running->label, running->label, idiag.message[0] ? idiag.message : ota_strerror(err));
        snprintf(f->stale_running, sizeof f->stale_running, "%s", running->label);
        ota_device_set_running(&f->dev, NULL);
    }
}

const char *ota_device_file_stale_running(const ota_device_file_t *file)
{
    return file != NULL && file->stale_running[0] != '\0' ? file->stale_running : NULL;
}

int ota_device_file_open(const char *path, const ota_device_file_options_t *opts, ota_device_file_t **out,
                         char *diag, size_t diag_size)
{
    if (path == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    *out = NULL;
    ota_device_state_diag(diag, diag_size, "%s", "");
    ota_device_file_t *f = calloc(1, sizeof *f);
    if (f == NULL) {
        return OTA_ERR_NO_MEM;
    }
    size_t plen = strlen(path);
    f->state_path = malloc(plen + sizeof OTA_DEVICE_STATE_SUFFIX);
    if (f->state_path == NULL) {
        free(f);
        return OTA_ERR_NO_MEM;
    }
    memcpy(f->state_path, path, plen);
    memcpy(f->state_path + plen, OTA_DEVICE_STATE_SUFFIX, sizeof OTA_DEVICE_STATE_SUFFIX);

    ota_flash_file_options_t fo = {0};
    if (opts != NULL) {
        fo.readonly = opts->readonly;
        fo.emu = opts->emu;
    }
    fo.pad_to = ota_device_file_short_image_size(path);
    int err = ota_flash_file_open(path, &fo, &f->flash);
    if (err != OTA_OK) {
        ota_device_state_diag(diag, diag_size, "cannot open %s: %s", path, ota_strerror(err));
        ota_device_file_close(f);
        return err;
    }
    ota_device_init(&f->dev, ota_flash_file_flash(f->flash), NULL);
    /* The sidecar first: it may say where the table is. */
    char *text = NULL;
    size_t len = 0;
    ota_device_state_extra_t st = {0};
    err = read_text_file(f->state_path, &text, &len);
    if (err == OTA_OK) {
        char why[160] = "";
        err = ota_device_state_read(text, len, &f->dev, &st, why, sizeof why, &f->extra, &f->extra_len);
        free(text);
        if (err != OTA_OK) {
            ota_device_state_diag(diag, diag_size, "%s: %s", f->state_path, why);
        }
    } else if (err == OTA_ERR_NOT_FOUND) {
        err = OTA_OK; /* a new device: defaults */
    } else {
        ota_device_state_diag(diag, diag_size, "cannot read %s: %s", f->state_path, ota_strerror(err));
        err = OTA_ERR_DEVICE_STATE;
    }
    if (err != OTA_OK) {
        ota_device_file_close(f);
        return err == OTA_ERR_NO_MEM ? err : OTA_ERR_DEVICE_STATE;
    }
    /* No chip in the sidecar: a real flash's bootloader says which chip it is (never the ESP32
     * default for an ESP32-C3 dump, whose apps would then all be "for another chip"). */
    ota_bootloader_image_info_t bl;
    if (!st.chip_set && ota_device_probe_bootloader(f->dev.flash, &bl) == OTA_OK) {
        f->dev.chip_id = bl.chip_id;
        if (!st.rev_set) {
            f->dev.chip_revision = bl.chip_id == OTA_CHIP_ESP32 ? OTA_DEVICE_DEFAULT_REVISION_ESP32 : 0;
        }
    }
    ota_partition_diag_t pdiag = {0};
    err =
        st.table_offset_set ? ota_device_load_table(&f->dev, &pdiag) : ota_device_find_table(&f->dev, &pdiag);
    if (err != OTA_OK) {
        if (st.table_offset_set) {
            ota_device_state_diag(diag, diag_size,
                                  "%s: no valid partition table at 0x%x (table_offset in %s): %s", path,
                                  (unsigned)f->dev.table_offset, f->state_path,
                                  pdiag.message[0] ? pdiag.message : ota_strerror(err));
        } else {
            ota_device_state_diag(
                diag, diag_size,
                "%s: no valid partition table at 0x%x (nor one with an MD5 at 0x%x..0x%x): %s", path,
                OTA_PARTITION_TABLE_OFFSET, OTA_DEVICE_TABLE_SCAN_FIRST,
                OTA_DEVICE_TABLE_SCAN_END - OTA_PARTITION_TABLE_SECTOR_SIZE,
                pdiag.message[0] ? pdiag.message : ota_strerror(err));
        }
        ota_device_file_close(f);
        return err;
    }
    char why[160] = "";
    err = ota_device_state_resolve_running(&f->dev, &st, why, sizeof why);
    if (err != OTA_OK) {
        ota_device_state_diag(diag, diag_size, "%s: %s", f->state_path, why);
        ota_device_file_close(f);
        return err;
    }
    drop_stale_running(f);
    if (st.decrypt_path[0] != '\0') {
        char kwhy[480] = "";
        err = ota_device_file_set_decrypt_key(f, st.decrypt_scheme, st.decrypt_path, kwhy, sizeof kwhy);
        if (err != OTA_OK) {
            ota_device_state_diag(diag, diag_size, "%s: %s", f->state_path, kwhy);
            ota_device_file_close(f);
            return OTA_ERR_DEVICE_STATE;
        }
    }
    *out = f;
    return OTA_OK;
}

int ota_device_file_locate_table(const char *path, const ota_flash_t *flash, uint32_t *offset,
                                 ota_partition_table_t *table, ota_partition_diag_t *diag)
{
    if (path == NULL || flash == NULL || offset == NULL || table == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_device_t *dev = malloc(sizeof *dev);
    size_t plen = strlen(path);
    char *state_path = malloc(plen + sizeof OTA_DEVICE_STATE_SUFFIX);
    if (dev == NULL || state_path == NULL) {
        free(dev);
        free(state_path);
        return OTA_ERR_NO_MEM;
    }
    memcpy(state_path, path, plen);
    memcpy(state_path + plen, OTA_DEVICE_STATE_SUFFIX, sizeof OTA_DEVICE_STATE_SUFFIX);
    ota_device_init(dev, flash, NULL);
    char *text = NULL;
    size_t len = 0;
    ota_device_state_extra_t st = {0};
    int err = read_text_file(state_path, &text, &len);
    if (err == OTA_OK) {
        err = ota_device_state_read(text, len, dev, &st, diag != NULL ? diag->message : NULL,
                                    diag != NULL ? sizeof diag->message : 0, NULL, NULL);
        free(text);
    } else if (err == OTA_ERR_NOT_FOUND) {
        err = OTA_OK;
    }
    if (err == OTA_OK) {
        err = st.table_offset_set ? ota_device_load_table(dev, diag) : ota_device_find_table(dev, diag);
    }
    *offset = dev->table_offset;
    if (err == OTA_OK) {
        *table = dev->table;
    }
    free(state_path);
    free(dev);
    return err;
}

ota_device_t *ota_device_file_device(ota_device_file_t *file)
{
    return &file->dev;
}

ota_flash_file_t *ota_device_file_flash(ota_device_file_t *file)
{
    return file->flash;
}

const char *ota_device_file_state_path(const ota_device_file_t *file)
{
    return file->state_path;
}

int ota_device_file_save(ota_device_file_t *file)
{
    int n = ota_device_state_format(&file->dev, NULL, 0);
    if (n < 0) {
        return OTA_ERR_INVALID_STATE;
    }
    /* the decrypt key is a file on the host: its path and scheme, never its bytes */
    char key_lines[480] = "";
    if (file->decrypt_path != NULL) {
        snprintf(key_lines, sizeof key_lines, "decrypt_key_scheme=%s\ndecrypt_key_file=%s\n",
                 file->decrypt_scheme == OTA_ENC_SCHEME_ECIES_P256 ? "ecies" : "rsa3072", file->decrypt_path);
    }
    size_t klen = strlen(key_lines);
    size_t total = (size_t)n + klen + file->extra_len;
    char *text = malloc(total + 1);
    if (text == NULL) {
        return OTA_ERR_NO_MEM;
    }
    ota_device_state_format(&file->dev, text, (size_t)n + 1);
    memcpy(text + n, key_lines, klen);
    if (file->extra_len > 0) {
        memcpy(text + n + klen, file->extra, file->extra_len);
    }
    size_t tlen = strlen(file->state_path) + 32;
    char *tmp = malloc(tlen);
    if (tmp == NULL) {
        free(text);
        return OTA_ERR_NO_MEM;
    }
    snprintf(tmp, tlen, "%s.tmp.%ld", file->state_path, (long)getpid());
    int err = OTA_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        err = OTA_ERR_IO;
    } else {
        size_t done = 0;
        while (done < total) {
            ssize_t w = write(fd, text + done, total - done);
            if (w < 0 && errno == EINTR) {
                continue;
            }
            if (w <= 0) {
                err = OTA_ERR_IO;
                break;
            }
            done += (size_t)w;
        }
        if (err == OTA_OK && fsync(fd) != 0) {
            err = OTA_ERR_IO;
        }
        if (close(fd) != 0 && err == OTA_OK) {
            err = OTA_ERR_IO;
        }
        if (err == OTA_OK && rename(tmp, file->state_path) != 0) {
            err = OTA_ERR_IO;
        }
        if (err != OTA_OK) {
            unlink(tmp);
        }
    }
    free(tmp);
    free(text);
    return err;
}

void ota_device_file_close(ota_device_file_t *file)
{
    if (file == NULL) {
        return;
    }
    if (file->flash != NULL) {
        ota_flash_file_close(file->flash);
    }
    free(file->extra);
    free(file->decrypt_path);
    free(file->decrypt_key);
    free(file->state_path);
    free(file);
}
