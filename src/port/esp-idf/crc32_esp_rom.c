/* CRC-32 from the chip's ROM: esp_rom_crc32_le has zlib's convention (the value is inverted on
 * entry and exit), the one ota_crc32_le promises, and it is what the bootloader itself uses for
 * otadata (bootloader_common_ota_select_crc = esp_rom_crc32_le(UINT32_MAX, &seq, 4)). */
#include "esp_rom_crc.h"

#include "ota/port/ota_crypto.h"

uint32_t ota_crc32_le(uint32_t crc, const void *data, size_t len)
{
    return esp_rom_crc32_le(crc, data, (uint32_t)len);
}
