/* Private to src/formats/tone_image*.c: field offsets of the tone format and byte helpers. */
#ifndef OTA_TONE_IMAGE_INTERNAL_H
#define OTA_TONE_IMAGE_INTERNAL_H

#include <stdint.h>

#include "byte_order.h"

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

#endif /* OTA_TONE_IMAGE_INTERNAL_H */
