/* ota_powercut's cases: each is a scenario of the update declared by its flags, as littlefs declares
 * a test case power-loss safe with `reentrant = true` in its test TOML. `.reentrant = true` sweeps
 * the case over every flash operation of the update with a power cut before it - clean and torn
 * cuts unless `.cuts` narrows it - from each initial state the case names. Nothing else wires a
 * sweep: tests/powercut/CMakeLists.txt registers the CTest powercut_<name> for every
 * OTA_POWERCUT_CASE line of this file, running `ota_powercut --case <name>`; add a line here and
 * re-run cmake to add one. The flags are pc_case_t's (powercut.h); the command line
 * (`ota_powercut --help`) still composes any other run. */
#include "powercut.h"

#define OTA_POWERCUT_CASE(id, ...) \
    { \
        .name = #id, __VA_ARGS__ \
    }

const pc_case_t pc_cases[] = {
    /* the full clean sweep of every initial state */
    OTA_POWERCUT_CASE(clean, .reentrant = true, .cuts = PC_CUT_CLEAN_ONLY, .every_initial = true),
    /* a torn sample: two seeds other than --all's, every point of every initial state, then 300
     * random multi-cut runs */
    OTA_POWERCUT_CASE(torn_sample, .reentrant = true, .cuts = PC_CUT_TORN_ONLY, .seed = 101, .seeds = 2,
                      .every_initial = true, .random = 300),
    /* ESP-ADF's in-place data procedure must be caught: the harness can fail */
    OTA_POWERCUT_CASE(inplace_must_fail, .reentrant = true, .cuts = PC_CUT_CLEAN_ONLY, .inplace = true,
                      .expect_violations = true),
    /* a delta update (the app item is a patch): every point, clean cuts, from a fresh device */
    OTA_POWERCUT_CASE(delta, .reentrant = true, .cuts = PC_CUT_CLEAN_ONLY, .delta = true),
    /* a signed + pre-encrypted update on a Secure Boot V2 device: every point, clean cuts, fresh
     * device */
    OTA_POWERCUT_CASE(secure, .reentrant = true, .cuts = PC_CUT_CLEAN_ONLY, .secure = true),
    /* a delta update of a 700 kB app: 10 checkpoints, so the journal's spill sectors take records in
     * both and are erased in turn (ota_install_journal.h); every point, clean cuts */
    OTA_POWERCUT_CASE(delta_spill, .reentrant = true, .cuts = PC_CUT_CLEAN_ONLY, .delta = true,
                      .app_size = 700000),
    /* issue 19: a delta between two signed apps on a Secure Boot V2 device (the patch
     * pre-encrypted), every point, clean cuts, fresh device */
    OTA_POWERCUT_CASE(secure_delta, .reentrant = true, .cuts = PC_CUT_CLEAN_ONLY, .secure = true,
                      .delta = true),
    /* a release (manifest: app + flash_tone + data_ver, pc_release.c) on the table with twins,
     * installed as one: every point, clean cuts, every initial state; set consistency after every
     * boot on top of the five properties */
    OTA_POWERCUT_CASE(release, .reentrant = true, .cuts = PC_CUT_CLEAN_ONLY, .scenario = PC_SCENARIO_RELEASE,
                      .every_initial = true),
    /* the release, torn: seeds 101 and 102 at every point of every initial state, then 300 random
     * multi-cut runs */
    OTA_POWERCUT_CASE(release_torn, .reentrant = true, .cuts = PC_CUT_TORN_ONLY, .seed = 101, .seeds = 2,
                      .scenario = PC_SCENARIO_RELEASE, .every_initial = true, .random = 300),
    /* the release whose new app never confirms: the bootloader rolls it back and the data must
     * follow it; cuts anywhere in that path (the bootloader's writes included), clean and torn,
     * every initial state, 100 random runs */
    OTA_POWERCUT_CASE(release_rollback, .reentrant = true, .scenario = PC_SCENARIO_RELEASE, .rollback = true,
                      .every_initial = true, .random = 100),
    /* a release without an app item (flash_tone + data_ver): its COMMIT record is the commit point
     * (a torn record fails its CRC); every point, clean and torn, fresh device */
    OTA_POWERCUT_CASE(release_data_only, .reentrant = true, .scenario = PC_SCENARIO_RELEASE,
                      .data_only = true),
    /* a release over a release: the old one (sequence 6) runs with its data in the twins, bound by
     * its COMMIT record; the new one writes the labels. Clean and torn (seed 1), every initial
     * state, 100 random runs */
    OTA_POWERCUT_CASE(release_over_release, .reentrant = true, .scenario = PC_SCENARIO_RELEASE,
                      .prior_release = true, .every_initial = true, .random = 100),
    /* ... and rolled back: the old entry's own COMMIT must take the data back to the twins; every
     * point, clean cuts, every initial state */
    OTA_POWERCUT_CASE(release_over_release_rollback, .reentrant = true, .cuts = PC_CUT_CLEAN_ONLY,
                      .scenario = PC_SCENARIO_RELEASE, .prior_release = true, .rollback = true,
                      .every_initial = true),
    /* the release's items (app, flash_tone, data_ver) as a plain list, each committed in place on
     * its own (no manifest, no twins used): set consistency must catch it (an old app booting with
     * new or half-written data) - the property can fail */
    OTA_POWERCUT_CASE(release_per_item_must_fail, .reentrant = true, .cuts = PC_CUT_CLEAN_ONLY,
                      .scenario = PC_SCENARIO_PER_ITEM, .expect_violations = true),
    /* the same list whose new app never confirms: the bootloader rolls the app back, its data stay
     * new - set consistency must catch it after every run (data roll back with their app) */
    OTA_POWERCUT_CASE(release_rollback_per_item_must_fail, .reentrant = true, .cuts = PC_CUT_CLEAN_ONLY,
                      .scenario = PC_SCENARIO_PER_ITEM, .rollback = true, .expect_violations = true),
    /* the two data items as a plain list, each committed in place: a cut between the commits
     * leaves the new tone with the old data version - set consistency must catch it */
    OTA_POWERCUT_CASE(release_data_only_per_item_must_fail, .reentrant = true, .cuts = PC_CUT_CLEAN_ONLY,
                      .scenario = PC_SCENARIO_PER_ITEM, .data_only = true, .expect_violations = true),
};

const size_t pc_case_count = sizeof pc_cases / sizeof pc_cases[0];
