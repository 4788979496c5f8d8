/**
 * @file ota_partition.h
 * @brief ESP-IDF partition tables (CSV and binary) and partitions on a flash device.
 *
 * Two halves:
 *  - formats (pure, no I/O): CSV text <-> table struct <-> the 0xC00-byte binary that
 *    gen_esp32part.py v6.0.2 writes (byte-identical, MD5 entry included), with the same rules and
 *    messages as that tool (reference/esp-idf-formats.md §1);
 *  - flash: load the table from a device at 0x8000 and read/program/erase one partition, with
 *    every request bounded to the partition (never touches a neighbour).
 */
#ifndef OTA_PARTITION_H
#define OTA_PARTITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/port/ota_flash.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- constants (esp_flash_partitions.h, esp_partition.h) ---------------------------------- */
#define OTA_PARTITION_TABLE_OFFSET      0x8000u /**< CONFIG_PARTITION_TABLE_OFFSET default */
#define OTA_PARTITION_TABLE_MAX_LEN     0xC00u  /**< bytes of table data in its 4 KiB sector */
#define OTA_PARTITION_ENTRY_SIZE        32u
#define OTA_PARTITION_MAX_ENTRIES       95u /**< without MD5; 94 with the MD5 entry */
#define OTA_PARTITION_LABEL_MAX         16u /**< label bytes on flash (not NUL-terminated when 16) */
#define OTA_PARTITION_MAGIC             0x50AAu
#define OTA_PARTITION_MAGIC_MD5         0xEBEBu
#define OTA_PARTITION_TABLE_SECTOR_SIZE 0x1000u /**< the table's sector (ESP_PARTITION_TABLE_SIZE) */
#define OTA_PARTITION_NVS_RW_MIN_SIZE   0x3000u /**< smallest read/write NVS (gen_esp32part) */
#define OTA_PARTITION_OTADATA_SIZE      0x2000u /**< the only size an otadata partition may have */

#define OTA_PART_TYPE_APP             0x00u
#define OTA_PART_TYPE_DATA            0x01u
#define OTA_PART_TYPE_BOOTLOADER      0x02u
#define OTA_PART_TYPE_PARTITION_TABLE 0x03u
#define OTA_PART_TYPE_ANY             0xFFu /**< search wildcard */

#define OTA_PART_SUBTYPE_APP_FACTORY             0x00u
#define OTA_PART_SUBTYPE_APP_OTA_0               0x10u /**< ota_N = 0x10 + N, N = 0..15 */
#define OTA_PART_SUBTYPE_APP_OTA_MAX             0x1Fu
#define OTA_PART_SUBTYPE_APP_TEST                0x20u
#define OTA_PART_SUBTYPE_DATA_OTA                0x00u /**< otadata */
#define OTA_PART_SUBTYPE_DATA_PHY                0x01u
#define OTA_PART_SUBTYPE_DATA_NVS                0x02u
#define OTA_PART_SUBTYPE_DATA_COREDUMP           0x03u
#define OTA_PART_SUBTYPE_DATA_NVS_KEYS           0x04u
#define OTA_PART_SUBTYPE_DATA_EFUSE              0x05u
#define OTA_PART_SUBTYPE_DATA_UNDEFINED          0x06u
#define OTA_PART_SUBTYPE_DATA_ESPHTTPD           0x80u
#define OTA_PART_SUBTYPE_DATA_FAT                0x81u
#define OTA_PART_SUBTYPE_DATA_SPIFFS             0x82u
#define OTA_PART_SUBTYPE_DATA_LITTLEFS           0x83u
#define OTA_PART_SUBTYPE_ANY                     0xFFu /**< search wildcard */
#define OTA_PART_SUBTYPE_APP_TEE_0               0x30u /**< tee_0, tee_1 = 0x30, 0x31 (ESP-TEE) */
#define OTA_PART_SUBTYPE_DATA_TEE_OTA            0x90u /**< TEE otadata */
#define OTA_PART_SUBTYPE_BOOTLOADER_PRIMARY      0x00u
#define OTA_PART_SUBTYPE_BOOTLOADER_OTA          0x01u
#define OTA_PART_SUBTYPE_BOOTLOADER_RECOVERY     0x02u
#define OTA_PART_SUBTYPE_PARTITION_TABLE_PRIMARY 0x00u
#define OTA_PART_SUBTYPE_PARTITION_TABLE_OTA     0x01u

#define OTA_PART_FLAG_ENCRYPTED (1u << 0)
#define OTA_PART_FLAG_READONLY  (1u << 1)

/** One partition table entry. */
typedef struct {
    char label[OTA_PARTITION_LABEL_MAX + 1]; /**< NUL-terminated copy of the 16 label bytes */
    uint8_t type;
    uint8_t subtype;
    uint32_t offset; /**< absolute flash address */
    uint32_t size;   /**< bytes */
    uint32_t flags;  /**< OTA_PART_FLAG_* (unknown bits kept) */
} ota_partition_info_t;

/** A whole table, in table order. */
typedef struct {
    ota_partition_info_t entries[OTA_PARTITION_MAX_ENTRIES];
    size_t count;
    bool has_md5;                             /**< binary input carried an MD5 entry (it was checked) */
    uint32_t line[OTA_PARTITION_MAX_ENTRIES]; /**< 1-based CSV line of each entry; 0 if not from CSV */
} ota_partition_table_t;

/** Where and why parsing or verification failed, worded like gen_esp32part.py. */
typedef struct {
    int line;          /**< 1-based CSV line of the problem, 0 when not tied to a line */
    char message[256]; /**< e.g. "Error at line 1: Value 'bogus' is not valid. Known keywords: ..." */
} ota_partition_diag_t;

/**
 * Value of the environment variable @p name for `$NAME` / `${NAME}` in CSV lines, or NULL when it
 * is not set. The formats layer never reads the environment itself; the caller decides.
 */
typedef const char *(*ota_partition_env_lookup_t)(void *ctx, const char *name);

/** Options of the CSV parser (gen_esp32part.py's command-line switches). */
typedef struct {
    uint32_t table_offset;               /**< --offset; 0 = 0x8000 */
    uint32_t flash_size;                 /**< --flash-size in bytes; 0 = no check */
    uint32_t primary_bootloader_offset;  /**< for `bootloader` entries; 0 = not defined */
    uint32_t recovery_bootloader_offset; /**< for recovery bootloader entries; 0 = not defined */
    bool secure_v1;                      /**< --secure v1: app sizes aligned to 64 KiB */
    bool no_verify;                      /**< --no-verify */
    bool primary_bootloader_offset_set;  /**< primary_bootloader_offset is defined even when 0 */
    bool table_offset_set;               /**< table_offset is meant even when 0 (gen_esp32part --offset 0) */
    bool recovery_bootloader_offset_set; /**< recovery_bootloader_offset is defined even when 0 */
    /** `$VAR` expansion like os.path.expandvars; NULL = an empty environment (nothing expands,
     *  and a line that starts with `$NAME` fails with "unknown variable 'NAME'"). */
    ota_partition_env_lookup_t env_lookup;
    void *env_ctx; /**< passed to env_lookup */
} ota_partition_csv_options_t;

/* --- formats: pure conversions -------------------------------------------------------------- */

/**
 * gen_esp32part.py's verify() on a table, in its order: per entry (offset alignment, app size
 * alignment, readonly otadata/coredump, read/write NVS >= 0x3000), unique names, nothing below the
 * table's sector or overlapping, one otadata of 0x2000 bytes (and TEE otadata), and
 * opts->flash_size when set. Messages name table->line[] when the entry came from CSV.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL table); OTA_ERR_PT_ALIGNMENT,
 *         OTA_ERR_PT_READONLY_NOT_ALLOWED, OTA_ERR_PT_NVS_TOO_SMALL, OTA_ERR_PT_DUPLICATE_NAME,
 *         OTA_ERR_PT_OVERLAP, OTA_ERR_PT_OTADATA, OTA_ERR_PT_FLASH_SIZE (the first rule broken).
 */
int ota_partition_table_verify(const ota_partition_table_t *table, const ota_partition_csv_options_t *opts,
                               ota_partition_diag_t *diag);

/**
 * The binary form: entries, the MD5 entry when @p with_md5, then 0xFF up to exactly 0xC00 bytes
 * (@p out must hold OTA_PARTITION_TABLE_MAX_LEN bytes).
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL table or out); OTA_ERR_PT_TOO_MANY (the entries and
 *         the MD5 entry do not fit in 0xC00 bytes).
 */
int ota_partition_table_to_binary(const ota_partition_table_t *table, bool with_md5,
                                  uint8_t out[OTA_PARTITION_TABLE_MAX_LEN]);

/**
 * Parse a binary table like gen_esp32part.py's from_binary(): @p len a multiple of 32 bytes
 * (0xC00 or the whole 4 KiB sector); entries until the all-0xFF end marker (none:
 * OTA_ERR_PT_NO_END_MARKER); an MD5 entry is checked against the entries before it
 * (OTA_ERR_PT_MD5_MISMATCH) and skipped; any other magic is OTA_ERR_PT_BAD_MAGIC. All 16 label
 * bytes and all flag bits are kept, so to_binary() gives the same bytes back. No verify().
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL data/out); OTA_ERR_PT_INVALID (@p len not a
 *         multiple of 32); OTA_ERR_PT_NO_END_MARKER; OTA_ERR_PT_MD5_MISMATCH;
 *         OTA_ERR_PT_BAD_MAGIC; OTA_ERR_PT_TOO_MANY.
 */
int ota_partition_table_from_binary(const uint8_t *data, size_t len, ota_partition_table_t *out,
                                    ota_partition_diag_t *diag);

/**
 * Parse the 0xC00 bytes at the table offset the way the ESP-IDF app does (esp_partition's
 * load_partitions): entries until the first magic that is not 0x50AA; an MD5 entry (0xEBEB) ends
 * the list and its checksum must match (has_md5 set); an empty table (first entry not 0x50AA) is
 * OTA_ERR_PT_BAD_MAGIC. Pure; no flash bounds check (see ota_partition_table_check_bounds).
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL data/out); OTA_ERR_PT_BAD_MAGIC;
 *         OTA_ERR_PT_MD5_MISMATCH; OTA_ERR_PT_TOO_MANY (more entries than the table holds).
 */
int ota_partition_table_parse_app(const uint8_t *data, size_t len, ota_partition_table_t *out,
                                  ota_partition_diag_t *diag);

/** Every entry lies within a flash of @p flash_size bytes (the bootloader's check).
 *  @return OTA_OK; OTA_ERR_INVALID_ARG (NULL table); OTA_ERR_PT_FLASH_SIZE. */
int ota_partition_table_check_bounds(const ota_partition_table_t *table, uint32_t flash_size,
                                     ota_partition_diag_t *diag);

/**
 * The layout rules of verify() that keep writes apart, for a table read from a device (whose MD5
 * only proves it was not corrupted): every offset aligned (app 0x10000, others 0x1000), app sizes
 * aligned to 0x1000, nothing below the end of the table's sector at @p table_offset (0 = 0x8000)
 * except ESP-IDF v6's primary bootloader / table entries, no two entries overlapping, every entry
 * inside @p flash_size. OTA_ERR_PT_ALIGNMENT, OTA_ERR_PT_OVERLAP or OTA_ERR_PT_FLASH_SIZE with
 * gen_esp32part's wording in @p diag.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL table); OTA_ERR_PT_ALIGNMENT; OTA_ERR_PT_OVERLAP;
 *         OTA_ERR_PT_FLASH_SIZE.
 */
int ota_partition_table_check_layout(const ota_partition_table_t *table, uint32_t table_offset,
                                     uint32_t flash_size, ota_partition_diag_t *diag);

/**
 * gen_esp32part's warnings that are not errors, in its words: an entry named like a type keyword
 * of another type, or like a subtype keyword that is not its own ("WARNING: Partition has name
 * 'ota_1' which is a partition subtype, but this partition has non-matching type 0x1 and subtype
 * 0x2. Mistake in partition table?"). Iterate from *@p index = 0.
 * @return 1 with the next warning in @p buf (cut to @p size); 0 when there is none left (also
 *         for a NULL table). Never negative.
 */
int ota_partition_table_name_warning(const ota_partition_table_t *table, size_t *index, char *buf,
                                     size_t size);

/**
 * gen_esp32part's --flash-size check: the end of the entry with the highest offset must be within
 * @p flash_size bytes (0 = no check). Also part of verify().
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL table); OTA_ERR_PT_FLASH_SIZE.
 */
int ota_partition_table_check_flash_size(const ota_partition_table_t *table, uint32_t flash_size,
                                         ota_partition_diag_t *diag);

/** gen_esp32part's size text: "%dM" if it divides by 1 MiB, "%dK" by 1 KiB, else "0x%x".
 *  @return snprintf's: the text's length (may exceed @p buf_size). */
int ota_partition_format_size(uint32_t size, char *buf, size_t buf_size);

/** Known flag names joined with ':' ("encrypted:readonly").
 *  @return the text's length, snprintf-style (may exceed @p buf_size); never negative. */
int ota_partition_format_flags(uint32_t flags, char *buf, size_t buf_size);

/**
 * The @p index-th type keyword in gen_esp32part's order (bootloader, partition_table, app, data)
 * and its value; NULL past the end.
 */
const char *ota_partition_type_keyword(size_t index, uint8_t *value);
/** The @p index-th subtype keyword of @p type in gen_esp32part's order, and its value; NULL past the end. */
const char *ota_partition_subtype_keyword(uint8_t type, size_t index, uint8_t *value);

/** CSV keyword of a type ("app"), or NULL if it has none (custom types print as numbers). */
const char *ota_partition_type_name(uint8_t type);
/** CSV keyword of a subtype for its type ("ota_0", "nvs"), or NULL if numeric. */
const char *ota_partition_subtype_name(uint8_t type, uint8_t subtype);

/** First entry with this label, or NULL. */
const ota_partition_info_t *ota_partition_find_by_label(const ota_partition_table_t *table,
                                                        const char *label);
/**
 * First entry after @p after (NULL: from the start) matching @p type and @p subtype
 * (OTA_PART_*_ANY as wildcards) and, if non-NULL, @p label. Iterate by passing the previous match.
 */
const ota_partition_info_t *ota_partition_find_next(const ota_partition_table_t *table,
                                                    const ota_partition_info_t *after, uint8_t type,
                                                    uint8_t subtype, const char *label);

/* --- flash: partitions on a device ---------------------------------------------------------- */

/**
 * Read the table at @p table_offset (0 = 0x8000) from @p flash, parse it like the ESP-IDF app
 * does (stops at the MD5 entry, whose checksum must match when present) and check its layout
 * (ota_partition_table_check_layout: aligned, not overlapping, within the flash).
 * @return OTA_OK; OTA_ERR_INVALID_ARG; the flash read's errors (ota_flash_read);
 *         ota_partition_table_parse_app's and ota_partition_table_check_layout's codes.
 */
int ota_partition_table_load(const ota_flash_t *flash, uint32_t table_offset, ota_partition_table_t *out,
                             ota_partition_diag_t *diag);

/** Write a table to @p flash: erase the table's sector, program the 0xC00-byte binary form.
 *  @return OTA_OK; OTA_ERR_INVALID_ARG; OTA_ERR_PT_TOO_MANY (ota_partition_table_to_binary);
 *          the erase's and program's flash errors (ota_flash.h). */
int ota_partition_table_store(const ota_flash_t *flash, uint32_t table_offset,
                              const ota_partition_table_t *table, bool with_md5);

/** One partition on one flash device. */
typedef struct {
    const ota_flash_t *flash;
    ota_partition_info_t info;
} ota_partition_t;

/** Bind @p info (copied) to @p flash. */
void ota_partition_init(ota_partition_t *part, const ota_flash_t *flash, const ota_partition_info_t *info);

/** Read at a partition-relative offset.
 *  @return OTA_OK; OTA_ERR_INVALID_ARG (NULL part or flash); OTA_ERR_FLASH_OUT_OF_RANGE past the
 *          partition's end; ota_flash_read's errors. */
int ota_partition_read(const ota_partition_t *part, uint32_t offset, void *buf, size_t len);
/** esp_partition_mmap: a read-only view without copying (ota_flash_map), bounded to the partition.
 *  Valid until the next program or erase.
 *  @return OTA_OK; OTA_ERR_INVALID_ARG; OTA_ERR_FLASH_OUT_OF_RANGE; OTA_ERR_NOT_SUPPORTED when
 *          the flash cannot map; ota_flash_map's other errors. */
int ota_partition_map(const ota_partition_t *part, uint32_t offset, size_t len, const void **out);
/** Program at a partition-relative offset.
 *  @return OTA_OK; OTA_ERR_FLASH_READONLY for readonly partitions; OTA_ERR_INVALID_ARG;
 *          OTA_ERR_FLASH_OUT_OF_RANGE past the partition's end; ota_flash_program's errors. */
int ota_partition_program(const ota_partition_t *part, uint32_t offset, const void *buf, size_t len);
/** Erase a sector-aligned range (blocks where aligned), bounded to the partition.
 *  @return OTA_OK; OTA_ERR_FLASH_READONLY; OTA_ERR_INVALID_ARG; OTA_ERR_FLASH_OUT_OF_RANGE;
 *          OTA_ERR_FLASH_MISALIGNED; ota_flash_erase_range's errors. */
int ota_partition_erase_range(const ota_partition_t *part, uint32_t offset, uint32_t len);

#ifdef __cplusplus
}
#endif
#endif /* OTA_PARTITION_H */
