/*
 * Tone image builder: Espressif's images rebuilt byte for byte from their own files, and the
 * layout of synthetic images checked against an independent assembly done here the way
 * mk_audio_tone.py does it (struct-like packing by hand, zlib's crc32).
 */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ota/ota_err.h"
#include "ota/ota_tone.h"
#include "ota/sim/ota_tone_build.h"

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Split an image into its files using only the raw table bytes (no library parsing). */
static size_t split_files(const uint8_t *d, ota_tone_file_t *files)
{
    size_t n = (size_t)(d[2] | d[3] << 8);
    uint32_t desc = rd32(d + 4) == 1 ? 256 : 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *e = d + 8 + desc + 64 * i;
        files[i].data = d + rd32(e + 4);
        files[i].len = rd32(e + 8);
        files[i].type = (ota_tone_file_type_t)e[2];
    }
    return n;
}

static void test_rebuild_fmt0_byte_identical(void **state)
{
    (void)state;
    size_t len;
    uint8_t *orig = ts_read_file(ts_testdata("esp-adf/flash_tone_fmt0.bin"), &len);
    ota_tone_file_t files[32];
    size_t n = split_files(orig, files);
    assert_int_equal(n, 21);
    ota_tone_build_config_t cfg = {.format = OTA_TONE_BUILD_FORMAT_0};
    uint32_t size = 0;
    assert_int_equal(ota_tone_build_size(&cfg, files, n, &size), OTA_OK);
    assert_int_equal(size, len);
    uint8_t *out = malloc(len);
    size_t written = 0;
    assert_int_equal(ota_tone_build_to_buffer(&cfg, files, n, out, len, &written), OTA_OK);
    assert_int_equal(written, len);
    assert_memory_equal(out, orig, len);
    free(out);
    free(orig);
}

static void test_rebuild_fmt1_byte_identical(void **state)
{
    (void)state;
    size_t len;
    uint8_t *orig = ts_read_file(ts_testdata("esp-adf/tone_fmt1_mixer.bin"), &len);
    ota_tone_file_t files[4];
    size_t n = split_files(orig, files);
    assert_int_equal(n, 2);
    /* version, time and date as the original's description holds them (offsets per §7) */
    char version[33] = {0}, time_s[17] = {0}, date_s[17] = {0};
    memcpy(version, orig + 8 + 16, 32);
    memcpy(time_s, orig + 8 + 80, 16);
    memcpy(date_s, orig + 8 + 96, 16);
    ota_tone_build_config_t cfg = {
        .format = OTA_TONE_BUILD_FORMAT_1, .version = version, .time = time_s, .date = date_s};
    uint8_t *out = malloc(len);
    size_t written = 0;
    assert_int_equal(ota_tone_build_to_buffer(&cfg, files, n, out, len, &written), OTA_OK);
    assert_int_equal(written, len);
    assert_memory_equal(out, orig, len);
    /* the default format is 1 and the default version "v1.0", like the tool */
    ota_tone_build_config_t defaults = {.time = time_s, .date = date_s};
    memset(out, 0, len);
    assert_int_equal(ota_tone_build_to_buffer(&defaults, files, n, out, len, &written), OTA_OK);
    assert_memory_equal(out, orig, len);
    free(out);
    free(orig);
}

/* --- an independent mk_audio_tone.py, by hand -------------------------------------------- */

typedef struct {
    uint8_t *buf;
    size_t len;
} bytes_t;

static void append(bytes_t *b, const void *data, size_t n)
{
    b->buf = realloc(b->buf, b->len + n + 1);
    if (n == 0) {
        return;
    }
    memcpy(b->buf + b->len, data, n);
    b->len += n;
}

static void append_le(bytes_t *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        uint8_t byte = (uint8_t)(v >> (8 * i));
        append(b, &byte, 1);
    }
}

static void append_str(bytes_t *b, const char *s, size_t field) /* struct.pack('<%ds') */
{
    uint8_t tmp[64] = {0};
    size_t n = strlen(s) < field ? strlen(s) : field;
    memcpy(tmp, s, n);
    append(b, tmp, field);
}

static bytes_t reference_image(int format, const char *version, const char *t, const char *d,
                               const ota_tone_file_t *files, size_t n)
{
    bytes_t b = {NULL, 0};
    append_le(&b, 0x2053, 2);
    append_le(&b, n, 2);
    append_le(&b, (uint64_t)format, 4);
    if (format == 1) {
        append_le(&b, 0xF55F9876u, 4);
        append_le(&b, 0, 4);
        append_le(&b, 0, 8);
        append_str(&b, version, 32);
        append_str(&b, "ESP_TONE_BIN", 32);
        append_str(&b, t, 16);
        append_str(&b, d, 16);
        append_str(&b, "", 32);
        for (int i = 0; i < 32; i++) {
            append_le(&b, 0, 1);
        }
        for (int i = 0; i < 20; i++) {
            append_le(&b, 0, 4);
        }
    }
    size_t next = b.len + 64 * n;
    for (size_t i = 0; i < n; i++) {
        append_le(&b, 0x28, 1);
        append_le(&b, i, 1);
        append_le(&b, files[i].type, 1);
        append_le(&b, 0, 1);
        append_le(&b, next, 4);
        append_le(&b, files[i].len, 4);
        for (int k = 0; k < 12; k++) {
            append_le(&b, 0, 4);
        }
        append_le(&b, 0, 4);
        next += files[i].len + ((4 - files[i].len % 4) % 4);
    }
    for (size_t i = 0; i < n; i++) {
        append(&b, files[i].data, files[i].len);
        for (size_t k = 0; k < (4 - files[i].len % 4) % 4; k++) {
            append_le(&b, 0xFF, 1);
        }
    }
    if (format == 1) {
        uLong crc = crc32(0L, b.buf, (uInt)b.len);
        append_le(&b, crc, 4);
        append_le(&b, 0xDFAC, 2);
    }
    return b;
}

static void test_layout_matches_independent_assembly(void **state)
{
    (void)state;
    /* lengths covering every padding case, an empty file, mp3 and wav */
    const uint32_t lens[] = {0, 1, 2, 3, 4, 5, 6, 7, 1000, 4097, 65536, 3};
    enum {
        N = sizeof lens / sizeof lens[0]
    };
    uint8_t *blob = malloc(200000);
    ts_fill_random(blob, 200000, 42);
    ota_tone_file_t files[N];
    size_t off = 0;
    for (size_t i = 0; i < N; i++) {
        files[i].data = lens[i] ? blob + off : NULL;
        files[i].len = lens[i];
        files[i].type = (i % 3 == 1) ? OTA_TONE_FILE_WAV : OTA_TONE_FILE_MP3;
        off += lens[i];
    }
    for (int format = 0; format <= 1; format++) {
        ota_tone_build_config_t cfg = {
            .format = format ? OTA_TONE_BUILD_FORMAT_1 : OTA_TONE_BUILD_FORMAT_0,
            .version = "v2.2-252-g62edbd26-dirty",
            .time = "23:59:60",
            .date = "2026-07-24",
        };
        bytes_t ref = reference_image(format, cfg.version, cfg.time, cfg.date, files, N);
        uint32_t size;
        assert_int_equal(ota_tone_build_size(&cfg, files, N, &size), OTA_OK);
        assert_int_equal(size, ref.len);
        assert_int_equal(size % 4, format ? 2 : 0);
        uint8_t *out = malloc(size);
        assert_int_equal(ota_tone_build_to_buffer(&cfg, files, N, out, size, NULL), OTA_OK);
        assert_memory_equal(out, ref.buf, size);
        ota_tone_memory_t mem = {out, size};
        ota_tone_info_t info;
        assert_int_equal(ota_tone_validate(ota_tone_memory_read, &mem, size, &info, NULL), OTA_OK);
        assert_int_equal(info.header.total_num, N);
        if (format) {
            assert_string_equal(info.desc.version, "v2.2-252-g62edbd26-dirty");
        }
        free(out);
        free(ref.buf);
    }
    free(blob);
}

static void test_single_file_and_max_files(void **state)
{
    (void)state;
    uint8_t one = 0xAA;
    ota_tone_file_t files[257];
    for (size_t i = 0; i < 257; i++) {
        files[i] = (ota_tone_file_t){&one, 1, OTA_TONE_FILE_WAV};
    }
    ota_tone_build_config_t cfg = {.format = OTA_TONE_BUILD_FORMAT_0};
    uint32_t size;
    assert_int_equal(ota_tone_build_size(&cfg, files, 1, &size), OTA_OK);
    assert_int_equal(size, 8 + 64 + 4);
    assert_int_equal(ota_tone_build_size(&cfg, files, 256, &size), OTA_OK);
    assert_int_equal(size, 8 + 64 * 256 + 4 * 256);
    uint8_t *out = malloc(size);
    assert_int_equal(ota_tone_build_to_buffer(&cfg, files, 256, out, size, NULL), OTA_OK);
    bytes_t ref = reference_image(0, "", "", "", files, 256);
    assert_memory_equal(out, ref.buf, size);
    assert_int_equal(out[8 + 64 * 255 + 1], 255); /* song_index of the last entry */
    ota_tone_memory_t mem = {out, size};
    assert_int_equal(ota_tone_validate(ota_tone_memory_read, &mem, size, NULL, NULL), OTA_OK);
    free(ref.buf);
    free(out);
    assert_int_equal(ota_tone_build_size(&cfg, files, 257, &size), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_tone_build_size(&cfg, files, 0, &size), OTA_ERR_INVALID_ARG);
}

static int count_write(void *ctx, const void *buf, size_t len)
{
    (void)buf;
    size_t *left = ctx;
    if (len > *left) {
        return OTA_ERR_IO;
    }
    *left -= len;
    return OTA_OK;
}

static void test_argument_errors(void **state)
{
    (void)state;
    uint8_t data[5] = {1, 2, 3, 4, 5};
    ota_tone_file_t f = {data, 5, OTA_TONE_FILE_MP3};
    ota_tone_build_config_t cfg = {.time = "12:00:00", .date = "2024-01-01"};
    uint8_t out[512];
    size_t len = 0;
    /* too small a buffer reports the size needed */
    assert_int_equal(ota_tone_build_to_buffer(&cfg, &f, 1, out, 100, &len), OTA_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 8 + 256 + 64 + 8 + 6);
    /* the 32-byte version field: 32 fits without a NUL (struct '32s'), 33 is refused */
    cfg.version = "v0123456789012345678901234567890";
    assert_int_equal(strlen(cfg.version), 32);
    assert_int_equal(ota_tone_build_to_buffer(&cfg, &f, 1, out, sizeof out, &len), OTA_OK);
    ota_tone_desc_t desc;
    assert_int_equal(ota_tone_desc_parse(out + 8, 256, &desc, NULL), OTA_OK);
    assert_string_equal(desc.version, cfg.version);
    cfg.version = "v01234567890123456789012345678901";
    assert_int_equal(ota_tone_build_to_buffer(&cfg, &f, 1, out, sizeof out, &len), OTA_ERR_INVALID_ARG);
    cfg.version = NULL;
    cfg.time = NULL; /* format 1 needs a time: no clock in a pure builder */
    assert_int_equal(ota_tone_build_to_buffer(&cfg, &f, 1, out, sizeof out, &len), OTA_ERR_INVALID_ARG);
    cfg.time = "12:00:00:000000000";
    assert_int_equal(ota_tone_build_to_buffer(&cfg, &f, 1, out, sizeof out, &len), OTA_ERR_INVALID_ARG);
    cfg.time = "12:00:00";
    cfg.format = (ota_tone_build_format_t)7;
    assert_int_equal(ota_tone_build_to_buffer(&cfg, &f, 1, out, sizeof out, &len), OTA_ERR_INVALID_ARG);
    cfg.format = OTA_TONE_BUILD_FORMAT_0; /* format 0 needs no time */
    cfg.time = NULL;
    assert_int_equal(ota_tone_build_to_buffer(&cfg, &f, 1, out, sizeof out, &len), OTA_OK);
    f.type = (ota_tone_file_type_t)2;
    assert_int_equal(ota_tone_build_to_buffer(&cfg, &f, 1, out, sizeof out, &len), OTA_ERR_INVALID_ARG);
    f.type = OTA_TONE_FILE_MP3;
    f.data = NULL;
    assert_int_equal(ota_tone_build_to_buffer(&cfg, &f, 1, out, sizeof out, &len), OTA_ERR_INVALID_ARG);
    f.data = data;
    /* a failing sink stops the build with its error */
    size_t left = 70;
    assert_int_equal(ota_tone_build(&cfg, &f, 1, count_write, &left), OTA_ERR_IO);
    left = 8 + 64 + 8;
    assert_int_equal(ota_tone_build(&cfg, &f, 1, count_write, &left), OTA_OK);
    assert_int_equal(left, 0);
    assert_int_equal(ota_tone_build(&cfg, &f, 1, NULL, NULL), OTA_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rebuild_fmt0_byte_identical),
        cmocka_unit_test(test_rebuild_fmt1_byte_identical),
        cmocka_unit_test(test_layout_matches_independent_assembly),
        cmocka_unit_test(test_single_file_and_max_files),
        cmocka_unit_test(test_argument_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
