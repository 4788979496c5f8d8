/**
 * @file ota_device_file.h
 * @brief A device on the host: a flash image file plus its hardware-state sidecar (POSIX port).
 *
 * `DEVICE.bin` is the flash (ota_flash_file.h); `DEVICE.bin.state` (the path plus ".state")
 * models what a real ESP32 keeps outside flash: the chip and its revision, the anti-rollback
 * eFuse, the bootloader options that are fixed at build time, and which app is running (RAM
 * state that a "reset" clears). It is text, one `key=value` per line, `#` comments:
 *
 *     chip=esp32
 *     chip_revision=v3.0
 *     efuse_secure_version=0
 *     rollback=1
 *     anti_rollback=1
 *     running=ota_0
 *     table_offset=0x9000
 *
 * A missing sidecar (or key) means the defaults of ota_device_init(): esp32 v3.0, eFuse 0,
 * rollback and anti-rollback on, nothing running. Unknown keys are kept as they are on save.
 * Saving writes a temporary file and renames it over the old one (atomic).
 */
#ifndef OTA_DEVICE_FILE_H
#define OTA_DEVICE_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "ota/ota_device.h"
#include "ota/sim/ota_flash_file.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_DEVICE_STATE_SUFFIX ".state"

typedef struct {
    bool readonly;              /**< open the flash read-only (no lock against readers) */
    ota_flash_emu_config_t emu; /**< emulator settings (strict mode, timing...) */
} ota_device_file_options_t;

typedef struct ota_device_file ota_device_file_t;

/**
 * Open DEVICE (flash file + sidecar) and load its partition table. @p diag (may be NULL) gets a
 * one-line message.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL path or out); OTA_ERR_NO_MEM; ota_flash_file_open's
 *         codes (OTA_ERR_NOT_FOUND, OTA_ERR_IO, OTA_ERR_FLASH_GEOMETRY, OTA_ERR_BUSY);
 *         OTA_ERR_DEVICE_STATE (sidecar unreadable or malformed, its running app not in the table,
 *         or its decrypt key unusable; @p diag says why); the table's codes
 *         (ota_device_load_table: OTA_ERR_PT_*, flash read errors; @p diag says why).
 */
int ota_device_file_open(const char *path, const ota_device_file_options_t *opts, ota_device_file_t **out,
                         char *diag, size_t diag_size);

/**
 * Where DEVICE's partition table is, found as ota_device_file_open finds it (the sidecar's
 * `table_offset`, written only when it is not 0x8000; else ota_device_find_table's scan), and the
 * table, for tools that work on the flash alone. @p offset is set even on failure (where it looked).
 * @return OTA_OK; OTA_ERR_INVALID_ARG; OTA_ERR_NO_MEM; OTA_ERR_IO / OTA_ERR_DEVICE_STATE (the
 *         sidecar cannot be read or parsed); the table's codes as for ota_device_file_open.
 */
int ota_device_file_locate_table(const char *path, const ota_flash_t *flash, uint32_t *offset,
                                 ota_partition_table_t *table, ota_partition_diag_t *diag);

/**
 * The flash size the bootloader at the start of file @p path names, when the file is shorter than
 * that (a merged image): what ota_flash_file_options_t.pad_to needs to open it as a whole flash.
 * 0 when the file is a whole flash already, holds no bootloader, or cannot be read.
 */
uint32_t ota_device_file_short_image_size(const char *path);

/** The device (valid until close). */
ota_device_t *ota_device_file_device(ota_device_file_t *file);
/** The flash file underneath. */
ota_flash_file_t *ota_device_file_flash(ota_device_file_t *file);
/** Path of the sidecar ("DEVICE.bin.state"). */
const char *ota_device_file_state_path(const ota_device_file_t *file);
/**
 * The app the sidecar said was running (`running=LABEL`) when open found that LABEL holds no valid
 * app (a flash re-created, rewritten or erased under an old sidecar): the device is then taken as
 * not booted, and a warning logged. NULL when the sidecar's running app was kept (or none).
 */
const char *ota_device_file_stale_running(const ota_device_file_t *file);

/**
 * Configure (or with @p key_path NULL/"" remove) the device's esp_encrypted_img private key: an
 * RSA-3072 PEM or the ECIES device HMAC key (32 raw bytes). The file is read now and lent to
 * dev->security.decrypt_key; save() records its path and scheme (decrypt_key_file=,
 * decrypt_key_scheme=), never its bytes.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL file, unknown scheme); OTA_ERR_KEY_PARSE if
 *         unreadable or of the wrong size; OTA_ERR_NO_MEM.
 */
int ota_device_file_set_decrypt_key(ota_device_file_t *file, ota_enc_scheme_t scheme, const char *key_path,
                                    char *diag, size_t diag_size);
/** The configured decrypt key's path, "" if none. */
const char *ota_device_file_decrypt_key_path(const ota_device_file_t *file);

/** Write the device's hardware state to the sidecar, atomically.
 *  @return OTA_OK; OTA_ERR_INVALID_STATE (the state cannot be formatted); OTA_ERR_NO_MEM;
 *          OTA_ERR_IO (write, fsync or rename failed; the old sidecar is left as it was). */
int ota_device_file_save(ota_device_file_t *file);

/** Close the flash; the sidecar is not written (call save first). */
void ota_device_file_close(ota_device_file_t *file);

/**
 * Parse sidecar text into @p dev (fields present override; running is resolved by label in
 * dev->table). Unknown keys are ignored here.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL text or dev); OTA_ERR_DEVICE_STATE with a message in
 *         @p diag; OTA_ERR_NO_MEM.
 */
int ota_device_state_parse(const char *text, size_t len, ota_device_t *dev, char *diag, size_t diag_size);

/** Format @p dev's state as sidecar text.
 *  @return the length, snprintf-style (may exceed @p size); negative only if snprintf fails. */
int ota_device_state_format(const ota_device_t *dev, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* OTA_DEVICE_FILE_H */
