/* The rules gen_esp32part.py v6.0.2's verify() applies to a table (alignment, overlaps, unique
 * names, otadata size, readonly restrictions, NVS minimum, flash size), in its order and with its
 * messages, plus the bounds check of a table read from a device. Pure. */
#include "ota/ota_partition.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ota/ota_err.h"
#include "partition_internal.h"

int ota_partition_table_check_bounds(const ota_partition_table_t *table, uint32_t flash_size,
                                     ota_partition_diag_t *diag)
{
    ota_pt_diag_clear(diag);
    if (table == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    for (size_t i = 0; i < table->count; i++) {
        const ota_partition_info_t *p = &table->entries[i];
        if (p->offset > flash_size || p->size > flash_size - p->offset) {
            return ota_pt_fail(diag, OTA_ERR_PT_FLASH_SIZE, table->line[i],
                               "partition '%s' (0x%x, size 0x%x) ends past the end of the flash (0x%x bytes)",
                               p->label, (unsigned)p->offset, (unsigned)p->size, (unsigned)flash_size);
        }
    }
    return OTA_OK;
}

/* --- verify(): gen_esp32part's rules, in its order ----------------------------------------------- */

static uint32_t offset_alignment(uint8_t type)
{
    return type == OTA_PART_TYPE_APP ? 0x10000u : 0x1000u;
}

static bool is_primary_boot_or_table(const ota_partition_info_t *p)
{
    return (p->type == OTA_PART_TYPE_BOOTLOADER && p->subtype == OTA_PART_SUBTYPE_BOOTLOADER_PRIMARY) ||
           (p->type == OTA_PART_TYPE_PARTITION_TABLE &&
            p->subtype == OTA_PART_SUBTYPE_PARTITION_TABLE_PRIMARY);
}

static int verify_entry(const ota_partition_table_t *t, size_t i, const ota_partition_csv_options_t *opts,
                        ota_partition_diag_t *diag)
{
    const ota_partition_info_t *p = &t->entries[i];
    uint32_t line = t->line[i];
    uint32_t align = offset_alignment(p->type);
    if (p->offset % align != 0) {
        return ota_pt_fail(diag, OTA_ERR_PT_ALIGNMENT, line,
                           "Partition %s invalid: Offset 0x%x is not aligned to 0x%x", p->label,
                           (unsigned)p->offset, (unsigned)align);
    }
    if (p->type == OTA_PART_TYPE_APP) {
        uint32_t size_align = opts->secure_v1 ? 0x10000u : 0x1000u;
        if (p->size % size_align != 0) {
            return ota_pt_fail(diag, OTA_ERR_PT_ALIGNMENT, line,
                               "Partition %s invalid: Size 0x%x is not aligned to 0x%x", p->label,
                               (unsigned)p->size, (unsigned)size_align);
        }
    }
    bool readonly = (p->flags & OTA_PART_FLAG_READONLY) != 0;
    if (p->type == OTA_PART_TYPE_DATA && readonly &&
        (p->subtype == OTA_PART_SUBTYPE_DATA_OTA || p->subtype == OTA_PART_SUBTYPE_DATA_COREDUMP)) {
        return ota_pt_fail(
            diag, OTA_ERR_PT_READONLY_NOT_ALLOWED, line,
            "Partition %s invalid: '%s' partition of type %u and subtype %u is always read-write and "
            "cannot be read-only",
            p->label, p->label, p->type, p->subtype);
    }
    if (p->type == OTA_PART_TYPE_DATA && p->subtype == OTA_PART_SUBTYPE_DATA_NVS && !readonly &&
        p->size < OTA_PARTITION_NVS_RW_MIN_SIZE) {
        return ota_pt_fail(
            diag, OTA_ERR_PT_NVS_TOO_SMALL, line,
            "Partition %s invalid: '%s' partition of type %u and subtype %u of this size (0x%x) must be "
            "flagged as 'readonly' (the size of read/write NVS has to be at least 0x%x)",
            p->label, p->label, p->type, p->subtype, (unsigned)p->size,
            (unsigned)OTA_PARTITION_NVS_RW_MIN_SIZE);
    }
    return OTA_OK;
}

static int verify_otadata(const ota_partition_table_t *t, uint8_t subtype, const char *what,
                          const char *subtype_text, ota_partition_diag_t *diag)
{
    size_t found = 0, first = 0;
    for (size_t i = 0; i < t->count; i++) {
        const ota_partition_info_t *p = &t->entries[i];
        if (p->type != OTA_PART_TYPE_DATA || p->subtype != subtype) {
            continue;
        }
        if (found++ == 0) {
            first = i;
        } else {
            return ota_pt_fail(
                diag, OTA_ERR_PT_OTADATA, t->line[i],
                "Found multiple %s partitions. Only one partition can be defined with type=\"data\"(1) "
                "and subtype=%s.",
                what, subtype_text);
        }
    }
    if (found == 1 && t->entries[first].size != OTA_PARTITION_OTADATA_SIZE) {
        return ota_pt_fail(diag, OTA_ERR_PT_OTADATA, t->line[first], "%s partition must have size = 0x%x",
                           what, (unsigned)OTA_PARTITION_OTADATA_SIZE);
    }
    return OTA_OK;
}

/* Nothing below the end of the table's sector (but the primary bootloader and table entries of
 * ESP-IDF v6) and no two entries sharing a byte, checked in offset order (a stable sort like
 * Python's sorted()), with gen_esp32part's messages. */
static int check_overlaps(const ota_partition_table_t *t, uint32_t table_offset, ota_partition_diag_t *diag)
{
    uint8_t order[OTA_PARTITION_MAX_ENTRIES];
    for (size_t i = 0; i < t->count; i++) {
        size_t k = i;
        while (k > 0 && t->entries[order[k - 1]].offset > t->entries[i].offset) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = (uint8_t)i;
    }
    uint64_t table_end = (uint64_t)table_offset + OTA_PARTITION_TABLE_SECTOR_SIZE;
    const ota_partition_info_t *last = NULL;
    for (size_t k = 0; k < t->count; k++) {
        const ota_partition_info_t *p = &t->entries[order[k]];
        uint32_t line = t->line[order[k]];
        if (p->offset < table_end && !is_primary_boot_or_table(p)) {
            return ota_pt_fail(diag, OTA_ERR_PT_OVERLAP, line, "Partition offset 0x%x is below 0x%llx",
                               (unsigned)p->offset, (unsigned long long)table_end);
        }
        if (last != NULL && p->offset < (uint64_t)last->offset + last->size) {
            return ota_pt_fail(diag, OTA_ERR_PT_OVERLAP, line, "Partition at 0x%x overlaps 0x%x-0x%llx",
                               (unsigned)p->offset, (unsigned)last->offset,
                               (unsigned long long)last->offset + last->size - 1);
        }
        last = p;
    }
    return OTA_OK;
}

/* End of the entry with the highest offset: what gen_esp32part calls the table's flash_size(). */
/* The entry with the highest offset (the first of equals, as Python's stable sort picks): its end
 * is what gen_esp32part calls the table's flash_size(). */
static size_t highest_entry(const ota_partition_table_t *t)
{
    size_t last = 0;
    for (size_t i = 1; i < t->count; i++) {
        if (t->entries[i].offset > t->entries[last].offset) {
            last = i;
        }
    }
    return last;
}

int ota_partition_table_check_flash_size(const ota_partition_table_t *t, uint32_t flash_size,
                                         ota_partition_diag_t *diag)
{
    if (t == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (t->count == 0 || flash_size == 0) {
        return OTA_OK;
    }
    size_t last = highest_entry(t);
    uint64_t used = (uint64_t)t->entries[last].offset + t->entries[last].size;
    if (used > flash_size) {
        /* gen_esp32part prints used / 1 MiB with "%.1f". In tenths, with printf's rounding (to
         * nearest, ties to even: the quotient is exact in binary), so no double and no soft-float
         * library on a microcontroller. */
        const uint64_t mib = 1024u * 1024u;
        uint64_t tenths = used * 10u / mib;
        uint64_t rest = used * 10u % mib;
        if (rest > mib / 2u || (rest == mib / 2u && (tenths & 1u) != 0)) {
            tenths++;
        }
        return ota_pt_fail(
            diag, OTA_ERR_PT_FLASH_SIZE, t->line[last],
            "Partitions tables occupies %llu.%uMB of flash (%llu bytes) which does not fit in configured "
            "flash size %uMB.",
            (unsigned long long)(tenths / 10u), (unsigned)(tenths % 10u), (unsigned long long)used,
            (unsigned)(flash_size / 0x100000u));
    }
    return OTA_OK;
}

int ota_partition_table_verify(const ota_partition_table_t *table, const ota_partition_csv_options_t *opts,
                               ota_partition_diag_t *diag)
{
    ota_pt_diag_clear(diag);
    if (table == NULL || table->count > OTA_PARTITION_MAX_ENTRIES) {
        return OTA_ERR_INVALID_ARG;
    }
    static const ota_partition_csv_options_t defaults = {0};
    if (opts == NULL) {
        opts = &defaults;
    }
    const ota_partition_table_t *t = table;
    for (size_t i = 0; i < t->count; i++) {
        int err = verify_entry(t, i, opts, diag);
        if (err != OTA_OK) {
            return err;
        }
    }
    /* Labels as stored (16 bytes): two names that only differ past byte 16 collide on flash, which
     * gen_esp32part (comparing the untruncated names) lets through; refusing them is safer. */
    for (size_t i = 1; i < t->count; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strncmp(t->entries[i].label, t->entries[j].label, OTA_PARTITION_LABEL_MAX) == 0) {
                if (t->line[i] != 0 && t->line[j] != 0) {
                    return ota_pt_fail(diag, OTA_ERR_PT_DUPLICATE_NAME, t->line[i],
                                       "Partition names must be unique (also on line %u)",
                                       (unsigned)t->line[j]);
                }
                return ota_pt_fail(diag, OTA_ERR_PT_DUPLICATE_NAME, t->line[i],
                                   "Partition names must be unique ('%s' is entry %zu and %zu)",
                                   t->entries[i].label, j, i);
            }
        }
    }
    uint32_t table_offset =
        opts->table_offset || opts->table_offset_set ? opts->table_offset : OTA_PARTITION_TABLE_OFFSET;
    int err = check_overlaps(t, table_offset, diag);
    if (err != OTA_OK) {
        return err;
    }
    err = verify_otadata(t, OTA_PART_SUBTYPE_DATA_OTA, "otadata", "\"ota\"(0)", diag);
    if (err == OTA_OK) {
        err = verify_otadata(t, OTA_PART_SUBTYPE_DATA_TEE_OTA, "TEE otadata", "\"tee_ota\"(0x90)", diag);
    }
    if (err == OTA_OK) {
        err = ota_partition_table_check_flash_size(t, opts->flash_size, diag);
    }
    return err;
}

int ota_partition_table_check_layout(const ota_partition_table_t *table, uint32_t table_offset,
                                     uint32_t flash_size, ota_partition_diag_t *diag)
{
    ota_pt_diag_clear(diag);
    if (table == NULL || table->count > OTA_PARTITION_MAX_ENTRIES) {
        return OTA_ERR_INVALID_ARG;
    }
    for (size_t i = 0; i < table->count; i++) {
        const ota_partition_info_t *p = &table->entries[i];
        uint32_t align = offset_alignment(p->type);
        if (p->offset % align != 0) {
            return ota_pt_fail(diag, OTA_ERR_PT_ALIGNMENT, table->line[i],
                               "Partition %s invalid: Offset 0x%x is not aligned to 0x%x", p->label,
                               (unsigned)p->offset, (unsigned)align);
        }
        if (p->type == OTA_PART_TYPE_APP && p->size % 0x1000u != 0) {
            return ota_pt_fail(diag, OTA_ERR_PT_ALIGNMENT, table->line[i],
                               "Partition %s invalid: Size 0x%x is not aligned to 0x%x", p->label,
                               (unsigned)p->size, 0x1000u);
        }
    }
    int err = check_overlaps(table, table_offset != 0 ? table_offset : OTA_PARTITION_TABLE_OFFSET, diag);
    if (err == OTA_OK) {
        err = ota_partition_table_check_bounds(table, flash_size, diag);
    }
    return err;
}

/* Is @p name a subtype keyword of @p type, and with which value? */
static bool subtype_of(uint8_t type, const char *name, uint8_t *value)
{
    const char *k;
    for (size_t i = 0; (k = ota_partition_subtype_keyword(type, i, value)) != NULL; i++) {
        if (strcmp(k, name) == 0) {
            return true;
        }
    }
    return false;
}

int ota_partition_table_name_warning(const ota_partition_table_t *t, size_t *index, char *buf, size_t size)
{
    const char *k;
    uint8_t v;
    for (; t != NULL && *index < 2 * t->count; (*index)++) {
        const ota_partition_info_t *p = &t->entries[*index / 2];
        if (*index % 2 == 0) { /* named like a type keyword of another type */
            for (size_t i = 0; (k = ota_partition_type_keyword(i, &v)) != NULL; i++) {
                if (strcmp(k, p->label) == 0 && v != p->type) {
                    (*index)++;
                    return snprintf(
                               buf, size,
                               "WARNING: Partition has name '%s' which is a partition type, but does not "
                               "match this partition's type (0x%x). Mistake in partition table?",
                               p->label, p->type) >= 0
                               ? 1
                               : 0;
                }
            }
            continue;
        }
        /* named like a subtype keyword (of any type) that is not this entry's own subtype */
        bool known = false;
        for (size_t i = 0; !known && (k = ota_partition_type_keyword(i, &v)) != NULL; i++) {
            uint8_t sv;
            known = subtype_of(v, p->label, &sv);
        }
        uint8_t own;
        if (known && !(subtype_of(p->type, p->label, &own) && own == p->subtype)) {
            (*index)++;
            return snprintf(
                       buf, size,
                       "WARNING: Partition has name '%s' which is a partition subtype, but this partition "
                       "has non-matching type 0x%x and subtype 0x%x. Mistake in partition table?",
                       p->label, p->type, p->subtype) >= 0
                       ? 1
                       : 0;
        }
    }
    return 0;
}
