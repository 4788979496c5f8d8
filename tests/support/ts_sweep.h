/**
 * @file ts_sweep.h
 * @brief The loop over injection points that the power-cut and flash-fault sweeps share.
 *
 * Plain C, no cmocka: the cmocka tests (writer, otadata, flash faults) and the ota_powercut
 * program run the same loop; each puts its own asserts or tallies in check().
 */
#ifndef OTA_TS_SWEEP_H
#define OTA_TS_SWEEP_H

#include <stdint.h>

#include "ota/sim/ota_flash_emu.h"

/**
 * A scenario swept over its flash operations.
 * ts_sweep() runs it once unarmed to count its program/erase operations N (check gets k = 0),
 * then for k = first, first + step, ... <= N: setup, arm before the k-th operation, run, check.
 */
typedef struct {
    /** Fresh state; returns the emulator whose operations are counted. */
    ota_flash_emu_t *(*setup)(void *ctx);
    /** Arm the injection (power cut, fault) before the k-th program/erase from now. */
    void (*arm)(void *ctx, ota_flash_emu_t *emu, uint64_t k);
    /** The operations under test; returns their result. */
    int (*run)(void *ctx);
    /** Check (assert, or count violations) after a run armed at @p k (0: the unarmed run). */
    void (*check)(void *ctx, uint64_t k, int result);
    /** Release what setup made (NULL: nothing). */
    void (*teardown)(void *ctx);
    void *ctx;
} ts_sweep_t;

/** Run the sweep; returns N, the operations of the unarmed run. */
uint64_t ts_sweep(const ts_sweep_t *sweep, uint64_t first, uint64_t step);

/**
 * The loop alone, for a caller that knows N already (ota_powercut counts it once per initial
 * state, with its uninterrupted run): for k = first, first + step, ... <= last (first 0 counts
 * as 1, step 0 as 1): setup, arm, run, check, teardown. Returns the number of points run.
 */
uint64_t ts_sweep_points(const ts_sweep_t *sweep, uint64_t first, uint64_t last, uint64_t step);

#endif /* OTA_TS_SWEEP_H */
