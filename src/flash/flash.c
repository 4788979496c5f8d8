/* Bounds and alignment checks in front of a flash backend, and the range helpers every writer
 * uses. Checking here means a backend (emulator or MCU driver) only ever sees valid requests. */
#include "ota/port/ota_flash.h"

#include "ota/ota_err.h"

static bool in_range(const ota_flash_t *flash, uint32_t addr, size_t len)
{
    return addr <= flash->size && len <= (size_t)(flash->size - addr);
}

int ota_flash_read(const ota_flash_t *flash, uint32_t addr, void *buf, size_t len)
{
    if (flash == NULL || (buf == NULL && len > 0)) {
        return OTA_ERR_INVALID_ARG;
    }
    if (!in_range(flash, addr, len)) {
        return OTA_ERR_FLASH_OUT_OF_RANGE;
    }
    return len == 0 ? OTA_OK : flash->ops->read(flash->ctx, addr, buf, len);
}

int ota_flash_map(const ota_flash_t *flash, uint32_t addr, size_t len, const void **out)
{
    if (flash == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (flash->ops->map == NULL) {
        return OTA_ERR_NOT_SUPPORTED;
    }
    if (!in_range(flash, addr, len)) {
        return OTA_ERR_FLASH_OUT_OF_RANGE;
    }
    return flash->ops->map(flash->ctx, addr, len, out);
}

int ota_flash_program(const ota_flash_t *flash, uint32_t addr, const void *buf, size_t len)
{
    if (flash == NULL || (buf == NULL && len > 0)) {
        return OTA_ERR_INVALID_ARG;
    }
    if (!in_range(flash, addr, len)) {
        return OTA_ERR_FLASH_OUT_OF_RANGE;
    }
    return len == 0 ? OTA_OK : flash->ops->program(flash->ctx, addr, buf, len);
}

static int erase_unit(const ota_flash_t *flash, uint32_t addr, uint32_t unit)
{
    if (flash == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (addr % unit != 0) {
        return OTA_ERR_FLASH_MISALIGNED;
    }
    if (!in_range(flash, addr, unit)) {
        return OTA_ERR_FLASH_OUT_OF_RANGE;
    }
    return flash->ops->erase(flash->ctx, addr, unit);
}

int ota_flash_erase_sector(const ota_flash_t *flash, uint32_t addr)
{
    return erase_unit(flash, addr, flash ? flash->sector_size : 0);
}

int ota_flash_erase_block(const ota_flash_t *flash, uint32_t addr)
{
    return erase_unit(flash, addr, flash ? flash->block_size : 0);
}

int ota_flash_erase_range(const ota_flash_t *flash, uint32_t addr, uint32_t len)
{
    if (flash == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (addr % flash->sector_size != 0 || len % flash->sector_size != 0) {
        return OTA_ERR_FLASH_MISALIGNED;
    }
    if (!in_range(flash, addr, len)) {
        return OTA_ERR_FLASH_OUT_OF_RANGE;
    }
    uint32_t end = addr + len;
    while (addr < end) {
        bool whole_block = addr % flash->block_size == 0 && end - addr >= flash->block_size;
        uint32_t unit = whole_block ? flash->block_size : flash->sector_size;
        int err = flash->ops->erase(flash->ctx, addr, unit);
        if (err != 0) {
            return err;
        }
        addr += unit;
    }
    return OTA_OK;
}

int ota_flash_is_erased(const ota_flash_t *flash, uint32_t addr, uint32_t len, bool *erased)
{
    if (flash == NULL || erased == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (!in_range(flash, addr, len)) {
        return OTA_ERR_FLASH_OUT_OF_RANGE;
    }
    uint8_t buf[256];
    *erased = false;
    while (len > 0) {
        uint32_t n = len < sizeof buf ? len : (uint32_t)sizeof buf;
        int err = flash->ops->read(flash->ctx, addr, buf, n);
        if (err != 0) {
            return err;
        }
        for (uint32_t i = 0; i < n; i++) {
            if (buf[i] != OTA_FLASH_ERASED_BYTE) {
                return OTA_OK;
            }
        }
        addr += n;
        len -= n;
    }
    *erased = true;
    return OTA_OK;
}
