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
#include "ts_sweep.h"

/** Absolute path of a file under ../shared/testdata (static buffer, valid until the next call). */
const char *ts_testdata(const char *relative);

/** Read a whole file (malloc'ed; caller frees). Fails the test if it cannot. */
uint8_t *ts_read_file(const char *path, size_t *len);
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
