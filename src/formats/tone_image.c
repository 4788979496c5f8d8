/* ESP-ADF tone partition images: parse, validate, size (see ota_tone.h). Pure. */
#include "ota/ota_tone.h"

#include <stdio.h>
#include <string.h>

#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"
#include "tone_image_internal.h"

/* Chunk for reading file data through the callback (CRC); on the stack, so kept modest. */
#define TONE_READ_CHUNK 512u

static int fail(ota_tone_diag_t *diag, int err, uint32_t offset, int32_t index, const char *field,
                uint32_t expected, uint32_t actual)
{
    if (diag != NULL) {
        diag->offset = offset;
        diag->index = index;
        diag->field = field;
        diag->expected = expected;
        diag->actual = actual;
    }
    return err;
}

static void diag_clear(ota_tone_diag_t *diag)
{
    if (diag != NULL) {
        memset(diag, 0, sizeof *diag);
        diag->index = -1;
    }
}

static uint32_t desc_size(uint32_t format)
{
    return format == OTA_TONE_FORMAT_1 ? OTA_TONE_DESC_SIZE : 0u;
}

uint32_t ota_tone_padding(uint32_t len)
{
    return (4u - len % 4u) % 4u;
}

int ota_tone_header_parse(const void *buf, size_t len, ota_tone_header_t *out, ota_tone_diag_t *diag)
{
    diag_clear(diag);
    if (buf == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (len < OTA_TONE_HEADER_SIZE) {
        return fail(diag, OTA_ERR_TONE_TRUNCATED, 0, -1, "header", OTA_TONE_HEADER_SIZE, (uint32_t)len);
    }
    const uint8_t *p = buf;
    out->tag = ota_get_le16(p);
    out->total_num = ota_get_le16(p + 2);
    out->format = ota_get_le32(p + 4);
    /* Order matters for torn headers: the tag is the first thing a reader trusts. */
    if (out->tag != OTA_TONE_HEADER_TAG) {
        return fail(diag, OTA_ERR_TONE_BAD_TAG, 0, -1, "header_tag", OTA_TONE_HEADER_TAG, out->tag);
    }
    if (out->format != OTA_TONE_FORMAT_0 && out->format != OTA_TONE_FORMAT_1) {
        return fail(diag, OTA_ERR_TONE_BAD_FORMAT, 4, -1, "format", OTA_TONE_FORMAT_1, out->format);
    }
    if (out->total_num == 0) {
        return fail(diag, OTA_ERR_TONE_BAD_TABLE, 2, -1, "total_num", 1, 0);
    }
    if (out->total_num > OTA_TONE_MAX_FILES) {
        return fail(diag, OTA_ERR_TONE_BAD_TABLE, 2, -1, "total_num", OTA_TONE_MAX_FILES, out->total_num);
    }
    return OTA_OK;
}

uint32_t ota_tone_prefix_size(const ota_tone_header_t *header)
{
    if (header == NULL) {
        return OTA_TONE_HEADER_SIZE;
    }
    return OTA_TONE_HEADER_SIZE + desc_size(header->format) +
           OTA_TONE_ENTRY_SIZE * (uint32_t)header->total_num;
}

static void copy_field(char *dst, const uint8_t *src, size_t n)
{
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int ota_tone_desc_parse(const void *buf, size_t len, ota_tone_desc_t *out, ota_tone_diag_t *diag)
{
    diag_clear(diag);
    if (buf == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (len < OTA_TONE_DESC_SIZE) {
        return fail(diag, OTA_ERR_TONE_TRUNCATED, OTA_TONE_HEADER_SIZE, -1, "desc", OTA_TONE_DESC_SIZE,
                    (uint32_t)len);
    }
    const uint8_t *p = buf;
    out->magic_word = ota_get_le32(p + DESC_MAGIC);
    out->secure_version = ota_get_le32(p + DESC_SECURE_VERSION);
    copy_field(out->version, p + DESC_VERSION, OTA_TONE_DESC_VERSION_LEN);
    copy_field(out->project_name, p + DESC_PROJECT, OTA_TONE_DESC_PROJECT_LEN);
    copy_field(out->time, p + DESC_TIME, OTA_TONE_DESC_TIME_LEN);
    copy_field(out->date, p + DESC_DATE, OTA_TONE_DESC_DATE_LEN);
    copy_field(out->idf_ver, p + DESC_IDF_VER, OTA_TONE_DESC_IDF_VER_LEN);
    if (out->magic_word != OTA_TONE_MAGIC_WORD) {
        return fail(diag, OTA_ERR_TONE_BAD_MAGIC, OTA_TONE_HEADER_SIZE + DESC_MAGIC, -1, "magic_word",
                    OTA_TONE_MAGIC_WORD, out->magic_word);
    }
    if (strcmp(out->project_name, OTA_TONE_PROJECT_NAME) != 0) {
        return fail(diag, OTA_ERR_TONE_BAD_PROJECT, OTA_TONE_HEADER_SIZE + DESC_PROJECT, -1, "project_name",
                    0, 0);
    }
    return OTA_OK;
}

int ota_tone_entry_parse(const void *buf, size_t len, ota_tone_entry_t *out)
{
    if (buf == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (len < OTA_TONE_ENTRY_SIZE) {
        return OTA_ERR_TONE_TRUNCATED;
    }
    const uint8_t *p = buf;
    out->file_tag = p[ENTRY_FILE_TAG];
    out->song_index = p[ENTRY_SONG_INDEX];
    out->file_type = p[ENTRY_FILE_TYPE];
    out->song_ver = p[ENTRY_SONG_VER];
    out->song_adr = ota_get_le32(p + ENTRY_SONG_ADR);
    out->song_len = ota_get_le32(p + ENTRY_SONG_LEN);
    for (size_t i = 0; i < 12; i++) {
        out->rfu[i] = ota_get_le32(p + ENTRY_RFU + 4 * i);
    }
    out->info_crc = ota_get_le32(p + ENTRY_INFO_CRC);
    return OTA_OK;
}

int ota_tone_entry_check(const ota_tone_entry_t *e, uint32_t index, uint32_t expected_adr,
                         uint32_t table_offset, ota_tone_diag_t *diag)
{
    diag_clear(diag);
    if (e == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    const uint32_t base = table_offset + OTA_TONE_ENTRY_SIZE * index;
    const int32_t i = (int32_t)index;
    const int err = OTA_ERR_TONE_BAD_TABLE;
    if (e->file_tag != OTA_TONE_FILE_TAG) {
        return fail(diag, err, base + ENTRY_FILE_TAG, i, "file_tag", OTA_TONE_FILE_TAG, e->file_tag);
    }
    if (e->song_index != index) {
        return fail(diag, err, base + ENTRY_SONG_INDEX, i, "song_index", index, e->song_index);
    }
    if (e->file_type != OTA_TONE_FILE_MP3 && e->file_type != OTA_TONE_FILE_WAV) {
        return fail(diag, err, base + ENTRY_FILE_TYPE, i, "file_type", OTA_TONE_FILE_WAV, e->file_type);
    }
    if (e->song_ver != 0) {
        return fail(diag, err, base + ENTRY_SONG_VER, i, "song_ver", 0, e->song_ver);
    }
    if (e->song_adr != expected_adr) {
        return fail(diag, err, base + ENTRY_SONG_ADR, i, "song_adr", expected_adr, e->song_adr);
    }
    for (uint32_t k = 0; k < 12; k++) {
        if (e->rfu[k] != 0) {
            return fail(diag, err, base + ENTRY_RFU + 4 * k, i, "rfu", 0, e->rfu[k]);
        }
    }
    if (e->info_crc != 0) {
        return fail(diag, err, base + ENTRY_INFO_CRC, i, "info_crc", 0, e->info_crc);
    }
    uint64_t end = (uint64_t)e->song_adr + e->song_len + ota_tone_padding(e->song_len);
    if (end > UINT32_MAX) {
        return fail(diag, err, base + ENTRY_SONG_LEN, i, "song_len", UINT32_MAX - e->song_adr, e->song_len);
    }
    return OTA_OK;
}

/*
 * Walk header, description and table through @p read, checking each piece as it comes, and fill
 * @p info. @p avail: bytes that exist from offset 0 (the prefix must fit). With @p check_padding
 * the 0xFF padding after each file is read too, where it lies within @p avail (beyond it the image
 * is truncated, which the caller reports).
 */
static int walk_layout(ota_tone_read_fn read, void *ctx, uint32_t avail, bool check_padding,
                       ota_tone_info_t *info, ota_tone_diag_t *diag)
{
    memset(info, 0, sizeof *info);
    uint8_t buf[OTA_TONE_DESC_SIZE];
    if (avail < OTA_TONE_HEADER_SIZE) {
        return fail(diag, OTA_ERR_TONE_TRUNCATED, 0, -1, "header", OTA_TONE_HEADER_SIZE, avail);
    }
    int rc = read(ctx, 0, buf, OTA_TONE_HEADER_SIZE);
    if (rc != OTA_OK) {
        return rc;
    }
    rc = ota_tone_header_parse(buf, OTA_TONE_HEADER_SIZE, &info->header, diag);
    if (rc != OTA_OK) {
        return rc;
    }
    const ota_tone_header_t *h = &info->header;
    const uint32_t prefix = ota_tone_prefix_size(h);
    info->table_offset = OTA_TONE_HEADER_SIZE + desc_size(h->format);
    info->data_offset = prefix;
    if (h->format == OTA_TONE_FORMAT_1) {
        if (avail < OTA_TONE_HEADER_SIZE + OTA_TONE_DESC_SIZE) {
            return fail(diag, OTA_ERR_TONE_TRUNCATED, OTA_TONE_HEADER_SIZE, -1, "desc",
                        OTA_TONE_HEADER_SIZE + OTA_TONE_DESC_SIZE, avail);
        }
        rc = read(ctx, OTA_TONE_HEADER_SIZE, buf, OTA_TONE_DESC_SIZE);
        if (rc != OTA_OK) {
            return rc;
        }
        rc = ota_tone_desc_parse(buf, OTA_TONE_DESC_SIZE, &info->desc, diag);
        if (rc != OTA_OK) {
            return rc;
        }
    }
    if (avail < prefix) {
        return fail(diag, OTA_ERR_TONE_TRUNCATED, info->table_offset, -1, "file_table", prefix, avail);
    }
    uint32_t next_adr = prefix;
    for (uint32_t i = 0; i < h->total_num; i++) {
        ota_tone_entry_t e;
        rc = read(ctx, info->table_offset + OTA_TONE_ENTRY_SIZE * i, buf, OTA_TONE_ENTRY_SIZE);
        if (rc != OTA_OK) {
            return rc;
        }
        (void)ota_tone_entry_parse(buf, OTA_TONE_ENTRY_SIZE, &e);
        rc = ota_tone_entry_check(&e, i, next_adr, info->table_offset, diag);
        if (rc != OTA_OK) {
            return rc;
        }
        const uint32_t data_end = e.song_adr + e.song_len;
        const uint32_t pad = ota_tone_padding(e.song_len);
        if (check_padding && pad != 0 && (uint64_t)data_end + pad <= avail) {
            uint8_t tail[3];
            rc = read(ctx, data_end, tail, pad);
            if (rc != OTA_OK) {
                return rc;
            }
            for (uint32_t k = 0; k < pad; k++) {
                if (tail[k] != 0xFF) {
                    return fail(diag, OTA_ERR_TONE_BAD_PADDING, data_end + k, (int32_t)i, "padding", 0xFF,
                                tail[k]);
                }
            }
        }
        next_adr = data_end + pad;
    }
    info->data_end = next_adr;
    uint64_t size = (uint64_t)next_adr + (h->format == OTA_TONE_FORMAT_1 ? OTA_TONE_TRAILER_SIZE : 0u);
    if (size > UINT32_MAX) {
        return fail(diag, OTA_ERR_TONE_BAD_TABLE, info->table_offset, (int32_t)h->total_num - 1, "song_len",
                    UINT32_MAX, (uint32_t)(size >> 32));
    }
    info->image_size = (uint32_t)size;
    return OTA_OK;
}

int ota_tone_memory_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    const ota_tone_memory_t *m = ctx;
    if (m == NULL || buf == NULL || (m->data == NULL && len != 0)) {
        return OTA_ERR_INVALID_ARG;
    }
    if (off > m->len || len > m->len - off) {
        return OTA_ERR_TONE_TRUNCATED;
    }
    if (len != 0) {
        memcpy(buf, m->data + off, len);
    }
    return OTA_OK;
}

int ota_tone_parse_prefix(const void *buf, size_t len, uint32_t max_size, ota_tone_info_t *info,
                          ota_tone_diag_t *diag)
{
    diag_clear(diag);
    if (buf == NULL || info == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_tone_memory_t mem = {buf, len};
    uint32_t avail = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    int rc = walk_layout(ota_tone_memory_read, &mem, avail, false, info, diag);
    if (rc != OTA_OK) {
        return rc;
    }
    if (max_size != 0 && info->image_size > max_size) {
        return fail(diag, OTA_ERR_TONE_TOO_LARGE, 0, -1, "image", max_size, info->image_size);
    }
    return OTA_OK;
}

/* CRC-32 (zlib) of [0, len) read through the callback in stack-sized chunks. */
static int crc_range(ota_tone_read_fn read, void *ctx, uint32_t len, uint32_t *crc)
{
    uint8_t chunk[TONE_READ_CHUNK];
    uint32_t c = 0;
    for (uint32_t off = 0; off < len;) {
        uint32_t n = len - off < TONE_READ_CHUNK ? len - off : TONE_READ_CHUNK;
        int rc = read(ctx, off, chunk, n);
        if (rc != OTA_OK) {
            return rc;
        }
        c = ota_crc32_le(c, chunk, n);
        off += n;
    }
    *crc = c;
    return OTA_OK;
}

int ota_tone_validate(ota_tone_read_fn read, void *ctx, uint32_t size, ota_tone_info_t *info,
                      ota_tone_diag_t *diag)
{
    diag_clear(diag);
    if (read == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_tone_info_t local;
    ota_tone_info_t *inf = info != NULL ? info : &local;
    int rc = walk_layout(read, ctx, size, true, inf, diag);
    if (rc != OTA_OK) {
        return rc;
    }
    if (inf->image_size > size) {
        return fail(diag, OTA_ERR_TONE_TRUNCATED, size, -1, "image", inf->image_size, size);
    }
    if (inf->header.format != OTA_TONE_FORMAT_1) {
        return OTA_OK;
    }
    /* Tail first: on a partition whose install stopped early it is what is missing. */
    uint8_t trailer[OTA_TONE_TRAILER_SIZE];
    rc = read(ctx, inf->data_end, trailer, sizeof trailer);
    if (rc != OTA_OK) {
        return rc;
    }
    uint16_t tail = ota_get_le16(trailer + 4);
    if (tail != OTA_TONE_TAIL) {
        return fail(diag, OTA_ERR_TONE_BAD_TAIL, inf->data_end + 4, -1, "tail", OTA_TONE_TAIL, tail);
    }
    uint32_t computed = 0;
    rc = crc_range(read, ctx, inf->data_end, &computed);
    if (rc != OTA_OK) {
        return rc;
    }
    uint32_t stored = ota_get_le32(trailer);
    if (stored != computed) {
        return fail(diag, OTA_ERR_TONE_BAD_CRC, inf->data_end, -1, "crc", computed, stored);
    }
    return OTA_OK;
}

int ota_tone_read_entry(ota_tone_read_fn read, void *ctx, const ota_tone_header_t *header, uint32_t index,
                        ota_tone_entry_t *out)
{
    if (read == NULL || header == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (index >= header->total_num) {
        return OTA_ERR_NOT_FOUND;
    }
    uint8_t buf[OTA_TONE_ENTRY_SIZE];
    uint32_t off = OTA_TONE_HEADER_SIZE + desc_size(header->format) + OTA_TONE_ENTRY_SIZE * index;
    int rc = read(ctx, off, buf, sizeof buf);
    if (rc != OTA_OK) {
        return rc;
    }
    return ota_tone_entry_parse(buf, sizeof buf, out);
}

int ota_tone_diag_format(int err, const ota_tone_diag_t *d, char *buf, size_t size)
{
    const char *what = ota_strerror(err);
    if (d == NULL || d->field == NULL) {
        return snprintf(buf, size, "%s", what);
    }
    char entry[24] = "";
    if (d->index >= 0) {
        snprintf(entry, sizeof entry, "entry %d ", (int)d->index);
    }
    switch (err) {
    case OTA_ERR_TONE_TRUNCATED:
        return snprintf(buf, size, "%s: %s needs %u bytes, only %u available", what, d->field,
                        (unsigned)d->expected, (unsigned)d->actual);
    case OTA_ERR_TONE_TOO_LARGE:
        return snprintf(buf, size, "%s: image is %u bytes, the partition %u", what, (unsigned)d->actual,
                        (unsigned)d->expected);
    case OTA_ERR_TONE_BAD_PROJECT: return snprintf(buf, size, "%s (offset 0x%x)", what, (unsigned)d->offset);
    case OTA_ERR_TONE_BAD_TABLE:
        if (strcmp(d->field, "total_num") == 0) {
            return snprintf(buf, size, "%s: total_num is %u, must be 1..%u", what, (unsigned)d->actual,
                            (unsigned)OTA_TONE_MAX_FILES);
        }
        return snprintf(buf, size, "%s: %s%s is 0x%x, expected 0x%x (offset 0x%x)", what, entry, d->field,
                        (unsigned)d->actual, (unsigned)d->expected, (unsigned)d->offset);
    case OTA_ERR_TONE_BAD_CRC:
        return snprintf(buf, size, "%s: stored 0x%08x, computed 0x%08x (offset 0x%x)", what,
                        (unsigned)d->actual, (unsigned)d->expected, (unsigned)d->offset);
    default:
        return snprintf(buf, size, "%s: %s%s is 0x%x, expected 0x%x (offset 0x%x)", what, entry, d->field,
                        (unsigned)d->actual, (unsigned)d->expected, (unsigned)d->offset);
    }
}
