/* Private to src/formats/tone_image*.c: field offsets of the tone format and byte helpers. */
#ifndef OTA_TONE_IMAGE_INTERNAL_H
#define OTA_TONE_IMAGE_INTERNAL_H

#include <stdint.h>

/* Offsets inside the format-1 description (esp_app_desc_t as mk_audio_tone.py packs it). */
enum {
    DESC_MAGIC = 0,
    DESC_SECURE_VERSION = 4,
    DESC_VERSION = 16,
    DESC_PROJECT = 48,
    DESC_TIME = 80,
    DESC_DATE = 96,
    DESC_IDF_VER = 112,
};

/* Offsets inside a 64-byte table entry. */
enum {
    ENTRY_FILE_TAG = 0,
    ENTRY_SONG_INDEX = 1,
    ENTRY_FILE_TYPE = 2,
    ENTRY_SONG_VER = 3,
    ENTRY_SONG_ADR = 4,
    ENTRY_SONG_LEN = 8,
    ENTRY_RFU = 12,
    ENTRY_INFO_CRC = 60,
};

static inline uint16_t tone_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t tone_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline void tone_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void tone_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

#endif /* OTA_TONE_IMAGE_INTERNAL_H */
