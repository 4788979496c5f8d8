/**
 * @file ota_install_journal.h
 * @brief The record an install keeps in the first sector of its target partition.
 *
 * While the service writes a partition (an app slot or a data partition), the partition's first
 * sector does not hold the image's first bytes: those stay in RAM and are written last, in the
 * commit step. Until then the sector holds this journal: a header naming the install, then
 * checkpoint records appended as the write advances (NOR-friendly: each record is programmed
 * into erased space, never rewritten).
 *
 * Why: a partition being written never looks valid. Its first bytes are "OTAJ", which is
 * neither an app image (0xE9) nor a tone image (tag 0x2053), so the bootloader and the tone
 * reader both refuse it, and the service recognises an interrupted install and installs the item
 * again (or resumes it from the last checkpoint) on its next run.
 *
 * Layout (little-endian), sector offset:
 *   0    header, 128 bytes: "OTAJ", u16 version (1), u16 flags, u32 total_size (0xFFFFFFFF
 *        unknown), u8 source_id[16] (first 16 bytes of SHA-256 of the URI), char etag[96]
 *        (NUL-padded), u32 reserved (0xFFFFFFFF), u32 crc32 of bytes 0..123
 *   128  checkpoint i at 128 + 48*i: "CKPT", u32 bytes_written, u32 bytes_hashed,
 *        u8 digest[32] (SHA-256 state of the first bytes_hashed stream bytes, finalised),
 *        u32 crc32 of bytes 0..43
 * A record whose CRC does not match (torn by a power cut) ends the list.
 */
#ifndef OTA_INSTALL_JOURNAL_H
#define OTA_INSTALL_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_JOURNAL_HEADER_SIZE 128u
#define OTA_JOURNAL_RECORD_SIZE 48u
#define OTA_JOURNAL_RECORDS_OFFSET 128u
#define OTA_JOURNAL_ETAG_MAX 95u          /**< longer ETags are not stored (install not resumable) */
#define OTA_JOURNAL_UNKNOWN_SIZE 0xFFFFFFFFu

typedef struct {
    uint32_t total_size;      /**< image size, OTA_JOURNAL_UNKNOWN_SIZE if unknown */
    uint8_t source_id[16];    /**< identifies the URI (SHA-256 prefix) */
    char etag[OTA_JOURNAL_ETAG_MAX + 1];
} ota_journal_header_t;

typedef struct {
    uint32_t bytes_written;   /**< stream bytes durably on flash (first sector excepted: in RAM) */
    uint32_t bytes_hashed;    /**< stream bytes covered by digest */
    uint8_t digest[32];
} ota_journal_checkpoint_t;

/** True if @p data (at least 4 bytes) starts with the journal magic "OTAJ". */
bool ota_journal_is_present(const uint8_t *data, size_t len);

/** Encode the header into OTA_JOURNAL_HEADER_SIZE bytes. */
void ota_journal_header_encode(const ota_journal_header_t *header, uint8_t out[OTA_JOURNAL_HEADER_SIZE]);
/** Decode; OTA_ERR_NOT_FOUND without the magic, OTA_ERR_SVC_CHECKPOINT if the CRC fails. */
int ota_journal_header_decode(const uint8_t in[OTA_JOURNAL_HEADER_SIZE], ota_journal_header_t *out);

/** Encode a checkpoint into OTA_JOURNAL_RECORD_SIZE bytes. */
void ota_journal_record_encode(const ota_journal_checkpoint_t *cp, uint8_t out[OTA_JOURNAL_RECORD_SIZE]);
/** Decode; OTA_ERR_NOT_FOUND for an erased slot, OTA_ERR_SVC_CHECKPOINT for a torn/corrupt one. */
int ota_journal_record_decode(const uint8_t in[OTA_JOURNAL_RECORD_SIZE], ota_journal_checkpoint_t *out);

/** Number of checkpoint slots in a sector of @p sector_size bytes. */
uint32_t ota_journal_capacity(uint32_t sector_size);

/** The source id of a URI (first 16 bytes of its SHA-256). */
void ota_journal_source_id(const char *uri, uint8_t out[16]);

#ifdef __cplusplus
}
#endif
#endif /* OTA_INSTALL_JOURNAL_H */
