/* The app-image validator on the du1906 image changed: one byte flipped in each region,
 * truncations, trailing data, limits, chip checks, crafted images, and the codecs (built into
 * test_image_validator, see image_validator.h). */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/ota_app_image.h"
#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"
#include "image_validator.h"

/* --- one byte changed in each region ------------------------------------------------------------ */

static int flip(size_t offset, uint8_t mask, const ota_image_validator_config_t *cfg, ota_image_diag_t *diag)
{
    uint8_t *bad = malloc(s_len);
    memcpy(bad, s_img, s_len);
    bad[offset] ^= mask;
    int err = validate(bad, s_len, cfg, NULL, diag);
    free(bad);
    return err;
}

void test_flips(void **state)
{
    (void)state;
    ota_image_diag_t d;
    /* header */
    assert_int_equal(flip(0, 0x01, NULL, &d), OTA_ERR_IMG_BAD_MAGIC);
    assert_int_equal(d.offset, 0);
    assert_int_equal(flip(4, 0x01, NULL, &d), OTA_ERR_IMG_HASH); /* entry point: only the hash covers it */
    assert_int_equal(flip(1, 0x06 ^ 17, NULL, &d), OTA_ERR_IMG_TOO_MANY_SEGMENTS);
    assert_int_equal(d.actual, 17);
    ota_image_validator_config_t esp32 = {
        .check_chip = true, .chip_id = OTA_CHIP_ESP32, .chip_revision = 300};
    assert_int_equal(flip(12, 0x09, &esp32, &d), OTA_ERR_IMG_WRONG_CHIP);
    assert_int_equal(d.expected, 0);
    assert_int_equal(d.actual, 9);
    /* segment headers: 0x18 seg 0, 0x8a8b4 seg 1, 0x90010 seg 2 */
    assert_int_equal(flip(0x18 + 4, 0x01, NULL, &d), OTA_ERR_IMG_SEGMENT); /* length % 4 */
    assert_int_equal(d.segment, 0);
    assert_int_equal(flip(0x90010, 0x04, NULL, &d), OTA_ERR_IMG_SEGMENT); /* IROM vaddr vs file offset */
    assert_int_equal(d.segment, 2);
    assert_int_equal(flip(0x8a8b4, 0x04, NULL, &d), OTA_ERR_IMG_HASH);        /* DRAM address: only hashed */
    assert_int_equal(flip(0x8a8b4 + 7, 0x10, NULL, &d), OTA_ERR_IMG_SEGMENT); /* length >= 16 MiB */
    /* data: the checksum catches it, with both values */
    assert_int_equal(flip(0x150000, 0x20, NULL, &d), OTA_ERR_IMG_CHECKSUM);
    assert_int_equal(d.expected, 0xa1 ^ 0x20);
    assert_int_equal(d.actual, 0xa1);
    assert_int_equal(d.offset, s_len - 33);
    /* app description: magic, then a string */
    assert_int_equal(flip(0x20, 0x01, NULL, &d), OTA_ERR_IMG_APP_DESC);
    assert_int_equal(flip(0x30, 0x01, NULL, &d), OTA_ERR_IMG_CHECKSUM);
    /* checksum byte */
    assert_int_equal(flip(s_len - 33, 0xFF, NULL, &d), OTA_ERR_IMG_CHECKSUM);
    assert_int_equal(d.actual, 0xa1 ^ 0xFF);
    /* checksum padding (hashed, not checksummed) */
    assert_int_equal(flip(s_len - 34, 0x01, NULL, &d), OTA_ERR_IMG_HASH);
    /* digest */
    assert_int_equal(flip(s_len - 1, 0x80, NULL, &d), OTA_ERR_IMG_HASH);
    assert_int_equal(d.offset, s_len - 32);
    assert_non_null(strstr(d.message, "Image hash failed"));
}

void test_keep_going_reports_checksum_and_hash(void **state)
{
    (void)state;
    uint8_t *bad = malloc(s_len);
    memcpy(bad, s_img, s_len);
    bad[0x1000] ^= 0x01;
    ota_image_validator_config_t cfg = {.keep_going = true};
    ota_image_info_t info;
    ota_image_diag_t d;
    assert_int_equal(validate(bad, s_len, &cfg, &info, &d), OTA_ERR_IMG_CHECKSUM);
    assert_true(info.checksum_read);
    assert_int_equal(info.checksum_calculated, 0xa1 ^ 0x01);
    assert_true(info.hash_read);
    assert_memory_not_equal(info.hash_stored, info.hash_calculated, 32);
    assert_true(info.complete);
    free(bad);
}

/* --- truncation, trailing data, limits -------------------------------------------------------------- */

void test_truncated_everywhere(void **state)
{
    (void)state;
    size_t cuts[] = {0,   1,       23,      24,      25,       31,         32,         100,        287,
                     288, 0x8a8b4, 0x8a8bc, 0x90010, 0x100000, s_len - 40, s_len - 33, s_len - 32, s_len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        ota_image_validator_t *v = malloc(sizeof *v);
        ota_image_validator_init(v, NULL, NULL, NULL);
        assert_int_equal(ota_image_validator_feed(v, s_img, cuts[i]), OTA_OK);
        assert_int_equal(ota_image_validator_finish(v), OTA_ERR_IMG_TRUNCATED);
        assert_int_equal(v->diag.offset, cuts[i]);
        assert_int_equal(v->diag.actual, cuts[i]);
        assert_true(v->diag.expected > cuts[i]);
        char want[48];
        snprintf(want, sizeof want, "truncated at byte %zu", cuts[i]);
        assert_non_null(strstr(v->diag.message, want));
        free(v);
    }
    /* when the total is known up front, a segment running past it is refused at its header */
    ota_image_diag_t d;
    assert_int_equal(validate(s_img, 0x100000, NULL, NULL, &d), OTA_ERR_IMG_SEGMENT_PAST_END);
    assert_int_equal(d.segment, 2);
    assert_int_equal(d.offset, 0x90010);
}

void test_trailing_data(void **state)
{
    (void)state;
    uint8_t *more = malloc(s_len + 16);
    memcpy(more, s_img, s_len);
    memset(more + s_len, 0xFF, 16);
    ota_image_diag_t d;
    assert_int_equal(validate(more, s_len + 16, NULL, NULL, &d), OTA_ERR_IMG_TRAILING_DATA);
    assert_int_equal(d.offset, s_len);
    ota_image_validator_config_t cfg = {.ignore_trailing = true};
    assert_int_equal(validate(more, s_len + 16, &cfg, NULL, &d), OTA_OK);
    free(more);
}

void test_max_size(void **state)
{
    (void)state;
    ota_image_validator_config_t cfg = {.max_size = (uint32_t)s_len};
    assert_int_equal(validate(s_img, s_len, &cfg, NULL, NULL), OTA_OK);
    /* 2 MiB partition: the last segment's header already shows the image cannot fit */
    cfg.max_size = 0x200000;
    ota_image_validator_t *v = malloc(sizeof *v);
    ota_image_validator_init(v, &cfg, NULL, NULL);
    size_t seg5_header_end = 0x1e4aa8 + 8;
    assert_int_equal(ota_image_validator_feed(v, s_img, seg5_header_end - 1), OTA_OK);
    assert_int_equal(ota_image_validator_feed(v, s_img + seg5_header_end - 1, 1), OTA_ERR_IMG_TOO_LARGE);
    assert_int_equal(v->diag.segment, 5);
    assert_int_equal(v->diag.expected, 0x200000);
    assert_int_equal(v->diag.actual, s_len);
    free(v);
    /* only the digest does not fit: found at the end */
    cfg.max_size = (uint32_t)s_len - 16;
    ota_image_diag_t d;
    assert_int_equal(validate(s_img, s_len, &cfg, NULL, &d), OTA_ERR_IMG_TOO_LARGE);
}

void test_chip_checks(void **state)
{
    (void)state;
    ota_image_diag_t d;
    ota_image_validator_config_t cfg = {.check_chip = true, .chip_id = OTA_CHIP_ESP32S3, .chip_revision = 0};
    assert_int_equal(validate(s_img, s_len, &cfg, NULL, &d), OTA_ERR_IMG_WRONG_CHIP);
    assert_int_equal(d.expected, OTA_CHIP_ESP32S3);
    assert_int_equal(d.actual, OTA_CHIP_ESP32);
    assert_non_null(strstr(d.message, "mismatch chip ID"));
    cfg.chip_id = OTA_CHIP_ESP32;
    cfg.chip_revision = 300;
    assert_int_equal(validate(s_img, s_len, &cfg, NULL, &d), OTA_OK);
    /* min revision v1.0 on a v0.0 chip; max revision v2.1 on a v3.0 chip */
    uint8_t *img = malloc(s_len);
    memcpy(img, s_img, s_len);
    img[15] = 100;
    img[16] = 0;
    cfg.chip_revision = 0;
    assert_int_equal(validate(img, s_len, &cfg, NULL, &d), OTA_ERR_IMG_CHIP_REVISION);
    assert_non_null(strstr(d.message, "Image requires chip rev >= v1.0, but chip is v0.0"));
    img[15] = 0;
    img[17] = 201 & 0xFF;
    img[18] = 0;
    cfg.chip_revision = 300;
    assert_int_equal(validate(img, s_len, &cfg, NULL, &d), OTA_ERR_IMG_CHIP_REVISION);
    assert_non_null(strstr(d.message, "Image requires chip rev <= v2.1, but chip is v3.0"));
    free(img);
}

/* --- crafted images --------------------------------------------------------------------------------- */

typedef struct {
    uint32_t addr;
    uint32_t len;
} seg_spec_t;

/* Build an image the way the format says (checksum placement, digest), independently of the
 * library's builder. Returns the length. */
static size_t craft(uint8_t *out, uint8_t seg_count_field, const seg_spec_t *segs, int n, bool hash,
                    bool desc)
{
    memset(out, 0, 24);
    out[0] = 0xE9;
    out[1] = seg_count_field;
    out[2] = 2;
    out[3] = 0x20;
    out[8] = 0xEE;
    out[23] = hash ? 1 : 0;
    size_t pos = 24;
    uint8_t x = 0xEF;
    for (int i = 0; i < n; i++) {
        for (int b = 0; b < 4; b++) {
            out[pos + b] = (uint8_t)(segs[i].addr >> (8 * b));
            out[pos + 4 + b] = (uint8_t)(segs[i].len >> (8 * b));
        }
        pos += 8;
        for (uint32_t j = 0; j < segs[i].len; j++) {
            out[pos + j] = (uint8_t)(j * 7 + i);
        }
        if (i == 0 && desc && segs[i].len >= 4) {
            out[pos] = 0x32;
            out[pos + 1] = 0x54;
            out[pos + 2] = 0xCD;
            out[pos + 3] = 0xAB;
        }
        for (uint32_t j = 0; j < segs[i].len; j++) {
            x ^= out[pos + j];
        }
        pos += segs[i].len;
    }
    size_t end = (pos + 1 + 15) & ~(size_t)15;
    memset(out + pos, 0, end - pos);
    out[end - 1] = x;
    if (hash) {
        ota_sha256(out, end, out + end);
        end += 32;
    }
    return end;
}

void test_crafted(void **state)
{
    (void)state;
    uint8_t *buf = calloc(1, 1 << 20);
    ota_image_diag_t d;
    ota_image_info_t info;
    seg_spec_t ok[] = {{0x3F400020, 256}, {0x3FFB0000, 64}, {0x40080000, 128}};
    size_t len = craft(buf, 3, ok, 3, true, true);
    assert_int_equal(validate(buf, len, NULL, &info, &d), OTA_OK);
    assert_int_equal(info.image_len, len);
    /* no digest appended: image ends after the checksum block */
    len = craft(buf, 3, ok, 3, false, true);
    assert_int_equal(validate(buf, len, NULL, &info, &d), OTA_OK);
    assert_false(info.hash_read);
    assert_int_equal(len % 16, 0);
    /* 17 segments */
    seg_spec_t many[17];
    for (int i = 0; i < 17; i++) {
        many[i] = (seg_spec_t){0x3FFB0000u + (uint32_t)i * 0x100, i == 0 ? 256 : 4};
    }
    len = craft(buf, 17, many, 17, true, true);
    assert_int_equal(validate(buf, len, NULL, NULL, &d), OTA_ERR_IMG_TOO_MANY_SEGMENTS);
    /* exactly 16 is fine */
    len = craft(buf, 16, many, 16, true, true);
    assert_int_equal(validate(buf, len, NULL, NULL, &d), OTA_OK);
    /* segment 0 shorter than the app description */
    seg_spec_t short0[] = {{0x3FFB0000, 128}};
    len = craft(buf, 1, short0, 1, true, true);
    assert_int_equal(validate(buf, len, NULL, NULL, &d), OTA_ERR_IMG_SEGMENT);
    assert_int_equal(d.segment, 0);
    ota_image_validator_config_t lax = {.allow_missing_app_desc = true};
    assert_int_equal(validate(buf, len, &lax, NULL, &d), OTA_OK);
    /* no app description */
    len = craft(buf, 3, ok, 3, true, false);
    assert_int_equal(validate(buf, len, NULL, NULL, &d), OTA_ERR_IMG_APP_DESC);
    assert_int_equal(d.offset, 0x20);
    assert_int_equal(validate(buf, len, &lax, &info, &d), OTA_OK);
    assert_false(info.app_desc_valid);
    /* zero segments */
    len = craft(buf, 0, NULL, 0, true, false);
    assert_int_equal(validate(buf, len, NULL, NULL, &d), OTA_ERR_IMG_APP_DESC);
    assert_int_equal(validate(buf, len, &lax, NULL, &d), OTA_OK);
    /* a DROM segment at a file offset that does not match its address modulo 64 KiB */
    seg_spec_t misaligned[] = {{0x3F400020, 256}, {0x3F410000, 64}};
    len = craft(buf, 2, misaligned, 2, true, true);
    assert_int_equal(validate(buf, len, NULL, NULL, &d), OTA_ERR_IMG_SEGMENT);
    assert_int_equal(d.segment, 1);
    assert_non_null(strstr(d.message, "doesn't match data"));
    /* a flash address makes the check absolute: the same image at 0x10000 passes, at 0x11000 not */
    seg_spec_t at_flash[] = {{0x3F400020, 256}};
    len = craft(buf, 1, at_flash, 1, true, true);
    ota_image_validator_config_t at = {.flash_addr = 0x10000};
    assert_int_equal(validate(buf, len, &at, NULL, &d), OTA_OK);
    at.flash_addr = 0x11000;
    assert_int_equal(validate(buf, len, &at, NULL, &d), OTA_ERR_IMG_SEGMENT);
    free(buf);
}

void test_codecs_roundtrip(void **state)
{
    (void)state;
    ota_image_header_t h;
    ota_image_header_decode(s_img, &h);
    uint8_t raw[24];
    ota_image_header_encode(&h, raw);
    assert_memory_equal(raw, s_img, 24);
    ota_app_desc_t d;
    ota_app_desc_decode(s_img + 0x20, &d);
    uint8_t desc[256];
    ota_app_desc_encode(&d, desc);
    assert_memory_equal(desc, s_img + 0x20, 0xB6); /* reserved bytes after are zero in both */
    assert_int_equal(d.magic_word, OTA_APP_DESC_MAGIC);
    /* chip names as esptool spells them, and as the CLI takes them */
    assert_string_equal(ota_chip_display_name(OTA_CHIP_ESP32C6), "ESP32-C6");
    assert_int_equal(ota_chip_info_by_name("ESP32-S3")->id, OTA_CHIP_ESP32S3);
    assert_int_equal(ota_chip_info_by_name("esp32c3")->id, OTA_CHIP_ESP32C3);
    assert_null(ota_chip_info_by_name("esp8266"));
    assert_string_equal(ota_chip_display_name(0x1234), "Unknown ID");
    char types[64];
    ota_chip_memory_types(OTA_CHIP_ESP32S3, 0x3FC90000, types, sizeof types);
    assert_string_equal(types, "BYTE_ACCESSIBLE, MEM_INTERNAL, DRAM");
    ota_chip_memory_types(OTA_CHIP_ESP32, 0, types, sizeof types);
    assert_string_equal(types, "PADDING");
    assert_true(ota_chip_addr_is_mapped(OTA_CHIP_ESP32, 0x400D0020));
    assert_false(ota_chip_addr_is_mapped(OTA_CHIP_ESP32, 0x40080000));
}
