/**
 * @file ota_otadata.h
 * @brief The otadata partition: two 32-byte boot-selection entries (pure format and rules).
 *
 * reference/esp-idf-formats.md §2: entry 0 at partition offset 0x0, entry 1 at 0x1000 (one 4 KiB
 * sector each; an update erases one sector and writes 32 bytes, never both). An entry is
 * {ota_seq, seq_label[20], ota_state, crc} with crc = CRC-32 of the 4 little-endian seq bytes,
 * ota_crc32_le(0xFFFFFFFF, seq, 4) (seq 1 -> 0x4743989A). The entry with the highest valid seq
 * wins (ties: entry 0, which is how ESP-IDF v5.x devices that wrote the same seq into both
 * sectors still boot the same way); it names OTA slot (seq - 1) % slot_count.
 */
#ifndef OTA_OTADATA_H
#define OTA_OTADATA_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_OTADATA_ENTRY_SIZE     32u
#define OTA_OTADATA_SECTOR_SIZE    0x1000u /**< entry i is at i * 0x1000 */
#define OTA_OTADATA_PARTITION_SIZE 0x2000u
#define OTA_OTADATA_SEQ_BLANK      0xFFFFFFFFu

/** esp_ota_img_states_t */
typedef enum {
    OTA_IMG_NEW = 0x0u,              /**< written by set_boot_partition; bootloader -> PENDING_VERIFY */
    OTA_IMG_PENDING_VERIFY = 0x1u,   /**< booted once; found again at boot -> ABORTED */
    OTA_IMG_VALID = 0x2u,            /**< confirmed by the app */
    OTA_IMG_INVALID = 0x3u,          /**< refused by the app: never selected */
    OTA_IMG_ABORTED = 0x4u,          /**< never confirmed: never selected */
    OTA_IMG_UNDEFINED = 0xFFFFFFFFu, /**< written without rollback support: boots without limits */
} ota_img_state_t;

/** esp_ota_select_entry_t, decoded. */
typedef struct {
    uint32_t ota_seq;
    uint8_t seq_label[20]; /**< unused by ESP-IDF, normally 0xFF; kept as read */
    uint32_t ota_state;    /**< ota_img_state_t, or any value found on flash */
    uint32_t crc;
} ota_otadata_entry_t;

/** The CRC ESP-IDF stores: CRC-32 over the 4 little-endian bytes of @p seq. */
uint32_t ota_otadata_crc(uint32_t seq);

void ota_otadata_entry_decode(const uint8_t raw[OTA_OTADATA_ENTRY_SIZE], ota_otadata_entry_t *out);
void ota_otadata_entry_encode(const ota_otadata_entry_t *entry, uint8_t raw[OTA_OTADATA_ENTRY_SIZE]);

/** A fresh entry as ESP-IDF writes it from scratch: label 0xFF, crc computed. */
void ota_otadata_entry_make(ota_otadata_entry_t *out, uint32_t seq, uint32_t state);

/** bootloader_common_ota_select_invalid: seq blank, or state INVALID / ABORTED (CRC ignored). */
bool ota_otadata_entry_is_invalid(const ota_otadata_entry_t *e);
/** bootloader_common_ota_select_valid: not invalid and the CRC matches. */
bool ota_otadata_entry_is_valid(const ota_otadata_entry_t *e);
/** seq blank or CRC wrong: what an erased or torn sector looks like ("initial contents"). */
bool ota_otadata_entry_is_initial(const ota_otadata_entry_t *e);
/** The stored CRC matches the seq. */
bool ota_otadata_entry_crc_ok(const ota_otadata_entry_t *e);

/**
 * bootloader_common_select_otadata: among entries with @p valid set, the index with the highest
 * (@p max) or lowest seq; ties go to entry 0.
 * @return 0 or 1, or -1 if neither is valid (an index, not an ota_err_t).
 */
int ota_otadata_select(const ota_otadata_entry_t entries[2], const bool valid[2], bool max);
/** bootloader_common_get_active_otadata: select with max over ota_otadata_entry_is_valid.
 *  @return 0 or 1, or -1 if neither entry is valid (an index, not an ota_err_t). */
int ota_otadata_active(const ota_otadata_entry_t entries[2]);

/** OTA slot an entry names: (seq - 1) % slot_count in unsigned 32-bit arithmetic. */
uint32_t ota_otadata_slot(uint32_t seq, uint32_t slot_count);

/**
 * compute_ota_seq_for_target_slot: the smallest seq >= @p current_seq (and >= 1) that names
 * @p slot for the bootloader ((seq - 1) % @p slot_count == slot), never the blank 0xFFFFFFFF;
 * 0 when there is none (near the top of the range, or slot >= slot_count).
 */
uint32_t ota_otadata_seq_for_slot(uint32_t current_seq, uint32_t slot, uint32_t slot_count);

/**
 * The seq that switches the boot to @p slot from an active entry with @p current_seq: the smallest
 * one above it that names @p slot, so the new entry wins the bootloader's highest-seq selection.
 * @return OTA_OK; OTA_ERR_OTADATA_SEQ_EXHAUSTED (and *out = 0) when no such seq below 0xFFFFFFFF
 *         exists (or @p slot >= @p slot_count).
 */
int ota_otadata_next_seq(uint32_t current_seq, uint32_t slot, uint32_t slot_count, uint32_t *out);

/** "NEW", "PENDING_VERIFY", "VALID", "INVALID", "ABORTED", "UNDEFINED", or "0x%08x" in @p buf. */
const char *ota_otadata_state_name(uint32_t state, char buf[12]);

#ifdef __cplusplus
}
#endif
#endif /* OTA_OTADATA_H */
