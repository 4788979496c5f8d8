/* CRC-32 on the host, for both crypto backends (OpenSSL in the library, Mbed TLS in the crypto
 * tests): zlib's. On an ESP32 this file is replaced by one calling esp_rom_crc32_le(), which has
 * the same semantics; without zlib, src/port/baremetal/crc32_baremetal.c. */
#include "ota/port/ota_crypto.h"

#include <zlib.h>

uint32_t ota_crc32_le(uint32_t crc, const void *data, size_t len)
{
    const unsigned char *p = data;
    uLong c = crc;
    while (len > 0) {
        uInt n = len > 0x40000000u ? 0x40000000u : (uInt)len;
        c = crc32(c, p, n);
        p += n;
        len -= n;
    }
    return (uint32_t)c;
}
