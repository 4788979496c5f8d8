/* The device state file's format (a `.state` sidecar next to the flash image, key=value lines;
 * include/ota/sim/ota_device_file.h): parse and write. device_file.c opens the image with it. */
#include "sim/host/device_state.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ota/ota_app_image.h"
#include "ota/ota_err.h"
#include "ota/ota_ops.h"
void ota_device_state_diag(char *diag, size_t size, const char *fmt, ...)
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
int ota_device_state_read(const char *text, size_t len, ota_device_t *dev, ota_device_state_extra_t *st,
                          char *diag, size_t diag_size, char **extra, size_t *extra_len)
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
            ota_device_state_diag(diag, diag_size, "line %d: too long", line_no);
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
            ota_device_state_diag(diag, diag_size, "line %d: expected key=value, got '%s'", line_no, l);
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
            ota_device_state_diag(
                diag, diag_size, "line %d: bad value '%s' for %s (%s)", line_no, value, key,
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
        ota_device_state_diag(
            diag, diag_size, "efuse_secure_version=%u is out of range: the %s eFuse field holds 0..%u",
            (unsigned)efuse, chip_info != NULL ? chip_info->display_name : "chip's", (unsigned)efuse_bits);
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
int ota_device_state_resolve_running(ota_device_t *dev, const ota_device_state_extra_t *st, char *diag,
                                     size_t diag_size)
{
    if (!st->running_set) {
        return OTA_OK;
    }
    const ota_partition_info_t *p =
        st->running[0] != '\0' ? ota_partition_find_by_label(&dev->table, st->running) : NULL;
    if (st->running[0] != '\0' && (p == NULL || p->type != OTA_PART_TYPE_APP)) {
        ota_device_state_diag(diag, diag_size, "running=%s: no app partition with that label", st->running);
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
    ota_device_state_extra_t st;
    int err = ota_device_state_read(text, len, dev, &st, diag, diag_size, NULL, NULL);
    return err != OTA_OK ? err : ota_device_state_resolve_running(dev, &st, diag, diag_size);
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
