/* Delta updates (issue 13): the heatshrink codec, Espressif's patches through the C applier in
 * odd piece sizes, resume from a checkpoint at every piece boundary, `ota delta make` round trips.
 * Expected outputs are Espressif's files (../shared/testdata/delta) or hand-made bit strings. */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delta_fixture.h"
#include "ota/sim/ota_delta_make.h"
#include "formats/ota_delta.h"
#include "ota/ota_err.h"
#include "formats/ota_heatshrink.h"

static uint8_t *load(const char *name, size_t *len)
{
    char rel[128];
    snprintf(rel, sizeof rel, "delta/%s", name);
    return ts_read_file(ts_testdata(rel), len);
}

/* Decode @p in fully, sinking @p step bytes at a time, polling into @p cap-byte pieces. */
static uint8_t *hs_decode(const uint8_t *in, size_t len, unsigned w, unsigned l, size_t step, size_t cap,
                          size_t *out_len)
{
    ota_hs_decoder_t d;
    uint8_t *window = malloc((size_t)1 << w);
    size_t out_cap = 1024, n = 0;
    uint8_t *out = malloc(out_cap);
    assert_int_equal(ota_hs_decoder_init(&d, window, w, l), OTA_OK);
    size_t pos = 0;
    for (;;) {
        if (pos < len) {
            size_t took;
            size_t k = len - pos < step ? len - pos : step;
            assert_int_equal(ota_hs_decoder_sink(&d, in + pos, k, &took), OTA_OK);
            pos += took;
        }
        for (;;) {
            if (n + cap > out_cap) {
                out_cap = 2 * (n + cap);
                out = realloc(out, out_cap);
            }
            size_t got;
            assert_int_equal(ota_hs_decoder_poll(&d, window, out + n, cap, &got), OTA_OK);
            n += got;
            if (got < cap) {
                break;
            }
        }
        if (pos == len && ota_hs_decoder_pending_input(&d) == 0) {
            break;
        }
    }
    assert_int_equal(ota_hs_decoder_finish(&d), OTA_OK);
    free(window);
    *out_len = n;
    return out;
}

/* Hand-assembled stream, W=8 L=7: literal 'a' (1 01100001), back-reference distance 1 length 5
 * (0 00000000 0000100), literal 'b' (1 01100010), reference distance 2 length 3 (0 00000001
 * 0000010), zero padding. */
static void test_hs_decoder_hand_made_bits(void **state)
{
    (void)state;
    /* bits: 1 01100001 | 0 00000000 0000100 | 1 01100010 | 0 00000001 0000010 | pad */
    const char *bits = "101100001"
                       "0000000000000100"
                       "101100010"
                       "0000000010000010";
    uint8_t in[16] = {0};
    size_t nbits = strlen(bits);
    for (size_t i = 0; i < nbits; i++) {
        if (bits[i] == '1') {
            in[i / 8] |= (uint8_t)(0x80 >> (i % 8));
        }
    }
    size_t len = (nbits + 7) / 8, out_len;
    /* 'a', 5 copies of the byte 1 back: "aaaaaa", 'b', then 3 bytes from 2 back, overlapping
     * what they write: "aba". */
    const char *expect = "aaaaaab"
                         "aba";
    for (size_t step = 1; step <= len; step++) {
        uint8_t *out = hs_decode(in, len, 8, 7, step, 1 + step % 3, &out_len);
        assert_int_equal(out_len, strlen(expect));
        assert_memory_equal(out, expect, out_len);
        free(out);
    }
}

static void test_hs_reference_before_start_reads_zeros(void **state)
{
    (void)state;
    /* W=4 L=3: reference distance 16 length 8 at the start: 0 1111 111 -> eight zero bytes. */
    uint8_t in[1] = {0x7f};
    size_t out_len;
    uint8_t *out = hs_decode(in, 1, 4, 3, 1, 4, &out_len);
    uint8_t zeros[8] = {0};
    assert_int_equal(out_len, 8);
    assert_memory_equal(out, zeros, 8);
    free(out);
}

static void test_hs_params(void **state)
{
    (void)state;
    ota_hs_decoder_t d;
    uint8_t window[1 << 15];
    static const unsigned bad[][2] = {{3, 2}, {16, 7}, {8, 8}, {8, 9}, {8, 2}, {4, 4}, {19, 3}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(ota_hs_params_valid(bad[i][0], bad[i][1]));
        assert_int_equal(ota_hs_decoder_init(&d, window, bad[i][0], bad[i][1]), OTA_ERR_DELTA_HS_PARAMS);
    }
    static const unsigned good[][2] = {{4, 3}, {8, 7}, {8, 4}, {15, 14}, {15, 3}, {10, 5}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_true(ota_hs_params_valid(good[i][0], good[i][1]));
        assert_int_equal(ota_hs_decoder_init(&d, window, good[i][0], good[i][1]), OTA_OK);
    }
}

/* Our encoder and decoder agree for every valid W/L class, on text-like, random and sparse data. */
static void test_hs_round_trip(void **state)
{
    (void)state;
    size_t len = 70000;
    uint8_t *data = malloc(len);
    ts_fill_random(data, len, 7);
    for (size_t i = 0; i < len; i++) {
        if ((i / 1000) % 3 == 0) {
            data[i] = 0; /* runs */
        } else if ((i / 1000) % 3 == 1) {
            data[i] = (uint8_t) "the quick brown fox "[i % 20];
        }
    }
    static const unsigned params[][2] = {{4, 3}, {8, 7}, {8, 4}, {10, 5}, {12, 11}, {15, 14}};
    for (size_t p = 0; p < sizeof params / sizeof params[0]; p++) {
        uint8_t *comp;
        size_t comp_len, out_len;
        assert_int_equal(delta_hs_encode(data, len, params[p][0], params[p][1], &comp, &comp_len), OTA_OK);
        assert_true(comp_len < len);
        uint8_t *out =
            hs_decode(comp, comp_len, params[p][0], params[p][1], 1 + p * 37, 1 + p * 101, &out_len);
        assert_int_equal(out_len, len);
        assert_memory_equal(out, data, len);
        free(out);
        free(comp);
    }
    uint8_t *comp;
    size_t comp_len;
    assert_int_equal(delta_hs_encode(data, 10, 8, 8, &comp, &comp_len), OTA_ERR_DELTA_HS_PARAMS);
    free(data);
}

typedef struct {
    const char *old, *patch, *new_img;
    bool esp;
} vector_t;

static const vector_t k_vectors[] = {
    {"esp_test_base.bin", "esp_test_patch.bin", "esp_test_new.bin", false},
    {"app_a.bin", "app_a_to_version.patch", "app_a_version.bin", true},
    {"app_a.bin", "app_a_to_edit.patch", "app_a_edit.bin", true},
};

/* Espressif's patches give Espressif's new images byte for byte, whatever the piece size. */
static void test_espressif_patches_apply(void **state)
{
    (void)state;
    static const size_t steps[] = {0, 1, 2, 3, 7, 13, 64, 333, 4096, 65537};
    for (size_t v = 0; v < sizeof k_vectors / sizeof k_vectors[0]; v++) {
        size_t old_len, patch_len, new_len;
        uint8_t *old = load(k_vectors[v].old, &old_len);
        uint8_t *patch = load(k_vectors[v].patch, &patch_len);
        uint8_t *nw = load(k_vectors[v].new_img, &new_len);
        ota_delta_header_t h;
        assert_int_equal(ota_delta_parse_header(patch, patch_len, true, &h), OTA_OK);
        assert_int_equal(h.esp_header, k_vectors[v].esp);
        assert_int_equal(h.new_size, new_len);
        assert_int_equal(h.window_bits, 8);
        assert_int_equal(h.lookahead_bits, 7);
        if (k_vectors[v].esp) {
            /* The header names the base by its validation hash: app_a.bin's last 32 bytes. */
            assert_int_equal(ota_delta_base_matches(&h, old + old_len - 32), OTA_OK);
            assert_int_equal(ota_delta_parse_header(patch, patch_len, false, &h), OTA_OK);
        } else {
            assert_int_equal(ota_delta_parse_header(patch, patch_len, false, &h),
                             OTA_ERR_DELTA_BARE_NOT_ALLOWED);
        }
        for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
            if (steps[s] == 1 && patch_len > 2000) {
                continue; /* byte by byte only for the small one: 1-byte feeds are covered there */
            }
            df_io_t io;
            ota_delta_config_t cfg = {
                .allow_bare = !k_vectors[v].esp, .old_size = old_len, .expected_new_size = new_len};
            if (k_vectors[v].esp) {
                cfg.check_base = true;
                memcpy(cfg.base_sha256, old + old_len - 32, 32);
            }
            assert_int_equal(df_apply(old, old_len, patch, patch_len, steps[s], &cfg, &io), OTA_OK);
            assert_int_equal(io.out_len, new_len);
            assert_memory_equal(io.out, nw, new_len);
            df_io_free(&io);
        }
        free(old);
        free(patch);
        free(nw);
    }
}

/* A real release (issue 19): Espressif's esp_delta_ota_patch_gen.py patch between two shipped
 * korvo_du1906 apps has several empty chunks in a row (no diff, no extra, an adjustment), which
 * detools' C applier takes. It gives du1906_v1.4.0.bin byte for byte. */
static void test_real_release_patch_applies(void **state)
{
    (void)state;
    size_t old_len, patch_len, new_len;
    uint8_t *old = load("releases/du1906_v1.2.2.bin", &old_len);
    uint8_t *patch = load("releases/du1906_v1.2.2_to_v1.4.0.patch", &patch_len);
    uint8_t *nw = load("releases/du1906_v1.4.0.bin", &new_len);
    /* v1.2.2's validation hash, computed with Python's hashlib over the file without its last 32
     * bytes (= those 32 bytes: the file is the image, unpadded) */
    static const char k_base_hex[] = "b97588db64615cfb7284c3bf2ee01a975e2605a6a804549c30292112706e6b66";
    uint8_t base[32];
    for (size_t i = 0; i < 32; i++) {
        unsigned b;
        sscanf(k_base_hex + 2 * i, "%2x", &b);
        base[i] = (uint8_t)b;
    }
    uint8_t vh[32];
    uint32_t image_len = 0;
    assert_int_equal(ota_delta_validation_hash(old, old_len, vh, &image_len), OTA_OK);
    assert_memory_equal(vh, base, 32);
    assert_int_equal(image_len, old_len);
    ota_delta_header_t h;
    assert_int_equal(ota_delta_parse_header(patch, patch_len, false, &h), OTA_OK);
    assert_int_equal(ota_delta_base_matches(&h, base), OTA_OK);
    assert_int_equal(h.new_size, new_len);
    static const size_t steps[] = {4096, 65537, 333};
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        df_io_t io;
        ota_delta_config_t cfg = {.old_size = old_len, .check_base = true, .expected_new_size = new_len};
        memcpy(cfg.base_sha256, base, 32);
        assert_int_equal(df_apply(old, old_len, patch, patch_len, steps[s], &cfg, &io), OTA_OK);
        assert_int_equal(io.out_len, new_len);
        assert_memory_equal(io.out, nw, new_len);
        df_io_free(&io);
    }
    free(old);
    free(patch);
    free(nw);
}

/* ESP's "wrong patch" test: it applies, and the result is not the new image (the SHA-256 check
 * after the write refuses it). */
static void test_espressif_bad_patch(void **state)
{
    (void)state;
    size_t old_len, patch_len, new_len;
    uint8_t *old = load("esp_test_base.bin", &old_len);
    uint8_t *patch = load("esp_test_bad_patch.bin", &patch_len);
    uint8_t *nw = load("esp_test_new.bin", &new_len);
    df_io_t io;
    assert_int_equal(df_apply(old, old_len, patch, patch_len, 5, NULL, &io), OTA_OK);
    assert_true(io.out_len != new_len || memcmp(io.out, nw, new_len) != 0);
    df_io_free(&io);
    free(old);
    free(patch);
    free(nw);
}

/* Resume: at every piece boundary, save the state (memcpy), later restore it into another buffer
 * and feed the patch again from ota_delta_patch_offset(); the output, cut back to
 * ota_delta_new_offset(), must continue byte-identically. */
static void resume_everywhere(const uint8_t *old, size_t old_len, const uint8_t *patch, size_t patch_len,
                              const uint8_t *nw, size_t new_len, size_t step, size_t restart_every)
{
    size_t size = OTA_DELTA_STATE_SIZE(8);
    ota_delta_t *d = malloc(size);
    ota_delta_t *snap = malloc(size);
    ota_delta_config_t cfg = {.allow_bare = true, .old_size = old_len};
    assert_int_equal(ota_delta_init(d, size, &cfg), OTA_OK);
    df_io_t io = {.old = old, .old_len = old_len};
    ota_delta_io_t ops = df_io(&io);
    size_t boundary = 0;
    for (size_t pos = 0; pos < patch_len;) {
        /* Checkpoint here; continue on a byte copy of it (the restored state is the live one). */
        memcpy(snap, d, ota_delta_state_size(d));
        uint8_t *other = malloc(size);
        memcpy(other, snap, size);
        assert_int_equal(ota_delta_state_check((ota_delta_t *)other, size), OTA_OK);
        free(d);
        d = (ota_delta_t *)other;
        if (restart_every && boundary % restart_every == 0 && pos > 0) {
            /* A real restart: forget the output after the checkpoint's offset (here: none was
             * written since), and go on from the checkpoint's patch offset. */
            assert_int_equal(ota_delta_patch_offset(d), pos);
            io.out_len = (size_t)ota_delta_new_offset(d);
        }
        size_t n = patch_len - pos < step ? patch_len - pos : step;
        assert_int_equal(ota_delta_feed(d, &ops, patch + pos, n), OTA_OK);
        pos += n;
        boundary++;
    }
    assert_int_equal(ota_delta_finish(d), OTA_OK);
    assert_int_equal(io.out_len, new_len);
    assert_memory_equal(io.out, nw, new_len);

    /* And a restart that really replays: checkpoint in the middle, run to the end, restore, run
     * again from there: the same bytes again. */
    assert_int_equal(ota_delta_init(d, size, &cfg), OTA_OK);
    df_io_free(&io);
    io = (df_io_t){.old = old, .old_len = old_len};
    size_t mid = patch_len / 2;
    assert_int_equal(ota_delta_feed(d, &ops, patch, mid), OTA_OK);
    memcpy(snap, d, size);
    assert_int_equal(ota_delta_feed(d, &ops, patch + mid, patch_len - mid), OTA_OK);
    assert_int_equal(ota_delta_finish(d), OTA_OK);
    memcpy(d, snap, size);
    io.out_len = (size_t)ota_delta_new_offset(d);
    assert_int_equal(ota_delta_feed(d, &ops, patch + ota_delta_patch_offset(d),
                                    patch_len - (size_t)ota_delta_patch_offset(d)),
                     OTA_OK);
    assert_int_equal(ota_delta_finish(d), OTA_OK);
    assert_int_equal(io.out_len, new_len);
    assert_memory_equal(io.out, nw, new_len);
    df_io_free(&io);
    free(d);
    free(snap);
}

static void test_resume_at_every_boundary(void **state)
{
    (void)state;
    for (size_t v = 0; v < sizeof k_vectors / sizeof k_vectors[0]; v++) {
        size_t old_len, patch_len, new_len;
        uint8_t *old = load(k_vectors[v].old, &old_len);
        uint8_t *patch = load(k_vectors[v].patch, &patch_len);
        uint8_t *nw = load(k_vectors[v].new_img, &new_len);
        resume_everywhere(old, old_len, patch, patch_len, nw, new_len, patch_len < 2000 ? 1 : 61, 3);
        free(old);
        free(patch);
        free(nw);
    }
}

/* A true replay from every checkpoint of the small patch (1-byte pieces): restore, feed the rest,
 * compare with Espressif's new image. */
static void test_replay_from_every_checkpoint(void **state)
{
    (void)state;
    size_t old_len, patch_len, new_len;
    uint8_t *old = load("esp_test_base.bin", &old_len);
    uint8_t *patch = load("esp_test_patch.bin", &patch_len);
    uint8_t *nw = load("esp_test_new.bin", &new_len);
    size_t size = OTA_DELTA_STATE_SIZE(8);
    ota_delta_t *d = malloc(size), *r = malloc(size);
    ota_delta_config_t cfg = {.allow_bare = true, .old_size = old_len};
    assert_int_equal(ota_delta_init(d, size, &cfg), OTA_OK);
    df_io_t io = {.old = old, .old_len = old_len}, io2 = {.old = old, .old_len = old_len};
    ota_delta_io_t ops = df_io(&io), ops2 = df_io(&io2);
    for (size_t pos = 0; pos <= patch_len; pos++) {
        memcpy(r, d, size);
        io2.out_len = 0;
        /* the replay's output = the first run's output so far + what the rest produces */
        size_t keep = (size_t)ota_delta_new_offset(r);
        assert_int_equal(ota_delta_feed(r, &ops2, patch + pos, patch_len - pos), OTA_OK);
        assert_int_equal(ota_delta_finish(r), OTA_OK);
        assert_int_equal(keep + io2.out_len, new_len);
        assert_memory_equal(io.out ? io.out : nw, nw, keep);
        assert_memory_equal(io2.out, nw + keep, io2.out_len);
        if (pos < patch_len) {
            assert_int_equal(ota_delta_feed(d, &ops, patch + pos, 1), OTA_OK);
        }
    }
    df_io_free(&io);
    df_io_free(&io2);
    free(d);
    free(r);
    free(old);
    free(patch);
    free(nw);
}

/* Patches made by our maker apply to the new image, in every heatshrink setting; made from the
 * testdata pairs and from generated ones (a few bytes changed, a block inserted, a block moved). */
static void roundtrip(const uint8_t *old, size_t old_len, const uint8_t *nw, size_t new_len, unsigned w,
                      unsigned l, bool esp, size_t *patch_size)
{
    delta_make_options_t o = {.esp_header = esp, .window_bits = w, .lookahead_bits = l};
    uint8_t *patch;
    size_t patch_len;
    delta_make_stats_t st;
    /* The header names the base by its validation hash: an app image's (app_a.bin's is its last
     * 32 bytes, the SHA-256 esptool appended); generated data is no image: the maker refuses it
     * as esp_delta_ota_patch_gen.py does, unless the caller names the base. */
    static const uint8_t k_named[32] = {0x5a, 1, 2, 3};
    uint8_t want[32];
    bool image = ota_delta_validation_hash(old, old_len, want, NULL) == OTA_OK;
    if (esp && !image) {
        assert_int_equal(delta_make(old, old_len, nw, new_len, &o, &patch, &patch_len, &st),
                         OTA_ERR_DELTA_NO_BASE_HASH);
        o.base_sha256 = k_named;
        memcpy(want, k_named, sizeof want);
    }
    assert_int_equal(delta_make(old, old_len, nw, new_len, &o, &patch, &patch_len, &st), OTA_OK);
    ota_delta_header_t h;
    assert_int_equal(ota_delta_parse_header(patch, patch_len, !esp, &h), OTA_OK);
    assert_int_equal(h.esp_header, esp);
    if (esp) {
        assert_memory_equal(h.base_sha256, want, 32);
    }
    assert_int_equal(h.new_size, new_len);
    /* A patch making 0 bytes ends after its size: no heatshrink byte (detools does the same). */
    assert_int_equal(h.window_bits, new_len == 0 ? 0 : w ? w : 8);
    assert_int_equal(h.lookahead_bits, new_len == 0 ? 0 : l ? l : 7);
    assert_int_equal(st.diff_bytes + st.extra_bytes, new_len);
    df_io_t io;
    assert_int_equal(df_apply(old, old_len, patch, patch_len, 1000, NULL, &io), OTA_OK);
    assert_int_equal(io.out_len, new_len);
    if (new_len > 0) {
        assert_memory_equal(io.out, nw, new_len);
    }
    df_io_free(&io);
    if (patch_size != NULL) {
        *patch_size = patch_len;
    }
    free(patch);
}

static void test_make_round_trips(void **state)
{
    (void)state;
    for (size_t v = 0; v < sizeof k_vectors / sizeof k_vectors[0]; v++) {
        size_t old_len, new_len, patch_len, ours;
        uint8_t *old = load(k_vectors[v].old, &old_len);
        uint8_t *nw = load(k_vectors[v].new_img, &new_len);
        uint8_t *theirs = load(k_vectors[v].patch, &patch_len);
        roundtrip(old, old_len, nw, new_len, 0, 0, k_vectors[v].esp, &ours);
        /* Espressif's generator is the reference: ours at most 5 % larger. */
        assert_true(ours * 100 <= patch_len * 105);
        roundtrip(old, old_len, nw, new_len, 10, 5, false, NULL);
        free(old);
        free(nw);
        free(theirs);
    }
    /* Generated pairs. */
    size_t len = 200000;
    uint8_t *a = malloc(len), *b = malloc(len + 5000);
    ts_fill_random(a, len, 11);
    for (size_t i = 0; i < len; i += 3) {
        a[i] = 0; /* code-like: not incompressible */
    }
    memcpy(b, a, len);
    b[100] ^= 1;
    b[len / 2] = 0x55;
    roundtrip(a, len, b, len, 0, 0, true, NULL);
    /* insert 5000 bytes in the middle, move a block */
    memcpy(b, a, len / 2);
    ts_fill_random(b + len / 2, 5000, 12);
    memcpy(b + len / 2 + 5000, a + len / 2, len / 2);
    memcpy(b + 1000, a + 150000, 4000);
    roundtrip(a, len, b, len + 5000, 0, 0, true, NULL);
    roundtrip(a, len, b, len + 5000, 4, 3, false, NULL);
    roundtrip(a, len, b, len + 5000, 15, 14, false, NULL);
    /* degenerate: empty old, empty new, identical */
    roundtrip(a, 0, b, 3000, 0, 0, false, NULL);
    roundtrip(a, len, b, 0, 0, 0, false, NULL);
    roundtrip(a, len, a, len, 0, 0, true, NULL);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hs_decoder_hand_made_bits),
        cmocka_unit_test(test_hs_reference_before_start_reads_zeros),
        cmocka_unit_test(test_hs_params),
        cmocka_unit_test(test_hs_round_trip),
        cmocka_unit_test(test_espressif_patches_apply),
        cmocka_unit_test(test_espressif_bad_patch),
        cmocka_unit_test(test_real_release_patch_applies),
        cmocka_unit_test(test_resume_at_every_boundary),
        cmocka_unit_test(test_replay_from_every_checkpoint),
        cmocka_unit_test(test_make_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
