/* Little-endian field access for the on-flash formats (every ESP32 structure is little-endian).
 * Byte by byte, so it does not depend on the host's byte order or on alignment; compilers turn
 * these into plain loads and stores. */
#ifndef OTA_FORMATS_BYTE_ORDER_H
#define OTA_FORMATS_BYTE_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline uint16_t ota_get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t ota_get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void ota_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void ota_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* True if all @p n bytes equal @p value (0xFF: erased flash). */
static inline bool ota_bytes_all(const uint8_t *p, size_t n, uint8_t value)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != value) {
            return false;
        }
    }
    return true;
}

#endif /* OTA_FORMATS_BYTE_ORDER_H */
