/* CRC-32 (IEEE, reflected; zlib's and esp_rom_crc32_le's convention) for targets without zlib.
 * An ESP32 port calls the ROM's esp_rom_crc32_le instead; otadata needs a few bytes only, so a
 * nibble table (64 bytes) is enough. */
#include "ota/port/ota_crypto.h"

static const uint32_t k_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
    0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu, 0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t ota_crc32_le(uint32_t crc, const void *data, size_t len)
{
    const unsigned char *p = data;
    crc = ~crc;
    while (len-- > 0) {
        crc ^= *p++;
        crc = (crc >> 4) ^ k_nibble[crc & 0xFu];
        crc = (crc >> 4) ^ k_nibble[crc & 0xFu];
    }
    return ~crc;
}
