/* Sequential, power-cut-safe writing of one image into one partition (service internal).
 *
 * The order of flash operations is the safety argument (DESIGN.md §4):
 *  0. begin, for a data partition: its version floor (journal->floor, "" none) into the otadata
 *     log (ota_otadata_floor.h), outside the partition, unless the log already says so;
 *  1. begin: erase the first erase unit, program the floor record (if any) and then the install
 *     journal header into sector 0;
 *     from here the partition is "an interrupted install", never "valid".
 *  2. write: image bytes of sector 0 stay in RAM; later bytes are programmed as they come, each
 *     sector erased just before its first byte (64 KiB block erases where the image covers most of
 *     an aligned block), every program read back and compared with the bytes written,
 *     checkpoints appended to the journal.
 *  3. the caller checks the image it streamed (it can read the staged image: sector 0 in RAM,
 *     the rest on flash);
 *  4. commit: erase the journal's spill sectors if it has them; for a data partition, erase what is left of the previous content after the image
 *     (sectors that do not read blank; a block erase where 4 or more of a block's sectors need
 *     it), so the partition ends as ESP-ADF leaves it: image, then 0xFF - unless the journal
 *     says keep_tail (a release's data item: the manifest binds its size, readers stop at the
 *     image's end: nothing after the erase units of step 2 is erased); then erase sector 0,
 *     program its body, then its first 32 bytes (the header that makes an image look like one),
 *     read back and compare.
 * A cut anywhere before 4 ends leaves the journal or an erased/torn sector 0: invalid for the
 * bootloader and the tone reader, and recognised by the service as incomplete. */
#ifndef OTA_PARTITION_WRITER_H
#define OTA_PARTITION_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/ota_device.h"
#include "formats/ota_install_journal.h"
#include "ota/ota_partition.h"

typedef struct {
    ota_partition_t part;
    uint8_t *first;        /* RAM copy of the image's first sector (sector_size bytes) */
    uint32_t sector;       /* erase sector size */
    uint32_t block;        /* erase block size */
    uint32_t written;      /* image bytes accepted */
    uint32_t erased_end;   /* partition offset up to which flash is erased ahead of writing */
    int64_t expected;      /* image size if known, else -1 */
    uint32_t journal_next; /* sector-0 offset of the next free checkpoint slot */
    uint32_t journal_end;
    bool begun;
    bool keep_tail;     /* journal->keep_tail: no erase after the image (see 4. above) */
    uint32_t limit;     /* the output ends here (the partition's size, or where the spill
                              * sectors of the journal start) */
    uint32_t spill_at;  /* the journal's spill sectors (ota_install_journal.h), 0: none */
    uint32_t spill_cur; /* the spill sector (0/1) taking records, and its next free offset */
    uint32_t spill_next;
    uint32_t resume_at; /* resuming: image bytes [0, resume_at) are on flash (sector 0 in RAM
                              * once re-read), 0 when not resuming */
} ota_partition_writer_t;

/**
 * Start writing an image of @p expected bytes (-1 unknown) into @p part. @p first_sector is a
 * caller buffer of the flash's sector size. OTA_ERR_IMG_TOO_LARGE if expected exceeds the
 * partition (nothing is erased then).
 *
 * Before anything is erased, @p part's address range is checked against @p device
 * (ota_device_check_writable: the bootloader region, the table, otadata and the running app are
 * refused with OTA_ERR_FLASH_PROTECTED, whatever the table says); every later erase and program
 * stays inside @p part. @p device may be NULL for a bare flash (the range must lie on the flash).
 *
 * With @p resume non-NULL, an interrupted install of the same image (the journal in sector 0
 * has an equal header, with an ETag, and a checkpoint beyond sector 0) is continued instead:
 * nothing is erased, *resume gets the checkpoint, w->resume_at its offset. The caller writes
 * sector 0 again (it was only in RAM), checks the checkpoint's digest against the flash, and
 * calls ota_pw_resume_jump(). Otherwise *resume is zeroed and a fresh install starts.
 */
int ota_pw_begin(ota_partition_writer_t *w, const ota_device_t *device, const ota_partition_t *part,
                 uint8_t *first_sector, int64_t expected, const ota_journal_header_t *journal,
                 ota_journal_checkpoint_t *resume);

/** Continue at w->resume_at once sector 0 has been written again (w->written == sector). */
int ota_pw_resume_jump(ota_partition_writer_t *w);

/**
 * Give up a resume: start the install afresh (erase ahead from sector 0 again, new journal
 * header) keeping sector 0's bytes in RAM, so writing goes on at w->written == sector.
 */
int ota_pw_restart(ota_partition_writer_t *w, const ota_journal_header_t *journal);

/**
 * Does @p part hold an interrupted install that can be resumed: a journal header with an ETag and
 * a known size, and a checkpoint on a sector boundary beyond sector 0? @p sector_buf (a sector's
 * worth of scratch) is overwritten. OTA_OK with the header and checkpoint, else OTA_ERR_NOT_FOUND.
 */
int ota_pw_read_journal(const ota_partition_t *part, uint8_t *sector_buf, ota_journal_header_t *header,
                        ota_journal_checkpoint_t *cp, uint32_t *free_slot);

/**
 * Find the last valid checkpoint of the journal in @p sector0 (a copy of the whole sector):
 * torn records are skipped, an erased slot ends the list. Returns its index or -1; *free_slot
 * gets the offset of the first erased slot (journal_end if none).
 */
int ota_pw_last_checkpoint(const uint8_t *sector0, uint32_t sector_size, ota_journal_checkpoint_t *cp,
                           uint32_t *free_slot);

/** Append image bytes (may alias w->first at the current offset: peeked header bytes). */
int ota_pw_write(ota_partition_writer_t *w, const void *data, size_t len);

/** Append a checkpoint to the journal (no-op when the journal is full). */
int ota_pw_checkpoint(ota_partition_writer_t *w, const ota_journal_checkpoint_t *cp);

/**
 * Program a stage record (@p len bytes, whole slots) into the journal's spill sectors: into the
 * current one, or - when it has no room - into the other one, erased first. Before its
 * checkpoint (ota_install_journal.h).
 */
int ota_pw_spill_record(ota_partition_writer_t *w, const uint8_t *rec, uint32_t len);

/** Write sector 0 last (see above) and check it. */
int ota_pw_commit(ota_partition_writer_t *w);

/**
 * The version floor kept for a data partition that holds no readable image (an interrupted
 * install, or a cut in the commit's rewrite of sector 0): the journal's floor record if sector 0
 * has one, else the last one the otadata log keeps for it (ota_otadata_floor.h). @p floor gets
 * OTA_JOURNAL_FLOOR_MAX + 1 bytes. OTA_OK, or OTA_ERR_NOT_FOUND (no floor kept).
 */
int ota_pw_kept_floor(const ota_device_t *device, const ota_partition_t *part, char *floor);

/** The version floor's code, reached only through this object (ota_journal_header_t.floors), which
 *  only the signature feature names (features.c): a firmware without that feature links none of
 *  it (--gc-sections). The floor defends signed data against a keyless attacker (docs/powercut.md);
 *  without a signature requirement anyone may write any image anyway. */
struct ota_pw_floors {
    /** ota_otadata_floor_keep (ota_otadata_floor.h). */
    int (*keep)(const ota_device_t *dev, const ota_partition_info_t *part, const char *version);
    /** ota_journal_floor_encode (ota_install_journal.h). */
    void (*encode)(const char *version, uint8_t out[OTA_JOURNAL_RECORD_SIZE]);
    /** ota_pw_kept_floor. */
    int (*kept)(const ota_device_t *device, const ota_partition_t *part, char *floor);
};
typedef struct ota_pw_floors ota_pw_floors_t;

/** The floors as the signature feature links them. */
extern const ota_pw_floors_t ota_pw_floors;

#endif /* OTA_PARTITION_WRITER_H */
