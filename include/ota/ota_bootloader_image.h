/**
 * @file ota_bootloader_image.h
 * @brief The second-stage bootloader image at the start of a real flash: where it is, which chip
 *        and flash size its header names, and its esp_bootloader_desc_t (ESP-IDF v5.2+).
 *
 * A flash read back with `esptool read_flash 0 ALL` or made by `esptool merge_bin` starts with
 * the bootloader: at 0x1000 on ESP32 and ESP32-S2, at 0x2000 on ESP32-P4 and ESP32-C5, at 0x0 on
 * the others (reference esp-idf-formats.md §3, testdata/bootloaders/README.md). Its image header
 * is the app image header (24 bytes): chip id at 0x0C, flash size in the high nibble of byte 3.
 * Pure: byte buffers in, a struct out.
 */
#ifndef OTA_BOOTLOADER_IMAGE_H
#define OTA_BOOTLOADER_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_BOOTLOADER_DESC_MAGIC_BYTE 80u   /**< ESP_BOOTLOADER_DESC_MAGIC_BYTE */
#define OTA_BOOTLOADER_DESC_OFFSET     0x20u /**< in the image: the first segment's data */
#define OTA_BOOTLOADER_DESC_SIZE       80u   /**< sizeof(esp_bootloader_desc_t) */
/** Bytes from the image start that ota_bootloader_image_parse needs to see the description. */
#define OTA_BOOTLOADER_PROBE_SIZE      (OTA_BOOTLOADER_DESC_OFFSET + OTA_BOOTLOADER_DESC_SIZE)

/** What a bootloader image at the start of a flash says. */
typedef struct {
    uint32_t offset;     /**< flash address of the image (the chip's bootloader offset) */
    uint16_t chip_id;    /**< ota_chip_id_t from the extended header */
    uint8_t spi_mode;    /**< OTA_IMAGE_SPI_* */
    uint8_t spi_speed;   /**< chip-specific code (ota_image_flash_freq_name) */
    uint8_t spi_size;    /**< header code: 0 = 1MB ... 7 = 128MB */
    uint32_t flash_size; /**< spi_size in bytes */
    uint32_t entry_addr;
    uint8_t segment_count;
    uint16_t min_chip_rev_full;
    uint16_t max_chip_rev_full;
    bool has_desc; /**< an esp_bootloader_desc_t is present (the fields below) */
    uint8_t desc_secure_version;
    uint32_t desc_version; /**< "Bootloader version" */
    char idf_ver[33];      /**< "ESP-IDF", NUL-terminated */
    char date_time[25];    /**< "Compile time", NUL-terminated */
} ota_bootloader_image_info_t;

/** Flash address of the second-stage bootloader on @p chip_id (0x1000, 0x2000 or 0x0). */
uint32_t ota_bootloader_image_offset(uint16_t chip_id);

/**
 * Decode the first @p len bytes of a bootloader image found at flash address @p offset: magic
 * 0xE9, 1..16 segments, a flash size code ≤ 7, a chip id this library knows whose bootloader lives
 * at @p offset (so an app image or stray bytes elsewhere are not taken for one). The description is
 * read when @p len ≥ OTA_BOOTLOADER_PROBE_SIZE, the first segment holds at least its 80 bytes and
 * its magic byte is 80.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL data or out); OTA_ERR_IMG_TRUNCATED (shorter than the
 *         image header); OTA_ERR_IMG_BAD_MAGIC; OTA_ERR_IMG_SEGMENT (segment count, or a flash
 *         size code above 7); OTA_ERR_IMG_WRONG_CHIP.
 */
int ota_bootloader_image_parse(const uint8_t *data, size_t len, uint32_t offset,
                               ota_bootloader_image_info_t *out);

#ifdef __cplusplus
}
#endif
#endif /* OTA_BOOTLOADER_IMAGE_H */
