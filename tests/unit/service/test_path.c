/* The data path as public pieces (ota_path.h): a custom verifier and a custom stage added to the
 * default app procedure without copying it, run end to end on the RAM device; and the resume
 * contract of a stage through a real resume (power cut, power on, run again): the journal
 * records the source offset, the output offset and the stage's state, and the install completes
 * byte-identically. */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/sim/ota_bootloader.h"
#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"
#include "formats/ota_install_journal.h"
#include "ota/ota_path.h"
#include "ota/ota_proc_default.h"
#include "ota/ota_update_features.h"
#include "service_fixture.h"

/* --- a test stage: XOR de-obfuscation with a header and a CRC trailer ------------------------ */

/* Obfuscated file: "XOR1", u32 body length, u8 key, 7 zero bytes (16-byte header, dropped), the
 * body (plain[i] ^ (key + 13 * i)), then u32 CRC-32 of the plain body (checked by finish, as a
 * GCM tag would be). */
#define XOR_HEADER 16u

typedef struct {
    uint8_t header[XOR_HEADER];
    uint32_t header_got;
    uint32_t body_len;
    uint8_t key;
    uint32_t pos; /* body bytes produced */
    uint32_t crc; /* of the plain bytes produced */
    uint8_t trailer[4];
    uint32_t trailer_got;
    /* test bookkeeping */
    int resets, restores, rebuilds;
    uint64_t rebuilt_bytes;
} xor_stage_t;

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint8_t xor_key_at(uint8_t key, uint32_t i)
{
    return (uint8_t)(key + 13u * i);
}

static int xor_reset(void *arg)
{
    xor_stage_t *x = arg;
    int resets = x->resets + 1, restores = x->restores, rebuilds = x->rebuilds;
    uint64_t rebuilt = x->rebuilt_bytes;
    memset(x, 0, sizeof *x);
    x->resets = resets;
    x->restores = restores;
    x->rebuilds = rebuilds;
    x->rebuilt_bytes = rebuilt;
    return OTA_OK;
}

static int xor_process(void *arg, const uint8_t *in, size_t in_len, size_t *in_used, uint8_t *out,
                       size_t out_cap, size_t *out_len)
{
    xor_stage_t *x = arg;
    size_t used = 0, made = 0;
    while (used < in_len) {
        if (x->header_got < XOR_HEADER) {
            size_t n =
                XOR_HEADER - x->header_got < in_len - used ? XOR_HEADER - x->header_got : in_len - used;
            memcpy(x->header + x->header_got, in + used, n);
            x->header_got += (uint32_t)n;
            used += n;
            if (x->header_got == XOR_HEADER) {
                if (memcmp(x->header, "XOR1", 4) != 0) {
                    return OTA_ERR_INVALID_ARG;
                }
                x->body_len = get32(x->header + 4);
                x->key = x->header[8];
            }
        } else if (x->pos < x->body_len) {
            if (made == out_cap) {
                break;
            }
            size_t n = in_len - used;
            n = n < out_cap - made ? n : out_cap - made;
            n = n < x->body_len - x->pos ? n : x->body_len - x->pos;
            for (size_t i = 0; i < n; i++) {
                out[made + i] = in[used + i] ^ xor_key_at(x->key, x->pos + (uint32_t)i);
            }
            x->crc = ota_crc32_le(x->crc, out + made, n);
            x->pos += (uint32_t)n;
            used += n;
            made += n;
        } else if (x->trailer_got < 4) {
            x->trailer[x->trailer_got++] = in[used++];
        } else {
            return OTA_ERR_IMG_TRAILING_DATA;
        }
    }
    *in_used = used;
    *out_len = made;
    return OTA_OK;
}

static int xor_finish(void *arg, uint8_t *out, size_t out_cap, size_t *out_len)
{
    (void)out;
    (void)out_cap;
    xor_stage_t *x = arg;
    *out_len = 0;
    if (x->header_got < XOR_HEADER || x->pos < x->body_len || x->trailer_got < 4) {
        return OTA_ERR_IMG_TRUNCATED;
    }
    return get32(x->trailer) == x->crc ? OTA_OK : OTA_ERR_IMG_CHECKSUM;
}

/* Saved state: header (16), header_got, pos, crc, trailer_got, trailer: 32 bytes. */
static int xor_save(void *arg, uint8_t *buf, size_t cap, size_t *len)
{
    xor_stage_t *x = arg;
    if (cap < 32) {
        return OTA_ERR_INVALID_SIZE;
    }
    memcpy(buf, x->header, XOR_HEADER);
    put32(buf + 16, x->header_got);
    put32(buf + 20, x->pos);
    put32(buf + 24, x->crc);
    buf[28] = (uint8_t)x->trailer_got;
    memcpy(buf + 29, x->trailer, 3);
    *len = 32;
    return OTA_OK;
}

static int xor_restore(void *arg, const uint8_t *buf, size_t len)
{
    xor_stage_t *x = arg;
    if (len != 32) {
        return OTA_ERR_INVALID_SIZE;
    }
    memcpy(x->header, buf, XOR_HEADER);
    x->header_got = get32(buf + 16);
    x->body_len = get32(x->header + 4);
    x->key = x->header[8];
    x->pos = get32(buf + 20);
    x->crc = get32(buf + 24);
    x->trailer_got = buf[28];
    memcpy(x->trailer, buf + 29, 3);
    x->restores++;
    return OTA_OK;
}

/* Rebuild: the CRC and the position from the plain prefix on flash (as GCM rebuilds GHASH). */
static int xor_rebuild(void *arg, const uint8_t *prefix, size_t len)
{
    xor_stage_t *x = arg;
    x->crc = ota_crc32_le(x->crc, prefix, len);
    x->pos += (uint32_t)len;
    x->rebuilds++;
    x->rebuilt_bytes += len;
    return OTA_OK;
}

static xor_stage_t g_xor;
static ota_stage_t g_stage;

static ota_stage_t xor_stage(ota_stage_resume_t resume)
{
    ota_stage_t s = {.name = "xor",
                     .reset = xor_reset,
                     .process = xor_process,
                     .finish = xor_finish,
                     .resume = resume,
                     .ctx = &g_xor};
    if (resume == OTA_STAGE_RESUME_STATE) {
        s.save = xor_save;
        s.restore = xor_restore;
    } else if (resume == OTA_STAGE_RESUME_REBUILD) {
        s.rebuild = xor_rebuild;
    }
    return s;
}

/* Obfuscate @p plain into d->dir/name; returns the file:// URI. */
static char *make_xor_file(sf_device_t *d, const char *name, const uint8_t *plain, size_t len, uint8_t key)
{
    size_t total = XOR_HEADER + len + 4;
    uint8_t *buf = calloc(1, total);
    memcpy(buf, "XOR1", 4);
    put32(buf + 4, (uint32_t)len);
    buf[8] = key;
    for (size_t i = 0; i < len; i++) {
        buf[XOR_HEADER + i] = plain[i] ^ xor_key_at(key, (uint32_t)i);
    }
    put32(buf + XOR_HEADER + len, ota_crc32_le(0, plain, len));
    char *uri = sf_make_file(d, name, buf, total);
    free(buf);
    return uri;
}

/* --- a test verifier: counts and hashes what it sees, rejects on demand ---------------------- */

typedef struct {
    uint64_t fed;
    ota_sha256_ctx_t sha;
    uint8_t digest[32];
    bool reject_at_finish;
    uint64_t reject_after; /* feed fails once more than this many bytes came; 0 = never */
    int finishes;
} spy_verifier_t;

static spy_verifier_t g_spy;

static int spy_reset(void *arg)
{
    spy_verifier_t *v = arg;
    v->fed = 0;
    ota_sha256_init(&v->sha);
    return OTA_OK;
}

static int spy_feed(void *arg, const uint8_t *data, size_t len)
{
    spy_verifier_t *v = arg;
    v->fed += len;
    ota_sha256_update(&v->sha, data, len);
    return v->reject_after != 0 && v->fed > v->reject_after ? OTA_ERR_IMG_SIGNATURE : OTA_OK;
}

static int spy_finish(void *arg, uint64_t total, ota_staged_read_fn read, void *read_arg)
{
    spy_verifier_t *v = arg;
    v->finishes++;
    ota_sha256_final(&v->sha, v->digest);
    /* the staged image reads back as what was fed: its first bytes are the image header */
    uint8_t magic;
    if (total != v->fed || read(read_arg, 0, &magic, 1) != OTA_OK || magic != 0xE9) {
        return OTA_ERR_INVALID_STATE;
    }
    return v->reject_at_finish ? OTA_ERR_IMG_SIGNATURE : OTA_OK;
}

static const char *spy_message(void *arg)
{
    (void)arg;
    return "spy verifier: signature rejected";
}

/* --- procedures: the default app procedure plus our pieces ------------------------------------ */

static bool g_add_stage, g_add_verifier;

static int custom_prepare(ota_service_t *service, void **handle, ota_node_attr_t *node)
{
    int err = ota_app_default_prepare(service, handle, node);
    if (err == OTA_OK && g_add_stage) {
        err = ota_path_add_stage(*handle, &g_stage);
    }
    if (err == OTA_OK && g_add_verifier) {
        ota_verifier_t v = {.name = "spy",
                            .reset = spy_reset,
                            .feed = spy_feed,
                            .finish = spy_finish,
                            .message = spy_message,
                            .ctx = &g_spy};
        err = ota_path_add_verifier(*handle, &v);
    }
    return err;
}

static ota_upgrade_ops_t custom_item(const char *uri)
{
    ota_upgrade_ops_t item = sf_app_item(uri, true);
    item.prepare = custom_prepare;
    return item;
}

static void setup_pieces(bool stage, ota_stage_resume_t resume, bool verifier)
{
    memset(&g_xor, 0, sizeof g_xor);
    memset(&g_spy, 0, sizeof g_spy);
    g_stage = xor_stage(resume);
    g_add_stage = stage;
    g_add_verifier = verifier;
}

static uint8_t *plain_app(sf_device_t *d, const char *name, uint32_t size, char **uri_out, size_t *len)
{
    char *uri = sf_make_app(d, name, "v2.3", size, 7);
    uint8_t *plain = ts_read_file(uri + strlen("file://"), len);
    *uri_out = uri;
    return plain;
}

/* The old app still boots and ota_1 is not a valid image. */
static void assert_nothing_committed(sf_device_t *d)
{
    assert_true(ota_journal_is_present(sf_partition_bytes(d, "ota_1", NULL), 4));
    ota_device_set_running(&d->dev, NULL);
    assert_int_equal(ota_bootloader_run(&d->dev, NULL), OTA_OK);
    assert_string_equal(ota_device_running(&d->dev)->label, "ota_0");
}

/* --- tests ------------------------------------------------------------------------------------ */

/* A verifier appended to the default app procedure sees every image byte and runs its finish
 * before the commit; when it rejects, nothing is committed and the old app boots. */
static void test_custom_verifier_rejects_before_commit(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    size_t len;
    char *uri;
    uint8_t *plain = plain_app(&d, "app.bin", 300000, &uri, &len);
    uint8_t expect[32];
    ota_sha256(plain, len, expect);

    /* accepting: installed, and the verifier saw exactly the image */
    setup_pieces(false, OTA_STAGE_RESUME_NONE, true);
    ota_upgrade_ops_t list[] = {custom_item(uri)};
    ota_service_summary_t sum;
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_OK);
    assert_int_equal(g_spy.finishes, 1);
    assert_int_equal(g_spy.fed, len);
    assert_memory_equal(g_spy.digest, expect, 32);
    assert_string_equal(ota_device_running(&d.dev)->label, "ota_1");
    sf_device_free(&d);

    /* rejecting at finish: the item fails with the verifier's reason, ota_1 is not committed */
    sf_device_init(&d, SF_RUNNING_VERSION);
    char *uri2 = sf_make_file(&d, "app.bin", plain, len);
    setup_pieces(false, OTA_STAGE_RESUME_NONE, true);
    g_spy.reject_at_finish = true;
    list[0] = custom_item(uri2);
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_ERR_IMG_SIGNATURE);
    assert_int_equal(sum.failed, 1);
    assert_int_equal(g_spy.finishes, 1);
    assert_int_equal(sf_events.reason[sf_events.n - 2], OTA_ERR_IMG_SIGNATURE); /* RESULT, then FINISH */
    assert_nothing_committed(&d);

    /* rejecting in feed: stops the stream at once */
    setup_pieces(false, OTA_STAGE_RESUME_NONE, true);
    g_spy.reject_after = 100000;
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_ERR_IMG_SIGNATURE);
    assert_int_equal(g_spy.finishes, 0);
    assert_true(g_spy.fed < 110000);
    assert_nothing_committed(&d);
    free(plain);
    free(uri);
    free(uri2);
    sf_device_free(&d);
}

/* A de-obfuscation stage inserted into the default app procedure: the checker sees the plain
 * image (its app description), the verifiers and the slot get the plain bytes, the stage's
 * finish can refuse the whole stream before the commit. */
static void test_custom_stage_end_to_end(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    size_t len;
    char *plain_uri;
    uint8_t *plain = plain_app(&d, "plain.bin", 250000, &plain_uri, &len);
    char *uri = make_xor_file(&d, "app.xor", plain, len, 0x5A);
    uint8_t expect[32];
    ota_sha256(plain, len, expect);

    /* without the stage the stream is no image: refused before anything is erased */
    ota_upgrade_ops_t list[] = {sf_app_item(uri, true)};
    ota_service_summary_t sum;
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_ERR_IMG_BAD_MAGIC);
    assert_false(ota_journal_is_present(sf_partition_bytes(&d, "ota_1", NULL), 4));

    /* with it: the version check (on the stage's output) passes, the image is installed */
    setup_pieces(true, OTA_STAGE_RESUME_STATE, true);
    list[0] = custom_item(uri);
    assert_int_equal(sf_run(&d, list, 1, true, &sum), OTA_OK);
    assert_int_equal(sum.succeeded, 1);
    assert_int_equal(g_spy.fed, len);
    assert_memory_equal(g_spy.digest, expect, 32);
    assert_memory_equal(sf_partition_bytes(&d, "ota_1", NULL), plain, len);
    assert_string_equal(ota_device_running(&d.dev)->label, "ota_1");
    size_t xlen;
    uint8_t *x = ts_read_file(uri + strlen("file://"), &xlen);
    sf_device_free(&d);

    /* one flipped byte of the obfuscated body: the stage's finish (CRC) refuses, nothing committed */
    sf_device_init(&d, SF_RUNNING_VERSION);
    x[XOR_HEADER + 100000] ^= 0x01;
    char *bad = sf_make_file(&d, "bad.xor", x, xlen);
    setup_pieces(true, OTA_STAGE_RESUME_STATE, true);
    list[0] = custom_item(bad);
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_ERR_IMG_CHECKSUM);
    assert_int_equal(g_spy.finishes, 0); /* the stage refused first */
    assert_nothing_committed(&d);
    free(x);
    free(bad);
    free(plain);
    free(plain_uri);
    free(uri);
    sf_device_free(&d);
}

/* Power cut in the middle of a staged install, power on, run again: the journal holds the stage
 * record of the last checkpoint; the second run restarts the stage only for sector 0, restores
 * (or rebuilds) it, continues the stream at the recorded source offset, and ends byte-identical. */
static void staged_resume_case(ota_stage_resume_t mode)
{
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    size_t len;
    char *plain_uri;
    uint8_t *plain = plain_app(&d, "plain.bin", 700000, &plain_uri, &len);
    char *uri = make_xor_file(&d, "app.xor", plain, len, 0xA7);
    setup_pieces(true, mode, true);
    ota_upgrade_ops_t list[] = {custom_item(uri)};
    ota_service_summary_t sum;
    assert_int_equal(sf_run_ex(&d, list, 1, false, NULL, NULL, 150, &sum), OTA_ERR_FLASH_POWER_LOST);
    ota_flash_emu_power_on(d.emu);

    /* the journal: version 2, the stage chain, and a stage record paired with the checkpoint */
    uint32_t part_size;
    const uint8_t *sector0 = sf_partition_bytes(&d, "ota_1", &part_size);
    ota_journal_header_t h;
    assert_int_equal(ota_journal_header_decode(sector0, &h), OTA_OK);
    assert_true(h.staged);
    const char *names[] = {"xor"};
    assert_int_equal(h.chain_id, ota_journal_chain_id(names, 1));
    assert_int_equal(h.source_size, XOR_HEADER + len + 4);
    assert_int_equal(h.total_size, part_size);
    ota_journal_checkpoint_t cp;
    ota_journal_stage_t rec;
    uint8_t st[OTA_JOURNAL_STAGE_STATE_MAX];
    assert_int_equal(ota_journal_find_staged(sector0, 4096, &cp, &rec, st), OTA_OK);
    assert_true(cp.bytes_written > 4096 && cp.bytes_written % 4096 == 0);
    assert_int_equal(rec.bytes_written, cp.bytes_written);
    /* the stream offset: header + one obfuscated byte per output byte */
    assert_int_equal(rec.source_offset, XOR_HEADER + cp.bytes_written);
    /* the digest: SHA-256 of the output prefix (the image validator's, here: the image has an
     * appended digest, so its running hash over the first bytes_hashed bytes) */
    uint8_t prefix_digest[32];
    ota_sha256(plain, cp.bytes_hashed, prefix_digest);
    assert_memory_equal(cp.digest, prefix_digest, 32);
    if (mode == OTA_STAGE_RESUME_STATE) {
        assert_int_equal(rec.state_len, 2 + 32);
        assert_int_equal(st[0] | st[1] << 8, 32);
        assert_memory_equal(st + 2, "XOR1", 4);
        assert_int_equal(get32(st + 2 + 20), cp.bytes_written);                         /* pos */
        assert_int_equal(get32(st + 2 + 24), ota_crc32_le(0, plain, cp.bytes_written)); /* crc */
    } else {
        assert_int_equal(rec.state_len, 2);
        assert_int_equal(st[0] | st[1] << 8, 0);
    }

    /* run again: resumed at the recorded stream offset */
    int resets = g_xor.resets;
    g_xor.restores = g_xor.rebuilds = 0;
    g_xor.rebuilt_bytes = 0;
    char needle[64];
    snprintf(needle, sizeof needle, "resumed at byte %u of the stream", (unsigned)rec.source_offset);
    ts_log_capture_start();
    assert_int_equal(sf_run_ex(&d, list, 1, false, NULL, NULL, 0, &sum), OTA_OK);
    bool resumed = ts_log_contains(needle);
    ts_log_capture_stop();
    assert_true(resumed);
    if (mode == OTA_STAGE_RESUME_STATE) {
        assert_int_equal(g_xor.restores, 1);
        assert_int_equal(g_xor.resets, resets + 2); /* the fresh start, the restore */
    } else {
        assert_true(g_xor.rebuilds > 0);
        assert_int_equal(g_xor.rebuilt_bytes, cp.bytes_written - 4096);
    }
    /* the verifiers saw the whole image once more (sector 0, the replayed prefix, the rest) */
    assert_int_equal(g_spy.fed, len);
    assert_memory_equal(sf_partition_bytes(&d, "ota_1", NULL), plain, len);
    assert_string_equal(ota_device_running(&d.dev)->label, "ota_1");
    free(plain);
    free(plain_uri);
    free(uri);
    sf_device_free(&d);
}

static void test_stage_resume_with_saved_state(void **state)
{
    (void)state;
    staged_resume_case(OTA_STAGE_RESUME_STATE);
}

static void test_stage_resume_by_rebuild(void **state)
{
    (void)state;
    staged_resume_case(OTA_STAGE_RESUME_REBUILD);
}

/* A stage that cannot resume: no checkpoint is taken; after a cut the install starts over and
 * still ends byte-identical. */
static void test_stage_not_resumable_restarts(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    size_t len;
    char *plain_uri;
    uint8_t *plain = plain_app(&d, "plain.bin", 500000, &plain_uri, &len);
    char *uri = make_xor_file(&d, "app.xor", plain, len, 0x11);
    setup_pieces(true, OTA_STAGE_RESUME_NONE, false);
    ota_upgrade_ops_t list[] = {custom_item(uri)};
    ota_service_summary_t sum;
    assert_int_equal(sf_run_ex(&d, list, 1, false, NULL, NULL, 150, &sum), OTA_ERR_FLASH_POWER_LOST);
    ota_flash_emu_power_on(d.emu);
    const uint8_t *sector0 = sf_partition_bytes(&d, "ota_1", NULL);
    ota_journal_checkpoint_t cp;
    ota_journal_stage_t rec;
    uint8_t st[OTA_JOURNAL_STAGE_STATE_MAX];
    assert_int_equal(ota_journal_find_staged(sector0, 4096, &cp, &rec, st), OTA_ERR_NOT_FOUND);
    ts_log_capture_start();
    assert_int_equal(sf_run_ex(&d, list, 1, false, NULL, NULL, 0, &sum), OTA_OK);
    bool resumed = ts_log_contains("resumed at byte");
    ts_log_capture_stop();
    assert_false(resumed);
    assert_memory_equal(sf_partition_bytes(&d, "ota_1", NULL), plain, len);
    free(plain);
    free(plain_uri);
    free(uri);
    sf_device_free(&d);
}

/* Power cuts (torn) across a whole staged install, with a stage that saves its state: after each
 * cut the old app boots (or the new one, once otadata switched), and the next run completes the
 * install byte-identically, resuming or starting over, never trusting a half-written record. */
static void test_stage_power_cut_sweep(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    size_t len;
    char *plain_uri;
    uint8_t *plain = plain_app(&d, "plain.bin", 300000, &plain_uri, &len);
    uint8_t *xfile = NULL;
    size_t xlen = 0;
    {
        char *uri = make_xor_file(&d, "app.xor", plain, len, 0x3C);
        xfile = ts_read_file(uri + strlen("file://"), &xlen);
        free(uri);
    }
    /* the number of flash operations of an uncut install */
    setup_pieces(true, OTA_STAGE_RESUME_STATE, false);
    char *uri = sf_make_file(&d, "app.xor", xfile, xlen);
    ota_upgrade_ops_t list[] = {custom_item(uri)};
    ota_service_summary_t sum;
    uint64_t before = ota_flash_emu_op_count(d.emu);
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_OK);
    uint64_t ops = ota_flash_emu_op_count(d.emu) - before;
    free(uri);
    sf_device_free(&d);
    int resumed_runs = 0, points = 0;
    for (uint64_t k = 1; k <= ops; k += ops / 40 + 1, points++) {
        sf_device_init(&d, SF_RUNNING_VERSION);
        uri = sf_make_file(&d, "app.xor", xfile, xlen);
        list[0] = custom_item(uri);
        setup_pieces(true, OTA_STAGE_RESUME_STATE, false);
        assert_int_equal(sf_run_ex(&d, list, 1, false, NULL, NULL, k, &sum), OTA_ERR_FLASH_POWER_LOST);
        ota_flash_emu_power_on(d.emu);
        ota_device_set_running(&d.dev, NULL);
        assert_int_equal(ota_bootloader_run(&d.dev, NULL), OTA_OK);
        const char *booted = ota_device_running(&d.dev)->label;
        if (strcmp(booted, "ota_1") == 0) {
            /* cut after the switch: what boots is the complete new image */
            assert_memory_equal(sf_partition_bytes(&d, "ota_1", NULL), plain, len);
        } else {
            assert_string_equal(booted, "ota_0");
            ts_log_capture_start();
            assert_int_equal(sf_run_ex(&d, list, 1, false, NULL, NULL, 0, &sum), OTA_OK);
            resumed_runs += ts_log_contains("of the stream") ? 1 : 0;
            ts_log_capture_stop();
            assert_memory_equal(sf_partition_bytes(&d, "ota_1", NULL), plain, len);
            assert_string_equal(ota_device_running(&d.dev)->label, "ota_1");
        }
        free(uri);
        sf_device_free(&d);
    }
    printf("staged install: %llu flash operations, %d cut points, %d second runs resumed\n",
           (unsigned long long)ops, points, resumed_runs);
    assert_true(resumed_runs > 0);
    free(xfile);
    free(plain);
    free(plain_uri);
}

/* The journal's stage record: encoded and decoded field by field; a torn continuation slot, or a
 * record without its checkpoint, is not used; version-1 readers see no checkpoint in it. */
static void test_stage_record_format(void **state)
{
    (void)state;
    uint8_t sector[4096];
    memset(sector, 0xFF, sizeof sector);
    ota_journal_header_t h = {
        .total_size = 0x1F0000, .etag = "\"e\"", .staged = true, .source_size = 12345, .chain_id = 0xC0FFEE};
    ota_journal_header_encode(&h, sector);
    assert_int_equal(sector[4], 2);
    ota_journal_header_t back;
    assert_int_equal(ota_journal_header_decode(sector, &back), OTA_OK);
    assert_true(back.staged);
    assert_int_equal(back.source_size, 12345);
    assert_int_equal(back.chain_id, 0xC0FFEE);
    assert_string_equal(back.etag, "\"e\"");

    uint8_t state_in[300];
    ts_fill_random(state_in, sizeof state_in, 3);
    ota_journal_stage_t rec = {
        .bytes_written = 0x30000, .source_offset = 0x30010, .state_len = sizeof state_in};
    uint32_t slots = ota_journal_stage_slots(sizeof state_in);
    assert_int_equal(slots, 1 + (300 - 28 + 39) / 40);
    ota_journal_stage_encode(&rec, state_in, sector + 128);
    ota_journal_checkpoint_t cp = {.bytes_written = 0x30000, .bytes_hashed = 0x30000};
    uint32_t cp_off = 128 + slots * 48;
    ota_journal_record_encode(&cp, sector + cp_off);

    ota_journal_checkpoint_t got;
    ota_journal_stage_t got_rec;
    uint8_t state_out[OTA_JOURNAL_STAGE_STATE_MAX];
    assert_int_equal(ota_journal_find_staged(sector, 4096, &got, &got_rec, state_out), OTA_OK);
    assert_int_equal(got_rec.source_offset, 0x30010);
    assert_int_equal(got_rec.state_len, 300);
    assert_memory_equal(state_out, state_in, 300);
    /* a version-1 reader: every stage slot is "torn", the checkpoint is found */
    for (uint32_t i = 0; i < slots; i++) {
        ota_journal_checkpoint_t c;
        assert_int_equal(ota_journal_record_decode(sector + 128 + i * 48, &c), OTA_ERR_SVC_CHECKPOINT);
    }
    /* a second record cut before its checkpoint: the first pair still counts */
    ota_journal_stage_t rec2 = {.bytes_written = 0x40000, .source_offset = 0x40010, .state_len = 10};
    ota_journal_stage_encode(&rec2, state_in + 100, sector + cp_off + 48);
    assert_int_equal(ota_journal_find_staged(sector, 4096, &got, &got_rec, state_out), OTA_OK);
    assert_int_equal(got_rec.bytes_written, 0x30000);
    assert_memory_equal(state_out, state_in, 300);
    /* a torn continuation slot: the record is not used */
    sector[128 + 2 * 48 + 10] ^= 0x40;
    assert_int_equal(ota_journal_find_staged(sector, 4096, &got, &got_rec, state_out), OTA_ERR_NOT_FOUND);
}

/* The API refuses what it cannot honour. */
static void test_path_api_refusals(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    char *uri = sf_make_app(&d, "app.bin", "v2.3", 100000, 1);
    ota_service_config_t cfg = {.device = &d.dev, .features = &ota_update_features_all};
    ota_service_t *svc;
    assert_int_equal(ota_service_create(&cfg, &svc), OTA_OK);
    ota_node_attr_t node = {.type = 0, .uri = uri};
    void *h = NULL;
    assert_int_equal(ota_app_default_prepare(svc, &h, &node), OTA_OK);
    ota_stage_t bad = xor_stage(OTA_STAGE_RESUME_STATE);
    bad.restore = NULL;
    assert_int_equal(ota_path_add_stage(h, &bad), OTA_ERR_INVALID_ARG);
    ota_verifier_t v = {.name = "spy", .reset = spy_reset, .feed = spy_feed, .ctx = &g_spy};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ota_path_add_verifier(h, &v), OTA_OK); /* the procedure's own + 3 */
    }
    assert_int_equal(ota_path_add_verifier(h, &v), OTA_ERR_NO_MEM);
    ota_stage_t good = xor_stage(OTA_STAGE_RESUME_NONE);
    for (unsigned i = 0; i < OTA_STAGE_MAX; i++) {
        assert_int_equal(ota_path_insert_stage(h, 0, &good), OTA_OK);
    }
    assert_int_equal(ota_path_add_stage(h, &good), OTA_ERR_NO_MEM);
    assert_int_equal(ota_app_default_finished_check(h, &node, OTA_ERR_CANCELLED), OTA_ERR_CANCELLED);
    ota_service_destroy(svc);
    free(uri);
    sf_device_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_custom_verifier_rejects_before_commit),
        cmocka_unit_test(test_custom_stage_end_to_end),
        cmocka_unit_test(test_stage_resume_with_saved_state),
        cmocka_unit_test(test_stage_resume_by_rebuild),
        cmocka_unit_test(test_stage_not_resumable_restarts),
        cmocka_unit_test(test_stage_power_cut_sweep),
        cmocka_unit_test(test_stage_record_format),
        cmocka_unit_test(test_path_api_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
