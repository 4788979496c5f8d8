/* Delta updates (issue 13): every kind of bad patch gives its own error, never a crash, never a
 * read outside the old image; a flipped byte anywhere fails cleanly or changes the output (which
 * the SHA-256 check after the write refuses). */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delta_fixture.h"
#include "ota/sim/ota_delta_make.h"
#include "formats/ota_delta.h"
#include "ota/ota_err.h"

static uint8_t *load(const char *name, size_t *len)
{
    char rel[128];
    snprintf(rel, sizeof rel, "delta/%s", name);
    return ts_read_file(ts_testdata(rel), len);
}

static int apply_crafted(const uint8_t *old, size_t old_len, const df_bytes_t *patch, size_t *out_len)
{
    df_io_t io;
    int err = df_apply(old, old_len, patch->buf, patch->len, 3, NULL, &io);
    if (out_len != NULL) {
        *out_len = io.out_len;
    }
    df_io_free(&io);
    return err;
}

static void test_truncated(void **state)
{
    (void)state;
    size_t old_len, patch_len;
    uint8_t *old = load("esp_test_base.bin", &old_len);
    uint8_t *patch = load("esp_test_patch.bin", &patch_len);
    for (size_t cut = 0; cut < patch_len; cut++) {
        df_io_t io;
        int err = df_apply(old, old_len, patch, cut, 0, NULL, &io);
        assert_true(err == OTA_ERR_DELTA_TRUNCATED || err == OTA_ERR_DELTA_SIZE_MISMATCH);
        df_io_free(&io);
    }
    free(patch);
    size_t p2_len;
    uint8_t *p2 = load("app_a_to_edit.patch", &p2_len);
    free(old);
    old = load("app_a.bin", &old_len);
    static const size_t cuts[] = {0, 1, 3, 63, 64, 65, 66, 68, 69, 100, 5000, 10033};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        df_io_t io;
        int err = df_apply(old, old_len, p2, cuts[i], 777, NULL, &io);
        assert_int_equal(err, OTA_ERR_DELTA_TRUNCATED);
        df_io_free(&io);
    }
    free(p2);
    free(old);
}

/* Flip each byte of the small patch (two ways) and many of a big one: a clean error or an output
 * different from the new image; never a crash, an out-of-bounds access (ASan) or an old-image
 * read out of range (df_apply asserts). */
static void flip_sweep(const char *old_name, const char *patch_name, const char *new_name, size_t stride,
                       unsigned *failed, unsigned *differs, unsigned *same)
{
    size_t old_len, patch_len, new_len;
    uint8_t *old = load(old_name, &old_len);
    uint8_t *patch = load(patch_name, &patch_len);
    uint8_t *nw = load(new_name, &new_len);
    static const uint8_t masks[] = {0x01, 0xff, 0x80};
    for (size_t off = 0; off < patch_len; off += off < 80 ? 1 : stride) {
        for (size_t m = 0; m < (off < 80 || stride == 1 ? sizeof masks : 1); m++) {
            patch[off] ^= masks[m];
            df_io_t io;
            ota_delta_config_t cfg = {.allow_bare = true, .old_size = old_len};
            int err = df_apply(old, old_len, patch, patch_len, 509, &cfg, &io);
            if (err != OTA_OK) {
                assert_true(err <= -1100 && err > -1200); /* a delta error naming the cause */
                (*failed)++;
            } else if (io.out_len != new_len || memcmp(io.out, nw, new_len) != 0) {
                /* Undetectable by the format (a diff or literal byte): a different image, which
                 * the SHA-256 check after the write refuses. */
                (*differs)++;
            } else {
                /* Harmless: padding bits, the unchecked base hash, a reference into equal bytes. */
                (*same)++;
            }
            df_io_free(&io);
            patch[off] ^= masks[m];
        }
    }
    free(old);
    free(patch);
    free(nw);
}

static void test_flipped_bytes(void **state)
{
    (void)state;
    unsigned failed = 0, differs = 0, same = 0;
    flip_sweep("esp_test_base.bin", "esp_test_patch.bin", "esp_test_new.bin", 1, &failed, &differs, &same);
    flip_sweep("app_a.bin", "app_a_to_version.patch", "app_a_version.bin", 97, &failed, &differs, &same);
    flip_sweep("app_a.bin", "app_a_to_edit.patch", "app_a_edit.bin", 101, &failed, &differs, &same);
    print_message("flip sweep: %u clean errors, %u changed outputs, %u identical outputs\n", failed, differs,
                  same);
    assert_true(failed > 100);
    assert_true(differs > 100);
}

static void test_wrong_base(void **state)
{
    (void)state;
    size_t old_len, patch_len;
    uint8_t *old = load("app_a.bin", &old_len);
    uint8_t *patch = load("app_a_to_version.patch", &patch_len);
    ota_delta_config_t cfg = {.old_size = old_len, .check_base = true};
    memcpy(cfg.base_sha256, old + old_len - 32, 32);
    cfg.base_sha256[31] ^= 1;
    df_io_t io;
    assert_int_equal(df_apply(old, old_len, patch, patch_len, 10, &cfg, &io), OTA_ERR_DELTA_BASE_MISMATCH);
    assert_int_equal(io.out_len, 0); /* refused before a single byte is written */
    df_io_free(&io);
    ota_delta_header_t h;
    assert_int_equal(ota_delta_parse_header(patch, patch_len, false, &h), OTA_OK);
    assert_int_equal(ota_delta_base_matches(&h, cfg.base_sha256), OTA_ERR_DELTA_BASE_MISMATCH);
    /* A bare patch names no base: it cannot match a running app. */
    free(patch);
    patch = load("esp_test_patch.bin", &patch_len);
    assert_int_equal(ota_delta_parse_header(patch, patch_len, true, &h), OTA_OK);
    assert_int_equal(ota_delta_base_matches(&h, cfg.base_sha256), OTA_ERR_DELTA_BASE_MISMATCH);
    cfg.allow_bare = true;
    assert_int_equal(df_apply(old, old_len, patch, patch_len, 10, &cfg, &io), OTA_ERR_DELTA_BASE_MISMATCH);
    df_io_free(&io);
    free(patch);
    free(old);
}

static void test_headers(void **state)
{
    (void)state;
    uint8_t old[64] = {0};
    df_bytes_t s = {0};
    df_put_size(&s, 0); /* data format */
    df_put_size(&s, 0); /* diff */
    df_put_size(&s, 4); /* extra */
    df_put(&s, "abcd", 4);
    df_put_size(&s, 0); /* adjustment */
    size_t out_len;
    df_bytes_t p = df_patch(false, NULL, 0, 4, 0, &s);
    assert_int_equal(apply_crafted(old, sizeof old, &p, &out_len), OTA_OK);
    assert_int_equal(out_len, 4);
    free(p.buf);
    /* ESP header with a bad magic; a bare patch where the header is required. */
    p = df_patch(true, NULL, 0, 4, 0, &s);
    p.buf[2] ^= 0x10;
    assert_int_equal(apply_crafted(old, sizeof old, &p, NULL), OTA_ERR_DELTA_BAD_MAGIC);
    free(p.buf);
    p = df_patch(false, NULL, 0, 4, 0, &s);
    df_io_t io;
    ota_delta_config_t strict = {.old_size = sizeof old};
    assert_int_equal(df_apply(old, sizeof old, p.buf, p.len, 1, &strict, &io),
                     OTA_ERR_DELTA_BARE_NOT_ALLOWED);
    df_io_free(&io);
    free(p.buf);
    /* patch types 1 (in-place) and 2 (bsdiff), compressions bz2, lzma, crle, zstd */
    static const uint8_t types[] = {0x14, 0x24, 0x03, 0x01, 0x02, 0x05};
    static const int errs[] = {OTA_ERR_DELTA_PATCH_TYPE,  OTA_ERR_DELTA_PATCH_TYPE,
                               OTA_ERR_DELTA_COMPRESSION, OTA_ERR_DELTA_COMPRESSION,
                               OTA_ERR_DELTA_COMPRESSION, OTA_ERR_DELTA_COMPRESSION};
    for (size_t i = 0; i < sizeof types; i++) {
        p = df_patch(false, NULL, types[i], 4, 0, &s);
        assert_int_equal(apply_crafted(old, sizeof old, &p, NULL), errs[i]);
        free(p.buf);
    }
    /* negative new size */
    p = df_patch(false, NULL, 0, -4, 0, &s);
    assert_int_equal(apply_crafted(old, sizeof old, &p, NULL), OTA_ERR_DELTA_BAD_HEADER);
    free(p.buf);
    /* a data-format patch (detools' arm-cortex-m4 etc.) */
    df_bytes_t s2 = {0};
    df_put_size(&s2, 5);
    df_put(&s2, s.buf + 1, s.len - 1);
    p = df_patch(false, NULL, 0, 4, 0, &s2);
    assert_int_equal(apply_crafted(old, sizeof old, &p, NULL), OTA_ERR_DELTA_DATA_FORMAT);
    free(p.buf);
    free(s2.buf);
    /* data after the end */
    p = df_patch(false, NULL, 0, 4, 0, &s);
    df_put(&p, "\x00\x00", 2);
    assert_int_equal(apply_crafted(old, sizeof old, &p, NULL), OTA_ERR_DELTA_TRAILING_DATA);
    free(p.buf);
    free(s.buf);
}

/* Heatshrink settings: any valid window/lookahead works, impossible ones are refused by name. */
static void test_heatshrink_settings(void **state)
{
    (void)state;
    uint8_t old[64] = {0};
    df_bytes_t s = {0};
    df_put_size(&s, 0);
    df_put_size(&s, 0);
    df_put_size(&s, 300);
    for (int i = 0; i < 300; i++) {
        df_put_byte(&s, (uint8_t)(i % 7));
    }
    df_put_size(&s, 0);
    for (unsigned w = 4; w <= 19; w++) {
        for (unsigned l = 3; l <= 18; l++) {
            uint8_t hs = (uint8_t)((w - 4) << 4 | (l - 3));
            df_bytes_t p = df_patch(false, NULL, 0, 300, hs, &s);
            size_t out_len = 0;
            int err = apply_crafted(old, sizeof old, &p, &out_len);
            if (w <= 15 && l < w) {
                assert_int_equal(err, OTA_OK);
                assert_int_equal(out_len, 300);
            } else {
                assert_int_equal(err, OTA_ERR_DELTA_HS_PARAMS);
            }
            free(p.buf);
        }
    }
    /* A window larger than the state's buffer: refused, not overrun. */
    df_bytes_t p = df_patch(false, NULL, 0, 300, 0x63 /* W=10 L=6 */, &s);
    size_t size = OTA_DELTA_STATE_SIZE(8);
    ota_delta_t *d = malloc(size);
    ota_delta_config_t cfg = {.allow_bare = true};
    assert_int_equal(ota_delta_init(d, size, &cfg), OTA_OK);
    df_io_t io = {.old = old, .old_len = sizeof old};
    ota_delta_io_t ops = df_io(&io);
    assert_int_equal(ota_delta_feed(d, &ops, p.buf, p.len), OTA_ERR_DELTA_WINDOW_TOO_LARGE);
    assert_int_equal(ota_delta_finish(d), OTA_ERR_DELTA_WINDOW_TOO_LARGE); /* sticky */
    df_io_free(&io);
    free(d);
    free(p.buf);
    free(s.buf);
}

static void test_chunk_errors(void **state)
{
    (void)state;
    uint8_t old[100];
    ts_fill_random(old, sizeof old, 3);
    df_bytes_t s = {0};
    size_t out_len;
    df_bytes_t p;

    /* reads past the old image: diff of 50 at old offset 60 */
    df_put_size(&s, 0);
    df_put_size(&s, 0);
    df_put_size(&s, 0);
    df_put_size(&s, 60);
    df_put_size(&s, 50);
    for (int i = 0; i < 50; i++) {
        df_put_byte(&s, 0);
    }
    df_put_size(&s, 0);
    df_put_size(&s, 0);
    p = df_patch(false, NULL, 0, 50, 0, &s);
    assert_int_equal(apply_crafted(old, sizeof old, &p, &out_len), OTA_ERR_DELTA_OLD_RANGE);
    assert_int_equal(out_len, 0);
    free(p.buf);
    /* ... or before it: a negative position */
    s.len = 0;
    df_put_size(&s, 0);
    df_put_size(&s, 0);
    df_put_size(&s, 0);
    df_put_size(&s, -1);
    df_put_size(&s, 5);
    df_put(&s, "\0\0\0\0\0", 5);
    df_put_size(&s, 0);
    df_put_size(&s, 0);
    p = df_patch(false, NULL, 0, 5, 0, &s);
    assert_int_equal(apply_crafted(old, sizeof old, &p, NULL), OTA_ERR_DELTA_OLD_RANGE);
    free(p.buf);

    /* writes past the new size: extra of 10 in a 5-byte image */
    s.len = 0;
    df_put_size(&s, 0);
    df_put_size(&s, 0);
    df_put_size(&s, 10);
    df_put(&s, "0123456789", 10);
    df_put_size(&s, 0);
    p = df_patch(false, NULL, 0, 5, 0, &s);
    assert_int_equal(apply_crafted(old, sizeof old, &p, &out_len), OTA_ERR_DELTA_NEW_OVERFLOW);
    assert_int_equal(out_len, 0);
    free(p.buf);
    /* ... a diff likewise */
    s.len = 0;
    df_put_size(&s, 0);
    df_put_size(&s, 8);
    df_put(&s, "\0\0\0\0\0\0\0\0", 8);
    df_put_size(&s, 0);
    df_put_size(&s, 0);
    p = df_patch(false, NULL, 0, 5, 0, &s);
    assert_int_equal(apply_crafted(old, sizeof old, &p, NULL), OTA_ERR_DELTA_NEW_OVERFLOW);
    free(p.buf);

    /* endless stream of empty chunks (all zeros: heatshrink makes megabytes of them from a few
     * bytes): refused after new size + 1 chunks */
    s.len = 0;
    for (int i = 0; i < 5000; i++) {
        df_put_byte(&s, 0);
    }
    p = df_patch(false, NULL, 0, 5, 0, &s);
    assert_int_equal(apply_crafted(old, sizeof old, &p, NULL), OTA_ERR_DELTA_NO_PROGRESS);
    free(p.buf);
    /* Several empty chunks in a row, one that does not move, are valid: detools' C applier
     * (eerimoq/detools c/detools.c, process_adjustment) takes them and real releases have them
     * (du1906_v1.2.2_to_v1.4.0.patch). new size 5: an empty chunk, three more (+7, 0, -3), then
     * 5 diff bytes from old + 4. */
    s.len = 0;
    df_put_size(&s, 0);
    for (int i = 0; i < 4; i++) {
        static const int adj[4] = {2, 7, 0, -5};
        df_put_size(&s, 0);
        df_put_size(&s, 0);
        df_put_size(&s, adj[i]);
    }
    df_put_size(&s, 5);
    df_put(&s, "\0\0\0\0\0", 5);
    df_put_size(&s, 0);
    df_put_size(&s, 0);
    p = df_patch(false, NULL, 0, 5, 0, &s);
    {
        df_io_t io4;
        assert_int_equal(df_apply(old, sizeof old, p.buf, p.len, 1, NULL, &io4), OTA_OK);
        assert_int_equal(io4.out_len, 5);
        assert_memory_equal(io4.out, old + 4, 5);
        df_io_free(&io4);
    }
    free(p.buf);
    /* The bound: detools' encoder (detools/bsdiff.c create_patch_loop) writes each chunk at a
     * strictly growing scan position 0..new size, so at most new size + 1 chunks. new size 5:
     * one empty chunk + five 1-byte chunks = 6 applies; a second empty chunk (7) is refused. */
    for (int extra_empty = 0; extra_empty < 2; extra_empty++) {
        s.len = 0;
        df_put_size(&s, 0);
        for (int i = 0; i < 1 + extra_empty; i++) {
            df_put_size(&s, 0);
            df_put_size(&s, 0);
            df_put_size(&s, 1);
        }
        for (int i = 0; i < 5; i++) {
            df_put_size(&s, 0);
            df_put_size(&s, 1);
            df_put(&s, "v", 1);
            df_put_size(&s, 0);
        }
        p = df_patch(false, NULL, 0, 5, 0, &s);
        assert_int_equal(apply_crafted(old, sizeof old, &p, &out_len),
                         extra_empty == 0 ? OTA_OK : OTA_ERR_DELTA_NO_PROGRESS);
        free(p.buf);
    }
    /* one leading empty chunk that moves the old position is what bsdiff makes: fine */
    s.len = 0;
    df_put_size(&s, 0);
    df_put_size(&s, 0);
    df_put_size(&s, 0);
    df_put_size(&s, 7);
    df_put_size(&s, 5);
    df_put(&s, "\0\0\0\0\0", 5);
    df_put_size(&s, 0);
    df_put_size(&s, 0);
    p = df_patch(false, NULL, 0, 5, 0, &s);
    df_io_t io;
    assert_int_equal(df_apply(old, sizeof old, p.buf, p.len, 2, NULL, &io), OTA_OK);
    assert_int_equal(io.out_len, 5);
    assert_memory_equal(io.out, old + 7, 5);
    df_io_free(&io);
    free(p.buf);

    /* the stream ends between two chunks before the declared size */
    s.len = 0;
    df_put_size(&s, 0);
    df_put_size(&s, 0);
    df_put_size(&s, 3);
    df_put(&s, "abc", 3);
    df_put_size(&s, 0);
    p = df_patch(false, NULL, 0, 5, 0, &s);
    assert_int_equal(apply_crafted(old, sizeof old, &p, &out_len), OTA_ERR_DELTA_SIZE_MISMATCH);
    assert_int_equal(out_len, 3);
    free(p.buf);
    /* a caller expecting another size refuses at the header */
    p = df_patch(false, NULL, 0, 5, 0, &s);
    ota_delta_config_t cfg = {.allow_bare = true, .old_size = sizeof old, .expected_new_size = 6};
    assert_int_equal(df_apply(old, sizeof old, p.buf, p.len, 2, &cfg, &io), OTA_ERR_DELTA_SIZE_MISMATCH);
    assert_int_equal(io.out_len, 0);
    df_io_free(&io);
    free(p.buf);
    /* negative sizes and over-long size fields are corrupt */
    s.len = 0;
    df_put_size(&s, 0);
    df_put_size(&s, -3);
    p = df_patch(false, NULL, 0, 5, 0, &s);
    assert_int_equal(apply_crafted(old, sizeof old, &p, NULL), OTA_ERR_DELTA_CORRUPT);
    free(p.buf);
    s.len = 0;
    df_put_size(&s, 0);
    for (int i = 0; i < 12; i++) {
        df_put_byte(&s, 0x80);
    }
    df_put_byte(&s, 0x01);
    p = df_patch(false, NULL, 0, 5, 0, &s);
    assert_int_equal(apply_crafted(old, sizeof old, &p, NULL), OTA_ERR_DELTA_CORRUPT);
    free(p.buf);
    free(s.buf);
}

/* The patch's declared size altered in Espressif's patch: too small -> writes past it; larger ->
 * the stream ends before it. */
static void test_wrong_size_in_header(void **state)
{
    (void)state;
    size_t old_len, patch_len;
    uint8_t *old = load("esp_test_base.bin", &old_len);
    uint8_t *patch = load("esp_test_patch.bin", &patch_len);
    /* bytes 1..2: 0xbd 0x13 = 61 + 19*64 = 1277 */
    patch[1] = 0xbc; /* 1276 */
    df_io_t io;
    assert_int_equal(df_apply(old, old_len, patch, patch_len, 100, NULL, &io), OTA_ERR_DELTA_NEW_OVERFLOW);
    df_io_free(&io);
    patch[1] = 0xbe; /* 1278 */
    int err = df_apply(old, old_len, patch, patch_len, 100, NULL, &io);
    assert_true(err == OTA_ERR_DELTA_SIZE_MISMATCH || err == OTA_ERR_DELTA_TRUNCATED);
    df_io_free(&io);
    free(patch);
    free(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_flipped_bytes),
        cmocka_unit_test(test_wrong_base),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_heatshrink_settings),
        cmocka_unit_test(test_chunk_errors),
        cmocka_unit_test(test_wrong_size_in_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
