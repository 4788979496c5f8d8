/**
 * @file ota_app_image.h
 * @brief ESP app images (esp_image format): decode, chip facts, and a streaming validator.
 *
 * Layout (reference/esp-idf-formats.md §3): a 24-byte header (magic 0xE9, segment count, flash
 * mode/speed/size, entry point, extended header with chip id and revision limits, hash-appended
 * flag), then up to 16 segments (8-byte header + data, a multiple of 4 bytes), zero padding so
 * that the byte after the checksum is 16-aligned with the XOR checksum (seed 0xEF, segment data
 * only) as the last padding byte, then optionally the SHA-256 of everything before it. The
 * 256-byte esp_app_desc_t sits at image offset 0x20, at the start of segment 0 (DROM).
 *
 * The validator takes the image in chunks of any size (1 byte to MiBs) with bounded state: it
 * never buffers the image. It reports the header and the app description as soon as their bytes
 * have arrived (an event callback, or poll ota_image_validator_info()), checks every segment
 * header when it arrives (so an image that cannot fit in the target partition is refused before
 * its data), and at the end checks the checksum and the appended SHA-256. This is what the OTA
 * service runs on the download stream, and what esp_image_verify() is on flash
 * (ota_image_verify_partition()).
 *
 * Two halves like ota_partition.h: formats (pure, no I/O) and one flash helper.
 */
#ifndef OTA_APP_IMAGE_H
#define OTA_APP_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/port/ota_crypto.h"
#include "ota/ota_partition.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- constants (esp_app_format.h, esp_image_format.h, esp_app_desc.h) ---------------------- */
#define OTA_IMAGE_MAGIC               0xE9u
#define OTA_IMAGE_HEADER_SIZE         24u
#define OTA_IMAGE_SEGMENT_HEADER_SIZE 8u
#define OTA_IMAGE_MAX_SEGMENTS        16u
#define OTA_IMAGE_CHECKSUM_SEED       0xEFu
#define OTA_IMAGE_HASH_LEN            32u
#define OTA_IMAGE_WP_PIN_DISABLED     0xEEu
#define OTA_IMAGE_SEGMENT_LEN_LIMIT   0x1000000u /**< data_len must be below 16 MiB */
#define OTA_IMAGE_MMU_PAGE_DEFAULT    0x10000u   /**< IROM_ALIGN: 64 KiB flash MMU page */
#define OTA_APP_DESC_MAGIC            0xABCD5432u
#define OTA_APP_DESC_OFFSET           0x20u /**< header (24) + segment 0 header (8) */
#define OTA_APP_DESC_SIZE             256u
/** Bytes needed to see the header and the app description (what ESP-ADF peeks before erasing). */
#define OTA_IMAGE_PEEK_SIZE           (OTA_APP_DESC_OFFSET + OTA_APP_DESC_SIZE)

/** Chip ids of the image header (esp_chip_id_t). */
typedef enum {
    OTA_CHIP_ESP32 = 0x0000,
    OTA_CHIP_ESP32S2 = 0x0002,
    OTA_CHIP_ESP32C3 = 0x0005,
    OTA_CHIP_ESP32S3 = 0x0009,
    OTA_CHIP_ESP32C2 = 0x000C,
    OTA_CHIP_ESP32C6 = 0x000D,
    OTA_CHIP_ESP32H2 = 0x0010,
    OTA_CHIP_ESP32P4 = 0x0012,
    OTA_CHIP_ESP32C61 = 0x0014,
    OTA_CHIP_ESP32C5 = 0x0017,
    OTA_CHIP_ESP32H21 = 0x0019,
    OTA_CHIP_ESP32H4 = 0x001C,
    OTA_CHIP_ESP32S31 = 0x0020,
    OTA_CHIP_INVALID = 0xFFFF,
} ota_chip_id_t;

/** esp_image_spi_mode_t */
enum {
    OTA_IMAGE_SPI_QIO = 0,
    OTA_IMAGE_SPI_QOUT,
    OTA_IMAGE_SPI_DIO,
    OTA_IMAGE_SPI_DOUT,
    OTA_IMAGE_SPI_FAST_READ,
    OTA_IMAGE_SPI_SLOW_READ
};

/** The 24-byte image header, decoded. */
typedef struct {
    uint8_t magic;         /**< 0xE9 */
    uint8_t segment_count; /**< includes esptool's padding segments */
    uint8_t spi_mode;      /**< OTA_IMAGE_SPI_* */
    uint8_t spi_speed;     /**< low nibble of byte 3 (chip-specific code, see flash_freq_name) */
    uint8_t spi_size;      /**< high nibble of byte 3: 0 = 1MB ... 7 = 128MB */
    uint32_t entry_addr;
    uint8_t wp_pin;             /**< 0xEE = disabled */
    uint8_t spi_pin_drv[3];     /**< clk/q, d/cs0, hd/wp drive settings (nibbles) */
    uint16_t chip_id;           /**< ota_chip_id_t */
    uint8_t min_chip_rev;       /**< legacy field */
    uint16_t min_chip_rev_full; /**< major * 100 + minor */
    uint16_t max_chip_rev_full; /**< major * 100 + minor; 0 or 0xFFFF = not set */
    uint8_t reserved[4];
    uint8_t hash_appended; /**< non-zero: SHA-256 of the image follows the checksum */
} ota_image_header_t;

/** One segment header. */
typedef struct {
    uint32_t load_addr; /**< below 0x10000000: not loaded (0 = esptool padding) */
    uint32_t data_len;
} ota_image_segment_header_t;

/** esp_app_desc_t (256 bytes at image offset 0x20), decoded; strings always NUL-terminated. */
typedef struct {
    uint32_t magic_word;     /**< OTA_APP_DESC_MAGIC */
    uint32_t secure_version; /**< anti-rollback version */
    char version[33];
    char project_name[33];
    char time[17];
    char date[17];
    char idf_ver[33];
    uint8_t app_elf_sha256[32];
    uint16_t min_efuse_blk_rev_full;
    uint16_t max_efuse_blk_rev_full;
    uint8_t mmu_page_size; /**< log2 of the MMU page; 0 = not recorded (64 KiB) */
    uint8_t spi_flash_mode;
} ota_app_desc_t;

void ota_image_header_decode(const uint8_t raw[OTA_IMAGE_HEADER_SIZE], ota_image_header_t *out);
void ota_image_header_encode(const ota_image_header_t *header, uint8_t raw[OTA_IMAGE_HEADER_SIZE]);
void ota_image_segment_header_decode(const uint8_t raw[OTA_IMAGE_SEGMENT_HEADER_SIZE],
                                     ota_image_segment_header_t *out);
void ota_image_segment_header_encode(const ota_image_segment_header_t *seg,
                                     uint8_t raw[OTA_IMAGE_SEGMENT_HEADER_SIZE]);
/** Decode the 256 raw bytes (no magic check: look at magic_word). */
void ota_app_desc_decode(const uint8_t raw[OTA_APP_DESC_SIZE], ota_app_desc_t *out);
/** Encode: strings cut to their field, reserved bytes zero. */
void ota_app_desc_encode(const ota_app_desc_t *desc, uint8_t raw[OTA_APP_DESC_SIZE]);

/* --- chips ---------------------------------------------------------------------------------- */

/**
 * Secure Boot V2 as a chip implements it, from ESP-IDF v6.0.2: soc/<chip>/include/soc/soc_caps.h
 * (SOC_SECURE_BOOT_SUPPORTED, SOC_SECURE_BOOT_V2_RSA / _ECC, SOC_ECDSA_SUPPORT_CURVE_P384,
 * SOC_EFUSE_SECURE_BOOT_KEY_DIGESTS, SOC_EFUSE_REVOKE_BOOT_KEY_DIGESTS), esp_rom/<chip>/include/
 * <chip>/rom/secure_boot.h (SECURE_BOOT_NUM_BLOCKS) and bootloader/Kconfig.projbuild (ESP32:
 * RSA from revision v3.0; ESP32-C3: secure boot from v0.3). tests/unit/formats/test_chip_sbv2.c
 * checks this against those files.
 */
typedef struct {
    bool supported;      /**< the chip has Secure Boot V2 at all (from min_rev) */
    uint16_t min_rev;    /**< lowest chip revision with it, major * 100 + minor (ESP32: 300) */
    bool rsa3072;        /**< RSA-3072 signature blocks (SOC_SECURE_BOOT_V2_RSA) */
    bool ecdsa_p256;     /**< ECDSA-P256 blocks (SOC_SECURE_BOOT_V2_ECC) */
    bool ecdsa_p384;     /**< ECDSA-P384 blocks (..._ECC and SOC_ECDSA_SUPPORT_CURVE_P384) */
    uint8_t key_digests; /**< eFuse key digest slots (SOC_EFUSE_SECURE_BOOT_KEY_DIGESTS) */
    bool revocable;      /**< KEY_REVOKEn exists (SOC_EFUSE_REVOKE_BOOT_KEY_DIGESTS) */
    uint8_t sig_blocks;  /**< signature blocks that count, from block 0 (SECURE_BOOT_NUM_BLOCKS) */
} ota_chip_sbv2_t;

/** What the image format needs to know about a chip. */
typedef struct {
    uint16_t id;              /**< ota_chip_id_t */
    const char *name;         /**< "esp32s3": CLI and device-state spelling */
    const char *display_name; /**< "ESP32-S3": what esptool prints */
    /** Flash-mapped (cache) ranges, ESP-IDF's should_map(); 0/0 when not known for this chip. */
    uint32_t drom_low, drom_high, irom_low, irom_high;
    bool mmu_page_configurable;    /**< page size from app_desc.mmu_page_size; app desc required */
    uint8_t secure_version_bits;   /**< eFuse anti-rollback field width (32 ESP32, 4 C2, 9 C5, 16) */
    uint16_t default_max_rev_full; /**< what ESP-IDF puts in max_chip_rev_full by default */
    ota_chip_sbv2_t sbv2;          /**< its Secure Boot V2 rules */
} ota_chip_info_t;

/** Facts for a chip id, or NULL if unknown. */
const ota_chip_info_t *ota_chip_info(uint16_t chip_id);
/** Look up "esp32s3", "ESP32-S3" or "esp32-s3" (case-insensitive); NULL if unknown. */
const ota_chip_info_t *ota_chip_info_by_name(const char *name);
/** esptool's name for a chip id ("ESP32-S3"), or "Unknown ID". */
const char *ota_chip_display_name(uint16_t chip_id);
/**
 * The chip's name if esptool v4.9.1 knows it (its CHIP_NAME: display_name), else NULL: its
 * esptool/targets/ has no ESP32-S31, so `image_info` says "Unknown ID" for one.
 */
const char *ota_chip_esptool_name(uint16_t chip_id);
/**
 * Why @p chip_id at revision @p rev (major * 100 + minor) has no Secure Boot V2, as one sentence
 * naming the chip's rule ("ESP32 (rev v1.0): Secure Boot V2 needs chip revision v3.0 or later"),
 * or "" when it has it.
 * @return the text's length, snprintf-style; never negative.
 */
int ota_chip_sbv2_unsupported(uint16_t chip_id, uint16_t rev, char *buf, size_t size);
/**
 * The chip's Secure Boot V2 rule in one line, for refusals: "ESP32 (rev v3.0): Secure Boot V2
 * takes RSA-3072 signatures, 1 key digest, no key revocation, only signature block 0 counts".
 * @return the text's length, snprintf-style; never negative.
 */
int ota_chip_sbv2_rule(uint16_t chip_id, uint16_t rev, char *buf, size_t size);
/** True if @p addr is in a flash-mapped (IROM/DROM) range of the chip (unknown chip: false). */
bool ota_chip_addr_is_mapped(uint16_t chip_id, uint32_t addr);
/**
 * esptool's "Memory types" of a load address ("BYTE_ACCESSIBLE, DRAM") for ESP32, -S2, -S3, -C3,
 * -C6; "" for other chips or unmapped addresses.
 * @return the text's length, snprintf-style (may exceed @p size); never negative.
 */
int ota_chip_memory_types(uint16_t chip_id, uint32_t addr, char *buf, size_t size);

/** "QIO" "QOUT" "DIO" "DOUT" (esptool spelling), NULL for other values. */
const char *ota_image_flash_mode_name(uint8_t spi_mode);
/** "80m", "40m"... for the chip's code (esptool FLASH_FREQUENCY), NULL if unknown. */
const char *ota_image_flash_freq_name(uint16_t chip_id, uint8_t spi_speed);
/** "1MB" ... "128MB", NULL if above 7. */
const char *ota_image_flash_size_name(uint8_t spi_size);
/** Parse "dio" / "DIO" etc.; false if unknown. */
bool ota_image_flash_mode_parse(const char *text, uint8_t *out);
/** Parse "40m" / "80m"... for a chip; false if that chip has no such frequency. */
bool ota_image_flash_freq_parse(uint16_t chip_id, const char *text, uint8_t *out);
/** Parse "4MB" etc. into the header code; false if unknown. */
bool ota_image_flash_size_parse(const char *text, uint8_t *out);

/* --- streaming validator -------------------------------------------------------------------- */

/** What to check beyond the format itself. Zero-initialised = format checks only. */
typedef struct {
    /** Size of the target partition: the whole image (incl. hash) must fit. 0 = no limit. */
    uint32_t max_size;
    /**
     * Total bytes that will be fed, when known (file size, Content-Length): a segment that runs
     * past it is reported as soon as its header arrives. 0 = unknown.
     */
    uint32_t expected_size;
    /** Check chip_id and chip_revision against the header (bootloader_common_check_chip_validity). */
    bool check_chip;
    uint16_t chip_id;       /**< ota_chip_id_t of the device */
    uint16_t chip_revision; /**< device revision, major * 100 + minor */
    /** Accept images without an app description (never on chips with a configurable MMU page). */
    bool allow_missing_app_desc;
    /** Bytes after the end of the image are ignored (reading a partition) instead of an error. */
    bool ignore_trailing;
    /** After a checksum mismatch still read and compare the hash (for `ota image info`). */
    bool keep_going;
    /** Absolute flash address of byte 0 (messages, paddr); 0 for files and streams. */
    uint32_t flash_addr;
} ota_image_validator_config_t;

/** One segment as found in the image. */
typedef struct {
    uint32_t header_offset; /**< image offset of its 8-byte header ("File offs" in esptool) */
    uint32_t load_addr;
    uint32_t data_len;
} ota_image_segment_t;

/** Everything learned so far; fields are valid when their flag says so. */
typedef struct {
    bool header_valid; /**< header decoded and passed magic/chip/segment-count checks */
    ota_image_header_t header;
    bool app_desc_valid; /**< 256 bytes at 0x20 decoded and magic correct */
    ota_app_desc_t app_desc;
    uint8_t segments_seen; /**< segment headers decoded so far */
    ota_image_segment_t segments[OTA_IMAGE_MAX_SEGMENTS];
    bool checksum_read;
    uint8_t checksum_stored;
    uint8_t checksum_calculated;
    bool hash_read; /**< hash_appended and the 32 bytes arrived */
    uint8_t hash_stored[OTA_IMAGE_HASH_LEN];
    uint8_t hash_calculated[OTA_IMAGE_HASH_LEN];
    bool complete;      /**< every byte of the image (incl. hash) arrived */
    uint32_t image_len; /**< total length incl. checksum padding and hash, when complete */
    uint64_t bytes_fed; /**< bytes given to feed() so far, trailing ones included */
} ota_image_info_t;

/** Why validation failed, with the numbers the error code cannot carry. */
typedef struct {
    int err;           /**< OTA_OK or the OTA_ERR_IMG_* code */
    uint64_t offset;   /**< image offset where the problem is (truncation: bytes received) */
    int segment;       /**< segment index concerned, -1 if none */
    uint32_t expected; /**< calculated checksum, max size, device chip id/revision... */
    uint32_t actual;   /**< stored checksum, needed size, image chip id/revision... */
    char message[200]; /**< one line, worded like ESP-IDF's esp_image where it has one */
} ota_image_diag_t;

typedef enum {
    OTA_IMAGE_EVENT_HEADER,   /**< info->header is valid */
    OTA_IMAGE_EVENT_SEGMENT,  /**< info->segments[info->segments_seen - 1] was just decoded */
    OTA_IMAGE_EVENT_APP_DESC, /**< info->app_desc is valid */
} ota_image_event_t;

/**
 * Called from inside feed() as soon as a part of the image is known. Return OTA_OK to go on, or
 * a negative code to stop: feed() then returns it (e.g. a version checker refusing the image).
 */
typedef int (*ota_image_event_cb_t)(void *ctx, ota_image_event_t event, const ota_image_info_t *info);

/** Validator state: allocate it anywhere (about 1 KiB); fields below `info`/`diag` are private. */
typedef struct {
    ota_image_validator_config_t cfg;
    ota_image_event_cb_t cb;
    void *cb_ctx;
    ota_image_info_t info;
    ota_image_diag_t diag;
    /* private */
    int phase;
    int err;                         /**< first error (sticky) */
    int keep_going_err;              /**< recorded error when keep_going let us continue */
    uint64_t pos;                    /**< image offset of the next byte */
    uint8_t buf[OTA_IMAGE_HASH_LEN]; /**< header / segment header / padding / hash being collected */
    uint32_t buf_len;
    uint32_t want; /**< bytes the current fixed-size element needs */
    uint8_t desc_raw[OTA_APP_DESC_SIZE];
    uint32_t desc_len;
    bool desc_parsed;
    uint32_t seg_index;
    uint32_t seg_remaining;
    uint64_t xor_acc;
    uint32_t mmu_page;
    bool seg0_map_pending;
    uint64_t trailing;
    ota_sha256_ctx_t sha;
} ota_image_validator_t;

/** Start validating an image. @p cb may be NULL (poll ota_image_validator_info()). */
void ota_image_validator_init(ota_image_validator_t *v, const ota_image_validator_config_t *cfg,
                              ota_image_event_cb_t cb, void *cb_ctx);

/**
 * Feed the next @p len bytes. After the image is complete, more bytes are
 * OTA_ERR_IMG_TRAILING_DATA unless cfg.ignore_trailing.
 * @return OTA_OK, or the first error (sticky: later calls return it again):
 *         OTA_ERR_INVALID_ARG (NULL data with len > 0); OTA_ERR_IMG_BAD_MAGIC;
 *         OTA_ERR_IMG_TOO_MANY_SEGMENTS; OTA_ERR_IMG_SEGMENT; OTA_ERR_IMG_SEGMENT_PAST_END
 *         (past cfg.expected_size); OTA_ERR_IMG_TOO_LARGE (past cfg.max_size);
 *         OTA_ERR_IMG_WRONG_CHIP / OTA_ERR_IMG_CHIP_REVISION (cfg.check_chip);
 *         OTA_ERR_IMG_APP_DESC; OTA_ERR_IMG_CHECKSUM; OTA_ERR_IMG_HASH;
 *         OTA_ERR_IMG_TRAILING_DATA; or the event callback's code.
 */
int ota_image_validator_feed(ota_image_validator_t *v, const void *data, size_t len);

/**
 * SHA-256 of the bytes hashed so far (the image is hashed from its first byte up to the appended
 * digest), finalised on a copy so validation goes on: what a resume checkpoint records.
 * *hashed gets the number of bytes covered.
 * @return OTA_OK; OTA_ERR_INVALID_STATE once the hashed region has ended, if the image has no
 *         appended hash (it is not hashed then), or after an error.
 */
int ota_image_validator_hash_snapshot(const ota_image_validator_t *v, uint8_t digest[OTA_IMAGE_HASH_LEN],
                                      uint64_t *hashed);

/** End of input.
 *  @return OTA_OK if the image was complete and valid; the sticky error of feed() if there was
 *          one (with cfg.keep_going also a deferred OTA_ERR_IMG_CHECKSUM); else
 *          OTA_ERR_IMG_TRUNCATED. */
int ota_image_validator_finish(ota_image_validator_t *v);

/** True once every byte of the image arrived (more input is trailing data). */
bool ota_image_validator_complete(const ota_image_validator_t *v);

static inline const ota_image_info_t *ota_image_validator_info(const ota_image_validator_t *v)
{
    return &v->info;
}

static inline const ota_image_diag_t *ota_image_validator_diag(const ota_image_validator_t *v)
{
    return &v->diag;
}

/** Validate a whole image in memory; @p info and @p diag may be NULL.
 *  @return as ota_image_validator_feed() then ota_image_validator_finish(). */
int ota_image_validate_buffer(const void *data, size_t len, const ota_image_validator_config_t *cfg,
                              ota_image_info_t *info, ota_image_diag_t *diag);

/* --- flash: esp_image_verify() on a partition (src/boot/image_verify.c) --------------------- */

/**
 * Verify the image at the start of @p part, reading it in chunks: like esp_image_verify
 * (ESP_IMAGE_VERIFY). cfg.max_size and cfg.flash_addr are taken from the partition and bytes after
 * the image are ignored; the other fields of @p cfg (may be NULL) apply. Errors are logged with
 * tag "esp_image" unless @p silent. @p info and @p diag may be NULL.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL part); OTA_ERR_NO_MEM (the ~5 KiB work block);
 *         OTA_ERR_INVALID_SIZE (partition larger than 16 MiB); the flash read's errors; the
 *         validator's codes (ota_image_validator_feed / _finish, no trailing-data error).
 */
int ota_image_verify_partition(const ota_partition_t *part, const ota_image_validator_config_t *cfg,
                               bool silent, ota_image_info_t *info, ota_image_diag_t *diag);

/**
 * Log the segments of a verified image as esp_image does ("segment 0: paddr=00010020
 * vaddr=3f400020 size=40004h (262148) map"), @p partition_offset being where the image sits.
 */
void ota_image_log_segments(const char *tag, uint32_t partition_offset, const ota_image_info_t *info);

/** Read the app description at partition offset 0x20.
 *  @return OTA_OK; OTA_ERR_IMG_APP_DESC if the magic is wrong; the flash read's errors
 *          (ota_partition_read). */
int ota_image_read_app_desc(const ota_partition_t *part, ota_app_desc_t *out);

#ifdef __cplusplus
}
#endif
#endif /* OTA_APP_IMAGE_H */
