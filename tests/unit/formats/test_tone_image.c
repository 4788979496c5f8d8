/*
 * Tone images: parsing and strict validation against Espressif's own images
 * (shared/testdata/esp-adf: flash_tone_fmt0.bin, tone_fmt1_mixer.bin), every corruption class,
 * torn headers and half-written partitions. Expected values come from the reference notes
 * (§6: 21 files, 434,756 bytes; testdata README: 2 files, 54,398 bytes) and from independent
 * arithmetic on the raw bytes here (own little-endian readers, zlib's crc32).
 */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ota/ota_err.h"
#include "ota/ota_tone.h"

typedef struct {
    uint8_t *data;
    size_t len;
} image_t;

static image_t load(const char *name)
{
    image_t im;
    im.data = ts_read_file(ts_testdata(name), &im.len);
    return im;
}

static uint32_t rd16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int validate(const uint8_t *data, size_t len, ota_tone_info_t *info, ota_tone_diag_t *diag)
{
    ota_tone_memory_t mem = {data, len};
    return ota_tone_validate(ota_tone_memory_read, &mem, (uint32_t)len, info, diag);
}

/* Independent walk of the table as §7 describes it; returns the end of the last file's padding. */
static uint32_t independent_data_end(const uint8_t *d, uint32_t desc)
{
    uint32_t n = rd16(d + 2);
    uint32_t adr = 8 + desc + 64 * n;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = d + 8 + desc + 64 * i;
        assert_int_equal(e[0], 0x28);
        assert_int_equal(e[1], i);
        assert_int_equal(rd32(e + 4), adr);
        uint32_t len = rd32(e + 8);
        adr += len + (4 - len % 4) % 4;
    }
    return adr;
}

static void test_fmt0_testdata(void **state)
{
    (void)state;
    image_t im = load("esp-adf/flash_tone_fmt0.bin");
    assert_int_equal(im.len, 434756); /* the README log: last write at 434184, 572 bytes */
    ota_tone_header_t h;
    ota_tone_diag_t diag;
    assert_int_equal(ota_tone_header_parse(im.data, 8, &h, &diag), OTA_OK);
    assert_int_equal(h.tag, 0x2053);
    assert_int_equal(h.total_num, 21);
    assert_int_equal(h.format, 0);
    assert_int_equal(ota_tone_prefix_size(&h), 8 + 64 * 21);

    ota_tone_info_t info;
    assert_int_equal(ota_tone_parse_prefix(im.data, ota_tone_prefix_size(&h), 0, &info, &diag), OTA_OK);
    assert_int_equal(info.table_offset, 8);
    assert_int_equal(info.data_offset, 1352);
    assert_int_equal(info.data_end, independent_data_end(im.data, 0));
    assert_int_equal(info.image_size, 434756);

    memset(&info, 0, sizeof info);
    assert_int_equal(validate(im.data, im.len, &info, &diag), OTA_OK);
    assert_int_equal(info.image_size, im.len);
    assert_int_equal(info.header.total_num, 21);

    ota_tone_memory_t mem = {im.data, im.len};
    ota_tone_entry_t e;
    assert_int_equal(ota_tone_read_entry(ota_tone_memory_read, &mem, &h, 0, &e), OTA_OK);
    assert_int_equal(e.song_adr, 1352);
    assert_int_equal(e.song_len, rd32(im.data + 8 + 8));
    assert_int_equal(e.file_type, OTA_TONE_FILE_MP3);
    assert_int_equal(ota_tone_read_entry(ota_tone_memory_read, &mem, &h, 20, &e), OTA_OK);
    assert_int_equal(e.song_adr + e.song_len + ota_tone_padding(e.song_len), 434756);
    assert_int_equal(ota_tone_read_entry(ota_tone_memory_read, &mem, &h, 21, &e), OTA_ERR_NOT_FOUND);
    free(im.data);
}

static void test_fmt1_testdata(void **state)
{
    (void)state;
    image_t im = load("esp-adf/tone_fmt1_mixer.bin");
    assert_int_equal(im.len, 54398);
    assert_int_equal(im.len % 4, 2); /* §7: a format-1 length is 2 mod 4 */
    ota_tone_info_t info;
    ota_tone_diag_t diag;
    assert_int_equal(validate(im.data, im.len, &info, &diag), OTA_OK);
    assert_int_equal(info.header.format, 1);
    assert_int_equal(info.header.total_num, 2);
    assert_int_equal(info.table_offset, 8 + 256);
    assert_int_equal(info.data_offset, 8 + 256 + 128);
    assert_int_equal(info.data_end, independent_data_end(im.data, 256));
    assert_int_equal(info.image_size, 54398);
    assert_int_equal(info.data_end + 6, im.len);
    assert_int_equal(info.desc.magic_word, 0xF55F9876u);
    assert_string_equal(info.desc.project_name, "ESP_TONE_BIN");
    assert_string_equal(info.desc.version, "v1.0");
    assert_string_equal(info.desc.time, (const char *)im.data + 8 + 80);
    assert_string_equal(info.desc.date, (const char *)im.data + 8 + 96);
    assert_int_equal(strlen(info.desc.date), 10);
    assert_int_equal(strlen(info.desc.time), 8);
    /* CRC by zlib itself, and the tail bytes AC DF. */
    uLong crc = crc32(0L, im.data, (uInt)info.data_end);
    assert_int_equal(rd32(im.data + info.data_end), (uint32_t)crc);
    assert_int_equal(im.data[im.len - 2], 0xAC);
    assert_int_equal(im.data[im.len - 1], 0xDF);

    ota_tone_desc_t desc;
    assert_int_equal(ota_tone_desc_parse(im.data + 8, 256, &desc, &diag), OTA_OK);
    assert_string_equal(desc.version, "v1.0");
    assert_int_equal(ota_tone_desc_parse(im.data + 8, 255, &desc, &diag), OTA_ERR_TONE_TRUNCATED);
    free(im.data);
}

static void test_partition_with_erased_remainder(void **state)
{
    (void)state;
    const char *names[] = {"esp-adf/flash_tone_fmt0.bin", "esp-adf/tone_fmt1_mixer.bin"};
    for (size_t k = 0; k < 2; k++) {
        image_t im = load(names[k]);
        size_t part = 1024 * 1024; /* the example's 1M flash_tone partition */
        uint8_t *p = malloc(part);
        memset(p, 0xFF, part);
        memcpy(p, im.data, im.len);
        ota_tone_info_t info;
        assert_int_equal(validate(p, part, &info, NULL), OTA_OK);
        assert_int_equal(info.image_size, im.len);
        /* The prefix alone tells a writer the size and whether it fits. */
        ota_tone_diag_t diag;
        assert_int_equal(ota_tone_parse_prefix(im.data, info.data_offset, (uint32_t)part, &info, &diag),
                         OTA_OK);
        assert_int_equal(ota_tone_parse_prefix(im.data, info.data_offset, (uint32_t)im.len, &info, &diag),
                         OTA_OK);
        assert_int_equal(ota_tone_parse_prefix(im.data, info.data_offset, (uint32_t)im.len - 1, &info, &diag),
                         OTA_ERR_TONE_TOO_LARGE);
        assert_int_equal(diag.actual, im.len);
        assert_int_equal(ota_tone_parse_prefix(im.data, info.data_offset - 1, 0, &info, &diag),
                         OTA_ERR_TONE_TRUNCATED);
        assert_int_equal(diag.expected, info.data_offset);
        free(p);
        free(im.data);
    }
}

/* Corrupt one byte (value replaced), validate, expect @p err; restore. */
static void expect_corrupt(image_t *im, size_t off, uint8_t value, int err, const char *field)
{
    uint8_t saved = im->data[off];
    assert_int_not_equal(saved, value);
    im->data[off] = value;
    ota_tone_diag_t diag;
    int rc = validate(im->data, im->len, NULL, &diag);
    if (rc != err) {
        fail_msg("byte 0x%zx = 0x%02x: got %s, expected %s", off, value, ota_err_name(rc), ota_err_name(err));
    }
    if (field != NULL) {
        assert_non_null(diag.field);
        assert_string_equal(diag.field, field);
    }
    im->data[off] = saved;
}

static void test_corruption_classes_fmt0(void **state)
{
    (void)state;
    image_t im = load("esp-adf/flash_tone_fmt0.bin");
    const size_t e3 = 8 + 64 * 3; /* entry 3 */
    expect_corrupt(&im, 0, 0x54, OTA_ERR_TONE_BAD_TAG, "header_tag");
    expect_corrupt(&im, 1, 0x21, OTA_ERR_TONE_BAD_TAG, "header_tag");
    expect_corrupt(&im, 2, 22, OTA_ERR_TONE_BAD_TABLE, "song_adr"); /* 22 files: table would end later */
    expect_corrupt(&im, 2, 20, OTA_ERR_TONE_BAD_TABLE, "song_adr");
    expect_corrupt(&im, 3, 0x01, OTA_ERR_TONE_BAD_TABLE, "total_num"); /* 277 > 256 */
    expect_corrupt(&im, 4, 2, OTA_ERR_TONE_BAD_FORMAT, "format");
    expect_corrupt(&im, 7, 0x80, OTA_ERR_TONE_BAD_FORMAT, "format");
    expect_corrupt(&im, 4, 1, OTA_ERR_TONE_BAD_MAGIC, "magic_word"); /* the table is not a description */
    expect_corrupt(&im, e3 + 0, 0x29, OTA_ERR_TONE_BAD_TABLE, "file_tag");
    expect_corrupt(&im, e3 + 1, 4, OTA_ERR_TONE_BAD_TABLE, "song_index");
    expect_corrupt(&im, e3 + 2, 2, OTA_ERR_TONE_BAD_TABLE, "file_type");
    expect_corrupt(&im, e3 + 3, 1, OTA_ERR_TONE_BAD_TABLE, "song_ver");
    expect_corrupt(&im, e3 + 4, (uint8_t)(im.data[e3 + 4] ^ 4), OTA_ERR_TONE_BAD_TABLE, "song_adr");
    expect_corrupt(&im, e3 + 8, (uint8_t)(im.data[e3 + 8] ^ 4), OTA_ERR_TONE_BAD_TABLE, "song_adr");
    expect_corrupt(&im, e3 + 12, 1, OTA_ERR_TONE_BAD_TABLE, "rfu");
    expect_corrupt(&im, e3 + 59, 0x80, OTA_ERR_TONE_BAD_TABLE, "rfu");
    expect_corrupt(&im, e3 + 60, 1, OTA_ERR_TONE_BAD_TABLE, "info_crc");
    /* Entry 0 (20167 bytes) ends with one 0xFF pad byte at 1352 + 20167. */
    assert_int_equal(rd32(im.data + 8 + 8), 20167);
    expect_corrupt(&im, 1352 + 20167, 0x00, OTA_ERR_TONE_BAD_PADDING, "padding");
    /* The last file one byte longer than the image holds. */
    const size_t last = 8 + 64 * 20;
    expect_corrupt(&im, last + 8, (uint8_t)(im.data[last + 8] + 1), OTA_ERR_TONE_TRUNCATED, "image");
    /* Format 0 has no CRC: a changed byte of file data cannot be seen (hence: header last). */
    im.data[5000] ^= 0x55;
    assert_int_equal(validate(im.data, im.len, NULL, NULL), OTA_OK);
    /* Nor a last file declared 4 bytes shorter (13824 -> 13820): its end reads as a remainder. */
    assert_int_equal(rd32(im.data + last + 8), 13824);
    im.data[last + 8] = 0xFC;
    im.data[last + 9] = 0x35;
    ota_tone_info_t info;
    assert_int_equal(validate(im.data, im.len, &info, NULL), OTA_OK);
    assert_int_equal(info.image_size, im.len - 4);
    free(im.data);
}

static void test_corruption_classes_fmt1(void **state)
{
    (void)state;
    image_t im = load("esp-adf/tone_fmt1_mixer.bin");
    const size_t d = 8, e1 = 8 + 256 + 64;
    const size_t crc_at = im.len - 6;
    expect_corrupt(&im, 0, 0x52, OTA_ERR_TONE_BAD_TAG, "header_tag");
    expect_corrupt(&im, 2, 3, OTA_ERR_TONE_BAD_TABLE, "song_adr");
    expect_corrupt(&im, 4, 0, OTA_ERR_TONE_BAD_TABLE,
                   "file_tag"); /* format 0: the description is read as the table */
    expect_corrupt(&im, 4, 3, OTA_ERR_TONE_BAD_FORMAT, "format");
    expect_corrupt(&im, 6, 1, OTA_ERR_TONE_BAD_FORMAT, "format");
    expect_corrupt(&im, d + 0, 0x77, OTA_ERR_TONE_BAD_MAGIC, "magic_word");
    expect_corrupt(&im, d + 3, 0xAB, OTA_ERR_TONE_BAD_MAGIC, "magic_word");
    expect_corrupt(&im, d + 48, 'e', OTA_ERR_TONE_BAD_PROJECT, "project_name");
    expect_corrupt(&im, d + 48 + 12, 'X', OTA_ERR_TONE_BAD_PROJECT, "project_name");
    expect_corrupt(&im, d + 16 + 1, '2', OTA_ERR_TONE_BAD_CRC, "crc"); /* version: covered by the CRC */
    expect_corrupt(&im, d + 200, 0x01, OTA_ERR_TONE_BAD_CRC, "crc");   /* reserv2 */
    expect_corrupt(&im, e1 + 0, 0x00, OTA_ERR_TONE_BAD_TABLE, "file_tag");
    expect_corrupt(&im, e1 + 1, 0, OTA_ERR_TONE_BAD_TABLE, "song_index");
    expect_corrupt(&im, e1 + 2, 0xFF, OTA_ERR_TONE_BAD_TABLE, "file_type");
    expect_corrupt(&im, e1 + 5, (uint8_t)(im.data[e1 + 5] ^ 1), OTA_ERR_TONE_BAD_TABLE, "song_adr");
    expect_corrupt(&im, e1 + 30, 0x10, OTA_ERR_TONE_BAD_TABLE, "rfu");
    expect_corrupt(&im, e1 + 63, 0x10, OTA_ERR_TONE_BAD_TABLE, "info_crc");
    expect_corrupt(&im, 8 + 256 + 8, (uint8_t)(im.data[8 + 256 + 8] ^ 4), OTA_ERR_TONE_BAD_TABLE, "song_adr");
    expect_corrupt(&im, 30000, (uint8_t)(im.data[30000] ^ 0x20), OTA_ERR_TONE_BAD_CRC, "crc"); /* file data */
    expect_corrupt(&im, crc_at, (uint8_t)(im.data[crc_at] ^ 1), OTA_ERR_TONE_BAD_CRC, "crc");
    expect_corrupt(&im, crc_at + 3, (uint8_t)(im.data[crc_at + 3] ^ 0x80), OTA_ERR_TONE_BAD_CRC, "crc");
    expect_corrupt(&im, im.len - 2, 0xAD, OTA_ERR_TONE_BAD_TAIL, "tail");
    expect_corrupt(&im, im.len - 1, 0xFF, OTA_ERR_TONE_BAD_TAIL, "tail");
    free(im.data);
}

static void test_truncation(void **state)
{
    (void)state;
    image_t fmt0 = load("esp-adf/flash_tone_fmt0.bin");
    image_t fmt1 = load("esp-adf/tone_fmt1_mixer.bin");
    const size_t cuts0[] = {0, 1, 7, 8, 9, 71, 72, 1351, 1352, 1353, 21519, 21520, 434752, 434755};
    for (size_t i = 0; i < sizeof cuts0 / sizeof cuts0[0]; i++) {
        assert_int_equal(validate(fmt0.data, cuts0[i], NULL, NULL), OTA_ERR_TONE_TRUNCATED);
    }
    const size_t n1 = fmt1.len;
    const size_t cuts1[] = {0, 7, 8, 263, 264, 327, 391, 392, 393, 50000, n1 - 6, n1 - 5, n1 - 2, n1 - 1};
    for (size_t i = 0; i < sizeof cuts1 / sizeof cuts1[0]; i++) {
        ota_tone_diag_t diag;
        assert_int_equal(validate(fmt1.data, cuts1[i], NULL, &diag), OTA_ERR_TONE_TRUNCATED);
        assert_true(diag.actual == cuts1[i]);
    }
    free(fmt0.data);
    free(fmt1.data);
}

/*
 * Every byte of the prefix (header, description, table), changed three ways, must be refused -
 * except format 0's blind spots, which no check can see without a CRC and which are named here
 * exactly: an mp3/wav flip (file_type 0 <-> 1); a song_len change that keeps the padded length
 * (the file "grows" into its own 0xFF padding); a last file made shorter (its bytes then lie after
 * the image, like a partition's remainder). Format 1 has none: the CRC covers the prefix.
 */
static void test_prefix_byte_sweep(void **state)
{
    (void)state;
    const char *names[] = {"esp-adf/flash_tone_fmt0.bin", "esp-adf/tone_fmt1_mixer.bin"};
    const uint8_t masks[] = {0x01, 0x80, 0xFF};
    for (size_t k = 0; k < 2; k++) {
        image_t im = load(names[k]);
        ota_tone_info_t info;
        assert_int_equal(validate(im.data, im.len, &info, NULL), OTA_OK);
        const bool fmt0 = info.header.format == 0;
        size_t blind_type = 0, blind_pad = 0, blind_last = 0;
        for (size_t off = 0; off < info.data_offset; off++) {
            const bool in_table = off >= info.table_offset;
            const size_t entry = in_table ? (off - info.table_offset) / 64 : 0;
            const size_t field = in_table ? (off - info.table_offset) % 64 : 0;
            const size_t len_at = info.table_offset + 64 * entry + 8;
            for (size_t m = 0; m < sizeof masks; m++) {
                const uint32_t old_len = rd32(im.data + len_at);
                uint8_t saved = im.data[off];
                im.data[off] ^= masks[m];
                int rc = validate(im.data, im.len, NULL, NULL);
                const uint32_t new_len = rd32(im.data + len_at);
                im.data[off] = saved;
                if (rc != OTA_OK) {
                    continue;
                }
                const bool len_field = in_table && field >= 8 && field < 12;
                if (fmt0 && in_table && field == 2 && masks[m] == 0x01) {
                    blind_type++;
                } else if (fmt0 && len_field &&
                           new_len + ota_tone_padding(new_len) == old_len + ota_tone_padding(old_len)) {
                    blind_pad++;
                } else if (fmt0 && len_field && entry + 1u == info.header.total_num && new_len < old_len) {
                    blind_last++;
                } else {
                    fail_msg("%s: byte 0x%zx ^ 0x%02x accepted", names[k], off, masks[m]);
                }
            }
        }
        /* every entry's type flips; entry 8 (36018 bytes, 2 pad bytes) can claim 36019 */
        assert_int_equal(blind_type, fmt0 ? info.header.total_num : 0);
        assert_true(fmt0 ? blind_pad >= 1 : blind_pad == 0);
        assert_int_equal(blind_last, 0); /* none of these masks shortens 13824 = 0x3600 */
        free(im.data);
    }
}

/* A format-1 image: every 61st byte, and the whole trailer, flipped -> refused. */
static void test_fmt1_whole_image_sweep(void **state)
{
    (void)state;
    image_t im = load("esp-adf/tone_fmt1_mixer.bin");
    for (size_t off = 0; off < im.len; off += (off + 8 >= im.len ? 1 : 61)) {
        im.data[off] ^= 0x10;
        assert_int_not_equal(validate(im.data, im.len, NULL, NULL), OTA_OK);
        im.data[off] ^= 0x10;
    }
    assert_int_equal(validate(im.data, im.len, NULL, NULL), OTA_OK);
    free(im.data);
}

/*
 * A header torn by a power cut: NOR programming only clears bits, so a torn 8-byte header is the
 * target with some of its 0-bits still 1. Every such state must be refused (the rest of the image
 * is complete: the header is what a writer programs last).
 */
static void check_torn_header(const char *name)
{
    image_t im = load(name);
    uint8_t target[8];
    memcpy(target, im.data, 8);
    int zero_bits = 0;
    /* one bit not yet programmed */
    for (int bit = 0; bit < 64; bit++) {
        if (target[bit / 8] & (1u << (bit % 8))) {
            continue;
        }
        zero_bits++;
        im.data[bit / 8] = (uint8_t)(target[bit / 8] | (1u << (bit % 8)));
        int rc = validate(im.data, im.len, NULL, NULL);
        if (rc == OTA_OK) {
            fail_msg("%s: header with bit %d unprogrammed accepted", name, bit);
        }
        memcpy(im.data, target, 8);
    }
    assert_true(zero_bits > 40);
    /* random subsets of the missing bits */
    uint8_t noise[8 * 3000];
    ts_fill_random(noise, sizeof noise, 0x70FE);
    int tested = 0;
    for (size_t t = 0; t < 3000; t++) {
        bool extra = false;
        for (int b = 0; b < 8; b++) {
            uint8_t add = (uint8_t)(noise[t * 8 + b] & (uint8_t)~target[b]);
            im.data[b] = target[b] | add;
            extra |= add != 0;
        }
        if (extra) {
            tested++;
            assert_int_not_equal(validate(im.data, im.len, NULL, NULL), OTA_OK);
        }
    }
    assert_true(tested > 2900);
    /* bytes programmed in order, the last k still erased; and the whole header erased */
    for (int k = 1; k <= 8; k++) {
        memcpy(im.data, target, 8);
        memset(im.data + 8 - k, 0xFF, (size_t)k);
        assert_int_not_equal(validate(im.data, im.len, NULL, NULL), OTA_OK);
    }
    memcpy(im.data, target, 8);
    assert_int_equal(validate(im.data, im.len, NULL, NULL), OTA_OK);
    free(im.data);
}

static void test_torn_header(void **state)
{
    (void)state;
    check_torn_header("esp-adf/flash_tone_fmt0.bin");
    check_torn_header("esp-adf/tone_fmt1_mixer.bin");

    /* The named cases of the brief, with their codes. */
    image_t im = load("esp-adf/flash_tone_fmt0.bin");
    ota_tone_diag_t diag;
    im.data[2] = 21 | 0x02; /* total_num 23 */
    assert_int_equal(validate(im.data, im.len, NULL, &diag), OTA_ERR_TONE_BAD_TABLE);
    assert_string_equal(diag.field, "song_adr");
    assert_int_equal(diag.expected, 8 + 64 * 23);
    assert_int_equal(diag.actual, 8 + 64 * 21);
    im.data[2] = 21;
    im.data[3] = 0x80; /* total_num 0x8015 */
    assert_int_equal(validate(im.data, im.len, NULL, &diag), OTA_ERR_TONE_BAD_TABLE);
    assert_string_equal(diag.field, "total_num");
    im.data[3] = 0;
    im.data[6] = 0x01; /* format 0x10000 */
    assert_int_equal(validate(im.data, im.len, NULL, &diag), OTA_ERR_TONE_BAD_FORMAT);
    assert_int_equal(diag.actual, 0x10000);
    memset(im.data, 0xFF, 8);
    assert_int_equal(validate(im.data, im.len, NULL, &diag), OTA_ERR_TONE_BAD_TAG);
    assert_int_equal(diag.actual, 0xFFFF);
    free(im.data);
}

/*
 * A partition being written over an erased one, cut after @p k bytes. Header-last order (the
 * header's 8 bytes still 0xFF until everything else is written) must be refused for every k;
 * ESP-ADF's order (header first) is refused for format 1 (tail) but not for a format-0 image
 * once its table is in place - why a writer must put the header last.
 */
static void test_half_written_partition(void **state)
{
    (void)state;
    const char *names[] = {"esp-adf/flash_tone_fmt0.bin", "esp-adf/tone_fmt1_mixer.bin"};
    for (size_t n = 0; n < 2; n++) {
        image_t im = load(names[n]);
        const size_t part = im.len + 4096;
        uint8_t *first = malloc(part), *last = malloc(part);
        memset(first, 0xFF, part);
        memset(last, 0xFF, part);
        ota_tone_info_t info;
        assert_int_equal(validate(im.data, im.len, &info, NULL), OTA_OK);
        const bool fmt1 = info.header.format == 1;
        ota_tone_memory_t mem_first = {first, part}, mem_last = {last, part};
        size_t accepted_header_first = 0;
        /* Every cut point k: the buffers grow by one programmed byte per step. */
        for (size_t k = 0; k < im.len; k++) {
            if (k > 0) {
                first[k - 1] = im.data[k - 1];
                if (k - 1 >= 8) {
                    last[k - 1] = im.data[k - 1];
                }
            }
            if (ota_tone_validate(ota_tone_memory_read, &mem_last, (uint32_t)part, NULL, NULL) == OTA_OK) {
                fail_msg("%s: header-last cut at %zu accepted", names[n], k);
            }
            int rc = ota_tone_validate(ota_tone_memory_read, &mem_first, (uint32_t)part, NULL, NULL);
            if (rc == OTA_OK) {
                if (fmt1 || k < info.data_offset) {
                    fail_msg("%s: header-first cut at %zu accepted", names[n], k);
                }
                accepted_header_first++;
            }
        }
        /* ESP-ADF's order leaves a format-0 image looking valid while its files are missing. */
        assert_int_equal(accepted_header_first, fmt1 ? 0 : im.len - info.data_offset);
        /* the last byte, then the header: complete */
        last[im.len - 1] = im.data[im.len - 1];
        memcpy(last, im.data, 8);
        assert_int_equal(ota_tone_validate(ota_tone_memory_read, &mem_last, (uint32_t)part, NULL, NULL),
                         OTA_OK);
        free(first);
        free(last);
        free(im.data);
    }
}

static void test_header_parse_stream_start(void **state)
{
    (void)state;
    ota_tone_header_t h;
    ota_tone_diag_t diag;
    const uint8_t ok0[8] = {0x53, 0x20, 21, 0, 0, 0, 0, 0};
    const uint8_t ok1[8] = {0x53, 0x20, 2, 0, 1, 0, 0, 0};
    assert_int_equal(ota_tone_header_parse(ok0, 7, &h, &diag), OTA_ERR_TONE_TRUNCATED);
    assert_int_equal(ota_tone_header_parse(ok0, 8, &h, &diag), OTA_OK);
    assert_int_equal(ota_tone_prefix_size(&h), 1352);
    assert_int_equal(ota_tone_header_parse(ok1, 8, &h, &diag), OTA_OK);
    assert_int_equal(ota_tone_prefix_size(&h), 8 + 256 + 128);
    const uint8_t none[8] = {0x53, 0x20, 0, 0, 0, 0, 0, 0};
    assert_int_equal(ota_tone_header_parse(none, 8, &h, &diag), OTA_ERR_TONE_BAD_TABLE);
    const uint8_t max[8] = {0x53, 0x20, 0x00, 0x01, 0, 0, 0, 0};
    assert_int_equal(ota_tone_header_parse(max, 8, &h, &diag), OTA_OK);
    assert_int_equal(h.total_num, 256);
    const uint8_t over[8] = {0x53, 0x20, 0x01, 0x01, 0, 0, 0, 0};
    assert_int_equal(ota_tone_header_parse(over, 8, &h, &diag), OTA_ERR_TONE_BAD_TABLE);
    const uint8_t app[8] = {0xE9, 0x06, 0x02, 0x20, 0, 0, 0, 0}; /* an app image's start */
    assert_int_equal(ota_tone_header_parse(app, 8, &h, &diag), OTA_ERR_TONE_BAD_TAG);
    assert_int_equal(diag.offset, 0);
    assert_int_equal(diag.expected, 0x2053);
    assert_int_equal(diag.actual, 0x06E9);
}

static void test_diag_format(void **state)
{
    (void)state;
    image_t im = load("esp-adf/flash_tone_fmt0.bin");
    ota_tone_diag_t diag;
    char line[256];
    im.data[8 + 64 * 3 + 4] ^= 4;
    int rc = validate(im.data, im.len, NULL, &diag);
    assert_int_equal(rc, OTA_ERR_TONE_BAD_TABLE);
    assert_int_equal(diag.index, 3);
    assert_int_equal(diag.offset, 8 + 64 * 3 + 4);
    ota_tone_diag_format(rc, &diag, line, sizeof line);
    assert_non_null(strstr(line, "file table inconsistent"));
    assert_non_null(strstr(line, "entry 3 song_adr"));
    im.data[8 + 64 * 3 + 4] ^= 4;
    rc = validate(im.data, 100, NULL, &diag);
    ota_tone_diag_format(rc, &diag, line, sizeof line);
    assert_non_null(strstr(line, "needs 1352 bytes, only 100"));
    im.data[3] = 1; /* total_num 277 */
    rc = validate(im.data, im.len, NULL, &diag);
    ota_tone_diag_format(rc, &diag, line, sizeof line);
    assert_string_equal(line, "tone: file table inconsistent: total_num is 277, must be 1..256");
    im.data[3] = 0;
    ota_tone_diag_format(OTA_ERR_TONE_BAD_CRC, NULL, line, sizeof line);
    assert_string_equal(line, "tone: CRC mismatch");
    free(im.data);
}

typedef struct {
    ota_tone_memory_t mem;
    uint32_t fail_at;
} failing_reader_t;

static int failing_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    failing_reader_t *r = ctx;
    if (off + len > r->fail_at) {
        return OTA_ERR_FLASH_OUT_OF_RANGE;
    }
    return ota_tone_memory_read(&r->mem, off, buf, len);
}

static void test_read_errors_propagate(void **state)
{
    (void)state;
    image_t im = load("esp-adf/tone_fmt1_mixer.bin");
    failing_reader_t r = {{im.data, im.len}, 0};
    const uint32_t points[] = {0, 8, 300, 20000, (uint32_t)im.len - 3};
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
        r.fail_at = points[i];
        assert_int_equal(ota_tone_validate(failing_read, &r, (uint32_t)im.len, NULL, NULL),
                         OTA_ERR_FLASH_OUT_OF_RANGE);
    }
    assert_int_equal(ota_tone_validate(NULL, &r, 10, NULL, NULL), OTA_ERR_INVALID_ARG);
    free(im.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fmt0_testdata),
        cmocka_unit_test(test_fmt1_testdata),
        cmocka_unit_test(test_partition_with_erased_remainder),
        cmocka_unit_test(test_corruption_classes_fmt0),
        cmocka_unit_test(test_corruption_classes_fmt1),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_prefix_byte_sweep),
        cmocka_unit_test(test_fmt1_whole_image_sweep),
        cmocka_unit_test(test_torn_header),
        cmocka_unit_test(test_half_written_partition),
        cmocka_unit_test(test_header_parse_stream_start),
        cmocka_unit_test(test_diag_format),
        cmocka_unit_test(test_read_errors_propagate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
