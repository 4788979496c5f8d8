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

#include "ota/ota_flash.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- constants (esp_flash_partitions.h, esp_partition.h) ---------------------------------- */
#define OTA_PARTITION_TABLE_OFFSET 0x8000u   /**< CONFIG_PARTITION_TABLE_OFFSET default */
#define OTA_PARTITION_TABLE_MAX_LEN 0xC00u   /**< bytes of table data in its 4 KiB sector */
#define OTA_PARTITION_ENTRY_SIZE 32u
#define OTA_PARTITION_MAX_ENTRIES 95u        /**< without MD5; 94 with the MD5 entry */
#define OTA_PARTITION_LABEL_MAX 16u          /**< label bytes on flash (not NUL-terminated when 16) */
#define OTA_PARTITION_MAGIC 0x50AAu
#define OTA_PARTITION_MAGIC_MD5 0xEBEBu

#define OTA_PART_TYPE_APP 0x00u
#define OTA_PART_TYPE_DATA 0x01u
#define OTA_PART_TYPE_BOOTLOADER 0x02u
#define OTA_PART_TYPE_PARTITION_TABLE 0x03u
#define OTA_PART_TYPE_ANY 0xFFu              /**< search wildcard */

#define OTA_PART_SUBTYPE_APP_FACTORY 0x00u
#define OTA_PART_SUBTYPE_APP_OTA_0 0x10u     /**< ota_N = 0x10 + N, N = 0..15 */
#define OTA_PART_SUBTYPE_APP_OTA_MAX 0x1Fu
#define OTA_PART_SUBTYPE_APP_TEST 0x20u
#define OTA_PART_SUBTYPE_DATA_OTA 0x00u      /**< otadata */
#define OTA_PART_SUBTYPE_DATA_PHY 0x01u
#define OTA_PART_SUBTYPE_DATA_NVS 0x02u
#define OTA_PART_SUBTYPE_DATA_COREDUMP 0x03u
#define OTA_PART_SUBTYPE_DATA_NVS_KEYS 0x04u
#define OTA_PART_SUBTYPE_DATA_EFUSE 0x05u
#define OTA_PART_SUBTYPE_DATA_UNDEFINED 0x06u
#define OTA_PART_SUBTYPE_DATA_ESPHTTPD 0x80u
#define OTA_PART_SUBTYPE_DATA_FAT 0x81u
#define OTA_PART_SUBTYPE_DATA_SPIFFS 0x82u
#define OTA_PART_SUBTYPE_DATA_LITTLEFS 0x83u
#define OTA_PART_SUBTYPE_ANY 0xFFu           /**< search wildcard */

#define OTA_PART_FLAG_ENCRYPTED (1u << 0)
#define OTA_PART_FLAG_READONLY (1u << 1)

/** One partition table entry. */
typedef struct {
    char label[OTA_PARTITION_LABEL_MAX + 1]; /**< NUL-terminated copy of the 16 label bytes */
    uint8_t type;
    uint8_t subtype;
    uint32_t offset;  /**< absolute flash address */
    uint32_t size;    /**< bytes */
    uint32_t flags;   /**< OTA_PART_FLAG_* (unknown bits kept) */
} ota_partition_info_t;

/** A whole table, in table order. */
typedef struct {
    ota_partition_info_t entries[OTA_PARTITION_MAX_ENTRIES];
    size_t count;
    bool has_md5; /**< binary input carried an MD5 entry (it was checked) */
} ota_partition_table_t;

/** Where and why parsing or verification failed, worded like gen_esp32part.py. */
typedef struct {
    int line;          /**< 1-based CSV line of the problem, 0 when not tied to a line */
    char message[256]; /**< e.g. "Error at line 1: Value 'bogus' is not valid. Known keywords: ..." */
} ota_partition_diag_t;

/** Options of the CSV parser (gen_esp32part.py's command-line switches). */
typedef struct {
    uint32_t table_offset;       /**< --offset; 0 = 0x8000 */
    uint32_t flash_size;         /**< --flash-size in bytes; 0 = no check */
    uint32_t primary_bootloader_offset; /**< for `bootloader` entries; 0 = not defined */
    uint32_t recovery_bootloader_offset; /**< for recovery bootloader entries; 0 = not defined */
    bool secure_v1;              /**< --secure v1: app sizes aligned to 64 KiB */
    bool no_verify;              /**< --no-verify */
} ota_partition_csv_options_t;

/* --- formats: pure conversions -------------------------------------------------------------- */

/**
 * Parse CSV text (gen_esp32part.py rules: comments, auto offsets, K/M sizes, keywords or numbers
 * for type/subtype, flags, negative size = end address) and verify the result. On error returns
 * an OTA_ERR_PT_* code and fills @p diag (may be NULL).
 */
int ota_partition_table_parse_csv(const char *text, size_t len, const ota_partition_csv_options_t *opts,
                                  ota_partition_table_t *out, ota_partition_diag_t *diag);

/** gen_esp32part.py's verify() on a table (alignment, overlaps, names, otadata size...). */
int ota_partition_table_verify(const ota_partition_table_t *table, const ota_partition_csv_options_t *opts,
                               ota_partition_diag_t *diag);

/**
 * The binary form: entries, the MD5 entry when @p with_md5, then 0xFF up to exactly 0xC00 bytes
 * (@p out must hold OTA_PARTITION_TABLE_MAX_LEN bytes).
 */
int ota_partition_table_to_binary(const ota_partition_table_t *table, bool with_md5,
                                  uint8_t out[OTA_PARTITION_TABLE_MAX_LEN]);

/**
 * Parse a binary table (a multiple of 32 bytes, at most one 4 KiB sector): stops at the all-0xFF
 * end marker; checks an MD5 entry against the entries before it.
 */
int ota_partition_table_from_binary(const uint8_t *data, size_t len, ota_partition_table_t *out,
                                    ota_partition_diag_t *diag);

/**
 * CSV text as gen_esp32part.py prints it (header comments, offsets 0x%x, sizes in M/K when they
 * divide). Returns the length (snprintf-style: may exceed @p size) or a negative error.
 */
int ota_partition_table_to_csv(const ota_partition_table_t *table, char *buf, size_t size);

/** CSV keyword of a type ("app"), or NULL if it has none (custom types print as numbers). */
const char *ota_partition_type_name(uint8_t type);
/** CSV keyword of a subtype for its type ("ota_0", "nvs"), or NULL if numeric. */
const char *ota_partition_subtype_name(uint8_t type, uint8_t subtype);

/** First entry with this label, or NULL. */
const ota_partition_info_t *ota_partition_find_by_label(const ota_partition_table_t *table, const char *label);
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
 * does (stops at the MD5 entry, whose checksum must match when present) and check that every
 * partition lies within the flash.
 */
int ota_partition_table_load(const ota_flash_t *flash, uint32_t table_offset, ota_partition_table_t *out,
                             ota_partition_diag_t *diag);

/** Write a table to @p flash: erase the table's sector, program the 0xC00-byte binary form. */
int ota_partition_table_store(const ota_flash_t *flash, uint32_t table_offset,
                              const ota_partition_table_t *table, bool with_md5);

/** One partition on one flash device. */
typedef struct {
    const ota_flash_t *flash;
    ota_partition_info_t info;
} ota_partition_t;

/** Bind @p info (copied) to @p flash. */
void ota_partition_init(ota_partition_t *part, const ota_flash_t *flash, const ota_partition_info_t *info);

/** Read at a partition-relative offset; OTA_ERR_FLASH_OUT_OF_RANGE past the partition's end. */
int ota_partition_read(const ota_partition_t *part, uint32_t offset, void *buf, size_t len);
/** Program at a partition-relative offset; OTA_ERR_FLASH_READONLY for readonly partitions. */
int ota_partition_program(const ota_partition_t *part, uint32_t offset, const void *buf, size_t len);
/** Erase a sector-aligned range (blocks where aligned), bounded to the partition. */
int ota_partition_erase_range(const ota_partition_t *part, uint32_t offset, uint32_t len);

#ifdef __cplusplus
}
#endif
#endif /* OTA_PARTITION_H */
