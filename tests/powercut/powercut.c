/* ota_powercut: cut the power before every flash operation of an OTA update and prove DESIGN.md
 * §4 (see powercut.h for the structure, docs/powercut.md for what is guaranteed).
 *
 * A run = a fresh device in its initial state, sessions interrupted by the run's cuts (each
 * followed by a power-on), then one uninterrupted session. The sweep makes one run per cut point
 * k = 1..N for each cut behaviour (clean, torn with several seeds); random runs have 2-5 cuts. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_log_posix.h"
#include "powercut.h"
#include "ts_sweep.h"

#define MAX_PRINTED 10

typedef struct {
    uint64_t points; /* cut points per mode, summed over initial states */
    int modes;
    uint64_t runs, failing, cuts_taken;
    int inv_count[PC_INV_COUNT];
    bool have_first;
    char first[1200];
    char first_cmd[512];
} totals_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* splitmix64: the random runs' generator (reproducible from --seed). */
static uint64_t next_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static const char *mode_name(ota_flash_cut_mode_t mode)
{
    return mode == OTA_FLASH_CUT_TORN ? "torn" : "clean";
}

static void format_cuts(const pc_cut_t *cuts, int n, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && used < size; i++) {
        int w = cuts[i].mode == OTA_FLASH_CUT_TORN
                    ? snprintf(buf + used, size - used, "%s%" PRIu64 ":torn:0x%" PRIx64, i ? "," : "",
                               cuts[i].k, cuts[i].seed)
                    : snprintf(buf + used, size - used, "%s%" PRIu64 ":clean", i ? "," : "", cuts[i].k);
        used += w > 0 ? (size_t)w : 0;
    }
}

static void format_command(const pc_options_t *o, pc_initial_t initial, const pc_cut_t *cuts, int n,
                           char *buf, size_t size)
{
    char list[300];
    format_cuts(cuts, n, list, sizeof list);
    char app[40] = "";
    if (o->app_size != PC_DEFAULT_APP_SIZE) {
        snprintf(app, sizeof app, " --app-size %u", (unsigned)o->app_size);
    }
    snprintf(buf, size, "%s --initial %s%s%s%s%s%s%s%s --cuts %s -vv", o->argv0, pc_initial_name(initial),
             o->inplace ? " --inplace" : "", o->delta ? " --delta" : "", o->secure ? " --secure" : "",
             o->scenario == PC_SCENARIO_RELEASE    ? " --release"
             : o->scenario == PC_SCENARIO_PER_ITEM ? " --per-item"
                                                   : "",
             o->rollback    ? " --rollback"
             : o->data_only ? " --data-only"
                            : "",
             o->prior_release ? " --prior-release" : "", app, list);
}

/* Outcome of one run, for the tallies. */
typedef struct {
    int taken;                   /* cuts that happened */
    pc_data_state_t data_at_cut; /* the data partition right after the first cut */
    int boot_after_cut;          /* slot the device booted first after it (-1: none) */
} run_info_t;

static const char *item_name(const pc_harness_t *h, int id, char *buf, size_t size)
{
    int result = h->item_result[id];
    if (result < 0) {
        return "-";
    }
    snprintf(buf, size, "%s%s%s%s", ota_item_result_name((ota_item_result_t)result),
             result != OTA_ITEM_SUCCESS ? " (" : "",
             result != OTA_ITEM_SUCCESS ? ota_strerror(h->item_reason[id]) : "",
             result != OTA_ITEM_SUCCESS ? ")" : "");
    return buf;
}

/* -v on a replay: what each session did. */
static void trace_session(pc_harness_t *h, int s, int st, uint64_t ops)
{
    char od[120], items[200], one[80];
    pc_describe_otadata(h, od, sizeof od);
    const ota_partition_info_t *running = ota_device_running(&h->dev);
    const char *how = st == PC_STEP_CUT ? "power cut" : st == PC_STEP_OK ? "completed" : "stopped";
    /* the example: data, app; a release: flash_tone, data_ver, app (the manifest's order) */
    static const char *const example[] = {"data", "app"}, *const release[] = {PC_TONE_LABEL, "data_ver",
                                                                              "app"};
    const char *const *names = h->scenario == PC_SCENARIO_EXAMPLE ? example : release;
    int count = h->scenario == PC_SCENARIO_EXAMPLE ? 2 : 3;
    size_t used = 0;
    items[0] = '\0';
    for (int i = 0; i < count; i++) {
        int w = snprintf(items + used, sizeof items - used, "%s%s %s", i ? ", " : "", names[i],
                         item_name(h, i, one, sizeof one));
        used += w > 0 && (size_t)w < sizeof items - used ? (size_t)w : 0;
    }
    printf("powercut:   session %d: %s after %" PRIu64
           " operations; service items: %s%s; running %s; otadata %s\n",
           s, how, ops, items, h->restarted ? ", restarted" : "",
           running != NULL ? running->label : "nothing (off)", od);
}

static void run_cuts(pc_harness_t *h, const pc_cut_t *cuts, int ncuts, run_info_t *info, bool trace)
{
    pc_restore(h);
    info->taken = 0;
    info->data_at_cut = PC_DATA_OLD;
    info->boot_after_cut = -1;
    char phase[300];
    h->phase = phase;
    for (int s = 0; s <= ncuts; s++) {
        const pc_cut_t *cut = s < ncuts ? &cuts[s] : NULL;
        if (s == 0) {
            snprintf(phase, sizeof phase, "during the update");
        } else {
            snprintf(phase, sizeof phase, "during session %d (power-on after cut %d)", s, s);
        }
        uint64_t ops = 0;
        for (int i = 0; i < PC_MAX_ITEMS; i++) {
            h->item_result[i] = -1;
        }
        h->restarted = false;
        int st = pc_session(h, s, cut, &ops);
        if (trace) {
            trace_session(h, s, st, ops);
        }
        if (s == 1) {
            info->boot_after_cut = h->session_boot_slot;
        }
        if (st == PC_STEP_FATAL) {
            return;
        }
        if (st == PC_STEP_CUT) {
            info->taken++;
            char op[160];
            pc_describe_op(h, cut->k, op, sizeof op);
            snprintf(phase, sizeof phase, "after cut %d (k=%" PRIu64 " %s, at %s)", s + 1, cut->k,
                     mode_name(cut->mode), op);
            pc_data_state_t ds = pc_check_state(h);
            if (s == 0) {
                info->data_at_cut = ds;
            }
            if (trace) {
                printf("powercut:   cut %d: before operation %" PRIu64 " (%s, %s); %s is %s\n", s + 1, cut->k,
                       mode_name(cut->mode), op, PC_TONE_LABEL, pc_data_state_name(ds));
            }
        } else {
            snprintf(phase, sizeof phase, "after uninterrupted session %d", s);
            pc_check_state(h);
            pc_check_final(h);
        }
    }
}

static void account(const pc_options_t *o, totals_t *t, pc_harness_t *h, const pc_cut_t *cuts, int n,
                    const char *label)
{
    t->runs++;
    for (int i = 0; i < PC_INV_COUNT; i++) {
        t->inv_count[i] += h->inv_count[i];
        h->inv_count[i] = 0;
    }
    if (h->run_violations == 0) {
        return;
    }
    if (t->failing++ < MAX_PRINTED || o->verbose) {
        printf("VIOLATION [%s %s]: %s\n", pc_initial_name(h->initial), label, h->first_violation);
    } else if (t->failing == MAX_PRINTED + 1) {
        printf("... (more violations: -v prints them all)\n");
    }
    if (!t->have_first) {
        t->have_first = true;
        char list[300];
        format_cuts(cuts, n, list, sizeof list);
        snprintf(t->first, sizeof t->first, "initial %s, %s, cuts %s%s: %s", pc_initial_name(h->initial),
                 label, list, o->inplace ? " (in-place data procedure)" : "", h->first_violation);
        format_command(o, h->initial, cuts, n, t->first_cmd, sizeof t->first_cmd);
    }
}

/* One point of a sweep, as ts_sweep()'s callbacks see it (tests/support/ts_sweep.h). */
typedef struct {
    const pc_options_t *o;
    totals_t *t;
    pc_harness_t *h;
    pc_cut_t cut;
    run_info_t info;
    unsigned data[4], booted[2];
} sweep_point_t;

static ota_flash_emu_t *point_setup(void *ctx)
{
    sweep_point_t *p = ctx;
    return p->h->emu; /* run_cuts() restores the initial state itself */
}

static void point_arm(void *ctx, ota_flash_emu_t *emu, uint64_t k)
{
    (void)emu; /* pc_session() schedules the cut at the session's start */
    sweep_point_t *p = ctx;
    p->cut.k = k;
}

static int point_run(void *ctx)
{
    sweep_point_t *p = ctx;
    run_cuts(p->h, &p->cut, 1, &p->info, false);
    return p->info.taken;
}

static void point_check(void *ctx, uint64_t k, int taken)
{
    sweep_point_t *p = ctx;
    pc_harness_t *h = p->h;
    if (taken != 1) {
        pc_violation(h, PC_INV_HARNESS, "the cut before operation %" PRIu64 " of %" PRIu64 " did not happen",
                     k, h->n_ops);
    }
    p->data[p->info.data_at_cut]++;
    if (p->info.boot_after_cut >= 0) {
        p->booted[p->info.boot_after_cut == h->run_slot ? 0 : 1]++;
    }
    char label[80];
    if (p->cut.mode == OTA_FLASH_CUT_TORN) {
        snprintf(label, sizeof label, "torn seed %" PRIu64 " k=%" PRIu64, p->cut.seed, k);
    } else {
        snprintf(label, sizeof label, "clean k=%" PRIu64, k);
    }
    if (p->o->verbose) {
        printf("  %s: data %s after the cut, booted %s\n", label, pc_data_state_name(p->info.data_at_cut),
               p->info.boot_after_cut < 0              ? "nothing"
               : p->info.boot_after_cut == h->run_slot ? "old"
                                                       : "new");
    }
    p->t->cuts_taken += (uint64_t)taken;
    account(p->o, p->t, h, &p->cut, 1, label);
}

/* The sweep of one initial state and one cut behaviour: ts_sweep_points() over k = first..last;
 * N is known from the harness's uninterrupted run. */
static void sweep(const pc_options_t *o, totals_t *t, pc_harness_t *h, ota_flash_cut_mode_t mode,
                  uint64_t seed)
{
    double t0 = now_s();
    uint64_t last = o->last == 0 || o->last > h->n_ops ? h->n_ops : o->last;
    uint64_t fails = t->failing;
    sweep_point_t p = {.o = o, .t = t, .h = h, .cut = {0, mode, seed}};
    ts_sweep_t loop = {point_setup, point_arm, point_run, point_check, NULL, &p};
    uint64_t points = ts_sweep_points(&loop, o->first, last, o->step);
    unsigned *data = p.data, *booted = p.booted;
    char modename[40];
    if (mode == OTA_FLASH_CUT_TORN) {
        snprintf(modename, sizeof modename, "torn seed %" PRIu64, seed);
    } else {
        snprintf(modename, sizeof modename, "clean");
    }
    printf("powercut: %-7s %-13s %4" PRIu64 " points (after the cut: %s old %u, incomplete %u, new %u%s %u; "
           "then boots old %u, new %u), %" PRIu64 " violations, %.1f s\n",
           pc_initial_name(h->initial), modename, points, h->tone->label, data[PC_DATA_OLD],
           data[PC_DATA_INCOMPLETE], data[PC_DATA_NEW], ", half-written yet valid-looking", data[PC_DATA_BAD],
           booted[0], booted[1], t->failing - fails, now_s() - t0);
    fflush(stdout);
}

static void random_runs(const pc_options_t *o, totals_t *t, pc_harness_t *hs[], int nh)
{
    double t0 = now_s();
    uint64_t fails = t->failing, cuts = 0, taken = 0;
    for (long r = 0; r < o->random_runs; r++) {
        uint64_t rng = o->seed * 0x100000001B3ull + (uint64_t)r;
        pc_harness_t *h = hs[next_rand(&rng) % (uint64_t)nh];
        pc_cut_t list[PC_MAX_CUTS];
        int n = 2 + (int)(next_rand(&rng) % 4);
        for (int i = 0; i < n; i++) {
            list[i].k = 1 + next_rand(&rng) % (h->n_ops + 8);
            list[i].mode = (next_rand(&rng) & 1) ? OTA_FLASH_CUT_TORN : OTA_FLASH_CUT_CLEAN;
            list[i].seed = next_rand(&rng) & 0xFFFFFFFFull;
        }
        run_info_t info;
        run_cuts(h, list, n, &info, false);
        cuts += (uint64_t)n;
        taken += (uint64_t)info.taken;
        char label[40];
        snprintf(label, sizeof label, "random run %ld", r);
        if (o->verbose >= 2) {
            char l[300];
            format_cuts(list, n, l, sizeof l);
            printf("  %s (%s): cuts %s, %d happened\n", label, pc_initial_name(h->initial), l, info.taken);
        }
        account(o, t, h, list, n, label);
    }
    t->cuts_taken += taken;
    printf("powercut: random  %ld runs with 2-5 cuts (%" PRIu64 " scheduled, %" PRIu64
           " happened, the rest fell after the end of a shorter session), %" PRIu64 " violations, %.1f s\n",
           o->random_runs, cuts, taken, t->failing - fails, now_s() - t0);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    pc_options_t o;
    int rc = pc_parse_options(argc, argv, &o);
    if (rc != 0) {
        return rc;
    }
    ota_log_to_stream(stderr, 0);
    /* Quiet by default: a sweep makes the service log thousands of (expected) power-loss errors. */
    static const ota_log_level_t levels[] = {OTA_LOG_NONE, OTA_LOG_NONE, OTA_LOG_INFO, OTA_LOG_DEBUG};
    ota_log_set_level(levels[o.verbose < 3 ? o.verbose : 3]);
    double t0 = now_s();

    pc_images_t img;
    char *csv = NULL;
    if (pc_images_load(&img, o.testdata, o.app_size, o.delta, o.secure, o.ota_bin) != OTA_OK ||
        (o.scenario != PC_SCENARIO_EXAMPLE && pc_release_images_load(&img, o.data_only) != OTA_OK) ||
        asprintf(&csv, "%s/partitions/seed_ota_example.csv", o.testdata) < 0) {
        pc_images_free(&img);
        return 1;
    }
    printf("powercut: %s on a 4 MiB strict NOR emulator (%s):\n",
           o.scenario == PC_SCENARIO_EXAMPLE ? "ESP-ADF OTA example list"
           : o.data_only                     ? "a release of two data items"
                                             : "a release of three items",
           o.scenario == PC_SCENARIO_EXAMPLE ? "seed_ota_example.csv" : "the example's table with twins");
    printf("powercut:   %s <- %s (%zu B, format 0), previously tone_fmt1_mixer.bin (%zu B)\n"
           "powercut:   app %s (%zu B, built in memory) replacing %s, version check on%s\n",
           PC_TONE_LABEL, img.tone_uri, img.new_tone_len, img.old_tone_len, PC_NEW_VERSION, img.new_app_len,
           PC_OLD_VERSION, o.inplace ? "; in-place data procedure (ESP-ADF's)" : "");
    if (o.scenario != PC_SCENARIO_EXAMPLE) {
        printf("powercut:   %s: + data_ver <- data_ver.bin (%zu B, packed semver 1.1.0), previously %zu B "
               "(1.0.0),\n"
               "powercut:   on the twin table (flash_tone_b, data_ver_b)%s\n",
               o.scenario == PC_SCENARIO_RELEASE ? "a release (manifest, installed as one)"
                                                 : "the same items as a plain list, each committed in place",
               img.new_dver_len, img.old_dver_len,
               o.rollback    ? "; the new app never confirms: the bootloader rolls it back"
               : o.data_only ? "; no app item: the old app stays"
                             : "");
    }
    if (o.delta && !o.secure) {
        printf("powercut:   served as an esp_delta_ota patch from the old app (%zu B)\n", img.app_stream_len);
    }
    if (o.secure && o.delta) {
        printf("powercut:   Secure Boot V2 on (KEY_DIGEST0 = digest_rsa3072.bin), every app signed with "
               "key_rsa3072.pem (new: %zu B);\n"
               "powercut:   served as the esp_delta_ota patch from the signed old app, pre-encrypted for "
               "enc_rsa3072_pub.pem (%zu B)\n",
               img.new_app_len, img.app_stream_len);
    } else if (o.secure) {
        printf("powercut:   Secure Boot V2 on (KEY_DIGEST0 = digest_rsa3072.bin), every app signed with "
               "key_rsa3072.pem (new: %zu B);\n"
               "powercut:   served pre-encrypted for enc_rsa3072_pub.pem (%zu B), decrypted on the device\n",
               img.new_app_len, img.app_stream_len);
    }

    totals_t t;
    memset(&t, 0, sizeof t);
    pc_harness_t *hs[PC_INITIAL_COUNT];
    int nh = 0;
    rc = 0;
    for (int i = 0; i < PC_INITIAL_COUNT && rc == 0; i++) {
        if (!o.initial[i]) {
            continue;
        }
        pc_harness_t *h = calloc(1, sizeof *h);
        if (h == NULL || pc_harness_init(h, &img, (pc_initial_t)i, &o, csv) != OTA_OK) {
            if (h != NULL) {
                pc_harness_free(h);
                free(h);
            }
            rc = 1;
            break;
        }
        hs[nh++] = h;
        printf("powercut: %-7s N = %" PRIu64 " flash operations uninterrupted: %s %" PRIu64
               " erase + %" PRIu64 " program, %s %" PRIu64 " + %" PRIu64 ", otadata %" PRIu64 " + %" PRIu64
               "\n",
               pc_initial_name(h->initial), h->n_ops, h->slot[h->target_slot]->label, h->n_by[0][0],
               h->n_by[0][1], o.scenario == PC_SCENARIO_EXAMPLE ? PC_TONE_LABEL : "data", h->n_by[1][0],
               h->n_by[1][1], h->n_by[2][0], h->n_by[2][1]);
    }

    if (rc == 0 && o.ncuts > 0) {
        run_info_t info;
        run_cuts(hs[0], o.cuts, o.ncuts, &info, o.verbose > 0);
        printf("powercut: replay: %d of %d cuts happened\n", info.taken, o.ncuts);
        account(&o, &t, hs[0], o.cuts, o.ncuts, "replay");
    } else if (rc == 0) {
        t.modes = (o.clean ? 1 : 0) + (o.torn ? o.seeds : 0);
        for (int j = 0; j < nh; j++) {
            uint64_t last = o.last == 0 || o.last > hs[j]->n_ops ? hs[j]->n_ops : o.last;
            if (t.modes > 0 && last >= o.first) {
                t.points += (last - o.first) / o.step + 1;
            }
            if (o.clean) {
                sweep(&o, &t, hs[j], OTA_FLASH_CUT_CLEAN, 0);
            }
            for (int s = 0; o.torn && s < o.seeds; s++) {
                sweep(&o, &t, hs[j], OTA_FLASH_CUT_TORN, o.seed + (uint64_t)s);
            }
        }
        if (o.random_runs > 0) {
            random_runs(&o, &t, hs, nh);
        }
    }

    if (rc == 0) {
        printf("powercut: violations by invariant:");
        for (int i = 0; i < PC_INV_COUNT; i++) {
            printf(" %s %d%s", pc_inv_name((pc_inv_t)i), t.inv_count[i], i + 1 < PC_INV_COUNT ? "," : "\n");
        }
        if (t.have_first) {
            printf("powercut: first failing run: %s\n", t.first);
            printf("powercut: re-run it: %s\n", t.first_cmd);
        }
        if (o.scenario != PC_SCENARIO_EXAMPLE) {
            uint64_t boots = 0, mixed = 0, incomplete = 0;
            for (int j = 0; j < nh; j++) {
                boots += hs[j]->set_boots, mixed += hs[j]->set_mixed, incomplete += hs[j]->set_incomplete;
            }
            printf("powercut: set consistency: %" PRIu64 " boots checked, %" PRIu64
                   " with a mixed set (old and new), %" PRIu64 " with an incomplete data label\n",
                   boots, mixed, incomplete);
        }
        printf("powercut: %.1f s\n", now_s() - t0);
        printf("powercut: %" PRIu64 " points x %d modes, %" PRIu64 " runs, %" PRIu64 " violations\n",
               t.points, t.modes, t.runs, t.failing);
        if (o.expect_violations) {
            rc = t.failing > 0 && t.inv_count[PC_INV_HARNESS] == 0 ? 0 : 1;
            printf("powercut: %s\n", rc == 0 ? "violations found, as expected"
                                             : "expected violations: none found (or the harness failed)");
        } else {
            rc = t.failing > 0 ? 1 : 0;
        }
    }
    for (int j = 0; j < nh; j++) {
        pc_harness_free(hs[j]);
        free(hs[j]);
    }
    pc_images_free(&img);
    free(csv);
    return rc;
}
