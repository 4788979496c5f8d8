/* Streaming esp_image validator (esp_image_verify rules, reference §3.6) with bounded state.
 *
 * The image goes through fixed-size elements (header, segment headers, checksum block, hash),
 * collected into a 32-byte buffer, and segment data, which is never copied: the XOR checksum is
 * folded over whole slices 8 bytes at a time and SHA-256 is updated once per feed() call over the
 * hashed prefix of the chunk (everything before the appended digest is hashed). Pure: no I/O, no
 * allocation. */
#include "ota/ota_app_image.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ota/ota_err.h"

enum {
    PH_HEADER,
    PH_SEG_HDR,
    PH_SEG_DATA,
    PH_CHECKSUM,
    PH_HASH,
    PH_DONE,
    PH_FAILED
};

#if defined(__GNUC__)
__attribute__((format(printf, 7, 8)))
#endif
static int
set_diag(ota_image_validator_t *v, int err, uint64_t offset, int segment, uint32_t expected, uint32_t actual,
         const char *fmt, ...)
{
    ota_image_diag_t *d = &v->diag;
    d->err = err;
    d->offset = offset;
    d->segment = segment;
    d->expected = expected;
    d->actual = actual;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->message, sizeof d->message, fmt, ap);
    va_end(ap);
    return err;
}

/* A fatal error: the image cannot be followed any further. */
#define FAIL(v, ...) (set_diag((v), __VA_ARGS__), (v)->phase = PH_FAILED, (v)->err = (v)->diag.err)

void ota_image_validator_init(ota_image_validator_t *v, const ota_image_validator_config_t *cfg,
                              ota_image_event_cb_t cb, void *cb_ctx)
{
    memset(v, 0, sizeof *v);
    if (cfg != NULL) {
        v->cfg = *cfg;
    }
    v->cb = cb;
    v->cb_ctx = cb_ctx;
    v->phase = PH_HEADER;
    v->want = OTA_IMAGE_HEADER_SIZE;
    v->mmu_page = OTA_IMAGE_MMU_PAGE_DEFAULT;
    v->diag.segment = -1;
    ota_sha256_init(&v->sha);
}

bool ota_image_validator_complete(const ota_image_validator_t *v)
{
    return v->info.complete;
}

static int emit(ota_image_validator_t *v, ota_image_event_t event)
{
    if (v->cb == NULL) {
        return OTA_OK;
    }
    int err = v->cb(v->cb_ctx, event, &v->info);
    if (err < 0) {
        FAIL(v, err, v->pos, -1, 0, 0, "validation stopped by the caller (%d)", err);
        return err;
    }
    return OTA_OK;
}

/* XOR of all bytes, a machine word at a time; which byte lane a byte lands in does not matter
 * because the lanes are folded together at the end (fold_checksum). */
static uint64_t xor_bytes(uint64_t acc, const uint8_t *p, size_t n)
{
    size_t w = 0;
    for (; n >= sizeof w; p += sizeof w, n -= sizeof w) {
        size_t x;
        memcpy(&x, p, sizeof x);
        w ^= x;
    }
    for (; n > 0; n--) {
        w ^= *p++;
    }
    return acc ^ w;
}

static uint8_t fold_checksum(uint64_t acc)
{
    uint8_t r = OTA_IMAGE_CHECKSUM_SEED;
    for (int i = 0; i < 8; i++) {
        r ^= (uint8_t)(acc >> (8 * i));
    }
    return r;
}

static uint64_t padded_end(uint64_t unpadded, bool hash)
{
    return ((unpadded + 1 + 15) & ~(uint64_t)15) + (hash ? OTA_IMAGE_HASH_LEN : 0);
}

static int on_header(ota_image_validator_t *v)
{
    ota_image_header_t *h = &v->info.header;
    ota_image_header_decode(v->buf, h);
    uint32_t at = v->cfg.flash_addr;
    if (h->magic != OTA_IMAGE_MAGIC) {
        return FAIL(v, OTA_ERR_IMG_BAD_MAGIC, 0, -1, OTA_IMAGE_MAGIC, h->magic,
                    "image at 0x%x has invalid magic byte (nothing flashed here?)", (unsigned)at);
    }
    if (v->cfg.check_chip) {
        unsigned rev = v->cfg.chip_revision;
        if (h->chip_id != v->cfg.chip_id) {
            return FAIL(v, OTA_ERR_IMG_WRONG_CHIP, 12, -1, v->cfg.chip_id, h->chip_id,
                        "mismatch chip ID, expected %u (%s), found %u (%s)", (unsigned)v->cfg.chip_id,
                        ota_chip_display_name(v->cfg.chip_id), (unsigned)h->chip_id,
                        ota_chip_display_name(h->chip_id));
        }
        if (rev < h->min_chip_rev_full) {
            return FAIL(v, OTA_ERR_IMG_CHIP_REVISION, 15, -1, rev, h->min_chip_rev_full,
                        "Image requires chip rev >= v%u.%u, but chip is v%u.%u", h->min_chip_rev_full / 100u,
                        h->min_chip_rev_full % 100u, rev / 100u, rev % 100u);
        }
        if (h->max_chip_rev_full != 0 && h->max_chip_rev_full != 0xFFFF && rev > h->max_chip_rev_full) {
            return FAIL(v, OTA_ERR_IMG_CHIP_REVISION, 17, -1, rev, h->max_chip_rev_full,
                        "Image requires chip rev <= v%u.%u, but chip is v%u.%u", h->max_chip_rev_full / 100u,
                        h->max_chip_rev_full % 100u, rev / 100u, rev % 100u);
        }
    }
    if (h->segment_count > OTA_IMAGE_MAX_SEGMENTS) {
        return FAIL(v, OTA_ERR_IMG_TOO_MANY_SEGMENTS, 1, -1, OTA_IMAGE_MAX_SEGMENTS, h->segment_count,
                    "image at 0x%x segment count %u exceeds max %u", (unsigned)at, (unsigned)h->segment_count,
                    OTA_IMAGE_MAX_SEGMENTS);
    }
    const ota_chip_info_t *chip = ota_chip_info(h->chip_id);
    bool desc_required = !v->cfg.allow_missing_app_desc || (chip != NULL && chip->mmu_page_configurable);
    if (h->segment_count == 0 && desc_required) {
        return FAIL(v, OTA_ERR_IMG_APP_DESC, OTA_IMAGE_HEADER_SIZE, -1, 1, 0,
                    "image has no segment 0 to hold the app description");
    }
    v->info.header_valid = true;
    return emit(v, OTA_IMAGE_EVENT_HEADER);
}

static bool desc_required(const ota_image_validator_t *v)
{
    const ota_chip_info_t *chip = ota_chip_info(v->info.header.chip_id);
    return !v->cfg.allow_missing_app_desc || (chip != NULL && chip->mmu_page_configurable);
}

/* Flash-mapped segments must sit at a file offset congruent to their address modulo the MMU
 * page (checked on the absolute flash address, as ESP-IDF does). */
static int check_mapping(ota_image_validator_t *v, uint32_t index)
{
    const ota_image_segment_t *s = &v->info.segments[index];
    if (!ota_chip_addr_is_mapped(v->info.header.chip_id, s->load_addr)) {
        return OTA_OK;
    }
    uint32_t data_addr = v->cfg.flash_addr + s->header_offset + OTA_IMAGE_SEGMENT_HEADER_SIZE;
    if (data_addr % v->mmu_page != s->load_addr % v->mmu_page) {
        return FAIL(v, OTA_ERR_IMG_SEGMENT, s->header_offset, (int)index, s->load_addr % v->mmu_page,
                    data_addr % v->mmu_page, "Segment %u load address 0x%08x, doesn't match data 0x%08x",
                    (unsigned)index, (unsigned)s->load_addr, (unsigned)data_addr);
    }
    return OTA_OK;
}

static int on_segment_header(ota_image_validator_t *v)
{
    uint32_t i = v->seg_index;
    ota_image_segment_header_t sh;
    ota_image_segment_header_decode(v->buf, &sh);
    ota_image_segment_t *s = &v->info.segments[i];
    s->header_offset = (uint32_t)(v->pos - OTA_IMAGE_SEGMENT_HEADER_SIZE);
    s->load_addr = sh.load_addr;
    s->data_len = sh.data_len;
    v->info.segments_seen = (uint8_t)(i + 1);

    if (sh.data_len % 4 != 0 || sh.data_len >= OTA_IMAGE_SEGMENT_LEN_LIMIT) {
        return FAIL(v, OTA_ERR_IMG_SEGMENT, s->header_offset, (int)i, 0, sh.data_len,
                    "invalid segment length 0x%x (segment %u)", (unsigned)sh.data_len, (unsigned)i);
    }
    if (i == 0 && sh.data_len < OTA_APP_DESC_SIZE && desc_required(v)) {
        return FAIL(v, OTA_ERR_IMG_SEGMENT, s->header_offset, 0, OTA_APP_DESC_SIZE, sh.data_len,
                    "segment 0 is 0x%x bytes, too short for the app description (0x%x)",
                    (unsigned)sh.data_len, OTA_APP_DESC_SIZE);
    }
    const ota_chip_info_t *chip = ota_chip_info(v->info.header.chip_id);
    if (i == 0 && chip != NULL && chip->mmu_page_configurable) {
        v->seg0_map_pending = true; /* the page size is in the app description, not read yet */
    } else if (check_mapping(v, i) != OTA_OK) {
        return v->err;
    }

    uint64_t data_end = v->pos + sh.data_len;
    uint32_t later_headers = (uint32_t)(v->info.header.segment_count - i - 1) * OTA_IMAGE_SEGMENT_HEADER_SIZE;
    uint64_t min_end = padded_end(data_end + later_headers, v->info.header.hash_appended != 0);
    if (v->cfg.max_size != 0 && min_end > v->cfg.max_size) {
        return FAIL(v, OTA_ERR_IMG_TOO_LARGE, s->header_offset, (int)i, v->cfg.max_size, (uint32_t)min_end,
                    "segment %u ends at byte %llu: image length at least %llu doesn't fit in partition "
                    "length %u",
                    (unsigned)i, (unsigned long long)data_end, (unsigned long long)min_end,
                    (unsigned)v->cfg.max_size);
    }
    if (v->cfg.expected_size != 0 && data_end > v->cfg.expected_size) {
        return FAIL(v, OTA_ERR_IMG_SEGMENT_PAST_END, s->header_offset, (int)i, v->cfg.expected_size,
                    (uint32_t)data_end,
                    "segment %u (0x%x bytes at 0x%x) extends past the end of the "
                    "image data (%u bytes)",
                    (unsigned)i, (unsigned)sh.data_len, (unsigned)v->pos, (unsigned)v->cfg.expected_size);
    }
    v->seg_remaining = sh.data_len;
    return emit(v, OTA_IMAGE_EVENT_SEGMENT);
}

static int on_app_desc(ota_image_validator_t *v)
{
    ota_app_desc_t *d = &v->info.app_desc;
    ota_app_desc_decode(v->desc_raw, d);
    if (d->magic_word != OTA_APP_DESC_MAGIC) {
        if (desc_required(v)) {
            return FAIL(v, OTA_ERR_IMG_APP_DESC, OTA_APP_DESC_OFFSET, 0, OTA_APP_DESC_MAGIC, d->magic_word,
                        "app description magic 0x%08x at offset 0x20, expected 0x%08x",
                        (unsigned)d->magic_word, OTA_APP_DESC_MAGIC);
        }
        return OTA_OK;
    }
    const ota_chip_info_t *chip = ota_chip_info(v->info.header.chip_id);
    if (chip != NULL && chip->mmu_page_configurable && d->mmu_page_size >= 13 && d->mmu_page_size <= 16) {
        v->mmu_page = 1u << d->mmu_page_size; /* 8, 16, 32 or 64 KiB */
    }
    v->info.app_desc_valid = true;
    if (v->seg0_map_pending) {
        v->seg0_map_pending = false;
        if (check_mapping(v, 0) != OTA_OK) {
            return v->err;
        }
    }
    return emit(v, OTA_IMAGE_EVENT_APP_DESC);
}

static void enter_checksum(ota_image_validator_t *v)
{
    uint64_t unpadded = v->pos;
    v->phase = PH_CHECKSUM;
    v->want = (uint32_t)(((unpadded + 1 + 15) & ~(uint64_t)15) - unpadded);
    v->buf_len = 0;
}

/* Segment data finished: next header, or the checksum block after the last segment. */
static int end_segment(ota_image_validator_t *v)
{
    if (v->seg_index == 0 && v->seg0_map_pending) {
        v->seg0_map_pending = false; /* no app description: default page */
        if (check_mapping(v, 0) != OTA_OK) {
            return v->err;
        }
    }
    v->seg_index++;
    if (v->seg_index < v->info.header.segment_count) {
        v->phase = PH_SEG_HDR;
        v->want = OTA_IMAGE_SEGMENT_HEADER_SIZE;
        v->buf_len = 0;
    } else {
        enter_checksum(v);
    }
    return OTA_OK;
}

static int complete(ota_image_validator_t *v)
{
    v->info.complete = true;
    v->info.image_len = (uint32_t)v->pos;
    v->phase = PH_DONE;
    if (v->cfg.max_size != 0 && v->pos > v->cfg.max_size) {
        return FAIL(v, OTA_ERR_IMG_TOO_LARGE, v->pos, -1, v->cfg.max_size, (uint32_t)v->pos,
                    "Image length %u doesn't fit in partition length %u", (unsigned)v->pos,
                    (unsigned)v->cfg.max_size);
    }
    if (v->keep_going_err != OTA_OK) {
        v->err = v->keep_going_err;
        return v->err;
    }
    return OTA_OK;
}

static int on_checksum(ota_image_validator_t *v)
{
    ota_image_info_t *info = &v->info;
    info->checksum_read = true;
    info->checksum_stored = v->buf[v->want - 1];
    info->checksum_calculated = fold_checksum(v->xor_acc);
    if (info->checksum_stored != info->checksum_calculated) {
        set_diag(v, OTA_ERR_IMG_CHECKSUM, v->pos - 1, -1, info->checksum_calculated, info->checksum_stored,
                 "Checksum failed. Calculated 0x%x read 0x%x", info->checksum_calculated,
                 info->checksum_stored);
        if (!v->cfg.keep_going) {
            v->phase = PH_FAILED;
            v->err = OTA_ERR_IMG_CHECKSUM;
            return v->err;
        }
        v->keep_going_err = OTA_ERR_IMG_CHECKSUM;
    }
    if (info->header.hash_appended) {
        v->phase = PH_HASH;
        v->want = OTA_IMAGE_HASH_LEN;
        v->buf_len = 0;
        return OTA_OK;
    }
    return complete(v);
}

static int on_hash(ota_image_validator_t *v)
{
    ota_image_info_t *info = &v->info;
    info->hash_read = true;
    memcpy(info->hash_stored, v->buf, OTA_IMAGE_HASH_LEN);
    ota_sha256_final(&v->sha, info->hash_calculated);
    if (memcmp(info->hash_stored, info->hash_calculated, OTA_IMAGE_HASH_LEN) != 0) {
        if (v->keep_going_err == OTA_OK) {
            set_diag(v, OTA_ERR_IMG_HASH, v->pos - OTA_IMAGE_HASH_LEN, -1, 0, 0,
                     "Image hash failed - image is corrupt");
            v->keep_going_err = OTA_ERR_IMG_HASH;
        }
        if (!v->cfg.keep_going) {
            v->phase = PH_FAILED;
            v->err = v->keep_going_err;
            return v->err;
        }
    }
    return complete(v);
}

int ota_image_validator_feed(ota_image_validator_t *v, const void *data, size_t len)
{
    if (v->err != OTA_OK) {
        return v->err;
    }
    if (data == NULL && len > 0) {
        return OTA_ERR_INVALID_ARG;
    }
    const uint8_t *p = data;
    size_t n = len;
    /* Bytes of this chunk from hash_from on are in the hashed region until the checksum block ends. */
    bool hashing = v->phase <= PH_CHECKSUM && (v->phase == PH_HEADER || v->info.header.hash_appended);
    const uint8_t *hash_from = p;
    v->info.bytes_fed += len;
    int err = OTA_OK;

    while (n > 0 && err == OTA_OK) {
        switch (v->phase) {
        case PH_SEG_DATA: {
            size_t take = n < v->seg_remaining ? n : v->seg_remaining;
            if (v->seg_index == 0 && v->desc_len < OTA_APP_DESC_SIZE) {
                size_t d = OTA_APP_DESC_SIZE - v->desc_len;
                d = d < take ? d : take;
                memcpy(v->desc_raw + v->desc_len, p, d);
                v->desc_len += (uint32_t)d;
            }
            v->xor_acc = xor_bytes(v->xor_acc, p, take);
            p += take;
            n -= take;
            v->pos += take;
            v->seg_remaining -= (uint32_t)take;
            if (v->seg_index == 0 && v->desc_len == OTA_APP_DESC_SIZE && !v->desc_parsed) {
                v->desc_parsed = true;
                err = on_app_desc(v);
            }
            if (err == OTA_OK && v->seg_remaining == 0) {
                err = end_segment(v);
            }
            break;
        }
        case PH_HEADER:
        case PH_SEG_HDR:
        case PH_CHECKSUM:
        case PH_HASH: {
            if (v->phase == PH_HEADER && v->pos == 0 && p[0] != OTA_IMAGE_MAGIC) {
                /* Refuse at the first byte: no point in waiting for the other 23. */
                err = FAIL(v, OTA_ERR_IMG_BAD_MAGIC, 0, -1, OTA_IMAGE_MAGIC, p[0],
                           "image at 0x%x has invalid magic byte (nothing flashed here?)",
                           (unsigned)v->cfg.flash_addr);
                break;
            }
            size_t take = v->want - v->buf_len;
            take = take < n ? take : n;
            memcpy(v->buf + v->buf_len, p, take);
            v->buf_len += (uint32_t)take;
            p += take;
            n -= take;
            v->pos += take;
            if (v->buf_len < v->want) {
                break;
            }
            if (v->phase == PH_HEADER) {
                err = on_header(v);
                if (err == OTA_OK) {
                    if (!v->info.header.hash_appended) {
                        hashing = false; /* nothing to compare a hash with: skip the work */
                    }
                    if (v->info.header.segment_count > 0) {
                        v->phase = PH_SEG_HDR;
                        v->want = OTA_IMAGE_SEGMENT_HEADER_SIZE;
                        v->buf_len = 0;
                    } else {
                        enter_checksum(v);
                    }
                }
            } else if (v->phase == PH_SEG_HDR) {
                err = on_segment_header(v);
                if (err == OTA_OK) {
                    v->phase = PH_SEG_DATA;
                    if (v->seg_remaining == 0) {
                        err = end_segment(v);
                    }
                }
            } else if (v->phase == PH_CHECKSUM) {
                if (hashing) {
                    ota_sha256_update(&v->sha, hash_from, (size_t)(p - hash_from));
                    hashing = false;
                }
                err = on_checksum(v);
            } else {
                err = on_hash(v);
            }
            break;
        }
        case PH_DONE:
            if (v->cfg.ignore_trailing) {
                v->trailing += n;
                n = 0;
            } else {
                err = FAIL(v, OTA_ERR_IMG_TRAILING_DATA, v->pos, -1, (uint32_t)v->pos, (uint32_t)(v->pos + n),
                           "%llu bytes of data after the end of the image at byte %llu",
                           (unsigned long long)n, (unsigned long long)v->pos);
            }
            break;
        default: err = v->err != OTA_OK ? v->err : OTA_ERR_INVALID_STATE; break;
        }
    }
    if (err == OTA_OK && hashing && p > hash_from) {
        ota_sha256_update(&v->sha, hash_from, (size_t)(p - hash_from));
    }
    return err;
}

static const char *element_name(const ota_image_validator_t *v, char *buf, size_t size)
{
    switch (v->phase) {
    case PH_HEADER: return "image header";
    case PH_SEG_HDR: snprintf(buf, size, "segment %u header", (unsigned)v->seg_index); return buf;
    case PH_SEG_DATA: snprintf(buf, size, "segment %u data", (unsigned)v->seg_index); return buf;
    case PH_CHECKSUM: return "checksum block";
    case PH_HASH: return "appended SHA-256";
    default: return "image";
    }
}

int ota_image_validator_finish(ota_image_validator_t *v)
{
    if (v->err != OTA_OK) {
        return v->err;
    }
    if (v->info.complete) {
        return OTA_OK;
    }
    uint64_t element_end =
        v->phase == PH_SEG_DATA ? v->pos + v->seg_remaining : v->pos + (v->want - v->buf_len);
    char name[32];
    int seg = (v->phase == PH_SEG_HDR || v->phase == PH_SEG_DATA) ? (int)v->seg_index : -1;
    return FAIL(v, OTA_ERR_IMG_TRUNCATED, v->pos, seg, (uint32_t)element_end, (uint32_t)v->pos,
                "image truncated at byte %llu (%s needs bytes up to %llu)", (unsigned long long)v->pos,
                element_name(v, name, sizeof name), (unsigned long long)element_end);
}

int ota_image_validate_buffer(const void *data, size_t len, const ota_image_validator_config_t *cfg,
                              ota_image_info_t *info, ota_image_diag_t *diag)
{
    ota_image_validator_t v;
    ota_image_validator_config_t c = {0};
    if (cfg != NULL) {
        c = *cfg;
    }
    if (c.expected_size == 0 && len <= UINT32_MAX) {
        c.expected_size = (uint32_t)len;
    }
    ota_image_validator_init(&v, &c, NULL, NULL);
    int err = ota_image_validator_feed(&v, data, len);
    if (err == OTA_OK) {
        err = ota_image_validator_finish(&v);
    }
    if (info != NULL) {
        *info = v.info;
    }
    if (diag != NULL) {
        *diag = v.diag;
        diag->err = err;
    }
    return err;
}

int ota_image_validator_hash_snapshot(const ota_image_validator_t *v, uint8_t digest[OTA_IMAGE_HASH_LEN],
                                      uint64_t *hashed)
{
    bool hashing = v->phase <= PH_CHECKSUM && (v->phase == PH_HEADER || v->info.header.hash_appended);
    if (!hashing || v->err != OTA_OK) {
        return OTA_ERR_INVALID_STATE;
    }
    ota_sha256_ctx_t copy = v->sha;
    ota_sha256_final(&copy, digest);
    *hashed = v->pos;
    return OTA_OK;
}
