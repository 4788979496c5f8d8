/* ESP-IDF partition tables in their binary form, the keyword tables of gen_esp32part.py v6.0.2,
 * its verify() rules, and the lookups everything above uses. Pure: no I/O, no allocation.
 * Messages reuse gen_esp32part's wording so a user can search for them; a CSV line number is put
 * in front when the table came from CSV (table->line[]). */
#include "ota/ota_partition.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"
#include "partition_internal.h"
#include "byte_order.h"

/* --- keywords, in gen_esp32part's dictionary order (that order appears in its messages) ----- */

typedef struct {
    const char *name;
    uint8_t value;
} keyword_t;

static const keyword_t k_types[] = {
    {"bootloader", OTA_PART_TYPE_BOOTLOADER},
    {"partition_table", OTA_PART_TYPE_PARTITION_TABLE},
    {"app", OTA_PART_TYPE_APP},
    {"data", OTA_PART_TYPE_DATA},
};

static const keyword_t k_bootloader_subtypes[] = {
    {"primary", OTA_PART_SUBTYPE_BOOTLOADER_PRIMARY},
    {"ota", OTA_PART_SUBTYPE_BOOTLOADER_OTA},
    {"recovery", OTA_PART_SUBTYPE_BOOTLOADER_RECOVERY},
};

static const keyword_t k_partition_table_subtypes[] = {
    {"primary", OTA_PART_SUBTYPE_PARTITION_TABLE_PRIMARY},
    {"ota", OTA_PART_SUBTYPE_PARTITION_TABLE_OTA},
};

static const keyword_t k_app_subtypes[] = {
    {"factory", 0x00}, {"test", 0x20},   {"ota_0", 0x10},  {"ota_1", 0x11},  {"ota_2", 0x12},
    {"ota_3", 0x13},   {"ota_4", 0x14},  {"ota_5", 0x15},  {"ota_6", 0x16},  {"ota_7", 0x17},
    {"ota_8", 0x18},   {"ota_9", 0x19},  {"ota_10", 0x1A}, {"ota_11", 0x1B}, {"ota_12", 0x1C},
    {"ota_13", 0x1D},  {"ota_14", 0x1E}, {"ota_15", 0x1F}, {"tee_0", 0x30},  {"tee_1", 0x31},
};

static const keyword_t k_data_subtypes[] = {
    {"ota", 0x00},      {"phy", 0x01},    {"nvs", 0x02},       {"coredump", 0x03},
    {"nvs_keys", 0x04}, {"efuse", 0x05},  {"undefined", 0x06}, {"esphttpd", 0x80},
    {"fat", 0x81},      {"spiffs", 0x82}, {"littlefs", 0x83},  {"tee_ota", 0x90},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const keyword_t *subtype_table(uint8_t type, size_t *count)
{
    switch (type) {
    case OTA_PART_TYPE_BOOTLOADER: *count = COUNT(k_bootloader_subtypes); return k_bootloader_subtypes;
    case OTA_PART_TYPE_PARTITION_TABLE:
        *count = COUNT(k_partition_table_subtypes);
        return k_partition_table_subtypes;
    case OTA_PART_TYPE_APP: *count = COUNT(k_app_subtypes); return k_app_subtypes;
    case OTA_PART_TYPE_DATA: *count = COUNT(k_data_subtypes); return k_data_subtypes;
    default: *count = 0; return NULL;
    }
}

const char *ota_partition_type_keyword(size_t index, uint8_t *value)
{
    if (index >= COUNT(k_types)) {
        return NULL;
    }
    if (value != NULL) {
        *value = k_types[index].value;
    }
    return k_types[index].name;
}

const char *ota_partition_subtype_keyword(uint8_t type, size_t index, uint8_t *value)
{
    size_t count;
    const keyword_t *table = subtype_table(type, &count);
    if (index >= count) {
        return NULL;
    }
    if (value != NULL) {
        *value = table[index].value;
    }
    return table[index].name;
}

const char *ota_partition_type_name(uint8_t type)
{
    for (size_t i = 0; i < COUNT(k_types); i++) {
        if (k_types[i].value == type) {
            return k_types[i].name;
        }
    }
    return NULL;
}

const char *ota_partition_subtype_name(uint8_t type, uint8_t subtype)
{
    size_t count;
    const keyword_t *table = subtype_table(type, &count);
    for (size_t i = 0; i < count; i++) {
        if (table[i].value == subtype) {
            return table[i].name;
        }
    }
    return NULL;
}

/* --- small helpers ------------------------------------------------------------------------------ */

/* Fill @p diag: "line N: " + message when @p line is known. Returns @p err for tail calls. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
int ota_pt_fail(ota_partition_diag_t *diag, int err, uint32_t line, const char *fmt, ...)
{
    if (diag != NULL) {
        diag->line = (int)line;
        size_t used = 0;
        if (line != 0) {
            int n = snprintf(diag->message, sizeof diag->message, "line %u: ", (unsigned)line);
            used = n > 0 ? (size_t)n : 0;
        }
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(diag->message + used, sizeof diag->message - used, fmt, ap);
        va_end(ap);
    }
    return err;
}

void ota_pt_diag_clear(ota_partition_diag_t *diag)
{
    if (diag != NULL) {
        diag->line = 0;
        diag->message[0] = '\0';
    }
}

static void hex(const uint8_t *data, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 0xF];
    }
    out[2 * len] = '\0';
}

static void decode_entry(const uint8_t *e, ota_partition_info_t *info)
{
    memset(info, 0, sizeof *info);
    info->type = e[2];
    info->subtype = e[3];
    info->offset = ota_get_le32(e + 4);
    info->size = ota_get_le32(e + 8);
    /* All 16 bytes are kept (even after a NUL) so binary -> struct -> binary is byte-identical. */
    memcpy(info->label, e + 12, OTA_PARTITION_LABEL_MAX);
    info->label[OTA_PARTITION_LABEL_MAX] = '\0';
    info->flags = ota_get_le32(e + 28);
}

static void encode_entry(const ota_partition_info_t *info, uint8_t *e)
{
    e[0] = 0xAA;
    e[1] = 0x50;
    e[2] = info->type;
    e[3] = info->subtype;
    ota_put_le32(e + 4, info->offset);
    ota_put_le32(e + 8, info->size);
    memcpy(e + 12, info->label, OTA_PARTITION_LABEL_MAX); /* NUL-padded (struct '16s') */
    ota_put_le32(e + 28, info->flags);
}

/* Python's repr() of a 2-byte bytes object, as in "Invalid magic bytes (b'\x12\x34') ...". */
static void bytes_repr(const uint8_t *b, size_t len, char *out, size_t size)
{
    bool has_single = memchr(b, '\'', len) != NULL, has_double = memchr(b, '"', len) != NULL;
    char quote = has_single && !has_double ? '"' : '\'';
    size_t pos = 0;
    pos += (size_t)snprintf(out + pos, size - pos, "b%c", quote);
    for (size_t i = 0; i < len && pos < size; i++) {
        uint8_t c = b[i];
        if (c == '\\' || c == (uint8_t)quote) {
            pos += (size_t)snprintf(out + pos, size - pos, "\\%c", c);
        } else if (c == '\t') {
            pos += (size_t)snprintf(out + pos, size - pos, "\\t");
        } else if (c == '\n') {
            pos += (size_t)snprintf(out + pos, size - pos, "\\n");
        } else if (c == '\r') {
            pos += (size_t)snprintf(out + pos, size - pos, "\\r");
        } else if (c >= 0x20 && c < 0x7F) {
            pos += (size_t)snprintf(out + pos, size - pos, "%c", c);
        } else {
            pos += (size_t)snprintf(out + pos, size - pos, "\\x%02x", c);
        }
    }
    if (pos < size) {
        snprintf(out + pos, size - pos, "%c", quote);
    }
}

/* --- binary form -------------------------------------------------------------------------------- */

int ota_partition_table_to_binary(const ota_partition_table_t *table, bool with_md5,
                                  uint8_t out[OTA_PARTITION_TABLE_MAX_LEN])
{
    if (table == NULL || out == NULL || table->count > OTA_PARTITION_MAX_ENTRIES) {
        return OTA_ERR_INVALID_ARG;
    }
    /* gen_esp32part refuses len(result) >= 0xC00, so the last 32 bytes always stay an end marker. */
    size_t used = (table->count + (with_md5 ? 1u : 0u)) * OTA_PARTITION_ENTRY_SIZE;
    if (used >= OTA_PARTITION_TABLE_MAX_LEN) {
        return OTA_ERR_PT_TOO_MANY;
    }
    memset(out, 0xFF, OTA_PARTITION_TABLE_MAX_LEN);
    for (size_t i = 0; i < table->count; i++) {
        encode_entry(&table->entries[i], out + i * OTA_PARTITION_ENTRY_SIZE);
    }
    if (with_md5) {
        uint8_t *md5_entry = out + table->count * OTA_PARTITION_ENTRY_SIZE;
        md5_entry[0] = 0xEB;
        md5_entry[1] = 0xEB; /* bytes 2..15 stay 0xFF (MD5_PARTITION_BEGIN) */
        ota_md5(out, table->count * OTA_PARTITION_ENTRY_SIZE, md5_entry + 16);
    }
    return OTA_OK;
}

/* An MD5 entry (0xEBEB) carries the MD5 of the entry bytes before it in bytes 16..31; the
 * message is gen_esp32part's, so both parsers fail the same way. */
static int check_md5_entry(const uint8_t *covered, size_t covered_len, const uint8_t *md5_entry,
                           ota_partition_diag_t *diag)
{
    uint8_t digest[OTA_MD5_LEN];
    ota_md5(covered, covered_len, digest);
    if (memcmp(digest, md5_entry + 16, OTA_MD5_LEN) == 0) {
        return OTA_OK;
    }
    char computed[2 * OTA_MD5_LEN + 1], parsed[2 * OTA_MD5_LEN + 1];
    hex(digest, OTA_MD5_LEN, computed);
    hex(md5_entry + 16, OTA_MD5_LEN, parsed);
    return ota_pt_fail(diag, OTA_ERR_PT_MD5_MISMATCH, 0,
                       "MD5 checksums don't match! (computed: 0x%s, parsed: 0x%s)", computed, parsed);
}

int ota_partition_table_from_binary(const uint8_t *data, size_t len, ota_partition_table_t *out,
                                    ota_partition_diag_t *diag)
{
    ota_pt_diag_clear(diag);
    if (data == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    if (len % OTA_PARTITION_ENTRY_SIZE != 0) {
        return ota_pt_fail(diag, OTA_ERR_PT_INVALID, 0,
                           "Partition table length must be a multiple of 32 bytes");
    }
    /* gen_esp32part's from_binary(): the MD5 runs over every non-MD5 entry so far, an MD5 entry is
     * checked and skipped, parsing goes on until the all-0xFF end marker. */
    for (size_t pos = 0; pos < len; pos += OTA_PARTITION_ENTRY_SIZE) {
        const uint8_t *e = data + pos;
        if (ota_bytes_all(e, OTA_PARTITION_ENTRY_SIZE, 0xFF)) {
            return OTA_OK;
        }
        if (e[0] == 0xEB && e[1] == 0xEB) {
            /* The digest covers the entries kept so far (not earlier MD5 entries); re-encoding
             * them gives their exact bytes back. */
            uint8_t stream[OTA_PARTITION_MAX_ENTRIES * OTA_PARTITION_ENTRY_SIZE];
            for (size_t i = 0; i < out->count; i++) {
                encode_entry(&out->entries[i], stream + i * OTA_PARTITION_ENTRY_SIZE);
            }
            int err = check_md5_entry(stream, out->count * OTA_PARTITION_ENTRY_SIZE, e, diag);
            if (err != OTA_OK) {
                return err;
            }
            out->has_md5 = true;
            continue;
        }
        if (e[0] != 0xAA || e[1] != 0x50) {
            char repr[32];
            bytes_repr(e, 2, repr, sizeof repr);
            return ota_pt_fail(diag, OTA_ERR_PT_BAD_MAGIC, 0,
                               "Invalid magic bytes (%s) for partition definition (entry %zu at 0x%zx)", repr,
                               pos / OTA_PARTITION_ENTRY_SIZE, pos);
        }
        if (out->count == OTA_PARTITION_MAX_ENTRIES) {
            return ota_pt_fail(diag, OTA_ERR_PT_TOO_MANY, 0, "more than %u partitions in the table",
                               (unsigned)OTA_PARTITION_MAX_ENTRIES);
        }
        decode_entry(e, &out->entries[out->count++]);
    }
    return ota_pt_fail(diag, OTA_ERR_PT_NO_END_MARKER, 0,
                       "Partition table is missing an end-of-table marker");
}

int ota_partition_table_parse_app(const uint8_t *data, size_t len, ota_partition_table_t *out,
                                  ota_partition_diag_t *diag)
{
    ota_pt_diag_clear(diag);
    if (data == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    if (len > OTA_PARTITION_TABLE_MAX_LEN) {
        len = OTA_PARTITION_TABLE_MAX_LEN;
    }
    for (size_t pos = 0; pos + OTA_PARTITION_ENTRY_SIZE <= len; pos += OTA_PARTITION_ENTRY_SIZE) {
        const uint8_t *e = data + pos;
        uint16_t magic = ota_get_le16(e);
        if (magic == OTA_PARTITION_MAGIC_MD5) {
            int err = check_md5_entry(data, pos, e, diag);
            if (err != OTA_OK) {
                return err;
            }
            out->has_md5 = true;
            break;
        }
        if (magic != OTA_PARTITION_MAGIC) {
            break; /* the end marker, or anything else: the app stops here */
        }
        if (out->count == OTA_PARTITION_MAX_ENTRIES) {
            return ota_pt_fail(diag, OTA_ERR_PT_TOO_MANY, 0, "more than %u partitions in the table",
                               (unsigned)OTA_PARTITION_MAX_ENTRIES);
        }
        decode_entry(e, &out->entries[out->count++]);
    }
    if (out->count == 0) {
        uint16_t magic = len >= 2 ? ota_get_le16(data) : 0xFFFFu;
        return ota_pt_fail(diag, OTA_ERR_PT_BAD_MAGIC, 0,
                           "no partition table (first entry magic 0x%04x, expected 0x%04x)", magic,
                           OTA_PARTITION_MAGIC);
    }
    return OTA_OK;
}

/* --- text helpers shared by the CSV writer and the CLI ------------------------------------------ */

int ota_partition_format_size(uint32_t size, char *buf, size_t buf_size)
{
    if (size % 0x100000u == 0) {
        return snprintf(buf, buf_size, "%uM", (unsigned)(size / 0x100000u));
    }
    if (size % 0x400u == 0) {
        return snprintf(buf, buf_size, "%uK", (unsigned)(size / 0x400u));
    }
    return snprintf(buf, buf_size, "0x%x", (unsigned)size);
}

int ota_partition_format_flags(uint32_t flags, char *buf, size_t buf_size)
{
    static const char *const names[] = {"encrypted", "readonly"};
    size_t used = 0;
    if (buf_size > 0) {
        buf[0] = '\0';
    }
    for (unsigned bit = 0; bit < COUNT(names); bit++) {
        if (flags & (1u << bit)) {
            int n = snprintf(used < buf_size ? buf + used : NULL, used < buf_size ? buf_size - used : 0,
                             "%s%s", used ? ":" : "", names[bit]);
            used += n > 0 ? (size_t)n : 0;
        }
    }
    return (int)used;
}

/* --- lookups -------------------------------------------------------------------------------------- */

const ota_partition_info_t *ota_partition_find_by_label(const ota_partition_table_t *table, const char *label)
{
    return ota_partition_find_next(table, NULL, OTA_PART_TYPE_ANY, OTA_PART_SUBTYPE_ANY, label);
}

const ota_partition_info_t *ota_partition_find_next(const ota_partition_table_t *table,
                                                    const ota_partition_info_t *after, uint8_t type,
                                                    uint8_t subtype, const char *label)
{
    if (table == NULL) {
        return NULL;
    }
    size_t start = 0;
    if (after != NULL) {
        if (after < table->entries || after >= table->entries + table->count) {
            return NULL;
        }
        start = (size_t)(after - table->entries) + 1;
    }
    for (size_t i = start; i < table->count; i++) {
        const ota_partition_info_t *p = &table->entries[i];
        if (type != OTA_PART_TYPE_ANY && p->type != type) {
            continue;
        }
        if (subtype != OTA_PART_SUBTYPE_ANY && p->subtype != subtype) {
            continue;
        }
        if (label != NULL && strncmp(p->label, label, OTA_PARTITION_LABEL_MAX + 1) != 0) {
            continue;
        }
        return p;
    }
    return NULL;
}
