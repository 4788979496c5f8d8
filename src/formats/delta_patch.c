/* esp_delta_ota / detools sequential-patch applier: see ota_delta.h and docs/delta.md. Pure: the
 * old image and the output are the caller's callbacks; no allocation. Written from the format's
 * description in detools (eerimoq/detools) and ESP-IDF's esp_delta_ota; no code taken. */
#include "formats/ota_delta.h"

#include <string.h>

#include "ota/ota_app_image.h"
#include "ota/ota_err.h"

#include "byte_order.h"

#define DELTA_STATE_MAGIC    0x444c5441u /* "DLTA" */
/* Decoded bytes handled per step: the unit of old-image reads and output writes. */
#define DELTA_STEP           256u
/* Sizes longer than this many bits are corrupt (detools' own sizes are ints). */
#define DELTA_MAX_SIZE_SHIFT 55u
/* |old position| beyond this cannot come from a real image: refuse instead of overflowing. */
#define DELTA_MAX_OLD_OFFSET ((int64_t)1 << 40)

enum {
    PH_ESP_HEADER = 0, /* collecting the 64-byte esp_delta_ota header */
    PH_TYPE,           /* detools patch type / compression byte */
    PH_NEW_SIZE,       /* detools size of the new image (raw) */
    PH_HS_SETTINGS,    /* heatshrink window/lookahead byte (raw) */
    PH_DATA_FORMAT,    /* decompressed from here on: data-format size */
    PH_DIFF_SIZE,
    PH_DIFF_DATA,
    PH_EXTRA_SIZE,
    PH_EXTRA_DATA,
    PH_ADJUSTMENT,
    PH_DONE,
    PH_FAILED,
};

size_t ota_delta_put_size(uint8_t *out, int64_t value)
{
    uint64_t v = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    size_t n = 0;
    uint8_t b = (uint8_t)(v & 0x3f);
    if (value < 0) {
        b |= 0x40;
    }
    v >>= 6;
    while (v != 0) {
        out[n++] = (uint8_t)(b | 0x80);
        b = (uint8_t)(v & 0x7f);
        v >>= 7;
    }
    out[n++] = b;
    return n;
}

/* One byte of a detools size. 1 = complete (*out set), 0 = more bytes needed, <0 = too long. */
static int size_byte(ota_delta_t *d, uint8_t b, int64_t *out)
{
    if (d->var_shift == 0) {
        d->var_value = b & 0x3f;
        d->var_neg = (b & 0x40) != 0;
        d->var_shift = 6;
    } else {
        if (d->var_shift > DELTA_MAX_SIZE_SHIFT) {
            return -1;
        }
        d->var_value |= (uint64_t)(b & 0x7f) << d->var_shift;
        d->var_shift = (uint8_t)(d->var_shift + 7);
    }
    if (b & 0x80) {
        return 0;
    }
    *out = d->var_neg ? -(int64_t)d->var_value : (int64_t)d->var_value;
    d->var_shift = 0;
    d->var_value = 0;
    d->var_neg = 0;
    return 1;
}

static int check_type_byte(uint8_t b, ota_delta_header_t *h)
{
    h->patch_type = (uint8_t)((b >> 4) & 0x7);
    h->compression = (uint8_t)(b & 0xf);
    if (b & 0x80) {
        return OTA_ERR_DELTA_BAD_HEADER;
    }
    if (h->patch_type != OTA_DELTA_PATCH_TYPE_SEQUENTIAL) {
        return OTA_ERR_DELTA_PATCH_TYPE;
    }
    if (h->compression != OTA_DELTA_COMPRESSION_HEATSHRINK) {
        return OTA_ERR_DELTA_COMPRESSION;
    }
    return OTA_OK;
}

static int check_esp_header(const uint8_t *hdr, ota_delta_header_t *h)
{
    if (ota_get_le32(hdr) != OTA_DELTA_ESP_MAGIC) {
        return OTA_ERR_DELTA_BAD_MAGIC;
    }
    h->esp_header = true;
    memcpy(h->base_sha256, hdr + 4, OTA_DELTA_SHA256_LEN);
    return OTA_OK;
}

static int check_hs_byte(uint8_t b, ota_delta_header_t *h)
{
    unsigned w = (unsigned)(b >> 4) + 4u, l = (unsigned)(b & 0xf) + 3u;
    h->window_bits = (uint8_t)w;
    h->lookahead_bits = (uint8_t)l;
    return ota_hs_params_valid(w, l) ? OTA_OK : OTA_ERR_DELTA_HS_PARAMS;
}

int ota_delta_parse_header(const uint8_t *patch, size_t len, bool allow_bare, ota_delta_header_t *out)
{
    if ((patch == NULL && len > 0) || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    size_t pos = 0;
    if (len < 1) {
        return OTA_ERR_DELTA_TRUNCATED;
    }
    if (patch[0] == (OTA_DELTA_ESP_MAGIC & 0xff)) {
        if (len < OTA_DELTA_ESP_HEADER_LEN) {
            return OTA_ERR_DELTA_TRUNCATED;
        }
        int err = check_esp_header(patch, out);
        if (err != OTA_OK) {
            return err;
        }
        pos = OTA_DELTA_ESP_HEADER_LEN;
    } else if (!allow_bare) {
        return (patch[0] & 0xf0) == 0 ? OTA_ERR_DELTA_BARE_NOT_ALLOWED : OTA_ERR_DELTA_BAD_MAGIC;
    }
    if (pos >= len) {
        return OTA_ERR_DELTA_TRUNCATED;
    }
    int err = check_type_byte(patch[pos++], out);
    if (err != OTA_OK) {
        return err;
    }
    ota_delta_t tmp; /* only its size-field reader */
    memset(&tmp, 0, sizeof tmp);
    int64_t size = 0;
    int r = 0;
    while (r == 0) {
        if (pos >= len) {
            return OTA_ERR_DELTA_TRUNCATED;
        }
        r = size_byte(&tmp, patch[pos++], &size);
    }
    if (r < 0 || size < 0) {
        return OTA_ERR_DELTA_BAD_HEADER;
    }
    out->new_size = (uint64_t)size;
    if (size > 0) {
        if (pos >= len) {
            return OTA_ERR_DELTA_TRUNCATED;
        }
        err = check_hs_byte(patch[pos++], out);
        if (err != OTA_OK) {
            return err;
        }
    }
    out->header_len = (uint32_t)pos;
    return OTA_OK;
}

int ota_delta_base_matches(const ota_delta_header_t *header,
                           const uint8_t running_sha256[OTA_DELTA_SHA256_LEN])
{
    if (header == NULL || running_sha256 == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (!header->esp_header || memcmp(header->base_sha256, running_sha256, OTA_DELTA_SHA256_LEN) != 0) {
        return OTA_ERR_DELTA_BASE_MISMATCH;
    }
    return OTA_OK;
}

int ota_delta_validation_hash(const uint8_t *image, size_t len, uint8_t out[OTA_DELTA_SHA256_LEN],
                              uint32_t *image_len)
{
    if ((image == NULL && len > 0) || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    /* esptool image_info parses the image and ignores what follows it; no app description is
     * needed to have a validation hash */
    ota_image_validator_config_t cfg = {.ignore_trailing = true, .allow_missing_app_desc = true};
    ota_image_info_t info;
    if (ota_image_validate_buffer(image, len, &cfg, &info, NULL) != OTA_OK || !info.header.hash_appended ||
        !info.hash_read || memcmp(info.hash_stored, info.hash_calculated, OTA_DELTA_SHA256_LEN) != 0) {
        return OTA_ERR_DELTA_NO_BASE_HASH;
    }
    memcpy(out, info.hash_stored, OTA_DELTA_SHA256_LEN);
    if (image_len != NULL) {
        *image_len = info.image_len;
    }
    return OTA_OK;
}

int ota_delta_init(ota_delta_t *d, size_t storage_size, const ota_delta_config_t *cfg)
{
    if (d == NULL || storage_size < sizeof(ota_delta_t) || storage_size > UINT32_MAX) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(d, 0, sizeof *d);
    d->magic = DELTA_STATE_MAGIC;
    d->state_size = (uint32_t)storage_size;
    d->window_capacity = (uint32_t)(storage_size - sizeof(ota_delta_t));
    if (cfg != NULL) {
        d->cfg = *cfg;
    }
    d->phase = PH_ESP_HEADER;
    d->stats.min_adjustment = INT64_MAX;
    d->stats.max_adjustment = INT64_MIN;
    return OTA_OK;
}

static int fail(ota_delta_t *d, int err)
{
    d->error = err;
    d->phase = PH_FAILED;
    return err;
}

/* Header byte @p b (raw patch). */
static int header_byte(ota_delta_t *d, uint8_t b)
{
    int err;
    int64_t size;
    switch (d->phase) {
    case PH_ESP_HEADER:
        if (d->hdr_len == 0 && b != (OTA_DELTA_ESP_MAGIC & 0xff)) {
            if (!d->cfg.allow_bare) {
                return (b & 0xf0) == 0 ? OTA_ERR_DELTA_BARE_NOT_ALLOWED : OTA_ERR_DELTA_BAD_MAGIC;
            }
            d->phase = PH_TYPE;
            return header_byte(d, b);
        }
        d->hdr[d->hdr_len++] = b;
        if (d->hdr_len == 4 && ota_get_le32(d->hdr) != OTA_DELTA_ESP_MAGIC) {
            return OTA_ERR_DELTA_BAD_MAGIC;
        }
        if (d->hdr_len == OTA_DELTA_ESP_HEADER_LEN) {
            if ((err = check_esp_header(d->hdr, &d->header)) != OTA_OK) {
                return err;
            }
            if (d->cfg.check_base && ota_delta_base_matches(&d->header, d->cfg.base_sha256) != OTA_OK) {
                return OTA_ERR_DELTA_BASE_MISMATCH;
            }
            d->phase = PH_TYPE;
        }
        return OTA_OK;
    case PH_TYPE:
        if (d->cfg.check_base && !d->header.esp_header) {
            return OTA_ERR_DELTA_BASE_MISMATCH; /* a bare patch names no base to compare */
        }
        if ((err = check_type_byte(b, &d->header)) != OTA_OK) {
            return err;
        }
        d->phase = PH_NEW_SIZE;
        return OTA_OK;
    case PH_NEW_SIZE: {
        int r = size_byte(d, b, &size);
        if (r < 0) {
            return OTA_ERR_DELTA_BAD_HEADER;
        }
        if (r == 0) {
            return OTA_OK;
        }
        if (size < 0) {
            return OTA_ERR_DELTA_BAD_HEADER;
        }
        d->header.new_size = (uint64_t)size;
        if (d->cfg.expected_new_size != 0 && d->header.new_size != d->cfg.expected_new_size) {
            return OTA_ERR_DELTA_SIZE_MISMATCH;
        }
        d->phase = size == 0 ? PH_DONE : PH_HS_SETTINGS;
        d->header.header_len = (uint32_t)(d->patch_offset + 1);
        return OTA_OK;
    }
    case PH_HS_SETTINGS:
        if ((err = check_hs_byte(b, &d->header)) != OTA_OK) {
            return err;
        }
        if (((size_t)1 << d->header.window_bits) > d->window_capacity) {
            return OTA_ERR_DELTA_WINDOW_TOO_LARGE;
        }
        if ((err = ota_hs_decoder_init(&d->hs, d->window, d->header.window_bits, d->header.lookahead_bits)) !=
            OTA_OK) {
            return err;
        }
        d->header.header_len = (uint32_t)(d->patch_offset + 1);
        d->phase = PH_DATA_FORMAT;
        return OTA_OK;
    default: return OTA_ERR_INVALID_STATE;
    }
}

/* A complete size field of the decompressed stream. */
static int on_size(ota_delta_t *d, int64_t v)
{
    switch (d->phase) {
    case PH_DATA_FORMAT:
        if (v < 0) {
            return OTA_ERR_DELTA_CORRUPT;
        }
        if (v > 0) {
            return OTA_ERR_DELTA_DATA_FORMAT;
        }
        d->phase = PH_DIFF_SIZE;
        return OTA_OK;
    case PH_DIFF_SIZE:
        if (v < 0) {
            return OTA_ERR_DELTA_CORRUPT;
        }
        if ((uint64_t)v > d->header.new_size - d->new_offset) {
            return OTA_ERR_DELTA_NEW_OVERFLOW;
        }
        if (v > 0 && (d->old_offset < 0 ||
                      (d->cfg.old_size != 0 && (uint64_t)d->old_offset + (uint64_t)v > d->cfg.old_size))) {
            return OTA_ERR_DELTA_OLD_RANGE;
        }
        d->chunk_left = (uint64_t)v;
        d->phase = PH_DIFF_DATA;
        return OTA_OK;
    case PH_EXTRA_SIZE:
        if (v < 0) {
            return OTA_ERR_DELTA_CORRUPT;
        }
        if ((uint64_t)v > d->header.new_size - d->new_offset) {
            return OTA_ERR_DELTA_NEW_OVERFLOW;
        }
        d->chunk_left = (uint64_t)v;
        d->phase = PH_EXTRA_DATA;
        return OTA_OK;
    case PH_ADJUSTMENT:
        if (v > DELTA_MAX_OLD_OFFSET || v < -DELTA_MAX_OLD_OFFSET ||
            d->old_offset + v > DELTA_MAX_OLD_OFFSET || d->old_offset + v < -DELTA_MAX_OLD_OFFSET) {
            return OTA_ERR_DELTA_OLD_RANGE;
        }
        /* Chunks without diff or extra bytes are valid, several in a row too (real releases have
         * them; detools' C applier, c/detools.c, takes any number), but a few compressed bytes
         * expand to megabytes of them, so a hostile stream could go on for as long as a server
         * sends. detools' encoder (detools/bsdiff.c, create_patch_loop) writes each chunk at a
         * scan position in the new image that grows strictly from 0 to at most the new size, so
         * a patch it made has at most new size + 1 chunks: more is refused, which bounds the
         * work on any stream by the new size. */
        if (d->stats.chunks > d->header.new_size) {
            return OTA_ERR_DELTA_NO_PROGRESS;
        }
        d->old_offset += v;
        d->stats.chunks++;
        if (v < d->stats.min_adjustment) {
            d->stats.min_adjustment = v;
        }
        if (v > d->stats.max_adjustment) {
            d->stats.max_adjustment = v;
        }
        if (d->new_offset == d->header.new_size) {
            d->phase = PH_DONE;
            return ota_hs_decoder_finish(&d->hs);
        }
        d->phase = PH_DIFF_SIZE;
        return OTA_OK;
    default: return OTA_ERR_INVALID_STATE;
    }
}

/* @p n decoded bytes of the current diff or extra part. */
static int on_data(ota_delta_t *d, const ota_delta_io_t *io, uint8_t *buf, size_t n)
{
    int err;
    if (d->phase == PH_DIFF_DATA) {
        uint8_t old[DELTA_STEP];
        if ((err = io->read_old(io->ctx, (uint64_t)d->old_offset, old, n)) != OTA_OK) {
            return err < 0 ? err : OTA_ERR_IO;
        }
        /* counted in a local: a store to buf (uint8_t) may alias *d, so a counter in *d would be
         * loaded and stored on every byte */
        uint64_t zeros = 0;
        for (size_t i = 0; i < n; i++) {
            zeros += buf[i] == 0;
            buf[i] = (uint8_t)(buf[i] + old[i]);
        }
        d->stats.zero_diff_bytes += zeros;
        d->old_offset += (int64_t)n;
        if ((uint64_t)d->old_offset > d->stats.old_end) {
            d->stats.old_end = (uint64_t)d->old_offset;
        }
        d->stats.diff_bytes += n;
    } else {
        d->stats.extra_bytes += n;
    }
    if ((err = io->write_new(io->ctx, buf, n)) != OTA_OK) {
        return err < 0 ? err : OTA_ERR_IO;
    }
    d->new_offset += n;
    d->chunk_left -= n;
    if (d->chunk_left == 0) {
        d->phase = d->phase == PH_DIFF_DATA ? PH_EXTRA_SIZE : PH_ADJUSTMENT;
    }
    return OTA_OK;
}

/* Run the decompressed part as far as the decoder's input allows. */
static int run_stream(ota_delta_t *d, const ota_delta_io_t *io)
{
    uint8_t buf[DELTA_STEP];
    for (;;) {
        size_t got, want;
        int err;
        switch (d->phase) {
        case PH_DIFF_DATA:
        case PH_EXTRA_DATA:
            if (d->chunk_left == 0) { /* empty part */
                d->phase = d->phase == PH_DIFF_DATA ? PH_EXTRA_SIZE : PH_ADJUSTMENT;
                continue;
            }
            want = d->chunk_left < DELTA_STEP ? (size_t)d->chunk_left : DELTA_STEP;
            if ((err = ota_hs_decoder_poll(&d->hs, d->window, buf, want, &got)) != OTA_OK) {
                return err;
            }
            if (got > 0 && (err = on_data(d, io, buf, got)) != OTA_OK) {
                return err;
            }
            if (got < want) {
                return OTA_OK; /* needs input */
            }
            break;
        case PH_DATA_FORMAT:
        case PH_DIFF_SIZE:
        case PH_EXTRA_SIZE:
        case PH_ADJUSTMENT: {
            if ((err = ota_hs_decoder_poll(&d->hs, d->window, buf, 1, &got)) != OTA_OK) {
                return err;
            }
            if (got == 0) {
                return OTA_OK;
            }
            int64_t v;
            int r = size_byte(d, buf[0], &v);
            if (r < 0) {
                return OTA_ERR_DELTA_CORRUPT;
            }
            if (r > 0 && (err = on_size(d, v)) != OTA_OK) {
                return err;
            }
            break;
        }
        default: return OTA_OK;
        }
    }
}

static bool state_ok(const ota_delta_t *d)
{
    return d != NULL && d->magic == DELTA_STATE_MAGIC && d->phase <= PH_FAILED;
}

int ota_delta_feed(ota_delta_t *d, const ota_delta_io_t *io, const uint8_t *patch, size_t len)
{
    if (!state_ok(d) || io == NULL || io->write_new == NULL || io->read_old == NULL ||
        (patch == NULL && len > 0)) {
        return OTA_ERR_INVALID_ARG;
    }
    if (d->phase == PH_FAILED) {
        return d->error;
    }
    size_t pos = 0;
    int err;
    while (pos < len) {
        if (d->phase == PH_DONE) {
            return fail(d, OTA_ERR_DELTA_TRAILING_DATA);
        }
        if (d->phase < PH_DATA_FORMAT) {
            if ((err = header_byte(d, patch[pos])) != OTA_OK) {
                return fail(d, err);
            }
            pos++;
            d->patch_offset++;
            continue;
        }
        size_t took;
        if ((err = ota_hs_decoder_sink(&d->hs, patch + pos, len - pos, &took)) != OTA_OK) {
            return fail(d, err);
        }
        pos += took;
        d->patch_offset += took;
        if ((err = run_stream(d, io)) != OTA_OK) {
            return fail(d, err);
        }
        if (d->phase == PH_DONE && (pos < len || ota_hs_decoder_pending_input(&d->hs) > 0)) {
            return fail(d, OTA_ERR_DELTA_TRAILING_DATA);
        }
    }
    return OTA_OK;
}

int ota_delta_finish(ota_delta_t *d)
{
    if (!state_ok(d)) {
        return OTA_ERR_INVALID_ARG;
    }
    if (d->phase == PH_FAILED) {
        return d->error;
    }
    if (d->phase == PH_DONE) {
        return OTA_OK;
    }
    /* Between two chunks with only padding bits left: the stream is complete but short. */
    if (d->phase == PH_DIFF_SIZE && d->var_shift == 0 && ota_hs_decoder_pending_input(&d->hs) == 0) {
        return fail(d, OTA_ERR_DELTA_SIZE_MISMATCH);
    }
    return fail(d, OTA_ERR_DELTA_TRUNCATED);
}

size_t ota_delta_state_size(const ota_delta_t *d)
{
    return state_ok(d) ? d->state_size : 0;
}

int ota_delta_state_check(const ota_delta_t *d, size_t storage_size)
{
    if (!state_ok(d) || d->state_size != storage_size ||
        d->window_capacity != storage_size - sizeof(ota_delta_t) || d->hs.in_pos > d->hs.in_len ||
        d->hs.in_len > OTA_HS_INPUT_SIZE || d->hdr_len > OTA_DELTA_ESP_HEADER_LEN ||
        (d->phase >= PH_DATA_FORMAT && d->phase < PH_DONE &&
         (!ota_hs_params_valid(d->hs.window_bits, d->hs.lookahead_bits) ||
          ((size_t)1 << d->hs.window_bits) > d->window_capacity))) {
        return OTA_ERR_SVC_CHECKPOINT;
    }
    return OTA_OK;
}

uint64_t ota_delta_patch_offset(const ota_delta_t *d)
{
    return d->patch_offset;
}

uint64_t ota_delta_new_offset(const ota_delta_t *d)
{
    return d->new_offset;
}

bool ota_delta_header_known(const ota_delta_t *d)
{
    return state_ok(d) && d->phase >= PH_DATA_FORMAT && d->phase != PH_FAILED;
}

bool ota_delta_done(const ota_delta_t *d)
{
    return state_ok(d) && d->phase == PH_DONE;
}
