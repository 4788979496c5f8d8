/* The resume contract of a stage through a real resume (power cut, power on, run again): the
 * journal records the source offset, the output offset and the stage's state, and the install
 * completes byte-identically; the stage record's format. */
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
#include "path_fixture.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stage_resume_with_saved_state), cmocka_unit_test(test_stage_resume_by_rebuild),
        cmocka_unit_test(test_stage_not_resumable_restarts),  cmocka_unit_test(test_stage_power_cut_sweep),
        cmocka_unit_test(test_stage_record_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
