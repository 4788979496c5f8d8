/* ESP-ADF esp_ota_service's packed semver (ota_semver_packed.h). Its parse_version() copies the
 * text, strtok()s it on '.', takes at most three tokens of digits only, each atoi() 0..255, and
 * fails on a fourth token; we walk the text instead of copying it (no strtok: the core keeps no
 * hidden state), with the same outcome for every input: strtok skips empty tokens, so runs of dots
 * and leading or trailing dots are allowed. atoi() of a long digit run overflows in ESP-ADF
 * (undefined); here any run above 255 is refused, which is what ESP-ADF means. */
#include "ota/ota_semver_packed.h"

#include <stdio.h>
#include <string.h>

#include "ota/ota_err.h"

uint32_t ota_semver_pack(const char *version)
{
    if (version == NULL) {
        return OTA_SEMVER_PACKED_INVALID;
    }
    size_t len = 0;
    while (len <= 32 && version[len] != '\0') {
        len++;
    }
    if (len == 0 || len > 32) {
        return OTA_SEMVER_PACKED_INVALID;
    }
    const char *p = version;
    const char *end = version + len;
    if (*p == 'v' || *p == 'V') {
        p++;
    }
    uint32_t packed = 0;
    int count = 0;
    while (p < end) {
        if (*p == '.') {
            p++;
            continue; /* strtok: no empty tokens */
        }
        if (count == 3) {
            return OTA_SEMVER_PACKED_INVALID; /* a fourth part */
        }
        uint32_t part = 0;
        while (p < end && *p != '.') {
            if (*p < '0' || *p > '9') {
                return OTA_SEMVER_PACKED_INVALID;
            }
            part = part * 10u + (uint32_t)(*p - '0');
            if (part > 255u) {
                return OTA_SEMVER_PACKED_INVALID;
            }
            p++;
        }
        packed |= part << ((2 - count) * 8);
        count++;
    }
    return count == 3 ? packed : OTA_SEMVER_PACKED_INVALID;
}

int ota_semver_unpack(uint32_t packed, char *buf, size_t len)
{
    if (buf == NULL || len < 12) {
        return OTA_ERR_INVALID_ARG;
    }
    if (packed == OTA_SEMVER_PACKED_INVALID) {
        return OTA_ERR_INVALID_SIZE;
    }
    snprintf(buf, len, "%u.%u.%u", (unsigned)(packed >> 16 & 0xFFu), (unsigned)(packed >> 8 & 0xFFu),
             (unsigned)(packed & 0xFFu));
    return OTA_OK;
}

uint32_t ota_semver_packed_read_le(const uint8_t head[4])
{
    return (uint32_t)head[0] | (uint32_t)head[1] << 8 | (uint32_t)head[2] << 16 | (uint32_t)head[3] << 24;
}
