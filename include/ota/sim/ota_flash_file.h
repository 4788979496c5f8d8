/**
 * @file ota_flash_file.h
 * @brief A device image file as emulated NOR flash (POSIX port).
 *
 * The file is byte-for-byte the content of the device's flash (what `esptool read_flash` would
 * give), mapped into memory so the emulator's operations land in the file directly. A writable
 * open takes an exclusive lock on the file: two processes updating one device is refused.
 */
#ifndef OTA_FLASH_FILE_H
#define OTA_FLASH_FILE_H

#include <stdbool.h>

#include "ota/sim/ota_flash_emu.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    bool create;                /**< create (or truncate) the file: size emu.size, all 0xFF */
    bool readonly;              /**< map read-only; program/erase fail */
    ota_flash_emu_config_t emu; /**< emulator settings; emu.size is used only with create */
    /** A shorter file (an `esptool merge_bin` output) is a flash of this size whose rest is
     *  erased: a writable open appends the 0xFF bytes to the file, a read-only one reads it into
     *  memory (the file is not changed). 0 = the file must be a whole flash. */
    uint32_t pad_to;
} ota_flash_file_options_t;

typedef struct ota_flash_file ota_flash_file_t;

/**
 * Open (or create) a device image.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL path or out); OTA_ERR_NOT_FOUND (no such file);
 * OTA_ERR_IO; OTA_ERR_NO_MEM; OTA_ERR_FLASH_GEOMETRY (file size not a multiple of 64 KiB or
 * above 16 MiB); OTA_ERR_BUSY (another process holds the device).
 */
int ota_flash_file_open(const char *path, const ota_flash_file_options_t *opts, ota_flash_file_t **out);

/** Unmap and close. Contents are already in the file (shared mapping). */
void ota_flash_file_close(ota_flash_file_t *file);

ota_flash_emu_t *ota_flash_file_emu(ota_flash_file_t *file);
ota_flash_t *ota_flash_file_flash(ota_flash_file_t *file);

#ifdef __cplusplus
}
#endif
#endif /* OTA_FLASH_FILE_H */
