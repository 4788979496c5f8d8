/**
 * @file ota_tone.h
 * @brief ESP-ADF tone partition images ("flash_tone.bin"): parse, validate, size and build.
 *
 * The byte format is the one of ESP-ADF's tone_partition component and tools/audio_tone/
 * mk_audio_tone.py v1.2 (reference/esp-adf-ota-service.md §7), little-endian throughout:
 *
 *     0        8-byte header       tag 0x2053, total_num N, format 0|1
 *     8        256-byte desc       format 1 only: esp_app_desc_t, magic 0xF55F9876, "ESP_TONE_BIN"
 *     8+D      N x 64-byte table   file_tag 0x28, song_index i, file_type, song_ver, song_adr, song_len
 *     8+D+64N  files              each padded with 0xFF to a multiple of 4 bytes
 *     ...      CRC-32 + 0xDFAC     format 1 only: zlib crc32 of all preceding bytes, then the tail
 *
 * Everything here is pure (no I/O, no allocation). Data that may live on flash is read through an
 * ota_tone_read_fn, in bounded chunks on the stack.
 *
 * Strictness. ESP-ADF's reader checks only the tag and (format 1) the tail. The validator here
 * checks every field mk_audio_tone.py writes, because a tone partition whose install was cut
 * short must never be taken as valid (DESIGN.md §4 invariant 3). In particular a header torn by a
 * power cut - bits only partly programmed from 0xFF toward their target, i.e. the target value
 * with extra 1-bits - is always rejected: extra bits in the tag break 0x2053, extra bits in the
 * format give a value other than 0/1 (or 0 -> 1, and then the table is not a 0xF55F9876
 * description), extra bits in total_num move the expected song_adr(0) = 8 + D + 64N away from
 * the table's. What no check can see is missing file data in a format-0 image (it has no CRC);
 * a writer must therefore program the 8-byte header last (see docs/tone-and-versions.md).
 */
#ifndef OTA_TONE_H
#define OTA_TONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --- constants (tone_partition.h, tone_partition.c, mk_audio_tone.py) -------------------- */
#define OTA_TONE_HEADER_TAG      0x2053u        /**< FLASH_TONE_HEADER, bytes 53 20 */
#define OTA_TONE_TAIL            0xDFACu        /**< FLASH_TONE_TAIL, bytes AC DF, last 2 bytes */
#define OTA_TONE_MAGIC_WORD      0xF55F9876u    /**< FLASH_TONE_MAGIC_WORD (not IDF's 0xABCD5432) */
#define OTA_TONE_PROJECT_NAME    "ESP_TONE_BIN" /**< FLASH_TONE_PROJECT_NAME */
#define OTA_TONE_FILE_TAG        0x28u          /**< FLASH_TONE_FILE_TAG */
#define OTA_TONE_HEADER_SIZE     8u
#define OTA_TONE_DESC_SIZE       256u   /**< format 1: esp_app_desc_t after the header */
#define OTA_TONE_ENTRY_SIZE      64u    /**< FLASH_TONE_FILE_INFO_BLOCK */
#define OTA_TONE_TRAILER_SIZE    6u     /**< format 1: CRC-32 (4) + tail (2) */
#define OTA_TONE_MAX_FILES       256u   /**< song_index is a u8 and must equal the position */
#define OTA_TONE_DEFAULT_VERSION "v1.0" /**< mk_audio_tone.py's default -v */

/* Field sizes of the format-1 description (esp_app_desc_t as the tool packs it). */
#define OTA_TONE_DESC_VERSION_LEN 32u
#define OTA_TONE_DESC_PROJECT_LEN 32u
#define OTA_TONE_DESC_TIME_LEN    16u
#define OTA_TONE_DESC_DATE_LEN    16u
#define OTA_TONE_DESC_IDF_VER_LEN 32u

/** The header's format field. */
typedef enum {
    OTA_TONE_FORMAT_0 = 0, /**< header + file table + files */
    OTA_TONE_FORMAT_1 = 1, /**< header + description + file table + files + CRC-32 + tail */
} ota_tone_format_t;

/** file_type of a table entry (mk_audio_tone.py: {'mp3': 0, 'wav': 1}). */
typedef enum {
    OTA_TONE_FILE_MP3 = 0,
    OTA_TONE_FILE_WAV = 1,
} ota_tone_file_type_t;

/** The 8-byte flash_tone_header_t, decoded. */
typedef struct {
    uint16_t tag;       /**< header_tag, 0x2053 */
    uint16_t total_num; /**< N, the number of files */
    uint32_t format;    /**< 0 or 1 (ota_tone_format_t) */
} ota_tone_header_t;

/** The format-1 description, decoded; strings are NUL-terminated copies of the fixed fields. */
typedef struct {
    uint32_t magic_word;                              /**< 0xF55F9876 */
    uint32_t secure_version;                          /**< the tool writes 0 */
    char version[OTA_TONE_DESC_VERSION_LEN + 1];      /**< -v, default "v1.0" */
    char project_name[OTA_TONE_DESC_PROJECT_LEN + 1]; /**< "ESP_TONE_BIN" */
    char time[OTA_TONE_DESC_TIME_LEN + 1];            /**< "%H:%M:%S" at build time */
    char date[OTA_TONE_DESC_DATE_LEN + 1];            /**< "%Y-%m-%d" at build time */
    char idf_ver[OTA_TONE_DESC_IDF_VER_LEN + 1];      /**< the tool writes "" */
} ota_tone_desc_t;

/** One 64-byte tone_file_info_t, decoded as is (no checks). */
typedef struct {
    uint8_t file_tag;   /**< 0x28 */
    uint8_t song_index; /**< position in the table */
    uint8_t file_type;  /**< ota_tone_file_type_t */
    uint8_t song_ver;   /**< the tool writes 0 */
    uint32_t song_adr;  /**< absolute offset of the file's first byte */
    uint32_t song_len;  /**< unpadded length */
    uint32_t rfu[12];   /**< the tool writes 0 */
    uint32_t info_crc;  /**< the tool writes 0 (ESP-ADF: "TODO check crc") */
} ota_tone_entry_t;

/** The layout of an image, as implied by its header, description and table. */
typedef struct {
    ota_tone_header_t header;
    ota_tone_desc_t desc;  /**< format 1 only; all zero for format 0 */
    uint32_t table_offset; /**< 8 + D (D = 256 for format 1, else 0) */
    uint32_t data_offset;  /**< 8 + D + 64N = song_adr(0) */
    uint32_t data_end;     /**< end of the last file's padding (= the CRC's offset in format 1) */
    uint32_t image_size;   /**< data_end, + 6 for format 1: the bytes a writer must write */
} ota_tone_info_t;

/** Where a check failed; filled (when non-NULL) by every function that returns a tone error. */
typedef struct {
    uint32_t offset;   /**< byte offset of the offending field in the image */
    int32_t index;     /**< file-table entry concerned, -1 when none */
    const char *field; /**< static name: "header_tag", "song_adr", "crc", "padding"...; NULL if none */
    uint32_t expected; /**< what the format requires there (a limit for sizes) */
    uint32_t actual;   /**< what was found */
} ota_tone_diag_t;

/** Reads @p len bytes at @p off of the image or partition; returns OTA_OK or a negative OTA_ERR_*. */
typedef int (*ota_tone_read_fn)(void *ctx, uint32_t off, void *buf, size_t len);
/** Receives the next @p len bytes of a built image, in order; returns OTA_OK or a negative error. */
typedef int (*ota_tone_write_fn)(void *ctx, const void *buf, size_t len);

/* --- parsing from the first bytes of a stream (decide before erasing anything) ------------ */

/**
 * Decode and check the 8-byte header at the start of @p buf: tag 0x2053 (OTA_ERR_TONE_BAD_TAG),
 * format 0 or 1 (OTA_ERR_TONE_BAD_FORMAT), 1 <= total_num <= 256 (OTA_ERR_TONE_BAD_TABLE; the
 * tool cannot write more because song_index is one byte, and ESP-ADF's reader cannot use 0).
 * @p len < 8 gives OTA_ERR_TONE_TRUNCATED. @p out is filled whenever 8 bytes were there.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL buf or out); OTA_ERR_TONE_TRUNCATED;
 *         OTA_ERR_TONE_BAD_TAG; OTA_ERR_TONE_BAD_FORMAT; OTA_ERR_TONE_BAD_TABLE.
 */
int ota_tone_header_parse(const void *buf, size_t len, ota_tone_header_t *out, ota_tone_diag_t *diag);

/** Bytes from offset 0 that hold the header, description and table: 8 + D + 64N. */
uint32_t ota_tone_prefix_size(const ota_tone_header_t *header);

/**
 * Decode the 256-byte format-1 description at the start of @p buf (the bytes after the header)
 * and check magic_word (OTA_ERR_TONE_BAD_MAGIC) and project_name == "ESP_TONE_BIN" exactly
 * (OTA_ERR_TONE_BAD_PROJECT; ESP-ADF's strstr test would pass any substring). Reserved fields,
 * idf_ver and app_elf_sha256 are not checked (IDF 5 reuses reserv2; the CRC covers them).
 * @p out is filled whenever 256 bytes were there, also when a check fails.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL buf or out); OTA_ERR_TONE_TRUNCATED (@p len < 256);
 *         OTA_ERR_TONE_BAD_MAGIC; OTA_ERR_TONE_BAD_PROJECT.
 */
int ota_tone_desc_parse(const void *buf, size_t len, ota_tone_desc_t *out, ota_tone_diag_t *diag);

/** Decode one 64-byte table entry (no checks).
 *  @return OTA_OK; OTA_ERR_INVALID_ARG (NULL buf or out); OTA_ERR_TONE_TRUNCATED if @p len < 64. */
int ota_tone_entry_parse(const void *buf, size_t len, ota_tone_entry_t *out);

/**
 * Check entry @p index against the mk_audio_tone.py layout: file_tag 0x28, song_index == index,
 * file_type 0|1, song_ver 0, song_adr == @p expected_adr, RFU and info_crc 0, and the padded end
 * within 32 bits. @p table_offset only places the diag offset.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL entry); OTA_ERR_TONE_BAD_TABLE otherwise.
 */
int ota_tone_entry_check(const ota_tone_entry_t *entry, uint32_t index, uint32_t expected_adr,
                         uint32_t table_offset, ota_tone_diag_t *diag);

/** Bytes of 0xFF the tool appends after a file of @p len bytes: (4 - len % 4) % 4. */
uint32_t ota_tone_padding(uint32_t len);

/**
 * Parse the prefix (header, description, whole table) from @p buf and compute the layout, above
 * all info->image_size: how many bytes the complete image has. @p len must be at least
 * ota_tone_prefix_size() (else OTA_ERR_TONE_TRUNCATED, diag->expected = the size needed).
 * @p max_size: the partition size; a larger image gives OTA_ERR_TONE_TOO_LARGE (0: no limit).
 * The file data, padding, CRC and tail are not looked at (they are not in the prefix).
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL buf or info); the header's, description's and
 *         entries' codes (OTA_ERR_TONE_BAD_TAG, OTA_ERR_TONE_BAD_FORMAT, OTA_ERR_TONE_BAD_MAGIC,
 *         OTA_ERR_TONE_BAD_PROJECT, OTA_ERR_TONE_BAD_TABLE); OTA_ERR_TONE_TRUNCATED;
 *         OTA_ERR_TONE_TOO_LARGE.
 */
int ota_tone_parse_prefix(const void *buf, size_t len, uint32_t max_size, ota_tone_info_t *info,
                          ota_tone_diag_t *diag);

/* --- whole-image validation ---------------------------------------------------------------- */

/**
 * Validate an image or a partition's content of @p size bytes read through @p read: everything
 * ota_tone_parse_prefix() checks, then image_size <= @p size (OTA_ERR_TONE_TRUNCATED), every
 * padding byte 0xFF (OTA_ERR_TONE_BAD_PADDING), and for format 1 the tail 0xDFAC
 * (OTA_ERR_TONE_BAD_TAIL) and the CRC-32 over all bytes before it (OTA_ERR_TONE_BAD_CRC).
 * Bytes after image_size (the rest of a partition) are not looked at. A read error is returned
 * as is. On success @p info (may be NULL) holds the layout.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL read); ota_tone_parse_prefix's codes (no size
 *         limit here); OTA_ERR_TONE_TRUNCATED; OTA_ERR_TONE_BAD_PADDING;
 *         OTA_ERR_TONE_BAD_TAIL; OTA_ERR_TONE_BAD_CRC; or @p read's error, as is.
 */
int ota_tone_validate(ota_tone_read_fn read, void *ctx, uint32_t size, ota_tone_info_t *info,
                      ota_tone_diag_t *diag);

/** Read and decode entry @p index of an image whose header is @p header (no checks).
 *  @return OTA_OK; OTA_ERR_INVALID_ARG (NULL read, header or out); OTA_ERR_NOT_FOUND (@p index
 *          >= total_num); or @p read's error, as is. */
int ota_tone_read_entry(ota_tone_read_fn read, void *ctx, const ota_tone_header_t *header, uint32_t index,
                        ota_tone_entry_t *out);

/** An image in memory, for ota_tone_memory_read. */
typedef struct {
    const uint8_t *data;
    size_t len;
} ota_tone_memory_t;

/** ota_tone_read_fn over an ota_tone_memory_t.
 *  @return OTA_OK; OTA_ERR_INVALID_ARG (NULL ctx or buf); OTA_ERR_TONE_TRUNCATED past the end. */
int ota_tone_memory_read(void *ctx, uint32_t off, void *buf, size_t len);

/**
 * One line for a log or an error message: the error's text and the diag's detail, e.g.
 * "tone: file table inconsistent: entry 3 song_adr is 0x1234, expected 0x1238 (offset 0xcc)".
 * @return what snprintf returns: the line's length (may exceed @p size). Not an error code.
 */
int ota_tone_diag_format(int err, const ota_tone_diag_t *diag, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* OTA_TONE_H */
