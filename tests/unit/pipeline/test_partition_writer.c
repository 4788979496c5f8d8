/* The power-cut-safe partition writer: lazy erase with blocks where the image covers them,
 * sector 0 held back (journal meanwhile) and written last, read-back, and - cutting the power
 * before every flash operation - a partition that never shows the image's head until the
 * commit is complete. */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"
#include "formats/ota_install_journal.h"
#include "pipeline/partition_writer.h"
#include "ota/ota_device.h"
#include "ota/sim/ota_partition_csv.h"
#include "ota/sim/ota_tone_build.h"
#include "ota/ota_version.h"

#define PART_OFFSET 0x110000u
#define PART_SIZE   0x100000u

typedef struct {
    ota_flash_emu_t *emu;
    ota_partition_t part;
    uint8_t first[4096];
} fixture_t;

static void fixture_init(fixture_t *f)
{
    f->emu = ts_ram_flash(4 * 1024 * 1024);
    ota_partition_info_t info = {
        .label = "ota_1", .type = 0, .subtype = 0x11, .offset = PART_OFFSET, .size = PART_SIZE};
    ota_partition_init(&f->part, ota_flash_emu_flash(f->emu), &info);
}

/* A data partition (flash_tone) at the same place, holding @p old_fill where @p dirty[i] says so
 * (per 4 KiB sector; NULL: everywhere). */
static void fixture_init_data(fixture_t *f, uint8_t old_fill, const bool *dirty)
{
    fixture_init(f);
    f->part.info.type = 1;
    f->part.info.subtype = 0xFF;
    snprintf(f->part.info.label, sizeof f->part.info.label, "flash_tone");
    uint8_t *mem = ota_flash_emu_memory(f->emu) + PART_OFFSET;
    for (uint32_t s = 0; s < PART_SIZE / 4096; s++) {
        if (dirty == NULL || dirty[s]) {
            memset(mem + s * 4096, old_fill, 4096);
        }
    }
}

static const ota_journal_header_t k_journal = {.total_size = 0, .etag = "\"abc\""};

/* Write @p image in @p chunk pieces; returns the first error. */
static int write_image(fixture_t *f, ota_partition_writer_t *w, const uint8_t *image, size_t len,
                       size_t chunk, int64_t expected)
{
    int err = ota_pw_begin(w, NULL, &f->part, f->first, expected, &k_journal, NULL);
    for (size_t off = 0; err == OTA_OK && off < len; off += chunk) {
        err = ota_pw_write(w, image + off, len - off < chunk ? len - off : chunk);
    }
    return err;
}

static void test_write_commit_and_read_back(void **state)
{
    (void)state;
    size_t sizes[] = {100, 4096, 4097, 65536, 200000, PART_SIZE};
    size_t chunks[] = {1000, 4096, 2048, 4096, 4093, 65536};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        fixture_t f;
        fixture_init(&f);
        size_t len = sizes[i];
        uint8_t *image = malloc(len);
        ts_fill_random(image, len, i + 1);
        ota_partition_writer_t w;
        assert_int_equal(write_image(&f, &w, image, len, chunks[i], (int64_t)len), OTA_OK);
        const uint8_t *mem = ota_flash_emu_memory(f.emu) + PART_OFFSET;
        /* before the commit: sector 0 holds the journal, not the image */
        assert_true(ota_journal_is_present(mem, 4));
        ota_journal_header_t h;
        assert_int_equal(ota_journal_header_decode(mem, &h), OTA_OK);
        assert_string_equal(h.etag, "\"abc\"");
        if (len > 4096) {
            assert_memory_equal(mem + 4096, image + 4096, len - 4096);
        }
        /* sector 0's bytes wait in RAM */
        assert_memory_equal(w.first, image, len < 4096 ? len : 4096);

        assert_int_equal(ota_pw_commit(&w), OTA_OK);
        assert_memory_equal(mem, image, len);
        free(image);
        ota_flash_emu_destroy(f.emu);
    }
}

static void test_erase_uses_blocks_where_the_image_covers_them(void **state)
{
    (void)state;
    fixture_t f;
    fixture_init(&f);
    size_t len = 3 * 65536 + 5000; /* 3 whole blocks, then 2 sectors */
    uint8_t *image = malloc(len);
    ts_fill_random(image, len, 5);
    ota_partition_writer_t w;
    ota_flash_emu_reset_stats(f.emu);
    assert_int_equal(write_image(&f, &w, image, len, 4096, (int64_t)len), OTA_OK);
    assert_int_equal(ota_pw_commit(&w), OTA_OK);
    ota_flash_emu_stats_t s;
    ota_flash_emu_get_stats(f.emu, &s);
    assert_int_equal(s.block_erases, 3);
    assert_int_equal(s.sector_erases, 2 + 1); /* the tail, plus sector 0 again at the commit */
    /* nothing outside the image's sectors was erased */
    assert_int_equal(ota_flash_emu_sector_wear(f.emu, (PART_OFFSET + 0x40000) / 4096), 0);
    assert_int_equal(ota_flash_emu_sector_wear(f.emu, (PART_OFFSET - 1) / 4096), 0);
    free(image);
    ota_flash_emu_destroy(f.emu);

    /* a last block the image mostly covers (5 of its 16 sectors) is erased as a block: cheaper */
    fixture_init(&f);
    len = 3 * 65536 + 5 * 4096 - 100;
    image = malloc(len);
    ts_fill_random(image, len, 7);
    ota_flash_emu_reset_stats(f.emu);
    assert_int_equal(write_image(&f, &w, image, len, 4096, (int64_t)len), OTA_OK);
    ota_flash_emu_get_stats(f.emu, &s);
    assert_int_equal(s.block_erases, 4);
    assert_int_equal(s.sector_erases, 0);
    free(image);
    ota_flash_emu_destroy(f.emu);

    /* size unknown: blocks while the partition has room */
    fixture_init(&f);
    image = malloc(len);
    ts_fill_random(image, len, 6);
    ota_flash_emu_reset_stats(f.emu);
    assert_int_equal(write_image(&f, &w, image, len, 4096, -1), OTA_OK);
    ota_flash_emu_get_stats(f.emu, &s);
    assert_int_equal(s.block_erases, 4);
    assert_int_equal(s.sector_erases, 0);
    free(image);
    ota_flash_emu_destroy(f.emu);
}

/* Issue 10, class 7: after a data image the partition is the image, then erased flash to its end
 * (what ESP-ADF's erase of the whole partition leaves) - nothing of the previous content - with
 * the fewest erases: sectors still holding old bytes, a block where 4 or more of its sectors do,
 * blank ones left alone. An app slot keeps its tail (ESP-IDF erases only what the image covers). */
static void test_data_partition_ends_erased_after_the_image(void **state)
{
    (void)state;
    size_t len = 200000; /* 0x30D40: 3 blocks + 1 sector of image */
    uint8_t *image = malloc(len);
    ts_fill_random(image, len, 11);
    ota_partition_writer_t w;
    ota_flash_emu_stats_t s;
    fixture_t f;

    /* old content everywhere: the image's last block (1 sector of image + 15 stale) as a block while
     * writing, then blocks 4..15 whole (12) */
    fixture_init_data(&f, 0x5A, NULL);
    uint8_t *mem = ota_flash_emu_memory(f.emu);
    memset(mem + PART_OFFSET + PART_SIZE, 0xA5, 4096); /* the neighbour after */
    ota_flash_emu_reset_stats(f.emu);
    assert_int_equal(write_image(&f, &w, image, len, 4096, (int64_t)len), OTA_OK);
    assert_int_equal(ota_pw_commit(&w), OTA_OK);
    assert_memory_equal(mem + PART_OFFSET, image, len);
    for (size_t i = PART_OFFSET + len; i < PART_OFFSET + PART_SIZE; i++) {
        if (mem[i] != 0xFF) {
            fail_msg("stale byte 0x%02x at partition offset 0x%zx", mem[i], i - PART_OFFSET);
        }
    }
    assert_int_equal(mem[PART_OFFSET + PART_SIZE], 0xA5);
    ota_flash_emu_get_stats(f.emu, &s);
    assert_int_equal(s.block_erases, 4 + 12);
    assert_int_equal(s.sector_erases, 1); /* sector 0 again at the commit */
    ota_flash_emu_destroy(f.emu);

    /* old content in two sectors of one block and 5 of another: 2 sector erases, 1 block erase */
    bool dirty[PART_SIZE / 4096] = {false};
    dirty[0x50000 / 4096] = dirty[0x5F000 / 4096] = true;
    for (int i = 0; i < 5; i++) {
        dirty[0xA0000 / 4096 + 3 * i] = true;
    }
    fixture_init_data(&f, 0x00, dirty);
    mem = ota_flash_emu_memory(f.emu);
    ota_flash_emu_reset_stats(f.emu);
    assert_int_equal(write_image(&f, &w, image, len, 4096, (int64_t)len), OTA_OK);
    assert_int_equal(ota_pw_commit(&w), OTA_OK);
    for (size_t i = PART_OFFSET + len; i < PART_OFFSET + PART_SIZE; i++) {
        assert_int_equal(mem[i], 0xFF);
    }
    ota_flash_emu_get_stats(f.emu, &s);
    assert_int_equal(s.block_erases, 3 + 1);
    assert_int_equal(s.sector_erases, 1 + 2 + 1);
    ota_flash_emu_destroy(f.emu);

    /* an app slot: the bytes after the image are not the writer's business */
    fixture_init(&f);
    mem = ota_flash_emu_memory(f.emu);
    memset(mem + PART_OFFSET + 0x80000, 0x5A, 4096);
    assert_int_equal(write_image(&f, &w, image, len, 4096, (int64_t)len), OTA_OK);
    assert_int_equal(ota_pw_commit(&w), OTA_OK);
    assert_int_equal(mem[PART_OFFSET + 0x80000], 0x5A);
    ota_flash_emu_destroy(f.emu);
    free(image);
}

static void test_too_large_is_refused_before_erasing(void **state)
{
    (void)state;
    fixture_t f;
    fixture_init(&f);
    ota_partition_writer_t w;
    assert_int_equal(ota_pw_begin(&w, NULL, &f.part, f.first, PART_SIZE + 1, &k_journal, NULL),
                     OTA_ERR_IMG_TOO_LARGE);
    ota_flash_emu_stats_t s;
    ota_flash_emu_get_stats(f.emu, &s);
    assert_int_equal(s.sector_erases + s.block_erases + s.program_ops, 0);
    /* unknown size: refused at the byte that would overflow, the neighbour untouched */
    uint8_t *chunk = calloc(1, 65536);
    assert_int_equal(ota_pw_begin(&w, NULL, &f.part, f.first, -1, &k_journal, NULL), OTA_OK);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(ota_pw_write(&w, chunk, 65536), OTA_OK);
    }
    assert_int_equal(ota_pw_write(&w, chunk, 1), OTA_ERR_IMG_TOO_LARGE);
    assert_int_equal(ota_flash_emu_memory(f.emu)[PART_OFFSET + PART_SIZE], 0xFF);
    free(chunk);
    ota_flash_emu_destroy(f.emu);
}

static void test_checkpoints_append_to_the_journal(void **state)
{
    (void)state;
    fixture_t f;
    fixture_init(&f);
    ota_partition_writer_t w;
    assert_int_equal(ota_pw_begin(&w, NULL, &f.part, f.first, -1, &k_journal, NULL), OTA_OK);
    uint32_t cap = ota_journal_capacity(4096);
    assert_true(cap >= 64);
    for (uint32_t i = 0; i < cap + 3; i++) { /* beyond capacity: silently ignored */
        ota_journal_checkpoint_t cp = {.bytes_written = (i + 1) * 65536, .bytes_hashed = (i + 1) * 65536};
        cp.digest[0] = (uint8_t)i;
        assert_int_equal(ota_pw_checkpoint(&w, &cp), OTA_OK);
    }
    const uint8_t *mem = ota_flash_emu_memory(f.emu) + PART_OFFSET;
    ota_journal_checkpoint_t cp;
    assert_int_equal(ota_journal_record_decode(mem + OTA_JOURNAL_RECORDS_OFFSET, &cp), OTA_OK);
    assert_int_equal(cp.bytes_written, 65536);
    assert_int_equal(ota_journal_record_decode(mem + OTA_JOURNAL_RECORDS_OFFSET + (cap - 1) * 48, &cp),
                     OTA_OK);
    assert_int_equal(cp.digest[0], cap - 1);
    ota_flash_emu_destroy(f.emu);
}

/* The version floor (ota_install_journal.h): its record in the first slot, programmed before the
 * header (a cut between the two leaves the floor, never a header without it); readers that know
 * only checkpoints skip it, and the checkpoints follow it. */
static void test_floor_record_before_the_header(void **state)
{
    (void)state;
    /* k_journal with a floor, kept by the signature feature's floors */
    ota_journal_header_t journal = {.etag = "\"abc\"", .floor = "v2.0", .floors = &ota_pw_floors};
    const uint8_t *mem;
    char floor[OTA_JOURNAL_FLOOR_MAX + 1];
    for (int cut = 0; cut < 2; cut++) {
        fixture_t f;
        fixture_init_data(&f, 0x3C, NULL);
        mem = ota_flash_emu_memory(f.emu) + PART_OFFSET;
        ota_partition_writer_t w;
        if (cut) {
            ota_flash_emu_schedule_cut(f.emu, 3, OTA_FLASH_CUT_CLEAN, 1); /* erase, floor, |header */
            assert_int_equal(ota_pw_begin(&w, NULL, &f.part, f.first, 65536, &journal, NULL),
                             OTA_ERR_FLASH_POWER_LOST);
            assert_false(ota_journal_is_present(mem, 4));
            assert_int_equal(ota_journal_floor_decode(mem + OTA_JOURNAL_RECORDS_OFFSET, floor), OTA_OK);
            assert_string_equal(floor, "v2.0");
            ota_flash_emu_destroy(f.emu);
            continue;
        }
        assert_int_equal(ota_pw_begin(&w, NULL, &f.part, f.first, 65536, &journal, NULL), OTA_OK);
        /* the documented bytes: "CKPV", kind 1, length, 0, 0, the version NUL-padded to 32, 0 */
        const uint8_t *rec = mem + OTA_JOURNAL_RECORDS_OFFSET;
        static const uint8_t head[] = {'C', 'K', 'P', 'V', 1, 4, 0, 0, 'v', '2', '.', '0', 0};
        assert_memory_equal(rec, head, sizeof head);
        for (int i = 12; i < 44; i++) {
            assert_int_equal(rec[i], 0);
        }
        assert_int_equal(ota_journal_floor_decode(rec, floor), OTA_OK);
        assert_string_equal(floor, "v2.0");
        ota_journal_header_t back;
        assert_int_equal(ota_journal_header_decode(mem, &back), OTA_OK);
        assert_string_equal(back.floor, ""); /* not in the header's bytes */
        ota_journal_checkpoint_t cp = {.bytes_written = 8192, .bytes_hashed = 8192}, got;
        assert_int_equal(ota_journal_record_decode(rec, &got), OTA_ERR_SVC_CHECKPOINT); /* skipped */
        assert_int_equal(ota_pw_checkpoint(&w, &cp), OTA_OK);
        assert_int_equal(ota_journal_record_decode(rec + OTA_JOURNAL_RECORD_SIZE, &got), OTA_OK);
        uint32_t free_slot;
        assert_int_equal(ota_pw_last_checkpoint(mem, 4096, &got, &free_slot), 1);
        assert_int_equal(got.bytes_written, 8192);
        assert_int_equal(free_slot, OTA_JOURNAL_RECORDS_OFFSET + 2 * OTA_JOURNAL_RECORD_SIZE);
        /* a torn floor record is no floor */
        uint8_t torn[OTA_JOURNAL_RECORD_SIZE];
        memcpy(torn, rec, sizeof torn);
        torn[9] ^= 0x01;
        assert_int_equal(ota_journal_floor_decode(torn, floor), OTA_ERR_SVC_CHECKPOINT);
        assert_int_equal(ota_journal_floor_decode(rec + OTA_JOURNAL_RECORD_SIZE, floor), OTA_ERR_NOT_FOUND);
        ota_flash_emu_destroy(f.emu);
    }
}

/* The floor at every power cut of a data install (clean and torn), on a device whose otadata the
 * floor log uses: flash_tone holds a format-1 tone image V2.0.0, an install of V3.0.0 starts with
 * that floor and is cut before its k-th flash operation (begin, writes, checkpoints, commit: a
 * refused stream is a prefix of it). After every cut the next run's floor - the tone image's
 * version if the partition holds a valid one, else the kept one (ota_pw_kept_floor: journal, then
 * otadata), as data_proc's load_floor reads it - is V2.0.0 or the committed V3.0.0, so the older
 * V1.0.0 is never newer than it. Before the otadata log, 3 clean cut points (the first erase of
 * sector 0, the commit's erase and body) left no floor at all (docs/powercut.md). */
#define FLOOR_TABLE \
    "otadata, data, ota, 0xd000, 0x2000,\n" \
    "ota_0, app, ota_0, 0x10000, 0x100000,\n" \
    "flash_tone, data, 0xff, 0x110000, 0x100000,\n"

typedef struct {
    ota_flash_emu_t *emu;
    ota_device_t dev;
    ota_partition_t part;
    uint8_t first[4096];
    ota_partition_writer_t w;
    uint8_t *old_img, *new_img; /* built once per sweep, freed after it */
    size_t old_len, new_len;
    unsigned floorless; /* cuts after which the next run would compare with no floor */
    unsigned committed; /* cuts after which V3.0.0 is installed */
    unsigned older_ok;  /* cuts after which V1.0.0 would be accepted (must stay 0) */
} floor_sweep_t;

static uint8_t *build_tone(const char *version, uint64_t seed, size_t *len)
{
    static uint8_t song[9000];
    ts_fill_random(song, sizeof song, seed);
    ota_tone_file_t file = {.data = song, .len = sizeof song, .type = OTA_TONE_FILE_MP3};
    ota_tone_build_config_t cfg = {.version = version, .time = "12:00:00", .date = "2026-12-07"};
    uint8_t *img = malloc(16384);
    assert_int_equal(ota_tone_build_to_buffer(&cfg, &file, 1, img, 16384, len), OTA_OK);
    return img;
}

static int floor_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    return ota_partition_read(ctx, off, buf, len);
}

static ota_flash_emu_t *floor_setup(void *ctx)
{
    floor_sweep_t *c = ctx;
    if (c->old_img == NULL) {
        c->old_img = build_tone("V2.0.0", 1, &c->old_len);
        c->new_img = build_tone("V3.0.0", 2, &c->new_len);
    }
    c->emu = ts_ram_flash(4 * 1024 * 1024);
    ota_partition_table_t *table = malloc(sizeof *table);
    ota_partition_csv_options_t opts = {0};
    ota_partition_diag_t diag;
    assert_int_equal(ota_partition_table_parse_csv(FLOOR_TABLE, strlen(FLOOR_TABLE), &opts, table, &diag),
                     OTA_OK);
    ota_device_init(&c->dev, ota_flash_emu_flash(c->emu), table);
    free(table);
    ota_device_partition(&c->dev, ota_partition_find_by_label(&c->dev.table, "flash_tone"), &c->part);
    uint8_t *mem = ota_flash_emu_memory(c->emu);
    memcpy(mem + PART_OFFSET, c->old_img, c->old_len); /* the rest: erased (0xFF) */
    return c->emu;
}

static int floor_run(void *ctx)
{
    floor_sweep_t *c = ctx;
    /* k_journal with data_proc's floor (the image's), kept as with the signature feature linked */
    ota_journal_header_t journal = {.etag = "\"abc\"", .floor = "V2.0.0", .floors = &ota_pw_floors};
    int err = ota_pw_begin(&c->w, &c->dev, &c->part, c->first, (int64_t)c->new_len, &journal, NULL);
    for (size_t off = 0; err == OTA_OK && off < c->new_len; off += 2048) {
        err = ota_pw_write(&c->w, c->new_img + off, c->new_len - off < 2048 ? c->new_len - off : 2048);
        if (err == OTA_OK && off % 4096 == 2048) {
            ota_journal_checkpoint_t cp = {.bytes_written = (uint32_t)off + 2048};
            err = ota_pw_checkpoint(&c->w, &cp);
        }
    }
    return err == OTA_OK ? ota_pw_commit(&c->w) : err;
}

static void floor_check(void *ctx, uint64_t k, int result)
{
    floor_sweep_t *c = ctx;
    ota_flash_emu_power_on(c->emu);
    assert_true(k == 0 ? result == OTA_OK : result == OTA_ERR_FLASH_POWER_LOST);
    /* the next run's floor, as load_floor finds it */
    char floor[OTA_JOURNAL_FLOOR_MAX + 1] = "";
    ota_tone_info_t info;
    ota_tone_diag_t diag;
    if (ota_tone_validate(floor_read, &c->part, c->part.info.size, &info, &diag) == OTA_OK) {
        assert_int_equal(info.header.format, OTA_TONE_FORMAT_1);
        snprintf(floor, sizeof floor, "%s", info.desc.version);
        c->committed += strcmp(floor, "V3.0.0") == 0;
    } else if (ota_pw_kept_floor(&c->dev, &c->part, floor) != OTA_OK) {
        c->floorless++;
        return;
    }
    assert_true(strcmp(floor, "V2.0.0") == 0 || strcmp(floor, "V3.0.0") == 0);
    ota_version_cmp_t cmp;
    if (ota_version_order_to_err(ota_version_compare("V1.0.0", floor, &cmp)) == OTA_OK) {
        c->older_ok++;
    }
}

static void floor_teardown(void *ctx)
{
    floor_sweep_t *c = ctx;
    ota_flash_emu_destroy(c->emu);
}

static void floor_after(void *ctx, uint64_t n)
{
    floor_sweep_t *c = ctx;
    assert_true(n > 10);
    assert_int_equal(c->floorless, 0);
    assert_int_equal(c->older_ok, 0);
    /* the unarmed run, and a cut of the last program (the head) only when it is clean */
    assert_true(c->committed >= 1 && c->committed <= 2);
    print_message("floor: %llu cut points, %u committed\n", (unsigned long long)n, c->committed);
    free(c->old_img);
    free(c->new_img);
}

OTA_POWERCUT_CASE(test_floor_survives_every_cut, floor_sweep_t, .reentrant = true, .torn_seed = 500,
                  .setup = floor_setup, .run = floor_run, .check = floor_check, .teardown = floor_teardown,
                  .after = floor_after)

/* Cut the power before every flash operation of a write+commit, in both modes: until the commit
 * has completed, the partition's first 32 bytes never equal the image's (so no reader takes it
 * for a valid image), and the neighbours are never touched. Also for a data partition full of
 * old content, whose rest is erased before the commit (class 7). */
typedef struct {
    fixture_t f;
    ota_partition_writer_t w;
    uint8_t *image; /* made once per sweep, freed after it */
    size_t len;
    bool data;
} cut_sweep_t;

static ota_flash_emu_t *cut_setup(void *ctx)
{
    cut_sweep_t *c = ctx;
    if (c->image == NULL) {
        c->len = 70000;
        c->image = malloc(c->len);
        ts_fill_random(c->image, c->len, 77);
        c->image[0] = 0xE9; /* looks like an app image */
    }
    if (c->data) {
        fixture_init_data(&c->f, 0x3C, NULL);
    } else {
        fixture_init(&c->f);
    }
    uint8_t *mem = ota_flash_emu_memory(c->f.emu);
    memset(mem + PART_OFFSET - 4096, 0x5A, 4096);      /* neighbour before */
    memset(mem + PART_OFFSET + PART_SIZE, 0xA5, 4096); /* neighbour after */
    return c->f.emu;
}

static int cut_run(void *ctx)
{
    cut_sweep_t *c = ctx;
    int err = write_image(&c->f, &c->w, c->image, c->len, 4096, (int64_t)c->len);
    return err == OTA_OK ? ota_pw_commit(&c->w) : err;
}

static void cut_check(void *ctx, uint64_t k, int result)
{
    cut_sweep_t *c = ctx;
    const uint8_t *mem = ota_flash_emu_memory(c->f.emu);
    if (k == 0) {
        assert_int_equal(result, OTA_OK);
        assert_memory_equal(mem + PART_OFFSET, c->image, c->len);
    } else {
        assert_int_equal(result, OTA_ERR_FLASH_POWER_LOST);
        /* the head is written by the last program: only its cut can leave it torn, never whole */
        assert_false(memcmp(mem + PART_OFFSET, c->image, 32) == 0);
    }
    for (int i = 0; i < 4096; i++) {
        assert_int_equal(mem[PART_OFFSET - 4096 + i], 0x5A);
        assert_int_equal(mem[PART_OFFSET + PART_SIZE + i], 0xA5);
    }
}

static void cut_teardown(void *ctx)
{
    cut_sweep_t *c = ctx;
    ota_flash_emu_destroy(c->f.emu);
}

static ota_flash_emu_t *cut_setup_data(void *ctx)
{
    ((cut_sweep_t *)ctx)->data = true;
    return cut_setup(ctx);
}

static void cut_after(void *ctx, uint64_t n)
{
    cut_sweep_t *c = ctx;
    assert_true(n > 20);
    print_message("%s: %llu cut points\n", c->data ? "data" : "app", (unsigned long long)n);
    free(c->image);
}

OTA_POWERCUT_CASE(test_power_cut_at_every_operation, cut_sweep_t, .reentrant = true, .torn_seed = 1000,
                  .setup = cut_setup, .run = cut_run, .check = cut_check, .teardown = cut_teardown,
                  .after = cut_after)
OTA_POWERCUT_CASE(test_power_cut_at_every_operation_data, cut_sweep_t, .reentrant = true, .torn_seed = 1000,
                  .setup = cut_setup_data, .run = cut_run, .check = cut_check, .teardown = cut_teardown,
                  .after = cut_after)

/* A flash with one weak cell: programs never clear bit 0 of one byte (a stuck bit). */
typedef struct {
    ota_flash_t flash;
    ota_flash_t *inner;
    uint32_t weak_addr;
} weak_flash_t;

static int weak_read(void *ctx, uint32_t addr, void *buf, size_t len)
{
    weak_flash_t *f = ctx;
    return f->inner->ops->read(f->inner->ctx, addr, buf, len);
}

static int weak_program(void *ctx, uint32_t addr, const void *buf, size_t len)
{
    weak_flash_t *f = ctx;
    uint8_t copy[8192];
    assert_true(len <= sizeof copy);
    memcpy(copy, buf, len);
    if (f->weak_addr >= addr && f->weak_addr < addr + len) {
        copy[f->weak_addr - addr] |= 0x01;
    }
    return f->inner->ops->program(f->inner->ctx, addr, copy, len);
}

static int weak_erase(void *ctx, uint32_t addr, uint32_t len)
{
    weak_flash_t *f = ctx;
    return f->inner->ops->erase(f->inner->ctx, addr, len);
}

static const ota_flash_ops_t k_weak_ops = {weak_read, weak_program, weak_erase,
                                           NULL}; /* no map: the copy path */

static void test_every_program_is_read_back(void **state)
{
    (void)state;
    fixture_t f;
    fixture_init(&f);
    weak_flash_t weak = {.inner = ota_flash_emu_flash(f.emu), .weak_addr = PART_OFFSET + 20000};
    weak.flash = *weak.inner;
    weak.flash.ops = &k_weak_ops;
    weak.flash.ctx = &weak;
    f.part.flash = &weak.flash;
    size_t len = 50000;
    uint8_t *image = malloc(len);
    memset(image, 0x00, len); /* every bit must go to 0: the weak one cannot */
    ota_partition_writer_t w;
    ts_log_capture_start();
    assert_int_equal(write_image(&f, &w, image, len, 4096, (int64_t)len), OTA_ERR_SVC_VERIFY_FAILED);
    bool named = ts_log_contains("offset 0x4e20 reads back 0x01, programmed 0x00"); /* 20000 */
    ts_log_capture_stop();
    assert_true(named);
    /* the journal is still there: the partition is an interrupted install, not an image */
    assert_true(ota_journal_is_present(ota_flash_emu_memory(f.emu) + PART_OFFSET, 4));
    free(image);
    ota_flash_emu_destroy(f.emu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_commit_and_read_back),
        cmocka_unit_test(test_erase_uses_blocks_where_the_image_covers_them),
        cmocka_unit_test(test_data_partition_ends_erased_after_the_image),
        cmocka_unit_test(test_too_large_is_refused_before_erasing),
        cmocka_unit_test(test_checkpoints_append_to_the_journal),
        cmocka_unit_test(test_floor_record_before_the_header),
        cmocka_unit_test(test_floor_survives_every_cut),
        cmocka_unit_test(test_power_cut_at_every_operation),
        cmocka_unit_test(test_power_cut_at_every_operation_data),
        cmocka_unit_test(test_every_program_is_read_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
