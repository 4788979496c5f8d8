/**
 * @file ota_floor_log.h
 * @brief Version floors of data partitions, kept in the otadata sectors' spare bytes (pure format).
 *
 * Why here: a data partition's version floor (the version it held before an install started) must
 * outlive every power cut of the install, and the install itself erases and rewrites the
 * partition's sector 0, where the journal keeps its copy (ota_install_journal.h, "CKPV"). So the
 * floor is also kept outside the partition: in the otadata partition, whose two 4 KiB sectors each
 * hold one 32-byte select entry at offset 0 and nothing else. ESP-IDF reads only that entry:
 * its bootloader (components/bootloader_support/src/bootloader_utility.c, read_otadata, v6.0.2)
 * and esp_ota_ops (components/app_update/esp_ota_ops.c, read_otadata, v6.0.2) memcpy
 * sizeof(esp_ota_select_entry_t) bytes from offset 0 and from offset erase_size; their writers
 * (rewrite_ota_seq, write_otadata, esp_ota_set_boot_partition for factory,
 * esp_ota_erase_last_boot_app_partition) erase the sector and program those 32 bytes only.
 *
 * Layout: 64-byte records from offset 32 of each otadata sector, appended in order (NOR: each
 * programmed once into erased space, never rewritten), OTA_FLOOR_LOG_SLOTS per sector:
 *   "OTFV", u32 seq, u32 partition offset, char label[16] (NUL-padded), char version[32]
 *   (NUL-padded, not terminated at 32; empty: "no floor", the partition held no versioned image
 *   when an install started), u32 crc32 (ota_crc32_le(0, bytes 0..59)).
 * seq orders the records of both sectors: a partition's floor is its record with the highest seq
 * (the last one an install programmed before it touched the partition). A record whose CRC does
 * not match (a torn program) is skipped; an erased slot (64 x 0xFF) ends a sector's list.
 * Records are 16-byte aligned and 64 bytes long, so they can be written with flash encryption on
 * (ESP-IDF encrypts otadata writes in 16-byte blocks).
 *
 * Other kinds share the slots, the frame (4-byte magic, u32 seq at 4, u32 crc32 of bytes 0..59 at
 * 60) and the one seq: a release's BEGIN ("OTRB") and COMMIT ("OTRC") records
 * (ota_release_record.h). A reader of one kind skips the others like torn records.
 */
#ifndef OTA_FLOOR_LOG_H
#define OTA_FLOOR_LOG_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_FLOOR_LOG_FIRST       32u /**< sector offset of the first record (after the entry) */
#define OTA_FLOOR_LOG_RECORD_SIZE 64u
#define OTA_FLOOR_LOG_LABEL_MAX   16u
#define OTA_FLOOR_LOG_VERSION_MAX 32u
/** Records per 4 KiB otadata sector: (4096 - 32) / 64. */
#define OTA_FLOOR_LOG_SLOTS       63u

/** Record kinds (ota_floor_log_kind). */
#define OTA_FLOOR_LOG_FLOOR  1 /**< "OTFV": a data partition's version floor */
#define OTA_FLOOR_LOG_BEGIN  2 /**< "OTRB": a release begun (ota_release_record.h) */
#define OTA_FLOOR_LOG_COMMIT 3 /**< "OTRC": a release committed (ota_release_record.h) */

typedef struct {
    uint32_t seq;
    uint32_t part_offset;
    char label[OTA_FLOOR_LOG_LABEL_MAX + 1];
    char version[OTA_FLOOR_LOG_VERSION_MAX + 1];
} ota_floor_record_t;

/** Encode @p rec (label and version cut at their field sizes). */
void ota_floor_record_encode(const ota_floor_record_t *rec, uint8_t out[OTA_FLOOR_LOG_RECORD_SIZE]);
/** Decode.
 *  @return OTA_OK; OTA_ERR_NOT_FOUND for an erased slot; OTA_ERR_SVC_CHECKPOINT for a torn or
 *          foreign one. */
int ota_floor_record_decode(const uint8_t in[OTA_FLOOR_LOG_RECORD_SIZE], ota_floor_record_t *out);
/** Does @p rec belong to the partition at @p offset labelled @p label? */
bool ota_floor_record_is_for(const ota_floor_record_t *rec, uint32_t offset, const char *label);
/**
 * The kind of the record in a slot, its seq in *@p seq.
 * @return OTA_FLOOR_LOG_FLOOR, OTA_FLOOR_LOG_BEGIN or OTA_FLOOR_LOG_COMMIT; OTA_ERR_NOT_FOUND for
 *         an erased slot; OTA_ERR_SVC_CHECKPOINT for a torn or unknown one.
 */
int ota_floor_log_kind(const uint8_t in[OTA_FLOOR_LOG_RECORD_SIZE], uint32_t *seq);
/** Put @p seq and the CRC into an encoded record (bytes 4..7 and 60..63). */
void ota_floor_log_seal(uint8_t rec[OTA_FLOOR_LOG_RECORD_SIZE], uint32_t seq);
/** Sector offset of slot @p i (< OTA_FLOOR_LOG_SLOTS). */
uint32_t ota_floor_log_slot_offset(uint32_t i);

#ifdef __cplusplus
}
#endif
#endif /* OTA_FLOOR_LOG_H */
