/* ESP-ADF tone partition images: the builder, mk_audio_tone.py's exact layout (see ota_tone.h). Pure. */
#include "ota/ota_tone.h"
#include "ota/sim/ota_tone_build.h"

#include <string.h>

#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"
#include "formats/tone_image_internal.h"

typedef struct {
    ota_tone_write_fn write;
    void *ctx;
    uint32_t crc;
} emitter_t;

/* Every byte before the CRC goes through here so the CRC is computed on what was written. */
static int emit(emitter_t *em, const void *buf, size_t len)
{
    if (len == 0) {
        return OTA_OK;
    }
    em->crc = ota_crc32_le(em->crc, buf, len);
    return em->write(em->ctx, buf, len);
}

static bool is_format1(const ota_tone_build_config_t *config)
{
    return config->format != OTA_TONE_BUILD_FORMAT_0;
}

static bool fits(const char *s, size_t max)
{
    return s != NULL && strlen(s) <= max;
}

static int check_build_args(const ota_tone_build_config_t *config, const ota_tone_file_t *files, size_t count)
{
    if (config == NULL || files == NULL || count == 0 || count > OTA_TONE_MAX_FILES) {
        return OTA_ERR_INVALID_ARG;
    }
    if (config->format > OTA_TONE_BUILD_FORMAT_1) {
        return OTA_ERR_INVALID_ARG;
    }
    if (is_format1(config)) {
        const char *version = config->version != NULL ? config->version : OTA_TONE_DEFAULT_VERSION;
        if (!fits(version, OTA_TONE_DESC_VERSION_LEN) || !fits(config->time, OTA_TONE_DESC_TIME_LEN) ||
            !fits(config->date, OTA_TONE_DESC_DATE_LEN)) {
            return OTA_ERR_INVALID_ARG;
        }
    }
    for (size_t i = 0; i < count; i++) {
        if ((files[i].data == NULL && files[i].len != 0) ||
            (files[i].type != OTA_TONE_FILE_MP3 && files[i].type != OTA_TONE_FILE_WAV)) {
            return OTA_ERR_INVALID_ARG;
        }
    }
    return OTA_OK;
}

int ota_tone_build_size(const ota_tone_build_config_t *config, const ota_tone_file_t *files, size_t count,
                        uint32_t *size)
{
    int rc = check_build_args(config, files, count);
    if (rc != OTA_OK) {
        return rc;
    }
    if (size == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    uint64_t total = OTA_TONE_HEADER_SIZE + (is_format1(config) ? OTA_TONE_DESC_SIZE : 0u) +
                     (uint64_t)OTA_TONE_ENTRY_SIZE * count;
    for (size_t i = 0; i < count; i++) {
        total += (uint64_t)files[i].len + ota_tone_padding(files[i].len);
    }
    total += is_format1(config) ? OTA_TONE_TRAILER_SIZE : 0u;
    if (total > UINT32_MAX) {
        return OTA_ERR_INVALID_SIZE;
    }
    *size = (uint32_t)total;
    return OTA_OK;
}

static void put_string(uint8_t *field, const char *s)
{
    memcpy(field, s, strlen(s)); /* the rest stays zero, like struct.pack('32s') */
}

int ota_tone_build(const ota_tone_build_config_t *config, const ota_tone_file_t *files, size_t count,
                   ota_tone_write_fn write, void *ctx)
{
    uint32_t total;
    int rc = ota_tone_build_size(config, files, count, &total);
    if (rc != OTA_OK) {
        return rc;
    }
    if (write == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    const bool fmt1 = is_format1(config);
    emitter_t em = {write, ctx, 0};
    uint8_t block[OTA_TONE_DESC_SIZE];

    ota_put_le16(block, OTA_TONE_HEADER_TAG);
    ota_put_le16(block + 2, (uint16_t)count);
    ota_put_le32(block + 4, fmt1 ? OTA_TONE_FORMAT_1 : OTA_TONE_FORMAT_0);
    if ((rc = emit(&em, block, OTA_TONE_HEADER_SIZE)) != OTA_OK) {
        return rc;
    }
    if (fmt1) {
        memset(block, 0, sizeof block);
        ota_put_le32(block + DESC_MAGIC, OTA_TONE_MAGIC_WORD);
        put_string(block + DESC_VERSION,
                   config->version != NULL ? config->version : OTA_TONE_DEFAULT_VERSION);
        put_string(block + DESC_PROJECT, OTA_TONE_PROJECT_NAME);
        put_string(block + DESC_TIME, config->time);
        put_string(block + DESC_DATE, config->date);
        if ((rc = emit(&em, block, OTA_TONE_DESC_SIZE)) != OTA_OK) {
            return rc;
        }
    }
    uint32_t adr =
        OTA_TONE_HEADER_SIZE + (fmt1 ? OTA_TONE_DESC_SIZE : 0u) + OTA_TONE_ENTRY_SIZE * (uint32_t)count;
    for (size_t i = 0; i < count; i++) {
        memset(block, 0, OTA_TONE_ENTRY_SIZE);
        block[ENTRY_FILE_TAG] = OTA_TONE_FILE_TAG;
        block[ENTRY_SONG_INDEX] = (uint8_t)i;
        block[ENTRY_FILE_TYPE] = (uint8_t)files[i].type;
        ota_put_le32(block + ENTRY_SONG_ADR, adr);
        ota_put_le32(block + ENTRY_SONG_LEN, files[i].len);
        if ((rc = emit(&em, block, OTA_TONE_ENTRY_SIZE)) != OTA_OK) {
            return rc;
        }
        adr += files[i].len + ota_tone_padding(files[i].len);
    }
    static const uint8_t pad[3] = {0xFF, 0xFF, 0xFF};
    for (size_t i = 0; i < count; i++) {
        if ((rc = emit(&em, files[i].data, files[i].len)) != OTA_OK ||
            (rc = emit(&em, pad, ota_tone_padding(files[i].len))) != OTA_OK) {
            return rc;
        }
    }
    if (fmt1) {
        ota_put_le32(block, em.crc);
        ota_put_le16(block + 4, OTA_TONE_TAIL);
        if ((rc = write(ctx, block, OTA_TONE_TRAILER_SIZE)) != OTA_OK) {
            return rc;
        }
    }
    return OTA_OK;
}

typedef struct {
    uint8_t *out;
    size_t cap;
    size_t used;
} buffer_sink_t;

static int buffer_write(void *ctx, const void *buf, size_t len)
{
    buffer_sink_t *s = ctx;
    if (len > s->cap - s->used) {
        return OTA_ERR_BUFFER_TOO_SMALL;
    }
    memcpy(s->out + s->used, buf, len);
    s->used += len;
    return OTA_OK;
}

int ota_tone_build_to_buffer(const ota_tone_build_config_t *config, const ota_tone_file_t *files,
                             size_t count, void *out, size_t cap, size_t *len)
{
    uint32_t total;
    int rc = ota_tone_build_size(config, files, count, &total);
    if (rc != OTA_OK) {
        return rc;
    }
    if (len != NULL) {
        *len = total;
    }
    if (out == NULL || cap < total) {
        return out == NULL && cap != 0 ? OTA_ERR_INVALID_ARG : OTA_ERR_BUFFER_TOO_SMALL;
    }
    buffer_sink_t sink = {out, cap, 0};
    return ota_tone_build(config, files, count, buffer_write, &sink);
}
