/**
 * @file ota_app_image_builder.h
 * @brief Make synthetic but esptool-compatible ESP app images (what `ota image make` writes).
 *
 * The image has the shape esptool elf2image gives a real app: a header (magic 0xE9, flash
 * mode/frequency/size, entry point in IRAM), an extended header (chip id, min/max chip revision,
 * hash_appended = 1), segments DROM (starting with esp_app_desc_t at image offset 0x20), DRAM,
 * IROM, IRAM, laid out with esptool's rule for flash-mapped segments (file offset % 64 KiB ==
 * vaddr % 64 KiB; the gap before IROM is filled by splitting off the start of the first RAM
 * segment, or a zero padding segment at address 0 when no RAM segment is left, exactly as
 * esptool's ESP32FirmwareImage.save() does, including its ESP32 "segment end < 0x24 past a page"
 * workaround), the XOR checksum and the appended SHA-256.
 *
 * Payload bytes are a deterministic pseudo-random stream from the seed, so the same
 * configuration always gives the same bytes.
 *
 * Size: images of 128 KiB and more have all four segments; smaller ones (down to 512 bytes)
 * have no IROM segment so they stay small. The image is exactly @c size bytes when @c size is a
 * multiple of 16 (every esp_image is: the checksum pads to 16 and the digest is 32); otherwise it
 * is @c size rounded down to a multiple of 16.
 *
 * Pure: writes through a callback or into a caller buffer; no allocation.
 */
#ifndef OTA_APP_IMAGE_BUILDER_H
#define OTA_APP_IMAGE_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "ota/ota_app_image.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_APP_IMAGE_BUILD_MIN_SIZE       512u
#define OTA_APP_IMAGE_BUILD_MAX_SIZE       0x1000000u
#define OTA_APP_IMAGE_BUILD_DEFAULT_SIZE   0x100000u
#define OTA_APP_IMAGE_BUILD_IROM_THRESHOLD 0x20000u /**< from this size on an IROM segment is made */

/** What to build. Zero-initialised fields take the default in brackets. */
typedef struct {
    uint16_t chip_id;          /**< ota_chip_id_t: ESP32, -S2, -S3, -C3, -C6 [ESP32] */
    uint32_t size;             /**< total bytes (see the file comment) [1 MiB] */
    uint64_t seed;             /**< payload pseudo-random seed [0] */
    const char *version;       /**< app_desc.version, at most 31 chars ["1.0.0"] */
    const char *project_name;  /**< at most 31 chars ["app"] */
    const char *idf_ver;       /**< at most 31 chars ["v5.5.4"] */
    const char *time;          /**< compile time, at most 15 chars ["00:00:00"] */
    const char *date;          /**< compile date, at most 15 chars ["Jan  1 2026"] */
    uint32_t secure_version;   /**< anti-rollback version [0] */
    const uint8_t *elf_sha256; /**< 32 bytes; NULL = SHA-256 of the other identity fields */
    const char *flash_mode;    /**< "qio" "qout" "dio" "dout" ["dio"] */
    const char *flash_freq;    /**< chip's esptool spelling, e.g. "40m" "80m" ["40m"] */
    const char *flash_size;    /**< "1MB" .. "128MB" ["4MB"] */
    uint16_t min_rev_full;     /**< min chip revision, major*100+minor [0 = v0.0] */
    uint16_t max_rev_full;     /**< max chip revision [0 = the chip's ESP-IDF default; 0xFFFF = none] */
} ota_app_image_build_config_t;

/** The layout of an image, known before a byte is written. */
typedef struct {
    uint32_t image_size;   /**< exact total bytes */
    uint8_t segment_count; /**< including padding / split segments */
    ota_image_segment_t segments[OTA_IMAGE_MAX_SEGMENTS];
    uint32_t entry_addr;
} ota_app_image_build_plan_t;

/** Receives the image in order; return OTA_OK or a negative error to stop. */
typedef int (*ota_app_image_write_fn)(void *ctx, const void *data, size_t len);

/**
 * Compute the layout.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL cfg, unknown chip, string too long, bad flash
 *         option); OTA_ERR_INVALID_SIZE (size below OTA_APP_IMAGE_BUILD_MIN_SIZE or above 16 MiB,
 *         or a size the chip's segment layout cannot fill exactly).
 */
int ota_app_image_build_plan(const ota_app_image_build_config_t *cfg, ota_app_image_build_plan_t *plan);

/** Produce the image through @p write (in pieces of at most 256 bytes); @p plan may be NULL.
 *  @return OTA_OK; OTA_ERR_INVALID_ARG (NULL write); ota_app_image_build_plan's codes; or
 *          @p write's error, as is (the build stops there). */
int ota_app_image_build(const ota_app_image_build_config_t *cfg, ota_app_image_write_fn write, void *ctx,
                        ota_app_image_build_plan_t *plan);

/** Produce the image into @p buf; *out_len (may be NULL) = the image's size.
 *  @return OTA_OK; ota_app_image_build_plan's codes; OTA_ERR_BUFFER_TOO_SMALL (NULL buf, or
 *          @p cap below the size; *out_len is set). */
int ota_app_image_build_to_buffer(const ota_app_image_build_config_t *cfg, uint8_t *buf, size_t cap,
                                  size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif /* OTA_APP_IMAGE_BUILDER_H */
