/* A release's records in otadata (src/boot/release_log.c, release_read.c, otadata_floor.c): which
 * partition holds a label's data for the app the device boots, before and after the switch, after
 * a rollback, for another app written to the same entry; the records carried over every rewrite
 * of either otadata sector (ours compacts, ESP-IDF's bootloader drops a sector's records); and
 * after a power cut at any flash operation of a release's records, the old release or the new one,
 * never a mix. Driven through the simulated bootloader (../sim/boot_fixture.c). */
#include "boot_fixture.h"

#include <stdio.h>
#include <string.h>

#include "boot/ota_otadata_floor.h"
#include "boot/ota_release_log.h"
#include "formats/ota_release_record.h"
#include "ota/ota_err.h"
#include "ota/ota_ops.h"
#include "ota/ota_release.h"
#include "ota/sim/ota_bootloader.h"

#define APP_SIZE 0x3000u

static const char k_csv[] = "nvs,          data, nvs,    0x9000,   0x4000,\n"
                            "otadata,      data, ota,    0xd000,   0x2000,\n"
                            "phy_init,     data, phy,    0xf000,   0x1000,\n"
                            "ota_0,        app,  ota_0,  0x10000,  0x100000,\n"
                            "ota_1,        app,  ota_1,  0x110000, 0x100000,\n"
                            "flash_tone,   data, 0xff,   0x210000, 0x40000,\n"
                            "flash_tone_b, data, 0xff,   0x250000, 0x40000,\n"
                            "fs,           data, spiffs, 0x290000, 0x40000,\n"
                            "fs_b,         data, spiffs, 0x2d0000, 0x40000,\n";

/* Our otadata writer (ota_ops' set-boot / confirm: records carried) or ESP-IDF's (the
 * bootloader's write_otadata: erase, the entry alone). */
static void put_entry(fx_t *fx, int index, uint32_t seq, uint32_t state, bool ours)
{
    ota_otadata_entry_t e;
    ota_otadata_entry_make(&e, seq, state);
    uint8_t raw[OTA_OTADATA_ENTRY_SIZE];
    ota_otadata_entry_encode(&e, raw);
    if (ours) {
        assert_int_equal(ota_otadata_floor_rewrite(&fx->dev, index, raw), OTA_OK);
    } else {
        assert_int_equal(ota_ops_write_otadata(&fx->dev, index, &e), OTA_OK);
    }
}

static void boot(fx_t *fx)
{
    assert_int_equal(ota_bootloader_boot(&fx->dev, NULL, NULL), OTA_OK);
}

static const char *running(fx_t *fx)
{
    return ota_device_running(&fx->dev)->label;
}

static void app_id(fx_t *fx, const char *slot, uint8_t id[8])
{
    memcpy(id, ota_flash_emu_memory(fx->emu) + fx_part(fx, slot)->offset + OTA_RELEASE_APP_ELF_SHA_AT, 8);
}

/* Where the data of @p label is for the running release. */
static const char *data(fx_t *fx, const char *label)
{
    const ota_partition_info_t *p = NULL;
    assert_int_equal(ota_release_data_partition(&fx->dev, label, &p), OTA_OK);
    return p->label;
}

/* COMMIT of release @p sequence binding entry @p otadata_seq: flash_tone's and fs's data in the
 * partitions labelled @p tone and @p fs. */
static int commit(fx_t *fx, uint32_t sequence, uint32_t otadata_seq, const char *tone, const char *fs,
                  const uint8_t *id)
{
    ota_release_state_t st = {.sequence = sequence, .otadata_seq = otadata_seq, .count = 2};
    snprintf(st.data[0].label, sizeof st.data[0].label, "flash_tone");
    st.data[0].offset = fx_part(fx, tone)->offset;
    snprintf(st.data[1].label, sizeof st.data[1].label, "fs");
    st.data[1].offset = fx_part(fx, fs)->offset;
    return ota_release_log_commit(&fx->dev, &st, id);
}

/* App A in ota_0, booted from otadata[0] seq 1 (VALID), app B in ota_1. */
static void device(fx_t *fx)
{
    fx_init_csv_text(fx, k_csv, strlen(k_csv));
    fx_write_app(fx, "ota_0", "A", 0, APP_SIZE);
    fx_write_app(fx, "ota_1", "B", 0, APP_SIZE + 0x100);
    put_entry(fx, 0, 1, OTA_IMG_VALID, true);
    boot(fx);
    assert_string_equal(running(fx), "ota_0");
}

static void assert_state(fx_t *fx, const char *tone, const char *fs)
{
    assert_string_equal(data(fx, "flash_tone"), tone);
    assert_string_equal(data(fx, "fs"), fs);
}

static void test_no_record_plain_label(void **state)
{
    (void)state;
    fx_t fx;
    device(&fx);
    assert_state(&fx, "flash_tone", "fs");
    ota_release_state_t st;
    assert_int_equal(ota_release_installed(&fx.dev, &st), OTA_OK);
    assert_int_equal(st.sequence, 0);
    assert_int_equal(ota_release_in_progress(&fx.dev, &st), OTA_OK);
    assert_int_equal(st.sequence, 0);
    uint32_t floor = 1;
    assert_int_equal(ota_release_floor(&fx.dev, &floor), OTA_OK);
    assert_int_equal(floor, 0);
    const ota_partition_info_t *p = NULL;
    assert_int_equal(ota_release_data_partition(&fx.dev, "nope", &p), OTA_ERR_NOT_FOUND);
    assert_int_equal(ota_release_data_partition(&fx.dev, NULL, &p), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_release_log_begin(&fx.dev, 0, 1), OTA_ERR_INVALID_ARG);
    ota_release_state_t big = {.sequence = 3, .count = 9};
    assert_int_equal(ota_release_log_commit(&fx.dev, &big, NULL), OTA_ERR_INVALID_ARG);
    fx_free(&fx);
}

/* The app release: bound to entry seq 2 before the switch (old still), the switch (new), the
 * bootloader's PENDING_VERIFY rewrite of that sector (new), no confirmation: the rollback to seq 1
 * brings the old data back; a confirmed one keeps the new. */
static void test_app_release_switch_and_rollback(void **state)
{
    (void)state;
    for (int confirm = 0; confirm < 2; confirm++) {
        fx_t fx;
        device(&fx);
        assert_int_equal(ota_release_log_begin(&fx.dev, 4, 1), OTA_OK); /* an older data release */
        assert_int_equal(commit(&fx, 4, 1, "flash_tone_b", "fs", NULL), OTA_OK);
        assert_state(&fx, "flash_tone_b", "fs");
        assert_int_equal(ota_release_log_begin(&fx.dev, 5, 2), OTA_OK);
        ota_release_state_t st;
        assert_int_equal(ota_release_in_progress(&fx.dev, &st), OTA_OK);
        assert_int_equal(st.sequence, 5);
        assert_int_equal(st.otadata_seq, 2);
        uint32_t floor = 0;
        assert_int_equal(ota_release_floor(&fx.dev, &floor), OTA_OK);
        assert_int_equal(floor, 5);
        uint8_t b[8];
        app_id(&fx, "ota_1", b);
        assert_int_equal(commit(&fx, 5, 2, "flash_tone", "fs_b", b), OTA_OK);
        assert_int_equal(ota_release_in_progress(&fx.dev, &st), OTA_OK);
        assert_int_equal(st.sequence, 0);
        assert_state(&fx, "flash_tone_b", "fs"); /* committed for seq 2; seq 1 boots */
        assert_int_equal(ota_ops_set_boot_partition(&fx.dev, fx_part(&fx, "ota_1")), OTA_OK);
        assert_state(&fx, "flash_tone_b", "fs"); /* still running A */
        boot(&fx);                               /* NEW -> PENDING_VERIFY, ESP-IDF's write */
        assert_string_equal(running(&fx), "ota_1");
        assert_state(&fx, "flash_tone", "fs_b");
        assert_int_equal(ota_release_installed(&fx.dev, &st), OTA_OK);
        assert_int_equal(st.sequence, 5);
        assert_int_equal(st.otadata_seq, 2);
        assert_int_equal(st.count, 2);
        assert_string_equal(st.data[0].label, "flash_tone");
        assert_int_equal(st.data[0].offset, fx_part(&fx, "flash_tone")->offset);
        assert_string_equal(st.data[1].label, "fs");
        assert_int_equal(st.data[1].offset, fx_part(&fx, "fs_b")->offset);
        if (confirm) {
            assert_int_equal(ota_ops_mark_app_valid_cancel_rollback(&fx.dev), OTA_OK);
        }
        boot(&fx);
        assert_string_equal(running(&fx), confirm ? "ota_1" : "ota_0");
        if (confirm) {
            assert_state(&fx, "flash_tone", "fs_b");
        } else {
            assert_state(&fx, "flash_tone_b", "fs"); /* the data rolled back with the app */
            assert_int_equal(ota_release_installed(&fx.dev, &st), OTA_OK);
            assert_int_equal(st.sequence, 4);
        }
        assert_int_equal(ota_release_floor(&fx.dev, &floor), OTA_OK);
        assert_int_equal(floor, 5); /* the floor stays */
        fx_free(&fx);
    }
}

/* Without an app the COMMIT binds the running entry's seq: it is the commit point. */
static void test_data_only_release(void **state)
{
    (void)state;
    fx_t fx;
    device(&fx);
    assert_int_equal(ota_release_log_begin(&fx.dev, 7, 1), OTA_OK);
    assert_state(&fx, "flash_tone", "fs");
    assert_int_equal(commit(&fx, 7, 1, "flash_tone_b", "fs_b", NULL), OTA_OK);
    assert_state(&fx, "flash_tone_b", "fs_b");
    assert_int_equal(ota_release_log_begin(&fx.dev, 8, 1), OTA_OK);
    assert_int_equal(commit(&fx, 8, 1, "flash_tone", "fs_b", NULL), OTA_OK);
    assert_state(&fx, "flash_tone", "fs_b");
    boot(&fx);
    assert_state(&fx, "flash_tone", "fs_b");
    /* and it holds for a later plain app update (no app id: any app) */
    assert_int_equal(ota_ops_set_boot_partition(&fx.dev, fx_part(&fx, "ota_1")), OTA_OK);
    boot(&fx);
    assert_string_equal(running(&fx), "ota_1");
    assert_state(&fx, "flash_tone", "fs_b");
    fx_free(&fx);
}

/* An interrupted release left a COMMIT for seq 2 naming app B; another app (F) is then written to
 * ota_1 and switched to with seq 2: it does not adopt that binding, it gets the older one. */
static void test_foreign_app_not_adopted(void **state)
{
    (void)state;
    fx_t fx;
    device(&fx);
    assert_int_equal(ota_release_log_begin(&fx.dev, 4, 1), OTA_OK);
    assert_int_equal(commit(&fx, 4, 1, "flash_tone_b", "fs", NULL), OTA_OK);
    uint8_t b[8];
    app_id(&fx, "ota_1", b);
    assert_int_equal(ota_release_log_begin(&fx.dev, 5, 2), OTA_OK);
    assert_int_equal(commit(&fx, 5, 2, "flash_tone", "fs_b", b), OTA_OK);
    fx_write_app(&fx, "ota_1", "F", 0, APP_SIZE + 0x200); /* the cut came before the switch */
    assert_int_equal(ota_ops_set_boot_partition(&fx.dev, fx_part(&fx, "ota_1")), OTA_OK);
    boot(&fx);
    assert_string_equal(running(&fx), "ota_1");
    assert_state(&fx, "flash_tone_b", "fs"); /* release 4's, not 5's */
    ota_release_state_t st;
    assert_int_equal(ota_release_installed(&fx.dev, &st), OTA_OK);
    assert_int_equal(st.sequence, 4);
    fx_free(&fx);
}

/* Floors and release records share the log and its seq; each reader skips the other kind. */
static void test_floors_and_releases_share_the_log(void **state)
{
    (void)state;
    fx_t fx;
    device(&fx);
    const ota_partition_info_t *tone = fx_part(&fx, "flash_tone");
    const ota_partition_info_t *od = fx_part(&fx, "otadata");
    uint8_t *mem = ota_flash_emu_memory(fx.emu);
    char v[OTA_FLOOR_LOG_VERSION_MAX + 1];
    assert_int_equal(ota_release_log_begin(&fx.dev, 3, 1), OTA_OK);
    assert_int_equal(commit(&fx, 3, 1, "flash_tone_b", "fs_b", NULL), OTA_OK);
    assert_int_equal(ota_otadata_floor_get(&fx.dev, tone, v), OTA_ERR_NOT_FOUND); /* no floor */
    assert_int_equal(ota_otadata_floor_keep(&fx.dev, tone, "V2.0.0"), OTA_OK);
    assert_int_equal(ota_otadata_floor_get(&fx.dev, tone, v), OTA_OK);
    assert_string_equal(v, "V2.0.0");
    assert_int_equal(ota_release_log_begin(&fx.dev, 4, 1), OTA_OK);
    for (uint32_t s = 0; s < 2; s++) { /* BEGIN, COMMIT, floor, BEGIN: seq 1, 2, 3, 4 in each */
        static const int kinds[4] = {OTA_FLOOR_LOG_BEGIN, OTA_FLOOR_LOG_COMMIT, OTA_FLOOR_LOG_FLOOR,
                                     OTA_FLOOR_LOG_BEGIN};
        for (uint32_t i = 0; i < 4; i++) {
            uint32_t seq = 0;
            assert_int_equal(
                ota_floor_log_kind(mem + od->offset + s * 0x1000 + ota_floor_log_slot_offset(i), &seq),
                kinds[i]);
            assert_int_equal(seq, i + 1);
        }
    }
    assert_int_equal(ota_otadata_floor_get(&fx.dev, tone, v), OTA_OK);
    assert_string_equal(v, "V2.0.0");
    assert_state(&fx, "flash_tone_b", "fs_b");
    ota_release_state_t st;
    assert_int_equal(ota_release_in_progress(&fx.dev, &st), OTA_OK);
    assert_int_equal(st.sequence, 4);
    fx_free(&fx);
}

typedef struct {
    int begin, commit, floor;
} counts_t;

static void count(void *ctx, const uint8_t *raw, int kind, uint32_t seq)
{
    (void)raw;
    (void)seq;
    counts_t *c = ctx;
    c->begin += kind == OTA_FLOOR_LOG_BEGIN;
    c->commit += kind == OTA_FLOOR_LOG_COMMIT;
    c->floor += kind == OTA_FLOOR_LOG_FLOOR;
}

/* Records in one sector only (sector @p s). */
static counts_t sector_counts(fx_t *fx, uint32_t s)
{
    counts_t c = {0};
    const uint8_t *base = ota_flash_emu_memory(fx->emu) + fx_part(fx, "otadata")->offset + s * 0x1000;
    for (uint32_t i = 0; i < OTA_FLOOR_LOG_SLOTS; i++) {
        uint32_t seq;
        int kind = ota_floor_log_kind(base + ota_floor_log_slot_offset(i), &seq);
        if (kind > 0) {
            count(&c, NULL, kind, seq);
        }
    }
    return c;
}

/* Rewrites of either sector: ESP-IDF's drops its records, the other sector keeps them, ours
 * carries them back; a full log is compacted keeping the binding of both entries however many
 * COMMITs came after; a release starts with room in the active sector. */
static void test_carry_forward(void **state)
{
    (void)state;
    fx_t fx;
    device(&fx);
    uint8_t b[8];
    app_id(&fx, "ota_1", b);
    assert_int_equal(ota_release_log_begin(&fx.dev, 4, 1), OTA_OK);
    assert_int_equal(commit(&fx, 4, 1, "flash_tone_b", "fs", NULL), OTA_OK);
    put_entry(&fx, 0, 1, OTA_IMG_VALID, false); /* ESP-IDF's write: sector 0's records gone */
    assert_int_equal(sector_counts(&fx, 0).commit, 0);
    assert_state(&fx, "flash_tone_b", "fs");
    put_entry(&fx, 0, 1, OTA_IMG_VALID, true); /* ours: back */
    counts_t c = sector_counts(&fx, 0);
    assert_int_equal(c.begin, 1);
    assert_int_equal(c.commit, 1);
    /* the app release, switched, not confirmed yet */
    assert_int_equal(ota_release_log_begin(&fx.dev, 5, 2), OTA_OK);
    assert_int_equal(commit(&fx, 5, 2, "flash_tone", "fs_b", b), OTA_OK);
    assert_int_equal(ota_ops_set_boot_partition(&fx.dev, fx_part(&fx, "ota_1")), OTA_OK);
    boot(&fx);
    assert_state(&fx, "flash_tone", "fs_b");
    /* 150 data COMMITs bound to seq 2 (and one for a switch to come): both sectors fill, the
     * inactive one (0, seq 1) is compacted again and again, the active one (1) is never erased */
    uint8_t entry1[OTA_OTADATA_ENTRY_SIZE];
    uint8_t *mem = ota_flash_emu_memory(fx.emu);
    const uint32_t od = fx_part(&fx, "otadata")->offset;
    memcpy(entry1, mem + od + 0x1000, sizeof entry1);
    for (uint32_t i = 0; i < 150; i++) {
        bool b_side = i % 2 == 0;
        assert_int_equal(commit(&fx, 6 + i, 2, b_side ? "flash_tone_b" : "flash_tone", "fs_b", NULL), OTA_OK);
        assert_string_equal(data(&fx, "flash_tone"), b_side ? "flash_tone_b" : "flash_tone");
        assert_memory_equal(mem + od + 0x1000, entry1, sizeof entry1);
    }
    assert_int_equal(commit(&fx, 300, 3, "flash_tone_b", "fs_b", NULL), OTA_OK); /* for seq 3 */
    assert_int_equal(sector_counts(&fx, 1).commit, (int)OTA_FLOOR_LOG_SLOTS);    /* full, never erased */
    c = sector_counts(&fx, 0); /* compacted (the BEGIN carried), then appended to */
    assert_int_equal(c.begin, 1);
    assert_true(c.commit >= 3 && c.commit < 150);
    /* no confirmation: the bootloader aborts seq 2, erasing sector 1 (ESP-IDF's write) */
    boot(&fx);
    assert_string_equal(running(&fx), "ota_0");
    assert_int_equal(sector_counts(&fx, 1).commit, 0);
    assert_state(&fx, "flash_tone_b", "fs"); /* release 4's binding of seq 1 survived it all */
    /* a release starts: the active sector 0 has less than its room and is compacted (seq 1 is
     * VALID), sector 1 first, with a copy of the active entry */
    for (uint32_t i = 0; OTA_FLOOR_LOG_SLOTS - sector_counts(&fx, 0).commit - 1 >= 16; i++) {
        assert_int_equal(commit(&fx, 400 + i, 1, "flash_tone_b", "fs", NULL), OTA_OK);
    }
    assert_int_equal(ota_release_log_begin(&fx.dev, 500, 2), OTA_OK);
    c = sector_counts(&fx, 0);
    assert_true(c.commit + c.begin <= 6);
    ota_otadata_entry_t e[2];
    fx_otadata(&fx, e);
    assert_int_equal(e[0].ota_seq, 1);
    assert_int_equal(e[1].ota_seq, 1); /* the aborted seq 2 gave way to a copy of seq 1 */
    boot(&fx);
    assert_string_equal(running(&fx), "ota_0");
    assert_state(&fx, "flash_tone_b", "fs");
    ota_release_state_t st;
    assert_int_equal(ota_release_in_progress(&fx.dev, &st), OTA_OK);
    assert_int_equal(st.sequence, 500);
    fx_free(&fx);
}

/* An unconfirmed active entry is never erased to make room (a cut would boot the older entry):
 * the release starts without compacting it, the other sector takes the records. */
static void test_no_room_made_for_an_unconfirmed_entry(void **state)
{
    (void)state;
    fx_t fx;
    device(&fx);
    put_entry(&fx, 0, 1, OTA_IMG_PENDING_VERIFY, true);
    uint8_t *mem = ota_flash_emu_memory(fx.emu);
    const uint32_t od = fx_part(&fx, "otadata")->offset;
    for (uint32_t i = 0; OTA_FLOOR_LOG_SLOTS - (uint32_t)sector_counts(&fx, 0).commit >= 16; i++) {
        assert_int_equal(commit(&fx, 10 + i, 1, "flash_tone_b", "fs", NULL), OTA_OK);
    }
    uint8_t entry0[OTA_OTADATA_ENTRY_SIZE];
    memcpy(entry0, mem + od, sizeof entry0);
    int before = sector_counts(&fx, 0).commit;
    assert_int_equal(ota_release_log_begin(&fx.dev, 100, 2), OTA_OK);
    assert_memory_equal(mem + od, entry0, sizeof entry0);
    assert_int_equal(sector_counts(&fx, 0).commit, before); /* not compacted */
    assert_int_equal(sector_counts(&fx, 0).begin, 1);
    ota_otadata_entry_t e[2];
    fx_otadata(&fx, e);
    assert_int_equal(e[1].ota_seq, OTA_OTADATA_SEQ_BLANK); /* no copy of the entry either */
    ota_release_state_t st;
    assert_int_equal(ota_release_in_progress(&fx.dev, &st), OTA_OK);
    assert_int_equal(st.sequence, 100);
    fx_free(&fx);
}

/* --- power cuts ------------------------------------------------------------------------------ */

typedef struct {
    fx_t fx;
    bool app;  /* the release has an app (B in ota_1, entry seq 2) */
    bool full; /* the active sector is full when it starts */
} cut_t;

/* Old release 4: flash_tone in flash_tone_b, fs in fs, app A (seq 1). */
static ota_flash_emu_t *cut_setup(cut_t *c)
{
    device(&c->fx);
    assert_int_equal(ota_release_log_begin(&c->fx.dev, 4, 1), OTA_OK);
    assert_int_equal(commit(&c->fx, 4, 1, "flash_tone_b", "fs", NULL), OTA_OK);
    ota_partition_info_t other = *fx_part(&c->fx, "fs");
    other.offset = 0x380000;
    char v[16];
    for (uint32_t i = 0; c->full && sector_counts(&c->fx, 0).floor + 2 < (int)OTA_FLOOR_LOG_SLOTS; i++) {
        snprintf(v, sizeof v, "V%u", (unsigned)i);
        assert_int_equal(ota_otadata_floor_keep(&c->fx.dev, &other, v), OTA_OK);
    }
    return c->fx.emu;
}

/* New release 5: flash_tone in flash_tone, fs in fs_b, app B (seq 2) or A (seq 1). */
static int cut_run(cut_t *c)
{
    uint8_t b[8];
    app_id(&c->fx, "ota_1", b);
    int err = ota_release_log_begin(&c->fx.dev, 5, c->app ? 2 : 1);
    if (err == OTA_OK) {
        err = commit(&c->fx, 5, c->app ? 2 : 1, "flash_tone", "fs_b", c->app ? b : NULL);
    }
    if (err == OTA_OK && c->app) {
        err = ota_ops_set_boot_partition(&c->fx.dev, fx_part(&c->fx, "ota_1"));
    }
    return err;
}

static void cut_check(cut_t *c, uint64_t k, int result)
{
    ota_flash_emu_power_on(c->fx.emu);
    if (k == 0) {
        assert_int_equal(result, OTA_OK);
    }
    boot(&c->fx);
    bool is_new = strcmp(data(&c->fx, "flash_tone"), "flash_tone") == 0;
    if (!is_new) {
        assert_string_equal(data(&c->fx, "flash_tone"), "flash_tone_b");
    }
    if (k == 0) {
        assert_true(is_new);
    }
    assert_string_equal(data(&c->fx, "fs"), is_new ? "fs_b" : "fs");
    if (c->app) {
        assert_string_equal(running(&c->fx), is_new ? "ota_1" : "ota_0");
        if (is_new) { /* never confirmed: rolled back, and the data with it */
            boot(&c->fx);
            assert_string_equal(running(&c->fx), "ota_0");
            assert_state(&c->fx, "flash_tone_b", "fs");
        }
    }
    uint32_t floor = 0;
    assert_int_equal(ota_release_floor(&c->fx.dev, &floor), OTA_OK);
    assert_true(floor == 4 || floor == 5);
    if (is_new) {
        assert_int_equal(floor, 5);
    }
}

static void cut_free(cut_t *c)
{
    fx_free(&c->fx);
}

static ota_flash_emu_t *setup_data(void *p)
{
    return cut_setup(p);
}
static ota_flash_emu_t *setup_app(void *p)
{
    ((cut_t *)p)->app = true;
    return cut_setup(p);
}
static ota_flash_emu_t *setup_app_full(void *p)
{
    ((cut_t *)p)->app = true;
    ((cut_t *)p)->full = true;
    return cut_setup(p);
}
static ota_flash_emu_t *setup_data_full(void *p)
{
    ((cut_t *)p)->full = true;
    return cut_setup(p);
}
static int run(void *p)
{
    return cut_run(p);
}
static void check(void *p, uint64_t k, int result)
{
    cut_check(p, k, result);
}
static void teardown(void *p)
{
    cut_free(p);
}

/* BEGIN and COMMIT: 2 programs each */
OTA_POWERCUT_CASE(test_cut_data_release, cut_t, .reentrant = true, .setup = setup_data, .run = run,
                  .check = check, .teardown = teardown, .torn_seed = 100, .ops = 4)
/* and the switch: erase, 3 records (the newest BEGIN, the COMMITs for seqs 1 and 2), the entry */
OTA_POWERCUT_CASE(test_cut_app_release, cut_t, .reentrant = true, .setup = setup_app, .run = run,
                  .check = check, .teardown = teardown, .torn_seed = 200, .ops = 9)
/* the active sector full: the release compacts both sectors first (erase, the floor, BEGIN and
 * COMMIT of release 4, the entry; twice), then as above */
OTA_POWERCUT_CASE(test_cut_data_release_full_log, cut_t, .reentrant = true, .setup = setup_data_full,
                  .run = run, .check = check, .teardown = teardown, .torn_seed = 400, .ops = 14)
OTA_POWERCUT_CASE(test_cut_app_release_full_log, cut_t, .reentrant = true, .setup = setup_app_full,
                  .run = run, .check = check, .teardown = teardown, .torn_seed = 300, .ops = 20)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_record_plain_label),
        cmocka_unit_test(test_app_release_switch_and_rollback),
        cmocka_unit_test(test_data_only_release),
        cmocka_unit_test(test_foreign_app_not_adopted),
        cmocka_unit_test(test_floors_and_releases_share_the_log),
        cmocka_unit_test(test_carry_forward),
        cmocka_unit_test(test_no_room_made_for_an_unconfirmed_entry),
        cmocka_unit_test(test_cut_data_release),
        cmocka_unit_test(test_cut_app_release),
        cmocka_unit_test(test_cut_data_release_full_log),
        cmocka_unit_test(test_cut_app_release_full_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
