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
 *   0    header, 128 bytes: "OTAJ", u16 version, u16 flags (0), u32 total_size, u8 source_id[16]
 *        (first 16 bytes of SHA-256 of the URI), then
 *          version 1 (no stages: stream offset == flash offset): char etag[96] (NUL-padded);
 *          version 2 (the item has transform stages): char etag[88], u32 source_size (the
 *          stream's size, 0xFFFFFFFF unknown), u32 chain_id (identifies the stage chain);
 *        u32 crc32 of bytes 0..123. total_size is the image size (0xFFFFFFFF unknown) in version
 *        1, and the bound of the output (the target partition's size) in version 2.
 *   128  48-byte slots, appended in order:
 *        checkpoint "CKPT", u32 bytes_written, u32 bytes_hashed, u8 digest[32] (SHA-256 state of
 *        the first bytes_hashed output bytes, finalised), u32 crc32 of bytes 0..43;
 *        (version 2 only) a stage record just before each checkpoint, in 1 + n slots:
 *        "CKPS", u32 bytes_written (output offset, equal to the checkpoint's), u32 source_offset
 *        (stream bytes the first stage consumed), u16 state_len, u16 slots, state[28], u32 crc32
 *        of bytes 0..43; then n slots "CKPC", state[40], u32 crc32 of bytes 0..43 seeded with the
 *        previous slot's crc. The state is the stages' saved states, each as u16 len + bytes.
 *        With the header's flag bit 0 ("spill"), the stage records are not in sector 0 but in the
 *        two sectors that follow the output bound (total_size, a sector multiple): sector 0 then
 *        holds only checkpoints, so a stage state of ~1 KiB no longer limits how many fit (see
 *        "Stage records in the spill sectors" below).
 *        version floor (optional, always the first slot, offset 128): "CKPV", u8 kind (1: tone
 *        image version), u8 len (1..32), u16 0, char version[32] (NUL-padded), u32 0, u32 crc32
 *        of bytes 0..43. It is the version the partition held before this install (or the floor
 *        an earlier interrupted install kept): programmed before the header, so that a valid
 *        header implies a complete floor record, and carried on by every install of the
 *        partition until one is committed. An older reader skips it like a torn checkpoint.
 * A slot whose CRC does not match (torn by a power cut) is skipped; an erased slot ends the list.
 * The stage record is programmed before its checkpoint: the checkpoint is the commit point, a cut
 * in between leaves the previous pair. Readers of version 1 reject version 2 headers (CRC ok,
 * version unknown), so an older build installs such an item from zero; stage slots never decode
 * as checkpoints (magic), so a version-1 reader skips them like torn ones.
 *
 * Stage records in the spill sectors (version 2, flag "spill"): the records are appended to one
 * of the two sectors S0 = total_size and S1 = total_size + sector (from offset 0, 48-byte slots,
 * the same encoding). When the current one has no room for the next record, the other one is
 * erased and the record goes to its start. Power cuts: the record is programmed before its
 * checkpoint in sector 0 (the commit point); the sector being erased never holds the record of
 * the last checkpoint (that one is in the full sector), so the last checkpoint always keeps its
 * record, a torn or unpaired record is never used, and a checkpoint whose record was lost (only
 * in the commit step, which erases both sectors before sector 0) is simply not resumable. Both
 * sectors are erased when an install starts (after its header, before its first checkpoint), so
 * a record always belongs to the install named in sector 0.
 */
#ifndef OTA_INSTALL_JOURNAL_H
#define OTA_INSTALL_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_JOURNAL_HEADER_SIZE     128u
#define OTA_JOURNAL_RECORD_SIZE     48u
#define OTA_JOURNAL_RECORDS_OFFSET  128u
#define OTA_JOURNAL_ETAG_MAX        95u /**< longer ETags are not stored (install not resumable) */
#define OTA_JOURNAL_ETAG_MAX_STAGED 87u /**< the same for a version-2 (staged) header */
/** Most state bytes one stage record holds (OTA_STAGE_MAX stages of OTA_STAGE_STATE_MAX + 2). */
#define OTA_JOURNAL_STAGE_STATE_MAX 1024u
#define OTA_JOURNAL_UNKNOWN_SIZE    0xFFFFFFFFu
#define OTA_JOURNAL_FLOOR_MAX       32u /**< longest version a floor record holds */

typedef struct {
    uint32_t total_size;   /**< image size, OTA_JOURNAL_UNKNOWN_SIZE if unknown */
    uint8_t source_id[16]; /**< identifies the URI (SHA-256 prefix) */
    char etag[OTA_JOURNAL_ETAG_MAX + 1];
    bool staged;          /**< version 2: the item has stages (fields below valid) */
    uint32_t source_size; /**< staged: the stream's size, OTA_JOURNAL_UNKNOWN_SIZE if unknown */
    uint32_t chain_id;    /**< staged: identifies the stage chain (see ota_journal_chain_id) */
    bool spill;           /**< staged: stage records in the 2 sectors after total_size */
    /** In RAM only: the partition's bytes after the image stay as they are (a release's data item,
     *  whose size the manifest binds); false: a data partition ends in 0xFF, as ESP-ADF leaves it. */
    bool keep_tail;
    /** The partition's version floor, "" none. Not in the header's bytes: its own record in the
     *  first slot (ota_journal_floor_encode), programmed before the header; decode leaves it "". */
    char floor[OTA_JOURNAL_FLOOR_MAX + 1];
    /** In RAM only: who keeps the floor (the partition writer's ota_pw_floors, which the signature
     *  feature names); NULL: no floor is kept, in the journal or in otadata (a firmware without
     *  the signature feature: docs/powercut.md). */
    const struct ota_pw_floors *floors;
} ota_journal_header_t;

/** Sectors of the spill area (ota_journal_header_t.spill). */
#define OTA_JOURNAL_SPILL_SECTORS 2u

typedef struct {
    uint32_t bytes_written; /**< stream bytes durably on flash (first sector excepted: in RAM) */
    uint32_t bytes_hashed;  /**< stream bytes covered by digest */
    uint8_t digest[32];
} ota_journal_checkpoint_t;

/** A stage record: where the stream and the output were at a checkpoint, and the stages' state. */
typedef struct {
    uint32_t bytes_written; /**< output offset; equal to its checkpoint's bytes_written */
    uint32_t source_offset; /**< stream bytes consumed by the first stage */
    uint16_t state_len;     /**< bytes in state (<= OTA_JOURNAL_STAGE_STATE_MAX) */
} ota_journal_stage_t;

/** True if @p data (at least 4 bytes) starts with the journal magic "OTAJ". */
bool ota_journal_is_present(const uint8_t *data, size_t len);

/** Encode the header into OTA_JOURNAL_HEADER_SIZE bytes. */
void ota_journal_header_encode(const ota_journal_header_t *header, uint8_t out[OTA_JOURNAL_HEADER_SIZE]);
/** Decode.
 *  @return OTA_OK; OTA_ERR_NOT_FOUND without the magic; OTA_ERR_SVC_CHECKPOINT if the CRC (or
 *          the version) is wrong. */
int ota_journal_header_decode(const uint8_t in[OTA_JOURNAL_HEADER_SIZE], ota_journal_header_t *out);

/** Encode a checkpoint into OTA_JOURNAL_RECORD_SIZE bytes. */
void ota_journal_record_encode(const ota_journal_checkpoint_t *cp, uint8_t out[OTA_JOURNAL_RECORD_SIZE]);
/** Decode.
 *  @return OTA_OK; OTA_ERR_NOT_FOUND for an erased slot;
 *          OTA_ERR_SVC_CHECKPOINT for a torn/corrupt one (or another record kind). */
int ota_journal_record_decode(const uint8_t in[OTA_JOURNAL_RECORD_SIZE], ota_journal_checkpoint_t *out);

/** Encode the version-floor record of @p version (1..OTA_JOURNAL_FLOOR_MAX bytes, longer ones
 *  cut) into OTA_JOURNAL_RECORD_SIZE bytes. */
void ota_journal_floor_encode(const char *version, uint8_t out[OTA_JOURNAL_RECORD_SIZE]);
/** Decode a version-floor record into @p version (OTA_JOURNAL_FLOOR_MAX + 1 bytes).
 *  @return OTA_OK; OTA_ERR_NOT_FOUND if @p in is not a floor record (another kind, erased);
 *          OTA_ERR_SVC_CHECKPOINT if it is torn. */
int ota_journal_floor_decode(const uint8_t in[OTA_JOURNAL_RECORD_SIZE],
                             char version[OTA_JOURNAL_FLOOR_MAX + 1]);

/** Slots a stage record with @p state_len state bytes takes. */
uint32_t ota_journal_stage_slots(size_t state_len);
/** Encode a stage record into ota_journal_stage_slots(rec->state_len) * OTA_JOURNAL_RECORD_SIZE bytes. */
void ota_journal_stage_encode(const ota_journal_stage_t *rec, const uint8_t *state, uint8_t *out);
/**
 * Decode the stage record starting at @p in (@p avail bytes of slots); the state goes into
 * @p state (OTA_JOURNAL_STAGE_STATE_MAX bytes). *slots gets the slots it spans.
 * @return OTA_OK; OTA_ERR_NOT_FOUND if @p in is not a stage record; OTA_ERR_SVC_CHECKPOINT if it
 *         is torn or truncated.
 */
int ota_journal_stage_decode(const uint8_t *in, size_t avail, ota_journal_stage_t *rec, uint8_t *state,
                             uint32_t *slots);
/**
 * In a copy of a whole journal sector: the last valid checkpoint and the stage record programmed
 * just before it.
 * @return OTA_OK with both; OTA_ERR_NOT_FOUND if there is no checkpoint or it has no valid stage
 *         record with the same bytes_written.
 */
int ota_journal_find_staged(const uint8_t *sector0, uint32_t sector_size, ota_journal_checkpoint_t *cp,
                            ota_journal_stage_t *rec, uint8_t *state);
/**
 * In a copy of one spill sector: find the stage record for the checkpoint at @p bytes_written.
 * *free_off always gets the offset of the first erased slot after the last record (the sector's
 * slot capacity if none).
 * @return OTA_OK with *at its sector offset (decode it again with ota_journal_stage_decode);
 *         OTA_ERR_NOT_FOUND when no valid record for that checkpoint is in the sector.
 */
int ota_journal_spill_find(const uint8_t *sector, uint32_t sector_size, uint32_t bytes_written, uint32_t *at,
                           uint32_t *free_off, uint8_t *scratch_state);

/** The chain id of stage names (CRC-32 of the names, each followed by a NUL). */
uint32_t ota_journal_chain_id(const char *const *names, size_t count);

/** Number of checkpoint slots in a sector of @p sector_size bytes. */
uint32_t ota_journal_capacity(uint32_t sector_size);

/** The source id of a URI (first 16 bytes of its SHA-256). */
void ota_journal_source_id(const char *uri, uint8_t out[16]);

#ifdef __cplusplus
}
#endif
#endif /* OTA_INSTALL_JOURNAL_H */
