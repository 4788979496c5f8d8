/**
 * @file ota_err.h
 * @brief The one error enum of ota-service.
 *
 * Every function of the library that can fail returns an `int`: 0 (OTA_OK) or a negative value
 * from this enum (functions that also return a count return it as a non-negative value). Codes
 * are grouped in blocks of 100 per layer so that a code says where it came from; within a
 * block, new codes are appended, never renumbered (they appear in `--json` output and logs).
 *
 * The list below is the single source of the enum, ota_err_name() and ota_strerror(): a code
 * cannot exist without its message. Where more detail exists (the byte offset of a truncation,
 * the line of a CSV error, an HTTP status) the layer that knows it reports it separately (log
 * line, diagnostic struct, event field).
 */
#ifndef OTA_ERR_H
#define OTA_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, message) */
#define OTA_ERR_LIST(X) \
    X(OTA_OK, 0, "success") \
    /* general (-1 .. -99) */ \
    X(OTA_ERR_INVALID_ARG, -1, "invalid argument") \
    X(OTA_ERR_NO_MEM, -2, "out of memory") \
    X(OTA_ERR_NOT_FOUND, -3, "not found") \
    X(OTA_ERR_NOT_SUPPORTED, -4, "not supported") \
    X(OTA_ERR_INVALID_STATE, -5, "invalid state") \
    X(OTA_ERR_IO, -6, "I/O error") \
    /* -7 (OTA_ERR_TIMEOUT) retired: nothing returned it; the number stays unused */ \
    X(OTA_ERR_BUFFER_TOO_SMALL, -8, "buffer too small") \
    X(OTA_ERR_CANCELLED, -9, "cancelled") \
    X(OTA_ERR_BUSY, -10, "busy") \
    X(OTA_ERR_INVALID_SIZE, -11, "invalid size") \
    X(OTA_ERR_PARSE, -12, "cannot parse input") \
    /* flash (-100 .. -199) */ \
    X(OTA_ERR_FLASH_OUT_OF_RANGE, -100, "flash: address out of range") \
    X(OTA_ERR_FLASH_MISALIGNED, -101, "flash: erase not aligned to a sector/block boundary") \
    X(OTA_ERR_FLASH_PROGRAM_ONE, -102, "flash: program would set a 0 bit back to 1 (erase first)") \
    X(OTA_ERR_FLASH_POWER_LOST, -103, "flash: power lost") \
    X(OTA_ERR_FLASH_READONLY, -104, "flash: partition is read-only") \
    X(OTA_ERR_FLASH_GEOMETRY, -105, "flash: size must be a multiple of 64 KiB, at most 16 MiB") \
    X(OTA_ERR_FLASH_PROTECTED, -106, \
      "flash: write would reach the bootloader, partition table, otadata or running app") \
    X(OTA_ERR_FLASH_ERASE_FAILED, -107, "flash: erase failed (the chip reported an error)") \
    X(OTA_ERR_FLASH_PROGRAM_FAILED, -108, "flash: program failed (the chip reported an error)") \
    /* partition table (-200 .. -299) */ \
    X(OTA_ERR_PT_SYNTAX, -200, "partition table: syntax error") \
    X(OTA_ERR_PT_UNKNOWN_KEYWORD, -201, "partition table: unknown keyword") \
    X(OTA_ERR_PT_OVERLAP, -202, "partition table: partitions overlap") \
    X(OTA_ERR_PT_ALIGNMENT, -203, "partition table: offset or size not aligned") \
    X(OTA_ERR_PT_DUPLICATE_NAME, -204, "partition table: partition names must be unique") \
    X(OTA_ERR_PT_OTADATA, -205, "partition table: bad otadata partition") \
    X(OTA_ERR_PT_TOO_MANY, -206, "partition table: too many partitions") \
    X(OTA_ERR_PT_MD5_MISMATCH, -207, "partition table: MD5 checksum mismatch") \
    X(OTA_ERR_PT_NO_END_MARKER, -208, "partition table: missing end-of-table marker") \
    X(OTA_ERR_PT_BAD_MAGIC, -209, "partition table: invalid entry magic") \
    X(OTA_ERR_PT_FLASH_SIZE, -210, "partition table: does not fit in flash") \
    X(OTA_ERR_PT_INVALID, -211, "partition table: invalid") \
    X(OTA_ERR_PT_READONLY_NOT_ALLOWED, -212, "partition table: partition is always read-write") \
    X(OTA_ERR_PT_NVS_TOO_SMALL, -213, "partition table: read/write NVS smaller than 0x3000") \
    X(OTA_ERR_PT_VALUE_RANGE, -214, "partition table: value out of range") \
    /* app image (-300 .. -399) */ \
    X(OTA_ERR_IMG_BAD_MAGIC, -300, "image: bad magic (not 0xE9)") \
    X(OTA_ERR_IMG_TOO_MANY_SEGMENTS, -301, "image: too many segments") \
    X(OTA_ERR_IMG_SEGMENT, -302, "image: invalid segment") \
    X(OTA_ERR_IMG_SEGMENT_PAST_END, -303, "image: segment extends past end") \
    X(OTA_ERR_IMG_WRONG_CHIP, -304, "image: built for another chip") \
    X(OTA_ERR_IMG_CHIP_REVISION, -305, "image: chip revision not supported") \
    X(OTA_ERR_IMG_CHECKSUM, -306, "image: checksum mismatch") \
    X(OTA_ERR_IMG_HASH, -307, "image: SHA-256 mismatch") \
    X(OTA_ERR_IMG_TRUNCATED, -308, "image: truncated") \
    X(OTA_ERR_IMG_TOO_LARGE, -309, "image: larger than the partition") \
    X(OTA_ERR_IMG_APP_DESC, -310, "image: no app description (magic 0xABCD5432)") \
    X(OTA_ERR_IMG_TRAILING_DATA, -311, "image: data after the end of the image") \
    X(OTA_ERR_IMG_SIGNATURE, -312, "image: signature invalid") \
    /* otadata, boot, rollback (-400 .. -499) */ \
    X(OTA_ERR_OTADATA_INVALID, -400, "otadata: no valid entry") \
    X(OTA_ERR_NO_BOOTABLE_APP, -401, "boot: no bootable app partition") \
    X(OTA_ERR_PARTITION_CONFLICT, -402, "ota: target is the running partition") \
    X(OTA_ERR_ROLLBACK_FAILED, -403, "ota: no valid app to roll back to") \
    X(OTA_ERR_SECURE_VERSION, -404, "ota: secure version below the device's (anti-rollback)") \
    X(OTA_ERR_NOT_AN_APP_SLOT, -405, "ota: not an app partition") \
    X(OTA_ERR_DEVICE_STATE, -406, "device: state file unreadable") \
    X(OTA_ERR_ROLLBACK_INVALID_STATE, -407, "ota: running app not confirmed yet (PENDING_VERIFY)") \
    X(OTA_ERR_OTADATA_SEQ_EXHAUSTED, -408, "otadata: no sequence number left that selects the target slot") \
    X(OTA_ERR_SECURE_VERSION_RANGE, -409, "ota: secure version does not fit the chip's anti-rollback eFuse") \
    X(OTA_ERR_OTADATA_FLOOR_FULL, -410, "otadata: no room for a data partition's version floor") \
    /* tone / data images (-500 .. -599) */ \
    X(OTA_ERR_TONE_BAD_TAG, -500, "tone: header tag is not 0x2053") \
    X(OTA_ERR_TONE_BAD_FORMAT, -501, "tone: unknown format") \
    X(OTA_ERR_TONE_BAD_TABLE, -502, "tone: file table inconsistent") \
    X(OTA_ERR_TONE_BAD_MAGIC, -503, "tone: description magic is not 0xF55F9876") \
    X(OTA_ERR_TONE_BAD_CRC, -504, "tone: CRC mismatch") \
    X(OTA_ERR_TONE_BAD_TAIL, -505, "tone: tail is not 0xDFAC") \
    X(OTA_ERR_TONE_TRUNCATED, -506, "tone: truncated") \
    X(OTA_ERR_DATA_INCOMPLETE, -507, "data partition holds an interrupted install") \
    X(OTA_ERR_TONE_BAD_PROJECT, -508, "tone: description project name is not ESP_TONE_BIN") \
    X(OTA_ERR_TONE_BAD_PADDING, -509, "tone: padding after a file is not 0xFF") \
    X(OTA_ERR_TONE_TOO_LARGE, -510, "tone: image larger than the partition") \
    /* sources (-600 .. -699) */ \
    X(OTA_ERR_SRC_URI, -600, "source: bad or unsupported URI") \
    X(OTA_ERR_SRC_FILE_NOT_FOUND, -601, "source: file not found") \
    X(OTA_ERR_SRC_PATH_ESCAPE, -602, "source: path leaves the sdcard root") \
    X(OTA_ERR_SRC_IS_DIRECTORY, -603, "source: is a directory") \
    X(OTA_ERR_SRC_PERMISSION, -604, "source: permission denied") \
    X(OTA_ERR_SRC_HTTP_STATUS, -605, "source: HTTP error status") \
    X(OTA_ERR_SRC_CONNECT, -606, "source: cannot connect") \
    X(OTA_ERR_SRC_TLS, -607, "source: TLS handshake failed") \
    X(OTA_ERR_SRC_TLS_VERIFY, -608, "source: server certificate not trusted") \
    X(OTA_ERR_SRC_STALLED, -609, "source: transfer stalled") \
    X(OTA_ERR_SRC_RESOURCE_CHANGED, -610, "source: resource changed on the server") \
    X(OTA_ERR_SRC_TRUNCATED, -611, "source: connection closed before the end of the body") \
    X(OTA_ERR_SRC_TOO_MANY_REDIRECTS, -612, "source: too many redirects") \
    X(OTA_ERR_SRC_READ, -613, "source: transfer error") \
    X(OTA_ERR_SRC_CONNECT_TIMEOUT, -614, "source: connect timed out") \
    X(OTA_ERR_SRC_NOT_REGULAR_FILE, -615, "source: not a regular file") \
    /* version check (-700 .. -799) */ \
    X(OTA_ERR_VERSION_UNPARSEABLE, -700, "version: cannot parse") \
    X(OTA_ERR_VERSION_NOT_COMPARABLE, -701, "version: cannot compare") \
    X(OTA_ERR_VERSION_NOT_NEWER, -702, "version: not newer than the running one") \
    /* -703 (OTA_ERR_PROJECT_MISMATCH) retired: the project name is not checked (as ESP-IDF) */ \
    X(OTA_ERR_VERSION_PROJECT_MISMATCH, -704, "version: project name differs (check_project_name)") \
    /* service (-800 .. -899) */ \
    X(OTA_ERR_SVC_NULL_STEP, -800, "service: item step missing") \
    X(OTA_ERR_SVC_NO_LIST, -801, "service: no upgrade list") \
    X(OTA_ERR_SVC_VERIFY_FAILED, -802, "service: flash read-back does not match") \
    X(OTA_ERR_SVC_CHECKPOINT, -803, "service: resume checkpoint unusable") \
    /* -804 (OTA_ERR_SVC_CONFIG) retired: bad settings are OTA_ERR_INVALID_ARG/INVALID_SIZE */ \
    X(OTA_ERR_SVC_UP_TO_DATE, -805, "service: already up to date") \
    X(OTA_ERR_SVC_MD5_MISMATCH, -806, "service: MD5 of the image does not match") \
    /* signature / encryption (-1000 .. -1099) */ \
    X(OTA_ERR_SIG_UNSIGNED, -1000, "signature: image is not signed (no valid signature block)") \
    X(OTA_ERR_SIG_NO_TRUSTED_KEY, -1001, "signature: no block is signed with a trusted key") \
    X(OTA_ERR_SIG_KEY_REVOKED, -1002, "signature: the block's key is revoked") \
    X(OTA_ERR_SIG_INVALID, -1003, "signature: signature does not verify") \
    X(OTA_ERR_SIG_DIGEST_MISMATCH, -1004, "signature: image digest differs from the block's") \
    X(OTA_ERR_SIG_BAD_CRC, -1005, "signature: block CRC mismatch") \
    X(OTA_ERR_SIG_BAD_MAGIC, -1006, "signature: block magic is not 0xE7") \
    X(OTA_ERR_SIG_BAD_VERSION, -1007, "signature: block version unsupported") \
    X(OTA_ERR_SIG_BAD_SCHEME, -1008, "signature: unsupported curve or SHA version") \
    X(OTA_ERR_SIG_NO_ROOM, -1009, "signature: image and signature sector do not fit") \
    X(OTA_ERR_ENC_BAD_MAGIC, -1020, "encrypted image: header magic is not 0x0788B6CF") \
    X(OTA_ERR_ENC_WRONG_KEY, -1021, "encrypted image: the image key does not decrypt with this key") \
    X(OTA_ERR_ENC_AUTH, -1022, "encrypted image: GCM authentication tag mismatch") \
    X(OTA_ERR_ENC_TRUNCATED, -1023, "encrypted image: stream ends before the declared size") \
    X(OTA_ERR_ENC_TRAILING, -1024, "encrypted image: data after the declared size") \
    X(OTA_ERR_ENC_BAD_HEADER, -1025, "encrypted image: header key material invalid") \
    X(OTA_ERR_ENC_NO_KEY, -1026, "encrypted image: no decryption key is configured") \
    X(OTA_ERR_KEY_PARSE, -1040, "key: cannot parse the key file") \
    X(OTA_ERR_KEY_UNSUPPORTED, -1041, "key: unsupported key type or size") \
    X(OTA_ERR_KEY_MISMATCH, -1042, "key: signature block holds another key") \
    X(OTA_ERR_CRYPTO, -1043, "crypto: backend operation failed") \
    X(OTA_ERR_SIG_CHIP_SCHEME, -1050, "signature: the chip's Secure Boot V2 does not take this scheme") \
    X(OTA_ERR_SIG_CHIP_NO_SBV2, -1051, "signature: the chip has no Secure Boot V2 at this revision") \
    /* delta patches: esp_delta_ota / detools (-1100 .. -1199) */ \
    X(OTA_ERR_DELTA_BAD_MAGIC, -1100, "delta: not an esp_delta_ota patch (bad magic)") \
    X(OTA_ERR_DELTA_BARE_NOT_ALLOWED, -1101, "delta: bare detools patch (no ESP header) refused") \
    X(OTA_ERR_DELTA_BAD_HEADER, -1102, "delta: malformed patch header") \
    X(OTA_ERR_DELTA_PATCH_TYPE, -1103, "delta: unsupported patch type (only sequential)") \
    X(OTA_ERR_DELTA_COMPRESSION, -1104, "delta: unsupported compression (only heatshrink)") \
    X(OTA_ERR_DELTA_HS_PARAMS, -1105, "delta: impossible heatshrink window/lookahead") \
    X(OTA_ERR_DELTA_WINDOW_TOO_LARGE, -1106, "delta: heatshrink window larger than the decoder's buffer") \
    X(OTA_ERR_DELTA_DATA_FORMAT, -1107, "delta: data-format patches not supported") \
    X(OTA_ERR_DELTA_TRUNCATED, -1108, "delta: patch truncated") \
    X(OTA_ERR_DELTA_CORRUPT, -1109, "delta: corrupt compressed patch stream") \
    X(OTA_ERR_DELTA_OLD_RANGE, -1110, "delta: patch reads past the old image") \
    X(OTA_ERR_DELTA_NEW_OVERFLOW, -1111, "delta: patch writes past the new image size") \
    X(OTA_ERR_DELTA_NO_PROGRESS, -1112, "delta: more chunks than new size + 1 (endless chunk stream)") \
    X(OTA_ERR_DELTA_SIZE_MISMATCH, -1113, "delta: patch ended before the declared new size") \
    X(OTA_ERR_DELTA_BASE_MISMATCH, -1114, "delta: patch base mismatch") \
    X(OTA_ERR_DELTA_TRAILING_DATA, -1115, "delta: data after the end of the patch") \
    X(OTA_ERR_DELTA_NO_BASE_HASH, -1116, "delta: base has no validation hash (no valid app image)") \
    /* release manifests (-1200 .. -1299) */ \
    X(OTA_ERR_MANIFEST_MALFORMED, -1200, "manifest: not a JSON object, or a field missing or mistyped") \
    X(OTA_ERR_MANIFEST_TOO_LARGE, -1201, "manifest: over the size, token or item limit") \
    X(OTA_ERR_MANIFEST_TRUNCATED, -1202, "manifest: text ends inside the JSON document") \
    X(OTA_ERR_MANIFEST_DUPLICATE, -1203, "manifest: two items target the same partition") \
    X(OTA_ERR_MANIFEST_OVERLAP, -1204, "manifest: two items' partitions overlap") \
    X(OTA_ERR_MANIFEST_HASH, -1205, "manifest: sha256 or md5 is not 64 or 32 hex digits") \
    X(OTA_ERR_MANIFEST_SIZE, -1206, "manifest: size is not a whole number 1..4294967295") \
    X(OTA_ERR_MANIFEST_FIELD, -1207, "manifest: field value out of range or given twice") \
    X(OTA_ERR_MANIFEST_PARTITION, -1208, "manifest: item's partition missing, of another type or too small") \
    X(OTA_ERR_RELEASE_OLDER, -1220, "release: sequence older than the newest release the device accepted") \
    X(OTA_ERR_RELEASE_ITEM_MISMATCH, -1221, \
      "release: item's bytes differ from the manifest's size or SHA-256") \
    X(OTA_ERR_RELEASE_RUNNING_SLOT, -1222, "release: item targets the partition the device runs from") \
    X(OTA_ERR_RELEASE_NO_TWIN, -1223, "release: data partition has no twin of its type and size") \
    X(OTA_ERR_RELEASE_VERSION, -1224, \
      "release: item's version differs from the manifest's or is below min_running_version") \
    X(OTA_ERR_RELEASE_UNSIGNED, -1225, "release: the device requires a signed manifest")

typedef enum {
#define OTA_ERR_ENUM_ENTRY(name, value, message) name = value,
    OTA_ERR_LIST(OTA_ERR_ENUM_ENTRY)
#undef OTA_ERR_ENUM_ENTRY
} ota_err_t;

/** Short message for an error code ("flash: address out of range"); never NULL. */
const char *ota_strerror(int err);

/** Symbolic name of an error code ("OTA_ERR_FLASH_OUT_OF_RANGE"), for --json; never NULL. */
const char *ota_err_name(int err);

#ifdef __cplusplus
}
#endif
#endif /* OTA_ERR_H */
