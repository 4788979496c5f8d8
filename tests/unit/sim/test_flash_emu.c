/* The NOR emulator: geometry, semantics, strict mode, counters, wear, timing, power cuts. */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/sim/ota_flash_emu.h"

static void test_geometry(void **state)
{
    (void)state;
    ota_flash_emu_t *emu = NULL;
    ota_flash_emu_config_t cfg = {0};
    assert_int_equal(ota_flash_emu_create(&cfg, NULL, &emu), OTA_OK);
    ota_flash_t *f = ota_flash_emu_flash(emu);
    assert_int_equal(f->size, 4 * 1024 * 1024);
    assert_int_equal(f->sector_size, 4096);
    assert_int_equal(f->block_size, 65536);
    assert_int_equal(f->page_size, 256);
    /* a new RAM device is erased */
    uint8_t *mem = ota_flash_emu_memory(emu);
    for (uint32_t i = 0; i < f->size; i += 4093) {
        assert_int_equal(mem[i], 0xFF);
    }
    ota_flash_emu_destroy(emu);

    uint32_t bad[] = {0x10000 + 0x1000, 17 * 1024 * 1024, 100};
    for (size_t i = 0; i < 3; i++) {
        cfg.size = bad[i];
        assert_int_equal(ota_flash_emu_create(&cfg, NULL, &emu), OTA_ERR_FLASH_GEOMETRY);
        assert_null(emu);
    }
    cfg.size = 16 * 1024 * 1024;
    assert_int_equal(ota_flash_emu_create(&cfg, NULL, &emu), OTA_OK);
    ota_flash_emu_destroy(emu);
    cfg.size = 0x10000;
    assert_int_equal(ota_flash_emu_create(&cfg, NULL, &emu), OTA_OK);
    ota_flash_emu_destroy(emu);
}

static void test_program_ands_and_erase_sets_ff(void **state)
{
    (void)state;
    ota_flash_emu_config_t cfg = {.size = 0x20000, .strict = false};
    ota_flash_emu_t *emu = NULL;
    assert_int_equal(ota_flash_emu_create(&cfg, NULL, &emu), OTA_OK);
    ota_flash_t *f = ota_flash_emu_flash(emu);
    uint8_t a = 0xF0, b = 0x3C, out = 0;
    assert_int_equal(ota_flash_program(f, 0x1234, &a, 1), OTA_OK);
    assert_int_equal(ota_flash_program(f, 0x1234, &b, 1), OTA_OK); /* non-strict: AND */
    assert_int_equal(ota_flash_read(f, 0x1234, &out, 1), OTA_OK);
    assert_int_equal(out, 0x30);
    assert_int_equal(ota_flash_erase_sector(f, 0x1000), OTA_OK);
    assert_int_equal(ota_flash_read(f, 0x1234, &out, 1), OTA_OK);
    assert_int_equal(out, 0xFF);
    ota_flash_emu_destroy(emu);
}

static void test_strict_mode_names_the_address(void **state)
{
    (void)state;
    ota_flash_emu_t *emu = ts_ram_flash(0x20000);
    ota_flash_t *f = ota_flash_emu_flash(emu);
    uint8_t data[4] = {0x00, 0x00, 0x00, 0x00};
    assert_int_equal(ota_flash_program(f, 0x100, data, 4), OTA_OK);
    /* programming the same zeros again is fine (no bit goes up) */
    assert_int_equal(ota_flash_program(f, 0x100, data, 4), OTA_OK);
    uint8_t up[4] = {0x00, 0x00, 0x01, 0x00};
    ts_log_capture_start();
    assert_int_equal(ota_flash_program(f, 0x100, up, 4), OTA_ERR_FLASH_PROGRAM_ONE);
    assert_int_equal(ota_flash_emu_last_fault_addr(emu), 0x102);
    assert_true(ts_log_contains("0x00000102"));
    ts_log_capture_stop();
    /* rejected program changed nothing and did not count */
    ota_flash_emu_stats_t s;
    ota_flash_emu_get_stats(emu, &s);
    assert_int_equal(s.program_ops, 2);
    assert_int_equal(ota_flash_emu_memory(emu)[0x102], 0x00);
    ota_flash_emu_destroy(emu);
}

static void test_counters_and_timing(void **state)
{
    (void)state;
    ota_flash_emu_t *emu = ts_ram_flash(0x40000);
    ota_flash_t *f = ota_flash_emu_flash(emu);
    uint8_t buf[600];
    memset(buf, 0x55, sizeof buf);
    /* 600 bytes from 0x80 touch pages 0,1,2 */
    assert_int_equal(ota_flash_program(f, 0x80, buf, sizeof buf), OTA_OK);
    assert_int_equal(ota_flash_read(f, 0, buf, 512), OTA_OK);
    assert_int_equal(ota_flash_erase_sector(f, 0x1000), OTA_OK);
    assert_int_equal(ota_flash_erase_block(f, 0x10000), OTA_OK);
    ota_flash_emu_stats_t s;
    ota_flash_emu_get_stats(emu, &s);
    assert_int_equal(s.program_ops, 1);
    assert_int_equal(s.program_bytes, 600);
    assert_int_equal(s.program_pages, 3);
    assert_int_equal(s.read_ops, 1);
    assert_int_equal(s.read_bytes, 512);
    assert_int_equal(s.sector_erases, 1);
    assert_int_equal(s.block_erases, 1);
    assert_int_equal(s.erase_bytes, 0x11000);
    /* 3 pages x 700 us + 45 ms + 150 ms + read (20 + 512*8/4 clocks at 40 MHz = 26.1 us) */
    uint64_t expect = 3 * 700000ull + 45000000ull + 150000000ull + (20 + 1024) * 25ull;
    assert_int_equal(s.sim_time_ns, expect);
    assert_int_equal(ota_flash_emu_op_count(emu), 3);
    ota_flash_emu_reset_stats(emu);
    ota_flash_emu_get_stats(emu, &s);
    assert_int_equal(s.sim_time_ns, 0);
    assert_int_equal(s.program_ops, 0);
    assert_int_equal(s.max_sector_wear, 1); /* wear belongs to the chip, not the counters */
    ota_flash_emu_destroy(emu);
}

static void test_timing_is_configurable(void **state)
{
    (void)state;
    ota_flash_emu_config_t cfg = {
        .size = 0x20000, .strict = true, .timing = {.sector_erase_us = 10, .page_program_us = 1}};
    ota_flash_emu_t *emu = NULL;
    assert_int_equal(ota_flash_emu_create(&cfg, NULL, &emu), OTA_OK);
    ota_flash_t *f = ota_flash_emu_flash(emu);
    assert_int_equal(ota_flash_erase_sector(f, 0), OTA_OK);
    assert_int_equal(ota_flash_erase_block(f, 0x10000), OTA_OK); /* default 150 ms */
    ota_flash_emu_stats_t s;
    ota_flash_emu_get_stats(emu, &s);
    assert_int_equal(s.sim_time_ns, 10000ull + 150000000ull);
    assert_int_equal(ota_flash_emu_config(emu)->timing.block_erase_us, 150000);
    ota_flash_emu_destroy(emu);
}

static void test_wear_counts_per_sector(void **state)
{
    (void)state;
    ota_flash_emu_t *emu = ts_ram_flash(0x20000);
    ota_flash_t *f = ota_flash_emu_flash(emu);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(ota_flash_erase_sector(f, 0x3000), OTA_OK);
    }
    assert_int_equal(ota_flash_erase_block(f, 0), OTA_OK);
    assert_int_equal(ota_flash_emu_sector_wear(emu, 3), 6);
    assert_int_equal(ota_flash_emu_sector_wear(emu, 2), 1);
    assert_int_equal(ota_flash_emu_sector_wear(emu, 16), 0);
    assert_int_equal(ota_flash_emu_sector_wear(emu, 99999), 0);
    ota_flash_emu_stats_t s;
    ota_flash_emu_get_stats(emu, &s);
    assert_int_equal(s.max_sector_wear, 6);
    ota_flash_emu_destroy(emu);
}

static void test_clean_cut_stops_everything_until_power_on(void **state)
{
    (void)state;
    ota_flash_emu_t *emu = ts_ram_flash(0x20000);
    ota_flash_t *f = ota_flash_emu_flash(emu);
    uint8_t d[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8];
    ota_flash_emu_schedule_cut(emu, 2, OTA_FLASH_CUT_CLEAN, 1);
    assert_int_equal(ota_flash_program(f, 0, d, 8), OTA_OK); /* op 1 runs */
    assert_int_equal(ota_flash_read(f, 0, out, 8), OTA_OK);  /* reads are not ops */
    assert_false(ota_flash_emu_is_powered_off(emu));
    assert_int_equal(ota_flash_program(f, 8, d, 8), OTA_ERR_FLASH_POWER_LOST); /* op 2 cut */
    assert_true(ota_flash_emu_is_powered_off(emu));
    assert_int_equal(ota_flash_read(f, 0, out, 8), OTA_ERR_FLASH_POWER_LOST);
    assert_int_equal(ota_flash_erase_sector(f, 0), OTA_ERR_FLASH_POWER_LOST);
    uint8_t *mem = ota_flash_emu_memory(emu);
    assert_memory_equal(mem, d, 8);
    for (int i = 8; i < 16; i++) {
        assert_int_equal(mem[i], 0xFF); /* clean: the cut program did nothing */
    }
    ota_flash_emu_power_on(emu);
    assert_int_equal(ota_flash_read(f, 0, out, 8), OTA_OK);
    assert_memory_equal(out, d, 8);
    assert_int_equal(ota_flash_program(f, 8, d, 8), OTA_OK); /* no second cut */
    ota_flash_emu_destroy(emu);
}

/* A torn program leaves every byte between the old value and the target: bits only went down,
 * and only bits the target clears. */
static void check_torn_program(uint64_t seed, bool *saw_partial)
{
    ota_flash_emu_t *emu = ts_ram_flash(0x20000);
    ota_flash_t *f = ota_flash_emu_flash(emu);
    uint8_t target[1024];
    ts_fill_random(target, sizeof target, seed);
    ota_flash_emu_schedule_cut(emu, 1, OTA_FLASH_CUT_TORN, seed);
    assert_int_equal(ota_flash_program(f, 0x400, target, sizeof target), OTA_ERR_FLASH_POWER_LOST);
    const uint8_t *mem = ota_flash_emu_memory(emu);
    size_t done = 0;
    for (size_t i = 0; i < sizeof target; i++) {
        assert_int_equal(mem[0x400 + i] & target[i], target[i]); /* never below target */
        done += mem[0x400 + i] == target[i];
    }
    if (done > 0 && done < sizeof target) {
        *saw_partial = true;
    }
    assert_int_equal(mem[0x3FF], 0xFF);
    assert_int_equal(mem[0x800], 0xFF);
    ota_flash_emu_destroy(emu);
}

static void test_torn_program(void **state)
{
    (void)state;
    bool partial = false;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        check_torn_program(seed, &partial);
    }
    assert_true(partial);
}

static void test_torn_erase_leaves_random_content(void **state)
{
    (void)state;
    ota_flash_emu_t *emu = ts_ram_flash(0x20000);
    ota_flash_t *f = ota_flash_emu_flash(emu);
    uint8_t zeros[4096] = {0};
    for (uint32_t a = 0x10000; a < 0x20000; a += sizeof zeros) {
        assert_int_equal(ota_flash_program(f, a, zeros, sizeof zeros), OTA_OK);
    }
    ota_flash_emu_schedule_cut(emu, 1, OTA_FLASH_CUT_TORN, 42);
    assert_int_equal(ota_flash_erase_block(f, 0x10000), OTA_ERR_FLASH_POWER_LOST);
    const uint8_t *mem = ota_flash_emu_memory(emu);
    size_t ff = 0, zero = 0;
    for (uint32_t i = 0x10000; i < 0x20000; i++) {
        ff += mem[i] == 0xFF;
        zero += mem[i] == 0x00;
    }
    /* neither fully erased nor untouched */
    assert_true(ff < 0x10000);
    assert_true(zero < 0x10000);
    ota_flash_emu_destroy(emu);
}

static void test_torn_cut_is_deterministic(void **state)
{
    (void)state;
    uint8_t target[512];
    ts_fill_random(target, sizeof target, 7);
    uint8_t result[2][512];
    for (int run = 0; run < 2; run++) {
        ota_flash_emu_t *emu = ts_ram_flash(0x20000);
        ota_flash_t *f = ota_flash_emu_flash(emu);
        ota_flash_emu_schedule_cut(emu, 1, OTA_FLASH_CUT_TORN, 99);
        ota_flash_program(f, 0, target, sizeof target);
        memcpy(result[run], ota_flash_emu_memory(emu), 512);
        ota_flash_emu_destroy(emu);
    }
    assert_memory_equal(result[0], result[1], 512);
}

static void test_schedule_counts_from_now_and_cancels(void **state)
{
    (void)state;
    ota_flash_emu_t *emu = ts_ram_flash(0x20000);
    ota_flash_t *f = ota_flash_emu_flash(emu);
    assert_int_equal(ota_flash_erase_sector(f, 0), OTA_OK);
    assert_int_equal(ota_flash_erase_sector(f, 0), OTA_OK);
    assert_int_equal(ota_flash_emu_op_count(emu), 2);
    ota_flash_emu_schedule_cut(emu, 1, OTA_FLASH_CUT_CLEAN, 0);
    ota_flash_emu_schedule_cut(emu, 0, OTA_FLASH_CUT_CLEAN, 0); /* cancel */
    assert_int_equal(ota_flash_erase_sector(f, 0), OTA_OK);
    ota_flash_emu_schedule_cut(emu, 3, OTA_FLASH_CUT_CLEAN, 0);
    assert_int_equal(ota_flash_erase_sector(f, 0), OTA_OK);
    assert_int_equal(ota_flash_erase_sector(f, 0), OTA_OK);
    assert_int_equal(ota_flash_erase_sector(f, 0), OTA_ERR_FLASH_POWER_LOST);
    ota_flash_emu_destroy(emu);
}

static void test_readonly(void **state)
{
    (void)state;
    ota_flash_emu_config_t cfg = {.size = 0x10000, .readonly = true};
    ota_flash_emu_t *emu = NULL;
    assert_int_equal(ota_flash_emu_create(&cfg, NULL, &emu), OTA_OK);
    ota_flash_t *f = ota_flash_emu_flash(emu);
    uint8_t b = 0;
    assert_int_equal(ota_flash_program(f, 0, &b, 1), OTA_ERR_FLASH_READONLY);
    assert_int_equal(ota_flash_erase_sector(f, 0), OTA_ERR_FLASH_READONLY);
    assert_int_equal(ota_flash_read(f, 0, &b, 1), OTA_OK);
    ota_flash_emu_destroy(emu);
}

static void test_map_reads_in_place(void **state)
{
    (void)state;
    ota_flash_emu_t *emu = ts_ram_flash(0x20000);
    ota_flash_t *f = ota_flash_emu_flash(emu);
    uint8_t data[300];
    ts_fill_random(data, sizeof data, 5);
    assert_int_equal(ota_flash_program(f, 0x1000, data, sizeof data), OTA_OK);
    ota_flash_emu_reset_stats(emu);
    const void *view = NULL;
    assert_int_equal(ota_flash_map(f, 0x1000, sizeof data, &view), OTA_OK);
    assert_ptr_equal(view, ota_flash_emu_memory(emu) + 0x1000); /* no copy */
    assert_memory_equal(view, data, sizeof data);
    ota_flash_emu_stats_t s;
    ota_flash_emu_get_stats(emu, &s);
    assert_int_equal(s.read_ops, 1); /* a mapped read costs the chip a read */
    assert_int_equal(s.read_bytes, sizeof data);
    assert_true(s.sim_time_ns > 0);
    assert_int_equal(ota_flash_map(f, 0x1FFFF, 2, &view), OTA_ERR_FLASH_OUT_OF_RANGE);
    assert_int_equal(ota_flash_map(f, 0, 1, NULL), OTA_ERR_INVALID_ARG);
    ota_flash_emu_schedule_cut(emu, 1, OTA_FLASH_CUT_CLEAN, 0);
    assert_int_equal(ota_flash_erase_sector(f, 0), OTA_ERR_FLASH_POWER_LOST);
    assert_int_equal(ota_flash_map(f, 0x1000, 4, &view), OTA_ERR_FLASH_POWER_LOST);
    ota_flash_emu_destroy(emu);
}

/* Faults of a failing chip (lfs_emubd's bad-block modes, MCUboot's simulator). */
static void test_faults_of_a_failing_chip(void **state)
{
    (void)state;
    ota_flash_emu_t *emu = ts_ram_flash(1024 * 1024);
    ota_flash_t *flash = ota_flash_emu_flash(emu);
    uint8_t *mem = ota_flash_emu_memory(emu);
    uint8_t data[256], back[256];
    memset(data, 0x00, sizeof data);

    /* an erase or program that reports an error, at operation N from now, once */
    ota_flash_fault_t f = {.kind = OTA_FLASH_FAULT_OP_ERROR, .at_op = 2, .seed = 1};
    ota_flash_emu_set_fault(emu, &f);
    assert_int_equal(ota_flash_program(flash, 0x1000, data, sizeof data), OTA_OK);
    assert_int_equal(ota_flash_erase_sector(flash, 0x2000), OTA_ERR_FLASH_ERASE_FAILED);
    assert_int_equal(ota_flash_program(flash, 0x3000, data, sizeof data), OTA_OK); /* once only */
    assert_int_equal(ota_flash_emu_fault_hits(emu), 1);
    f.at_op = 1;
    ota_flash_emu_set_fault(emu, &f);
    assert_int_equal(ota_flash_program(flash, 0x4000, data, sizeof data), OTA_ERR_FLASH_PROGRAM_FAILED);
    assert_true(memcmp(mem + 0x4000, data, sizeof data) != 0); /* not (fully) programmed */

    /* a bad sector: every erase and program touching it fails, from the trigger on */
    ota_flash_fault_t bad = {.kind = OTA_FLASH_FAULT_BAD_SECTOR, .addr = 0x10000, .len = 0x1000};
    ota_flash_emu_set_fault(emu, &bad);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ota_flash_erase_sector(flash, 0x10000), OTA_ERR_FLASH_ERASE_FAILED);
        assert_int_equal(ota_flash_program(flash, 0x10FF0, data, 32), OTA_ERR_FLASH_PROGRAM_FAILED);
    }
    assert_int_equal(ota_flash_erase_sector(flash, 0x11000), OTA_OK);
    assert_int_equal(ota_flash_erase_block(flash, 0x10000), OTA_ERR_FLASH_ERASE_FAILED);

    /* reads that return garbage (no error); map declines so the caller reads a garbled copy */
    ota_flash_fault_t garbage = {.kind = OTA_FLASH_FAULT_BAD_READ, .addr = 0x20000, .len = 0x1000, .seed = 9};
    ota_flash_emu_set_fault(emu, &garbage);
    memset(mem + 0x20000, 0xFF, 0x1000);
    assert_int_equal(ota_flash_read(flash, 0x20000, back, sizeof back), OTA_OK);
    assert_true(memcmp(back, mem + 0x20000, sizeof back) != 0);
    const void *view;
    assert_int_equal(ota_flash_map(flash, 0x20000, 16, &view), OTA_ERR_NOT_SUPPORTED);
    assert_int_equal(ota_flash_read(flash, 0x21000, back, sizeof back), OTA_OK);
    assert_memory_equal(back, mem + 0x21000, sizeof back);

    /* worn cells: after 3 erases a sector stops programming some bits, silently */
    ota_flash_fault_t worn = {.kind = OTA_FLASH_FAULT_WORN, .addr = 0, .len = 1024 * 1024, .wear_limit = 3};
    ota_flash_emu_set_fault(emu, &worn);
    uint32_t s = 0x30000;
    for (uint32_t e = ota_flash_emu_sector_wear(emu, s / 4096); e < 2; e++) {
        assert_int_equal(ota_flash_erase_sector(flash, s), OTA_OK);
    }
    assert_int_equal(ota_flash_program(flash, s, data, sizeof data), OTA_OK);
    assert_memory_equal(mem + s, data, sizeof data);            /* 2 erases: still fine */
    assert_int_equal(ota_flash_erase_sector(flash, s), OTA_OK); /* the 3rd */
    assert_int_equal(ota_flash_program(flash, s, data, sizeof data), OTA_OK);
    assert_true(memcmp(mem + s, data, sizeof data) != 0);

    /* healthy again */
    ota_flash_emu_set_fault(emu, NULL);
    assert_int_equal(ota_flash_erase_sector(flash, 0x10000), OTA_OK);
    ota_flash_emu_destroy(emu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_geometry),
        cmocka_unit_test(test_program_ands_and_erase_sets_ff),
        cmocka_unit_test(test_strict_mode_names_the_address),
        cmocka_unit_test(test_counters_and_timing),
        cmocka_unit_test(test_timing_is_configurable),
        cmocka_unit_test(test_wear_counts_per_sector),
        cmocka_unit_test(test_clean_cut_stops_everything_until_power_on),
        cmocka_unit_test(test_torn_program),
        cmocka_unit_test(test_torn_erase_leaves_random_content),
        cmocka_unit_test(test_torn_cut_is_deterministic),
        cmocka_unit_test(test_schedule_counts_from_now_and_cancels),
        cmocka_unit_test(test_readonly),
        cmocka_unit_test(test_map_reads_in_place),
        cmocka_unit_test(test_faults_of_a_failing_chip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
