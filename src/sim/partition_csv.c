/* Partition table CSV, read and written with the rules of ESP-IDF v6.0.2's gen_esp32part.py
 * (reference/esp-idf-formats.md §1.6, §1.7). Pure: the text is parsed in place, no allocation;
 * only a line that needs `$VAR` expansion is copied, into a fixed stack buffer.
 *
 * gen_esp32part parses every line before it places any partition, and verifies after that; to
 * report the same first error in one pass, placement errors are kept aside and reported only
 * when no later line has a parse error. */
#include "ota/ota_partition.h"
#include "ota/sim/ota_partition_csv.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ota/ota_err.h"
#include "sim/partition_csv_text.h"

#define CSV_LINE_MAX 1024u /* longest line after $VAR expansion */
#define VAR_NAME_MAX 128u  /* longest variable name handed to the lookup */

/* --- one line ------------------------------------------------------------------------------------ */

typedef struct {
    ota_partition_info_t info;
    bool has_offset;
    int64_t offset;
    int64_t size; /* negative: end address, resolved at placement */
} csv_entry_t;

static bool defined(uint32_t offset, bool set)
{
    return offset != 0 || set;
}

static int parse_line(span_t line, const ota_partition_csv_options_t *o, uint32_t table_offset,
                      csv_entry_t *e, char *msg)
{
    span_t f[6];
    size_t nf = 0;
    size_t start = 0;
    for (size_t i = 0; i <= line.n && nf < 6; i++) {
        if (i == line.n || line.p[i] == ',') {
            f[nf++] = ota_csv_strip((span_t){line.p + start, i - start});
            start = i + 1;
        }
    }
    for (; nf < 6; nf++) { /* line + ',,,,': missing trailing fields are empty */
        f[nf] = (span_t){line.p + line.n, 0};
    }

    memset(e, 0, sizeof *e);
    memcpy(e->info.label, f[0].p, f[0].n < OTA_PARTITION_LABEL_MAX ? f[0].n : OTA_PARTITION_LABEL_MAX);

    int64_t v;
    if (f[1].n == 0) {
        ota_csv_fmt_msg(msg, "Field 'type' can't be left empty.");
        return OTA_ERR_PT_SYNTAX;
    }
    int err = ota_csv_parse_int(f[1], (keywords_t){KW_TYPES, 0}, &v, msg);
    if (err != OTA_OK) {
        return err;
    }
    if (v < 0 || v > 0xFF) {
        ota_csv_fmt_msg(msg, "Type %lld is out of range (0..255)", (long long)v);
        return OTA_ERR_PT_VALUE_RANGE;
    }
    e->info.type = (uint8_t)v;

    if (f[2].n == 0) {
        if (e->info.type == OTA_PART_TYPE_APP) {
            ota_csv_fmt_msg(msg, "App partition cannot have an empty subtype");
            return OTA_ERR_PT_SYNTAX;
        }
        v = OTA_PART_SUBTYPE_DATA_UNDEFINED; /* for every non-app type, a gen_esp32part quirk */
    } else {
        err = ota_csv_parse_int(f[2], (keywords_t){KW_SUBTYPES, e->info.type}, &v, msg);
        if (err != OTA_OK) {
            return err;
        }
        if (v < 0 || v > 0xFF) {
            ota_csv_fmt_msg(msg, "Subtype %lld is out of range (0..255)", (long long)v);
            return OTA_ERR_PT_VALUE_RANGE;
        }
    }
    e->info.subtype = (uint8_t)v;

    /* Offset: fixed for the primary bootloader / partition table, else parsed or automatic. */
    bool is_bootloader = e->info.type == OTA_PART_TYPE_BOOTLOADER;
    if (is_bootloader && e->info.subtype == OTA_PART_SUBTYPE_BOOTLOADER_PRIMARY) {
        if (!defined(o->primary_bootloader_offset, o->primary_bootloader_offset_set)) {
            ota_csv_fmt_msg(
                msg, "Primary bootloader offset is not defined. Please use --primary-bootloader-offset");
            return OTA_ERR_PT_INVALID;
        }
        e->has_offset = true;
        e->offset = o->primary_bootloader_offset;
    } else if (is_bootloader && e->info.subtype == OTA_PART_SUBTYPE_BOOTLOADER_RECOVERY) {
        if (!defined(o->recovery_bootloader_offset, o->recovery_bootloader_offset_set)) {
            ota_csv_fmt_msg(
                msg, "Recovery bootloader offset is not defined. Please use --recovery-bootloader-offset");
            return OTA_ERR_PT_INVALID;
        }
        e->has_offset = true;
        e->offset = o->recovery_bootloader_offset;
    } else if (e->info.type == OTA_PART_TYPE_PARTITION_TABLE &&
               e->info.subtype == OTA_PART_SUBTYPE_PARTITION_TABLE_PRIMARY) {
        e->has_offset = true;
        e->offset = table_offset;
    } else if (f[3].n > 0) {
        err = ota_csv_parse_int(f[3], (keywords_t){KW_NONE, 0}, &e->offset, msg);
        if (err != OTA_OK) {
            return err;
        }
        e->has_offset = true;
    }

    /* Size: fixed for bootloaders and partition tables, else required. */
    if (is_bootloader) {
        if (!defined(o->primary_bootloader_offset, o->primary_bootloader_offset_set)) {
            ota_csv_fmt_msg(
                msg, "Primary bootloader offset is not defined. Please use --primary-bootloader-offset");
            return OTA_ERR_PT_INVALID;
        }
        e->size = (int64_t)table_offset - (int64_t)o->primary_bootloader_offset;
    } else if (e->info.type == OTA_PART_TYPE_PARTITION_TABLE) {
        e->size = OTA_PARTITION_TABLE_SECTOR_SIZE;
    } else if (f[4].n == 0) {
        ota_csv_fmt_msg(msg, "Size field can't be empty");
        return OTA_ERR_PT_SYNTAX;
    } else {
        err = ota_csv_parse_int(f[4], (keywords_t){KW_NONE, 0}, &e->size, msg);
        if (err != OTA_OK) {
            return err;
        }
    }

    /* Flags: ':'-separated, exact names, pieces not stripped (as gen_esp32part). */
    size_t s = 0;
    for (size_t i = 0; i <= f[5].n; i++) {
        if (i == f[5].n || f[5].p[i] == ':') {
            span_t flag = {f[5].p + s, i - s};
            if (ota_csv_span_equals(flag, "encrypted")) {
                e->info.flags |= OTA_PART_FLAG_ENCRYPTED;
            } else if (ota_csv_span_equals(flag, "readonly")) {
                e->info.flags |= OTA_PART_FLAG_READONLY;
            } else if (flag.n > 0) {
                ota_csv_fmt_msg(msg, "CSV flag column contains unknown flag '%.*s%s'", QUOTE(flag));
                return OTA_ERR_PT_UNKNOWN_KEYWORD;
            }
            s = i + 1;
        }
    }
    return OTA_OK;
}

/* --- $VAR expansion (os.path.expandvars) -------------------------------------------------------- */

static bool is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Expand $NAME and ${NAME} whose lookup gives a value; others stay as written. */
static int expand_vars(span_t line, const ota_partition_csv_options_t *o, char *buf, size_t size, span_t *out)
{
    size_t used = 0;
    size_t i = 0;
    while (i < line.n) {
        const char *value = NULL;
        size_t var_len = 0;
        if (line.p[i] == '$' && i + 1 < line.n) {
            size_t name_start = i + 1, name_len = 0;
            if (line.p[i + 1] == '{') {
                const char *close = memchr(line.p + i + 2, '}', line.n - i - 2);
                if (close != NULL) {
                    name_start = i + 2;
                    name_len = (size_t)(close - (line.p + name_start));
                    var_len = name_len + 3;
                }
            } else {
                while (name_start + name_len < line.n && is_word(line.p[name_start + name_len])) {
                    name_len++;
                }
                var_len = name_len > 0 ? name_len + 1 : 0;
            }
            if (var_len > 0 && name_len < VAR_NAME_MAX) {
                char name[VAR_NAME_MAX];
                memcpy(name, line.p + name_start, name_len);
                name[name_len] = '\0';
                value = o->env_lookup(o->env_ctx, name);
            }
        }
        if (value != NULL) {
            size_t n = strlen(value);
            if (n > size - used) {
                return OTA_ERR_PT_SYNTAX;
            }
            memcpy(buf + used, value, n);
            used += n;
            i += var_len;
        } else {
            size_t n = var_len > 0 ? var_len : 1; /* an unset variable is copied unchanged */
            if (n > size - used) {
                return OTA_ERR_PT_SYNTAX;
            }
            memcpy(buf + used, line.p + i, n);
            used += n;
            i += n;
        }
    }
    *out = (span_t){buf, used};
    return OTA_OK;
}

/* --- the table ----------------------------------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int
set_diag(ota_partition_diag_t *diag, int err, uint32_t line, const char *fmt, ...)
{
    if (diag != NULL) {
        diag->line = (int)line;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(diag->message, sizeof diag->message, fmt, ap);
        va_end(ap);
    }
    return err;
}

int ota_partition_table_parse_csv(const char *text, size_t len, const ota_partition_csv_options_t *opts,
                                  ota_partition_table_t *out, ota_partition_diag_t *diag)
{
    static const ota_partition_csv_options_t defaults = {0};
    if (diag != NULL) {
        diag->line = 0;
        diag->message[0] = '\0';
    }
    if ((text == NULL && len > 0) || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    const ota_partition_csv_options_t *o = opts != NULL ? opts : &defaults;
    uint32_t table_offset =
        o->table_offset || o->table_offset_set ? o->table_offset : OTA_PARTITION_TABLE_OFFSET;
    memset(out, 0, sizeof *out);

    const unsigned char *u = (const unsigned char *)text;
    if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
        text += 3; /* UTF-8 BOM ('utf-8-sig') */
        len -= 3;
    } else if (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF) ||
                            (len >= 4 && u[0] == 0 && u[1] == 0 && u[2] == 0xFE && u[3] == 0xFF))) {
        return set_diag(diag, OTA_ERR_PT_SYNTAX, 0,
                        "UTF-16/UTF-32 CSV is not supported; save the table as UTF-8");
    }

    /* Placement state (gen_esp32part's "fix up missing offsets & negative sizes" loop). */
    int64_t last_end = (int64_t)table_offset + OTA_PARTITION_TABLE_SECTOR_SIZE;
    int deferred = OTA_OK;
    ota_partition_diag_t deferred_diag = {0};
    size_t entries = 0;

    size_t pos = 0;
    uint32_t line_no = 0;
    while (pos < len) {
        size_t end = pos, brk = 0;
        while (end < len && (brk = ota_csv_line_break_len(text, len, end)) == 0) {
            end++;
        }
        span_t raw = {text + pos, end - pos};
        pos = end + brk;
        line_no++;

        if (!ota_csv_valid_utf8((const unsigned char *)raw.p, raw.n)) {
            return set_diag(diag, OTA_ERR_PT_SYNTAX, line_no, "line %u: not valid UTF-8 text",
                            (unsigned)line_no);
        }
        char expanded[CSV_LINE_MAX];
        span_t line = raw;
        if (o->env_lookup != NULL && memchr(raw.p, '$', raw.n) != NULL) {
            if (expand_vars(raw, o, expanded, sizeof expanded, &line) != OTA_OK) {
                return set_diag(diag, OTA_ERR_PT_SYNTAX, line_no,
                                "line %u: longer than %u bytes after expanding "
                                "variables",
                                (unsigned)line_no, CSV_LINE_MAX);
            }
        }
        /* gen_esp32part checks this on the raw expanded line, before ota_csv_strip(), with re.match. */
        if (line.n >= 2 && line.p[0] == '$' &&
            (line.p[1] == '_' || (is_word(line.p[1]) && !(line.p[1] >= '0' && line.p[1] <= '9')))) {
            size_t n = 1;
            while (n < line.n && is_word(line.p[n])) {
                n++;
            }
            return set_diag(diag, OTA_ERR_PT_SYNTAX, line_no, "line %u: unknown variable '%.*s'",
                            (unsigned)line_no, (int)(n - 1), line.p + 1);
        }
        line = ota_csv_strip(line);
        if (line.n == 0 || line.p[0] == '#') {
            continue;
        }

        csv_entry_t e;
        char msg[MSG_MAX];
        int err = parse_line(line, o, table_offset, &e, msg);
        if (err != OTA_OK) {
            return set_diag(diag, err, line_no, "Error at line %u: %s", (unsigned)line_no, msg);
        }
        entries++;
        if (deferred != OTA_OK) {
            continue; /* only parse errors can still come before the first placement error */
        }
        if (entries > OTA_PARTITION_MAX_ENTRIES) {
            deferred = set_diag(
                &deferred_diag, OTA_ERR_PT_TOO_MANY, line_no,
                "line %u: Binary partition table length (%u) longer than max (at most %u partitions, "
                "%u with the MD5 entry)",
                (unsigned)line_no, (unsigned)(entries * OTA_PARTITION_ENTRY_SIZE),
                (unsigned)OTA_PARTITION_MAX_ENTRIES, (unsigned)OTA_PARTITION_MAX_ENTRIES - 1);
            continue;
        }

        bool primary = (e.info.type == OTA_PART_TYPE_BOOTLOADER &&
                        e.info.subtype == OTA_PART_SUBTYPE_BOOTLOADER_PRIMARY) ||
                       (e.info.type == OTA_PART_TYPE_PARTITION_TABLE &&
                        e.info.subtype == OTA_PART_SUBTYPE_PARTITION_TABLE_PRIMARY);
        if (!primary) {
            if (e.has_offset && e.offset < last_end) {
                /* gen_esp32part compares with res[0] by value (name, type, subtype, offset, size). */
                const ota_partition_info_t *first = &out->entries[0];
                bool is_first =
                    entries == 1 || (strncmp(first->label, e.info.label, OTA_PARTITION_LABEL_MAX) == 0 &&
                                     first->type == e.info.type && first->subtype == e.info.subtype &&
                                     (int64_t)first->offset == e.offset && (int64_t)first->size == e.size);
                char a[24], b[24];
                if (is_first) {
                    deferred =
                        set_diag(&deferred_diag, OTA_ERR_PT_OVERLAP, line_no,
                                 "CSV Error at line %u: Partitions overlap. Partition sets offset %s. But "
                                 "partition table occupies the whole sector 0x%x. Use a free offset %s or "
                                 "higher.",
                                 (unsigned)line_no, ota_csv_hex64(e.offset, a), (unsigned)table_offset,
                                 ota_csv_hex64(last_end, b));
                } else {
                    deferred =
                        set_diag(&deferred_diag, OTA_ERR_PT_OVERLAP, line_no,
                                 "CSV Error at line %u: Partitions overlap. Partition sets offset %s. "
                                 "Previous partition ends %s",
                                 (unsigned)line_no, ota_csv_hex64(e.offset, a), ota_csv_hex64(last_end, b));
                }
                continue;
            }
            if (!e.has_offset) {
                int64_t pad = e.info.type == OTA_PART_TYPE_APP ? 0x10000 : 0x1000;
                if (last_end % pad != 0) {
                    last_end += pad - last_end % pad;
                }
                e.offset = last_end;
                e.has_offset = true;
            }
            if (e.size < 0) {
                e.size = -e.size - e.offset; /* a negative size is the end address */
            }
            last_end = e.offset + e.size;
        }
        /* gen_esp32part would die in struct.pack on these; refuse them with a message instead. */
        if (e.offset < 0 || e.offset > (int64_t)UINT32_MAX || e.size < 0 || e.size > (int64_t)UINT32_MAX) {
            char a[24], b[24];
            deferred = set_diag(&deferred_diag, OTA_ERR_PT_VALUE_RANGE, line_no,
                                "line %u: Partition %s: offset %s / size %s do not fit in 32 bits",
                                (unsigned)line_no, e.info.label, ota_csv_hex64(e.offset, a),
                                ota_csv_hex64(e.size, b));
            continue;
        }
        e.info.offset = (uint32_t)e.offset;
        e.info.size = (uint32_t)e.size;
        out->line[out->count] = line_no;
        out->entries[out->count++] = e.info;
    }
    if (deferred != OTA_OK) {
        if (diag != NULL) {
            *diag = deferred_diag;
        }
        return deferred;
    }
    if (!o->no_verify) {
        return ota_partition_table_verify(out, o, diag);
    }
    return ota_partition_table_check_flash_size(out, o->flash_size, diag);
}
