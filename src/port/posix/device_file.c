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

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
set_diag(char *diag, size_t size, const char *fmt, ...)
{
    if (diag == NULL || size == 0) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diag, size, fmt, ap);
    va_end(ap);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) {
        s[--n] = '\0';
    }
    return s;
}

/*
 * A number as a person writes it: decimal ("010" is ten, not octal eight) or 0x-hex, digits only —
 * no sign, no blanks, no trailing junk — and at most @p max. strtoull alone would take "-1" (as
 * 2^64-1), " +5", and octal; every value that does not fit is refused, never wrapped.
 */
static bool parse_number(const char *s, uint64_t max, uint64_t *out)
{
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (*s == '\0') {
        return false;
    }
    uint64_t v = 0;
    for (; *s != '\0'; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9') {
            d = (unsigned)(*s - '0');
        } else if (base == 16 && *s >= 'a' && *s <= 'f') {
            d = (unsigned)(*s - 'a' + 10);
        } else if (base == 16 && *s >= 'A' && *s <= 'F') {
            d = (unsigned)(*s - 'A' + 10);
        } else {
            return false;
        }
        if (v > (max - d) / (uint64_t)base) {
            return false; /* v * base + d would exceed max (checked before it could overflow) */
        }
        v = v * (uint64_t)base + d;
    }
    *out = v;
    return true;
}

static bool parse_u32(const char *s, uint32_t *out)
{
    uint64_t v;
    if (!parse_number(s, UINT32_MAX, &v)) {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "true", "on", "yes"};
    static const char *const no[] = {"0", "false", "off", "no"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* "v3.0", "3.0" (major.minor, minor 0..99) or the full number ("300"); at most 65535 (v655.35),
 * the width of the image header's min/max_chip_rev_full. */
static bool parse_revision(const char *s, uint16_t *out)
{
    if (*s == 'v' || *s == 'V') {
        s++;
    }
    const char *dot = strchr(s, '.');
    uint64_t major, minor;
    if (dot == NULL) {
        if (!parse_number(s, 0xFFFF, &major)) {
            return false;
        }
        *out = (uint16_t)major;
        return true;
    }
    char buf[16];
    size_t n = (size_t)(dot - s);
    if (n == 0 || n >= sizeof buf) {
        return false;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    /* bounded before multiplying, so a huge major cannot wrap into a small revision */
    if (!parse_number(buf, 0xFFFF / 100, &major) || !parse_number(dot + 1, 99, &minor) ||
        major * 100 + minor > 0xFFFF) {
        return false;
    }
    *out = (uint16_t)(major * 100 + minor);
    return true;
}

/* What the sidecar says beyond the fields of ota_device_t that parse_state sets directly. */
typedef struct {
    char running[OTA_PARTITION_LABEL_MAX + 2]; /* "" = none */
    bool running_set;
    bool table_offset_set;
    bool chip_set;
    bool rev_set;
    char decrypt_path[400];          /* decrypt_key_file= ("" none) */
    ota_enc_scheme_t decrypt_scheme; /* decrypt_key_scheme= (0: not given) */
} state_extra_t;

/* 64 hex digits -> 32 bytes (a Secure Boot V2 key digest as espsecure prints it). */
static bool parse_digest(const char *s, uint8_t out[32])
{
    if (strlen(s) != 64) {
        return false;
    }
    for (size_t i = 0; i < 32; i++) {
        unsigned v = 0;
        for (size_t k = 0; k < 2; k++) {
            char c = s[2 * i + k];
            unsigned d;
            if (c >= '0' && c <= '9') {
                d = (unsigned)(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                d = (unsigned)(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                d = (unsigned)(c - 'A' + 10);
            } else {
                return false;
            }
            v = v * 16 + d;
        }
        out[i] = (uint8_t)v;
    }
    return true;
}

/* "label,label" (at most OTA_DEVICE_SIGNED_DATA_MAX labels of 1..16 characters), or "none". */
static bool parse_labels(const char *s, char out[OTA_DEVICE_SIGNED_DATA_MAX][OTA_PARTITION_LABEL_MAX + 1])
{
    memset(out, 0, OTA_DEVICE_SIGNED_DATA_MAX * (OTA_PARTITION_LABEL_MAX + 1));
    if (strcmp(s, "none") == 0 || *s == '\0') {
        return true;
    }
    unsigned n = 0;
    while (*s != '\0') {
        const char *comma = strchr(s, ',');
        size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);
        if (len == 0 || len > OTA_PARTITION_LABEL_MAX || n == OTA_DEVICE_SIGNED_DATA_MAX) {
            return false;
        }
        memcpy(out[n++], s, len);
        s += len + (comma != NULL ? 1 : 0);
        if (comma != NULL && *s == '\0') {
            return false;
        }
    }
    return true;
}

/* The index of a per-key line ("secure_boot_key_digest1" -> 1), or -1. */
static int key_index(const char *key, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(key, prefix, n) != 0 || key[n] < '0' || key[n] >= (char)('0' + OTA_DEVICE_KEY_DIGESTS) ||
        key[n + 1] != '\0') {
        return -1;
    }
    return key[n] - '0';
}

/* Parse; unknown lines are appended to *extra when extra != NULL. `running` is only recorded in
 * @p st: it names an entry of a table that may not be loaded yet (its offset is in the file). */
static int parse_state(const char *text, size_t len, ota_device_t *dev, state_extra_t *st, char *diag,
                       size_t diag_size, char **extra, size_t *extra_len)
{
    bool chip_set = false, rev_set = false;
    uint16_t chip = dev->chip_id, rev = dev->chip_revision;
    uint32_t efuse = dev->efuse_secure_version;
    bool rollback = dev->rollback_enabled, anti = dev->anti_rollback_enabled;
    uint32_t table_offset = dev->table_offset;
    ota_device_security_t sec = dev->security;
    memset(st, 0, sizeof *st);
    int line_no = 0;

    size_t pos = 0;
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n') {
            end++;
        }
        line_no++;
        size_t n = end - pos;
        char line[512];
        if (n >= sizeof line) {
            set_diag(diag, diag_size, "line %d: too long", line_no);
            return OTA_ERR_DEVICE_STATE;
        }
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos = end + 1;
        char *l = trim(line);
        if (*l == '\0' || *l == '#') {
            continue;
        }
        char *eq = strchr(l, '=');
        if (eq == NULL) {
            set_diag(diag, diag_size, "line %d: expected key=value, got '%s'", line_no, l);
            return OTA_ERR_DEVICE_STATE;
        }
        *eq = '\0';
        char *key = trim(l), *value = trim(eq + 1);
        bool ok = true;
        if (strcmp(key, "chip") == 0) {
            const ota_chip_info_t *c = ota_chip_info_by_name(value);
            uint32_t id;
            if (c != NULL) {
                chip = c->id;
            } else if (parse_u32(value, &id) && id <= 0xFFFF) {
                chip = (uint16_t)id;
            } else {
                ok = false;
            }
            chip_set = ok;
        } else if (strcmp(key, "chip_revision") == 0) {
            ok = parse_revision(value, &rev);
            rev_set = ok;
        } else if (strcmp(key, "efuse_secure_version") == 0) {
            ok = parse_u32(value, &efuse);
        } else if (strcmp(key, "rollback") == 0) {
            ok = parse_bool(value, &rollback);
        } else if (strcmp(key, "anti_rollback") == 0) {
            ok = parse_bool(value, &anti);
        } else if (strcmp(key, "running") == 0) {
            if (strlen(value) > OTA_PARTITION_LABEL_MAX) {
                ok = false;
            } else {
                strcpy(st->running, strcmp(value, "none") == 0 ? "" : value);
                st->running_set = true;
            }
        } else if (strcmp(key, "table_offset") == 0) {
            /* CONFIG_PARTITION_TABLE_OFFSET: a sector boundary, inside a 16 MiB flash */
            ok = parse_u32(value, &table_offset) && table_offset % OTA_PARTITION_TABLE_SECTOR_SIZE == 0 &&
                 table_offset < OTA_FLASH_EMU_MAX_SIZE;
            st->table_offset_set = ok;
        } else if (strcmp(key, "secure_boot_v2") == 0) {
            ok = parse_bool(value, &sec.secure_boot_v2);
        } else if (strcmp(key, "signed_apps_no_secure_boot") == 0) {
            ok = parse_bool(value, &sec.signed_apps_on_update);
        } else if (key_index(key, "secure_boot_key_digest") >= 0) {
            int i = key_index(key, "secure_boot_key_digest");
            sec.key_digest_set[i] = strcmp(value, "none") != 0;
            ok = !sec.key_digest_set[i] || parse_digest(value, sec.key_digest[i]);
        } else if (key_index(key, "secure_boot_key_revoke") >= 0) {
            ok = parse_bool(value, &sec.key_revoked[key_index(key, "secure_boot_key_revoke")]);
        } else if (strcmp(key, "signed_data_partitions") == 0) {
            ok = parse_labels(value, sec.signed_data);
        } else if (strcmp(key, "decrypt_key_scheme") == 0) {
            if (strcmp(value, "rsa3072") == 0) {
                st->decrypt_scheme = OTA_ENC_SCHEME_RSA3072;
            } else if (strcmp(value, "ecies") == 0) {
                st->decrypt_scheme = OTA_ENC_SCHEME_ECIES_P256;
            } else {
                ok = false;
            }
        } else if (strcmp(key, "decrypt_key_file") == 0) {
            ok = strlen(value) < sizeof st->decrypt_path;
            if (ok) {
                strcpy(st->decrypt_path, value);
            }
        } else if (extra != NULL) {
            /* Someone else's key: keep the line for the next save. */
            char *grown = realloc(*extra, *extra_len + n + 2);
            if (grown == NULL) {
                return OTA_ERR_NO_MEM;
            }
            *extra = grown;
            int w = snprintf(*extra + *extra_len, n + 2, "%s=%s\n", key, value);
            *extra_len += (size_t)(w > 0 ? w : 0);
        }
        if (!ok) {
            set_diag(diag, diag_size, "line %d: bad value '%s' for %s (%s)", line_no, value, key,
                     strcmp(key, "chip_revision") == 0          ? "vMAJOR.MINOR, minor 0..99, at most v655.35"
                     : strcmp(key, "efuse_secure_version") == 0 ? "a number 0..4294967295"
                     : strcmp(key, "chip") == 0                 ? "a chip name or an id 0..0xffff"
                     : strcmp(key, "running") == 0              ? "an app partition label or none"
                     : strcmp(key, "table_offset") == 0         ? "a 4 KiB-aligned flash address"
                     : strncmp(key, "secure_boot_key_digest", 22) == 0 ? "64 hex digits (a SHA-256) or none"
                     : strcmp(key, "signed_data_partitions") == 0
                         ? "up to 4 comma-separated partition labels of 1..16 characters, or none"
                     : strcmp(key, "decrypt_key_scheme") == 0 ? "rsa3072 or ecies"
                     : strcmp(key, "decrypt_key_file") == 0   ? "a path shorter than 400 characters"
                                                              : "0/1, true/false, on/off or yes/no");
            return OTA_ERR_DEVICE_STATE;
        }
    }
    if (chip_set && !rev_set) {
        rev = chip == OTA_CHIP_ESP32 ? OTA_DEVICE_DEFAULT_REVISION_ESP32 : 0;
    }
    /* The eFuse field is a thermometer code of secure_version_bits bits: it cannot hold more. */
    const ota_chip_info_t *chip_info = ota_chip_info(chip);
    uint32_t efuse_bits = chip_info != NULL ? chip_info->secure_version_bits : 16;
    if (efuse > efuse_bits) {
        set_diag(diag, diag_size, "efuse_secure_version=%u is out of range: the %s eFuse field holds 0..%u",
                 (unsigned)efuse, chip_info != NULL ? chip_info->display_name : "chip's",
                 (unsigned)efuse_bits);
        return OTA_ERR_DEVICE_STATE;
    }
    st->chip_set = chip_set;
    st->rev_set = rev_set;
    dev->chip_id = chip;
    dev->chip_revision = rev;
    dev->efuse_secure_version = efuse;
    dev->rollback_enabled = rollback;
    dev->anti_rollback_enabled = anti;
    dev->table_offset = table_offset;
    dev->security = sec;
    return OTA_OK;
}

/* `running=LABEL` against the loaded table. */
static int resolve_running(ota_device_t *dev, const state_extra_t *st, char *diag, size_t diag_size)
{
    if (!st->running_set) {
        return OTA_OK;
    }
    const ota_partition_info_t *p =
        st->running[0] != '\0' ? ota_partition_find_by_label(&dev->table, st->running) : NULL;
    if (st->running[0] != '\0' && (p == NULL || p->type != OTA_PART_TYPE_APP)) {
        set_diag(diag, diag_size, "running=%s: no app partition with that label", st->running);
        return OTA_ERR_DEVICE_STATE;
    }
    ota_device_set_running(dev, p);
    return OTA_OK;
}

int ota_device_state_parse(const char *text, size_t len, ota_device_t *dev, char *diag, size_t diag_size)
{
    if (text == NULL || dev == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    state_extra_t st;
    int err = parse_state(text, len, dev, &st, diag, diag_size, NULL, NULL);
    return err != OTA_OK ? err : resolve_running(dev, &st, diag, diag_size);
}

int ota_device_state_format(const ota_device_t *dev, char *buf, size_t size)
{
    const ota_chip_info_t *chip = ota_chip_info(dev->chip_id);
    char chip_text[16];
    if (chip != NULL) {
        snprintf(chip_text, sizeof chip_text, "%s", chip->name);
    } else {
        snprintf(chip_text, sizeof chip_text, "0x%04x", (unsigned)dev->chip_id);
    }
    const ota_partition_info_t *running = ota_device_running(dev);
    /* table_offset only when it is not ESP-IDF's default, so default devices keep their file */
    char offset_line[32] = "";
    if (dev->table_offset != OTA_PARTITION_TABLE_OFFSET) {
        snprintf(offset_line, sizeof offset_line, "table_offset=0x%x\n", (unsigned)dev->table_offset);
    }
    /* security lines only when something is set, so default devices keep their file */
    const ota_device_security_t *sec = &dev->security;
    char sec_lines[640] = "";
    size_t used = 0;
#define SEC_APPEND(...) \
    used += (size_t)snprintf(sec_lines + used, used < sizeof sec_lines ? sizeof sec_lines - used : 0, \
                             __VA_ARGS__)
    if (sec->secure_boot_v2) {
        SEC_APPEND("secure_boot_v2=1\n");
    }
    if (sec->signed_apps_on_update) {
        SEC_APPEND("signed_apps_no_secure_boot=1\n");
    }
    for (unsigned i = 0; i < OTA_DEVICE_KEY_DIGESTS; i++) {
        if (sec->key_digest_set[i]) {
            SEC_APPEND("secure_boot_key_digest%u=", i);
            for (size_t k = 0; k < 32; k++) {
                SEC_APPEND("%02x", sec->key_digest[i][k]);
            }
            SEC_APPEND("\n");
        }
        if (sec->key_revoked[i]) {
            SEC_APPEND("secure_boot_key_revoke%u=1\n", i);
        }
    }
    if (sec->signed_data[0][0] != '\0') {
        SEC_APPEND("signed_data_partitions=");
        for (unsigned i = 0; i < OTA_DEVICE_SIGNED_DATA_MAX && sec->signed_data[i][0] != '\0'; i++) {
            SEC_APPEND("%s%s", i > 0 ? "," : "", sec->signed_data[i]);
        }
        SEC_APPEND("\n");
    }
#undef SEC_APPEND
    return snprintf(buf, size,
                    "# ota-service device state: the hardware that is not in flash (ota_device_file.h)\n"
                    "chip=%s\n"
                    "chip_revision=v%u.%u\n"
                    "efuse_secure_version=%u\n"
                    "rollback=%d\n"
                    "anti_rollback=%d\n"
                    "running=%s\n"
                    "%s%s",
                    chip_text, dev->chip_revision / 100u, dev->chip_revision % 100u,
                    (unsigned)dev->efuse_secure_version, dev->rollback_enabled ? 1 : 0,
                    dev->anti_rollback_enabled ? 1 : 0, running ? running->label : "", offset_line,
                    sec_lines);
}

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
        set_diag(diag, diag_size, "decrypt key %s: no scheme (rsa3072 or ecies)", key_path);
        return OTA_ERR_INVALID_ARG;
    }
    char *text = NULL;
    size_t len = 0;
    int err = read_text_file(key_path, &text, &len);
    if (err != OTA_OK) {
        set_diag(diag, diag_size, "cannot read the decrypt key %s: %s", key_path, ota_strerror(err));
        return OTA_ERR_KEY_PARSE;
    }
    /* ECIES: the device's HMAC key is 32 raw bytes (the eFuse block, as esp_enc_img_gen.py takes it) */
    if (scheme == OTA_ENC_SCHEME_ECIES_P256 && len != 32) {
        set_diag(diag, diag_size, "decrypt key %s: an ECIES HMAC key is 32 bytes, the file has %zu", key_path,
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
    set_diag(diag, diag_size, "%s", "");
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
        set_diag(diag, diag_size, "cannot open %s: %s", path, ota_strerror(err));
        ota_device_file_close(f);
        return err;
    }
    ota_device_init(&f->dev, ota_flash_file_flash(f->flash), NULL);
    /* The sidecar first: it may say where the table is. */
    char *text = NULL;
    size_t len = 0;
    state_extra_t st = {0};
    err = read_text_file(f->state_path, &text, &len);
    if (err == OTA_OK) {
        char why[160] = "";
        err = parse_state(text, len, &f->dev, &st, why, sizeof why, &f->extra, &f->extra_len);
        free(text);
        if (err != OTA_OK) {
            set_diag(diag, diag_size, "%s: %s", f->state_path, why);
        }
    } else if (err == OTA_ERR_NOT_FOUND) {
        err = OTA_OK; /* a new device: defaults */
    } else {
        set_diag(diag, diag_size, "cannot read %s: %s", f->state_path, ota_strerror(err));
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
            set_diag(diag, diag_size, "%s: no valid partition table at 0x%x (table_offset in %s): %s", path,
                     (unsigned)f->dev.table_offset, f->state_path,
                     pdiag.message[0] ? pdiag.message : ota_strerror(err));
        } else {
            set_diag(diag, diag_size,
                     "%s: no valid partition table at 0x%x (nor one with an MD5 at 0x%x..0x%x): %s", path,
                     OTA_PARTITION_TABLE_OFFSET, OTA_DEVICE_TABLE_SCAN_FIRST,
                     OTA_DEVICE_TABLE_SCAN_END - OTA_PARTITION_TABLE_SECTOR_SIZE,
                     pdiag.message[0] ? pdiag.message : ota_strerror(err));
        }
        ota_device_file_close(f);
        return err;
    }
    char why[160] = "";
    err = resolve_running(&f->dev, &st, why, sizeof why);
    if (err != OTA_OK) {
        set_diag(diag, diag_size, "%s: %s", f->state_path, why);
        ota_device_file_close(f);
        return err;
    }
    drop_stale_running(f);
    if (st.decrypt_path[0] != '\0') {
        char kwhy[480] = "";
        err = ota_device_file_set_decrypt_key(f, st.decrypt_scheme, st.decrypt_path, kwhy, sizeof kwhy);
        if (err != OTA_OK) {
            set_diag(diag, diag_size, "%s: %s", f->state_path, kwhy);
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
    state_extra_t st = {0};
    int err = read_text_file(state_path, &text, &len);
    if (err == OTA_OK) {
        err = parse_state(text, len, dev, &st, diag != NULL ? diag->message : NULL,
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
