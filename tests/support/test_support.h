/**
 * @file test_support.h
 * @brief Helpers for the cmocka unit tests: test data, files, temp dirs, RAM flash, log capture.
 *
 * Include after the cmocka prerequisites (stdarg.h, stddef.h, setjmp.h, stdint.h, cmocka.h) or
 * let this header include them.
 */
#ifndef OTA_TEST_SUPPORT_H
#define OTA_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ota/sim/ota_flash_emu.h"
#include "ts_file.h"
#include "ts_sweep.h"

/** Absolute path of a file under ../shared/testdata (static buffer, valid until the next call). */
const char *ts_testdata(const char *relative);

/* ts_read_file(), ts_read_file_at(): in ts_file.h. */
/** Write a file; fails the test if it cannot. */
void ts_write_file(const char *path, const void *data, size_t len);

/** Create a fresh temporary directory (malloc'ed path) and remove it with ts_rmtree. */
char *ts_mkdtemp(void);
void ts_rmtree(const char *path);
/** malloc'ed "dir/name". */
char *ts_path_join(const char *dir, const char *name);

/** A strict RAM emulator of @p size bytes (0 = 4 MiB), erased. */
ota_flash_emu_t *ts_ram_flash(uint32_t size);

/* ts_sweep(): the loop over injection points, in ts_sweep.h (no cmocka there). */

/**
 * Declare the cmocka test @p name: the power-cut case of ts_case_t's fields (ts_sweep.h) run on a
 * @p ctx_type context. With `.reentrant = true` the harness sweeps it over every flash operation,
 * clean and torn cuts (littlefs's `reentrant = true`); the case only sets up, runs and checks.
 * `.ops = N` asserts the uninterrupted run's operation count. For example:
 *   OTA_POWERCUT_CASE(test_cut_in_x, x_t, .reentrant = true, .setup = x_setup, .run = x_run,
 *                     .check = x_check, .teardown = x_free, .ops = 2)
 */
#define OTA_POWERCUT_CASE(name, ctx_type, ...) \
    static void name(void **state) \
    { \
        (void)state; \
        static const ts_case_t name##_case = {__VA_ARGS__}; \
        ctx_type ctx; \
        uint64_t n = ts_case_run(&name##_case, &ctx, sizeof ctx); \
        assert_true(n != UINT64_MAX); /* every sweep counted the same N */ \
        if (name##_case.ops != 0) { \
            assert_int_equal(n, name##_case.ops); \
        } \
    }

/** Deterministic pseudo-random bytes (splitmix64 stream from @p seed). */
void ts_fill_random(void *buf, size_t len, uint64_t seed);

/** Capture library log lines in memory ("I TAG: message" without timestamps). */
void ts_log_capture_start(void);
void ts_log_capture_stop(void);
/** True if any captured line contains @p needle. */
bool ts_log_contains(const char *needle);
/** All captured lines joined with '\n' (valid until the next capture call). */
const char *ts_log_text(void);

#endif /* OTA_TEST_SUPPORT_H */
