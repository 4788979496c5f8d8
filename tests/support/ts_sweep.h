/**
 * @file ts_sweep.h
 * @brief The loop over injection points that the power-cut and flash-fault sweeps share.
 *
 * Plain C, no cmocka: the cmocka tests (writer, otadata, flash faults) and the ota_powercut
 * program run the same loop; each puts its own asserts or tallies in check(). A power-cut case
 * is declared by its flag (ts_case_t.reentrant) and swept by ts_case_run(), which arms the cuts.
 */
#ifndef OTA_TS_SWEEP_H
#define OTA_TS_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
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

/** Which power cuts a reentrant case is swept with (0: both, the default). */
typedef enum {
    TS_CUT_BOTH = 0,
    TS_CUT_CLEAN_ONLY = 1, /**< the interrupted operation has no effect */
    TS_CUT_TORN_ONLY = 2,  /**< the interrupted operation is partly done */
} ts_cut_kinds_t;

/**
 * A test case declared power-cut safe, as littlefs declares one in its test TOML with
 * `reentrant = true`: the harness, not the case, cuts the power. With @c reentrant set, ts_case_run()
 * runs the case uninterrupted to count its program/erase operations N (check gets k = 0), then
 * once per operation k = 1..N with the power cut before it - first clean cuts, then torn ones -
 * setting up afresh each time. Without it the case runs once, uninterrupted. The case never arms
 * a cut itself; OTA_POWERCUT_CASE() (test_support.h) declares one as a cmocka test.
 * With @c fault set, the same sweep injects that flash fault (ota_flash_emu.h) at operation k
 * instead of a power cut: a chip that fails rather than one that loses power.
 */
typedef struct {
    bool reentrant;      /**< sweep every flash operation with a power cut before it */
    ts_cut_kinds_t cuts; /**< which cuts (default both) */
    uint64_t ops;        /**< >0: the uninterrupted run must take exactly this many (asserted) */
    uint64_t torn_seed;  /**< the torn contents of the cut before operation k: seed torn_seed + k */
    /** Not OTA_FLASH_FAULT_NONE: one sweep with this fault at operation k (its pseudo-random bits
     *  from seed k * 31 + fault) instead of the power cuts (then @c cuts is ignored). */
    ota_flash_fault_kind_t fault;
    uint64_t step; /**< sweep every step-th operation, k = 1, 1 + step, ... (0: every one) */
    /** Fresh state in @p ctx (zeroed before each sweep); returns the emulator to count and cut. */
    ota_flash_emu_t *(*setup)(void *ctx);
    /** The operations under test; returns their result. */
    int (*run)(void *ctx);
    /** Check after a run cut before operation @p k (0: uninterrupted); assert or count. */
    void (*check)(void *ctx, uint64_t k, int result);
    /** Release what setup made (NULL: nothing). */
    void (*teardown)(void *ctx);
    /** After each sweep (one per kind of cut, or the fault's), with its N: check the sweep's
     *  totals, release what the sweep shared between its points (NULL: nothing). */
    void (*after)(void *ctx, uint64_t n);
} ts_case_t;

/**
 * Run @p c as its flags say, with @p ctx (@p ctx_size bytes, zeroed before each sweep) passed to
 * its callbacks. Returns N, the operations of the uninterrupted run, or UINT64_MAX if the sweeps
 * counted different N (OTA_POWERCUT_CASE() asserts N against c->ops).
 */
uint64_t ts_case_run(const ts_case_t *c, void *ctx, size_t ctx_size);

#endif /* OTA_TS_SWEEP_H */
