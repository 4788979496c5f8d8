/* The power-cut case declaration (OTA_POWERCUT_CASE, test_support.h; ts_case_run, ts_sweep.h): a
 * case flagged `.reentrant = true` is run uninterrupted, then cut before each of its flash
 * operations, clean cuts and then torn ones, by the harness alone; `.cuts` narrows the kinds, and
 * a case without the flag runs once. The case here: erase a sector, program two pages of zeros
 * (3 operations) on the strict NOR emulator; what a cut before operation 2 leaves in page 0 tells
 * the kind of cut (clean: still erased; torn: partly programmed). */
#include "test_support.h"

#include <string.h>

#include "ota/ota_err.h"
#include "ota/port/ota_flash.h"

#define PAGE 256u

typedef struct {
    ota_flash_emu_t *emu;
} case_t;

/* What the checks saw, over all sweeps of one declared case. */
static struct {
    uint64_t ks[16];
    int n;
    int clean_at_2, torn_at_2; /* runs cut before operation 2 that left page 0 erased / partly programmed */
} seen;

static ota_flash_emu_t *case_setup(void *ctx)
{
    case_t *c = ctx;
    c->emu = ts_ram_flash(64 * 1024);
    return c->emu;
}

static int case_run(void *ctx)
{
    case_t *c = ctx;
    const ota_flash_t *f = ota_flash_emu_flash(c->emu);
    uint8_t zeros[PAGE];
    memset(zeros, 0, sizeof zeros);
    int err = ota_flash_erase_sector(f, 0);
    if (err == OTA_OK) {
        err = ota_flash_program(f, 0, zeros, PAGE);
    }
    if (err == OTA_OK) {
        err = ota_flash_program(f, PAGE, zeros, PAGE);
    }
    return err;
}

static void case_check(void *ctx, uint64_t k, int result)
{
    case_t *c = ctx;
    assert_true(seen.n < 16);
    seen.ks[seen.n++] = k;
    assert_int_equal(result, k == 0 ? OTA_OK : OTA_ERR_FLASH_POWER_LOST);
    const uint8_t *mem = ota_flash_emu_memory(c->emu);
    size_t erased = 0, zero = 0;
    for (size_t i = 0; i < PAGE; i++) {
        erased += mem[i] == 0xFF;
        zero += mem[i] == 0x00;
    }
    if (k == 0) {
        assert_int_equal(zero, PAGE); /* uninterrupted: page 0 programmed */
    } else if (k == 2 && erased == PAGE) {
        seen.clean_at_2++;
    } else if (k == 2) {
        seen.torn_at_2++;
        assert_true(zero < PAGE); /* a torn program is not a complete one */
    }
}

static void case_teardown(void *ctx)
{
    case_t *c = ctx;
    ota_flash_emu_destroy(c->emu);
}

static void expect_ks(const uint64_t *want, int n)
{
    assert_int_equal(seen.n, n);
    for (int i = 0; i < n; i++) {
        assert_int_equal(seen.ks[i], want[i]);
    }
}

OTA_POWERCUT_CASE(run_reentrant, case_t, .reentrant = true, .setup = case_setup, .run = case_run,
                  .check = case_check, .teardown = case_teardown, .ops = 3, .torn_seed = 7)

static void test_reentrant_sweeps_every_operation_clean_and_torn(void **state)
{
    memset(&seen, 0, sizeof seen);
    run_reentrant(state);
    static const uint64_t want[] = {0, 1, 2, 3, 0, 1, 2, 3};
    expect_ks(want, 8);
    assert_int_equal(seen.clean_at_2, 1);
    assert_int_equal(seen.torn_at_2, 1);
}

OTA_POWERCUT_CASE(run_clean_only, case_t, .reentrant = true, .cuts = TS_CUT_CLEAN_ONLY, .setup = case_setup,
                  .run = case_run, .check = case_check, .teardown = case_teardown, .ops = 3)

static void test_cuts_narrow_the_kinds(void **state)
{
    memset(&seen, 0, sizeof seen);
    run_clean_only(state);
    static const uint64_t want[] = {0, 1, 2, 3};
    expect_ks(want, 4);
    assert_int_equal(seen.clean_at_2, 1);
    assert_int_equal(seen.torn_at_2, 0);
}

OTA_POWERCUT_CASE(run_once, case_t, .setup = case_setup, .run = case_run, .check = case_check,
                  .teardown = case_teardown, .ops = 3)

static void test_without_the_flag_runs_once(void **state)
{
    memset(&seen, 0, sizeof seen);
    run_once(state);
    static const uint64_t want[] = {0};
    expect_ks(want, 1);
}

/* `.fault`: the same sweep with a failing chip instead of a power cut, every `.step`-th operation,
 * and `.after` gets each sweep's N (here one sweep: a fault is not swept clean and torn). */
static int fault_results[16];
static uint64_t after_n[4];
static int afters;

static void fault_check(void *ctx, uint64_t k, int result)
{
    (void)ctx;
    assert_true(seen.n < 16);
    fault_results[seen.n] = result;
    seen.ks[seen.n++] = k;
}

static void fault_after(void *ctx, uint64_t n)
{
    (void)ctx;
    assert_true(afters < 4);
    after_n[afters++] = n;
}

OTA_POWERCUT_CASE(run_fault, case_t, .reentrant = true, .fault = OTA_FLASH_FAULT_OP_ERROR, .step = 2,
                  .setup = case_setup, .run = case_run, .check = fault_check, .teardown = case_teardown,
                  .after = fault_after, .ops = 3)

static void test_fault_flag_sweeps_a_failing_chip(void **state)
{
    memset(&seen, 0, sizeof seen);
    afters = 0;
    run_fault(state);
    static const uint64_t want[] = {0, 1, 3}; /* uninterrupted, then every 2nd operation */
    expect_ks(want, 3);
    assert_int_equal(fault_results[0], OTA_OK);
    assert_int_equal(fault_results[1], OTA_ERR_FLASH_ERASE_FAILED);   /* operation 1: the erase */
    assert_int_equal(fault_results[2], OTA_ERR_FLASH_PROGRAM_FAILED); /* operation 3: a program */
    assert_int_equal(afters, 1);
    assert_int_equal(after_n[0], 3);
}

static void test_after_gets_each_sweeps_n(void **state)
{
    (void)state;
    memset(&seen, 0, sizeof seen);
    afters = 0;
    static const ts_case_t c = {.reentrant = true,
                                .setup = case_setup,
                                .run = case_run,
                                .check = case_check,
                                .teardown = case_teardown,
                                .after = fault_after};
    case_t ctx;
    assert_int_equal(ts_case_run(&c, &ctx, sizeof ctx), 3);
    assert_int_equal(afters, 2); /* clean cuts, then torn ones */
    assert_int_equal(after_n[0], 3);
    assert_int_equal(after_n[1], 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reentrant_sweeps_every_operation_clean_and_torn),
        cmocka_unit_test(test_cuts_narrow_the_kinds),
        cmocka_unit_test(test_without_the_flag_runs_once),
        cmocka_unit_test(test_fault_flag_sweeps_a_failing_chip),
        cmocka_unit_test(test_after_gets_each_sweeps_n),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
