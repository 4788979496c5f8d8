/**
 * @file ota_flash.h
 * @brief The flash device interface: read, program, erase on a NOR chip.
 *
 * This layer knows sectors (4 KiB), blocks (64 KiB) and pages (256 B) and nothing about
 * partitions. A backend (the emulator in ota_flash_emu.h, or an MCU port over its SPI flash
 * driver) fills an ota_flash_t; everything above calls the ota_flash_* functions, which check
 * bounds and alignment before the backend sees a request.
 *
 * NOR rules every backend must follow and every caller must respect:
 *  - erase sets bytes to 0xFF, only whole sectors or whole aligned blocks;
 *  - program can only clear bits (1 -> 0); a byte must be erased before it can take any value;
 *  - one program call may span pages; one erase call is exactly one sector or one block.
 */
#ifndef OTA_FLASH_H
#define OTA_FLASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_FLASH_SECTOR_SIZE 0x1000u  /**< smallest erasable unit */
#define OTA_FLASH_BLOCK_SIZE  0x10000u /**< large erase unit, cheaper per byte */
#define OTA_FLASH_PAGE_SIZE   0x100u   /**< largest unit one program command writes */
#define OTA_FLASH_ERASED_BYTE 0xFFu

/** Backend operations. Addresses are absolute device addresses, already bounds-checked. */
typedef struct ota_flash_ops {
    int (*read)(void *ctx, uint32_t addr, void *buf, size_t len);
    int (*program)(void *ctx, uint32_t addr, const void *buf, size_t len);
    /** Erase one sector (len == sector_size) or one block (len == block_size) at aligned addr. */
    int (*erase)(void *ctx, uint32_t addr, uint32_t len);
    /**
     * Optional (NULL: not supported): make [addr, addr+len) readable in place, like ESP-IDF's
     * esp_partition_mmap / bootloader_mmap, so a caller that only looks at the bytes (hashing,
     * comparing) needs no copy. The pointer stays valid until the next program or erase.
     */
    int (*map)(void *ctx, uint32_t addr, size_t len, const void **out);
} ota_flash_ops_t;

/** A flash device: backend operations plus geometry. */
typedef struct ota_flash {
    const ota_flash_ops_t *ops;
    void *ctx;
    uint32_t size;        /**< bytes */
    uint32_t sector_size; /**< OTA_FLASH_SECTOR_SIZE */
    uint32_t block_size;  /**< OTA_FLASH_BLOCK_SIZE */
    uint32_t page_size;   /**< OTA_FLASH_PAGE_SIZE */
} ota_flash_t;

/*
 * Return codes. Every function below checks its arguments first: OTA_ERR_INVALID_ARG (NULL
 * flash, or NULL buffer with len > 0), OTA_ERR_FLASH_OUT_OF_RANGE (past the device's end),
 * OTA_ERR_FLASH_MISALIGNED (erase not on a sector/block boundary); then it passes on the
 * backend's code. The backends here (the emulator, also under the file and bare-metal devices)
 * return OTA_ERR_FLASH_POWER_LOST (simulated power cut), OTA_ERR_FLASH_READONLY (write-protected
 * range), OTA_ERR_FLASH_PROGRAM_ONE (a 1 bit over a 0), OTA_ERR_FLASH_PROGRAM_FAILED /
 * OTA_ERR_FLASH_ERASE_FAILED (injected chip errors); a port's backend returns its own.
 */

/** Read @p len bytes at @p addr.
 *  @return OTA_OK; OTA_ERR_INVALID_ARG; OTA_ERR_FLASH_OUT_OF_RANGE past the end; the backend's
 *          read error (emulator: OTA_ERR_FLASH_POWER_LOST). */
int ota_flash_read(const ota_flash_t *flash, uint32_t addr, void *buf, size_t len);

/**
 * Read-only view of @p len bytes at @p addr without copying (see ota_flash_ops_t.map).
 * @return OTA_OK; OTA_ERR_INVALID_ARG; OTA_ERR_NOT_SUPPORTED if the backend cannot (no map, or
 *         the emulator while it garbles reads): read into a buffer instead;
 *         OTA_ERR_FLASH_OUT_OF_RANGE; OTA_ERR_FLASH_POWER_LOST (emulator after a power cut).
 */
int ota_flash_map(const ota_flash_t *flash, uint32_t addr, size_t len, const void **out);

/** Program (AND) @p len bytes at @p addr.
 *  @return OTA_OK; OTA_ERR_INVALID_ARG; OTA_ERR_FLASH_OUT_OF_RANGE; the backend's error
 *          (emulator: OTA_ERR_FLASH_POWER_LOST, OTA_ERR_FLASH_READONLY,
 *          OTA_ERR_FLASH_PROGRAM_ONE, OTA_ERR_FLASH_PROGRAM_FAILED). */
int ota_flash_program(const ota_flash_t *flash, uint32_t addr, const void *buf, size_t len);

/** Erase one sector at a sector-aligned address.
 *  @return OTA_OK; OTA_ERR_INVALID_ARG; OTA_ERR_FLASH_MISALIGNED; OTA_ERR_FLASH_OUT_OF_RANGE;
 *          the backend's error (emulator: OTA_ERR_FLASH_POWER_LOST, OTA_ERR_FLASH_READONLY,
 *          OTA_ERR_FLASH_ERASE_FAILED). */
int ota_flash_erase_sector(const ota_flash_t *flash, uint32_t addr);

/** Erase one block at a block-aligned address.
 *  @return as ota_flash_erase_sector. */
int ota_flash_erase_block(const ota_flash_t *flash, uint32_t addr);

/**
 * Erase [addr, addr+len): both sector-aligned (else OTA_ERR_FLASH_MISALIGNED). Uses block erases
 * for every whole aligned block in the range and sector erases for the rest, as ESP-IDF's
 * esp_flash_erase_region does.
 * @return OTA_OK; OTA_ERR_INVALID_ARG; OTA_ERR_FLASH_MISALIGNED; OTA_ERR_FLASH_OUT_OF_RANGE; the
 *         backend's erase error as for ota_flash_erase_sector (the erase stops at the first).
 */
int ota_flash_erase_range(const ota_flash_t *flash, uint32_t addr, uint32_t len);

/** Whether [addr, addr+len) reads as all 0xFF, in *@p erased.
 *  @return OTA_OK; OTA_ERR_INVALID_ARG; OTA_ERR_FLASH_OUT_OF_RANGE; the backend's read error. */
int ota_flash_is_erased(const ota_flash_t *flash, uint32_t addr, uint32_t len, bool *erased);

#ifdef __cplusplus
}
#endif
#endif /* OTA_FLASH_H */
