/*
 * Install journal (sector 0 of a partition being written, src/formats/install_journal.c): header
 * and record decoders, and the scan for the last checkpoint that a resume after a power cut runs
 * over the whole sector (ota_pw_last_checkpoint), which skips the version-floor record in the
 * first slot (decoded by ota_journal_floor_decode). The input is the sector's start; the rest of
 * the sector is erased flash (0xFF), as after a cut. Sector sizes 4 KiB and, by the first byte,
 * the smallest and a larger one, so the capacity arithmetic meets odd sizes.
 */
#include "fuzz.h"

#include "formats/ota_install_journal.h"
#include "pipeline/partition_writer.h"

OTA_FUZZ_QUIET_INIT

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    static const uint32_t sizes[] = {0x1000u, 0x100u, 0x2000u, 0x1000u + 48u};
    uint32_t sector = sizes[data[0] & 3u];
    data++;
    size--;

    uint8_t *sec = malloc(sector);
    if (sec == NULL) {
        return 0;
    }
    memset(sec, 0xFF, sector);
    memcpy(sec, data, size < sector ? size : sector);

    (void)ota_journal_is_present(sec, sector);
    ota_journal_header_t header;
    if (sector >= OTA_JOURNAL_HEADER_SIZE && ota_journal_header_decode(sec, &header) == 0) {
        OTA_FUZZ_CHECK(memchr(header.etag, '\0', sizeof header.etag) != NULL);
        uint8_t again[OTA_JOURNAL_HEADER_SIZE];
        ota_journal_header_encode(&header, again);
        ota_journal_header_t twice;
        OTA_FUZZ_CHECK(ota_journal_header_decode(again, &twice) == 0);
        OTA_FUZZ_CHECK(twice.total_size == header.total_size && strcmp(twice.etag, header.etag) == 0);
    }
    /* the version floor in the first slot: decoded strictly, and encoding it again gives it back */
    char floor[OTA_JOURNAL_FLOOR_MAX + 1];
    if (sector >= OTA_JOURNAL_RECORDS_OFFSET + OTA_JOURNAL_RECORD_SIZE &&
        ota_journal_floor_decode(sec + OTA_JOURNAL_RECORDS_OFFSET, floor) == 0) {
        OTA_FUZZ_CHECK(floor[0] != '\0' && strlen(floor) <= OTA_JOURNAL_FLOOR_MAX);
        uint8_t again[OTA_JOURNAL_RECORD_SIZE];
        ota_journal_floor_encode(floor, again);
        OTA_FUZZ_CHECK(memcmp(again, sec + OTA_JOURNAL_RECORDS_OFFSET, 8 + strlen(floor)) == 0);
    }
    ota_journal_checkpoint_t cp;
    uint32_t free_slot = 0;
    int last = ota_pw_last_checkpoint(sec, sector, &cp, &free_slot);
    OTA_FUZZ_CHECK(free_slot <= sector);
    OTA_FUZZ_CHECK(last < 0 || (uint32_t)last < ota_journal_capacity(sector));
    if (last >= 0) {
        uint8_t rec[OTA_JOURNAL_RECORD_SIZE];
        ota_journal_record_encode(&cp, rec);
        ota_journal_checkpoint_t back;
        OTA_FUZZ_CHECK(ota_journal_record_decode(rec, &back) == 0);
        OTA_FUZZ_CHECK(back.bytes_written == cp.bytes_written && back.bytes_hashed == cp.bytes_hashed);
    }
    free(sec);
    return 0;
}
