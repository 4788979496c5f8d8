/**
 * @file ota_release_record.h
 * @brief A release's BEGIN and COMMIT records in the otadata sectors' spare bytes (pure format).
 *
 * They share the version floors' log (ota_floor_log.h): 64-byte slots from offset 32 of both
 * otadata sectors, appended without erase, 16-byte aligned, one seq ordering every record of
 * every kind, a CRC over bytes 0..59 at 60 (a torn record fails it and is skipped). Little endian:
 *
 *   BEGIN:  "OTRB", u32 seq, u32 release sequence, u32 target otadata seq, 44 x 0x00, u32 crc
 *   COMMIT: "OTRC", u32 seq, u32 release sequence, u32 otadata seq it binds,
 *           u8 flags (bit 0: an app id follows), u8 count (data partitions, <= 8), 2 x 0x00,
 *           u8 app_id[8] (0xFF x 8 without an app), u32 offset[8] (the partition holding each
 *           data label, unused ones 0), u32 crc
 *
 * The app id is the first 8 bytes of the new app's esp_app_desc_t.app_elf_sha256: a COMMIT with
 * one binds only an app with that id booted from the entry (see ota_release_record_binds).
 */
#ifndef OTA_RELEASE_RECORD_H
#define OTA_RELEASE_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "formats/ota_floor_log.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_RELEASE_RECORD_OFFSETS     8u  /**< data partitions one COMMIT binds (OTA_MANIFEST_MAX_ITEMS) */
#define OTA_RELEASE_RECORD_APP_ID_SIZE 8u  /**< bytes of app_elf_sha256 kept */
#define OTA_RELEASE_RECORD_OTADATA_AT  12u /**< where both kinds keep their otadata seq */
/** Flash offset of app_elf_sha256 in an app image: header, segment 0's header, then
 *  esp_app_desc_t (magic, secure_version, reserv1[2], version[32], project_name[32], time[16],
 *  date[16], idf_ver[32]: 0x90 bytes). */
#define OTA_RELEASE_APP_ELF_SHA_AT     0xB0u

typedef struct {
    int kind;             /**< OTA_FLOOR_LOG_BEGIN or OTA_FLOOR_LOG_COMMIT */
    uint32_t seq;         /**< the log's order */
    uint32_t sequence;    /**< the release's (manifest) sequence */
    uint32_t otadata_seq; /**< BEGIN: the entry it targets; COMMIT: the entry it binds */
    bool has_app_id;
    uint8_t app_id[OTA_RELEASE_RECORD_APP_ID_SIZE];
    uint32_t count; /**< COMMIT: offsets used */
    uint32_t offset[OTA_RELEASE_RECORD_OFFSETS];
} ota_release_record_t;

/** Encode @p rec (kind, seq and the fields of its kind; count cut at OTA_RELEASE_RECORD_OFFSETS). */
void ota_release_record_encode(const ota_release_record_t *rec, uint8_t out[OTA_FLOOR_LOG_RECORD_SIZE]);

/** Decode a BEGIN or COMMIT.
 *  @return OTA_OK; OTA_ERR_NOT_FOUND for an erased slot; OTA_ERR_SVC_CHECKPOINT for a torn
 *          record, another kind (a floor) or a COMMIT counting more than 8 offsets. */
int ota_release_record_decode(const uint8_t in[OTA_FLOOR_LOG_RECORD_SIZE], ota_release_record_t *out);

/**
 * Does the COMMIT @p rec bind the app booted from otadata entry @p booted_seq, whose id is
 * @p app_id (NULL: unknown)? It does if it binds that entry or an older one (otadata_seq <=
 * @p booted_seq) and names no app or this app.
 */
bool ota_release_record_binds(const ota_release_record_t *rec, uint32_t booted_seq, const uint8_t *app_id);

#ifdef __cplusplus
}
#endif
#endif /* OTA_RELEASE_RECORD_H */
