/* ota_powercut's command line (usage in usage()). */
#include "powercut.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef OTA_POWERCUT_TESTDATA
#define OTA_POWERCUT_TESTDATA "../shared/testdata"
#endif
#ifndef OTA_POWERCUT_OTA_BIN
#define OTA_POWERCUT_OTA_BIN "ota"
#endif

static void usage(FILE *f, const char *argv0)
{
    fprintf(f,
            "usage: %s [OPTIONS]\n"
            "Cut the power before every flash operation of ESP-ADF's OTA example update (tone data\n"
            "partition + app + otadata switch + restart) and check DESIGN.md section 4 after each cut,\n"
            "each boot and the re-run. Default: the clean sweep of the fresh device.\n"
            "\n"
            "  --all               everything: clean + torn x 4 seeds, all initial states, 1000 random runs\n"
            "  --mode M            clean, torn, both or none (no sweep; e.g. with --random)  [clean]\n"
            "  --seed S            torn-content seed (the first of --seeds) and random-run seed  [1]\n"
            "  --seeds N           torn sweeps with seeds S..S+N-1  [1]\n"
            "  --points A-B[/S]    cut points A..B (every S-th) instead of 1..N\n"
            "  --random N          N runs with 2-5 random cuts each, then an uncut run  [0]\n"
            "  --initial I         fresh, updated, swapped or all  [fresh]\n"
            "  --cuts LIST         replay one run: K:clean or K:torn:SEED, comma-separated (k per session)\n"
            "  --delta             the app URI serves an esp_delta_ota patch (old app -> new app)\n"
            "  --secure            Secure Boot V2 on (trusted digest_rsa3072.bin), decrypt key set:\n"
            "                      the apps signed with key_rsa3072.pem, the update pre-encrypted\n"
            "                      (enc_rsa3072_pub.pem) by `ota image sign` / `ota image encrypt`;\n"
            "                      with --delta the update is the patch between the signed apps,\n"
            "                      pre-encrypted likewise\n"
            "  --ota PATH          the ota CLI that --secure signs and encrypts with  [%s]\n"
            "  --inplace           ESP-ADF's in-place data procedure (erase all, header first, no journal)\n"
            "  --release           a release: app + flash_tone + data_ver from a manifest, installed as one\n"
            "                      on a table with twins (flash_tone_b, data_ver_b); checks set consistency\n"
            "  --per-item          the same items as a plain list, each committed in place (must fail)\n"
            "  --rollback          the new app never confirms: the bootloader rolls it back\n"
            "  --data-only         the release (or list) without the app: flash_tone + data_ver only\n"
            "  --prior-release     the old release is a release too (sequence 6, its data in the twins):\n"
            "                      the new one writes the labels\n"
            "  --expect-violations exit 0 only if violations were found (to show the harness can fail)\n"
            "  --case NAME         run the case NAME of pc_cases.c as its flags say (--list-cases)\n"
            "  --list-cases        the cases' names, one a line\n"
            "  --app-size BYTES    size of the apps  [%u]\n"
            "  --testdata DIR      the shared testdata folder  [%s]\n"
            "  -v, --verbose       a line per run and a trace of each session of a --cuts replay;\n"
            "                      -vv also the service's and bootloader's log, -vvv their debug log\n"
            "  -h, --help          this text\n"
            "Exit: 0 no violation, 1 violations (or setup failure), 2 usage error.\n",
            argv0, OTA_POWERCUT_OTA_BIN, (unsigned)PC_DEFAULT_APP_SIZE, OTA_POWERCUT_TESTDATA);
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end = NULL;
    if (s == NULL || *s == '\0' || *s == '-') {
        return false;
    }
    unsigned long long v = strtoull(s, &end, 0);
    if (end == s || *end != '\0') {
        return false;
    }
    *out = v;
    return true;
}

static bool parse_cuts(const char *text, pc_options_t *o)
{
    char *copy = strdup(text);
    bool ok = copy != NULL;
    o->ncuts = 0;
    for (char *save = NULL, *tok = copy ? strtok_r(copy, ",", &save) : NULL; ok && tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        if (o->ncuts == PC_MAX_CUTS) {
            ok = false;
            break;
        }
        pc_cut_t *c = &o->cuts[o->ncuts++];
        char *mode = strchr(tok, ':');
        char *seed = mode ? strchr(mode + 1, ':') : NULL;
        if (mode) {
            *mode++ = '\0';
        }
        if (seed) {
            *seed++ = '\0';
        }
        c->mode = mode == NULL || strcmp(mode, "clean") == 0 ? OTA_FLASH_CUT_CLEAN : OTA_FLASH_CUT_TORN;
        c->seed = 0;
        ok = parse_u64(tok, &c->k) && c->k > 0 &&
             (mode == NULL || strcmp(mode, "clean") == 0 || strcmp(mode, "torn") == 0) &&
             (seed == NULL || parse_u64(seed, &c->seed));
    }
    free(copy);
    return ok && o->ncuts > 0;
}

/* --case: set the options a case's flags stand for (later options may still change them). */
static bool apply_case(const char *name, pc_options_t *o)
{
    for (size_t i = 0; i < pc_case_count; i++) {
        const pc_case_t *c = &pc_cases[i];
        if (strcmp(c->name, name) != 0) {
            continue;
        }
        o->clean = c->reentrant && c->cuts != PC_CUT_TORN_ONLY;
        o->torn = c->reentrant && c->cuts != PC_CUT_CLEAN_ONLY;
        o->seed = c->seed != 0 ? c->seed : 1;
        o->seeds = c->seeds > 0 ? c->seeds : 1;
        o->random_runs = c->random;
        for (int j = 0; j < PC_INITIAL_COUNT; j++) {
            o->initial[j] = c->every_initial || j == PC_INITIAL_FRESH;
        }
        o->delta = c->delta;
        o->secure = c->secure;
        o->inplace = c->inplace;
        o->scenario = c->scenario;
        o->rollback = c->rollback;
        o->data_only = c->data_only;
        o->prior_release = c->prior_release;
        o->expect_violations = c->expect_violations;
        o->app_size = c->app_size != 0 ? c->app_size : PC_DEFAULT_APP_SIZE;
        return true;
    }
    return false;
}

int pc_parse_options(int argc, char **argv, pc_options_t *o)
{
    static const struct option longs[] = {
        {"all", no_argument, NULL, 'A'},
        {"mode", required_argument, NULL, 'm'},
        {"seed", required_argument, NULL, 's'},
        {"seeds", required_argument, NULL, 'S'},
        {"points", required_argument, NULL, 'p'},
        {"random", required_argument, NULL, 'r'},
        {"initial", required_argument, NULL, 'i'},
        {"cuts", required_argument, NULL, 'c'},
        {"inplace", no_argument, NULL, 'I'},
        {"release", no_argument, NULL, 'R'},
        {"per-item", no_argument, NULL, 'P'},
        {"rollback", no_argument, NULL, 'B'},
        {"data-only", no_argument, NULL, 'N'},
        {"prior-release", no_argument, NULL, 'Q'},
        {"delta", no_argument, NULL, 'D'},
        {"secure", no_argument, NULL, 'X'},
        {"ota", required_argument, NULL, 'O'},
        {"expect-violations", no_argument, NULL, 'E'},
        {"app-size", required_argument, NULL, 'a'},
        {"testdata", required_argument, NULL, 't'},
        {"verbose", no_argument, NULL, 'v'},
        {"case", required_argument, NULL, 'C'},
        {"list-cases", no_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (pc_options_t){.clean = true,
                        .seed = 1,
                        .seeds = 1,
                        .first = 1,
                        .step = 1,
                        .app_size = PC_DEFAULT_APP_SIZE,
                        .testdata = OTA_POWERCUT_TESTDATA,
                        .ota_bin = OTA_POWERCUT_OTA_BIN,
                        .argv0 = argv[0]};
    bool initial_set = false;
    int c;
    uint64_t v;
    while ((c = getopt_long(argc, argv, "vh", longs, NULL)) != -1) {
        switch (c) {
        case 'A':
            o->clean = o->torn = true;
            o->seeds = 4;
            o->random_runs = 1000;
            for (int i = 0; i < PC_INITIAL_COUNT; i++) {
                o->initial[i] = true;
            }
            initial_set = true;
            break;
        case 'm':
            o->clean = strcmp(optarg, "clean") == 0 || strcmp(optarg, "both") == 0;
            o->torn = strcmp(optarg, "torn") == 0 || strcmp(optarg, "both") == 0;
            if (!o->clean && !o->torn && strcmp(optarg, "none") != 0) {
                fprintf(stderr, "ota_powercut: error: --mode takes clean, torn, both or none\n");
                return 2;
            }
            break;
        case 's':
            if (!parse_u64(optarg, &o->seed)) {
                fprintf(stderr, "ota_powercut: error: --seed takes a number\n");
                return 2;
            }
            break;
        case 'S':
            if (!parse_u64(optarg, &v) || v == 0 || v > 1000) {
                fprintf(stderr, "ota_powercut: error: --seeds takes 1..1000\n");
                return 2;
            }
            o->seeds = (int)v;
            break;
        case 'p': {
            char buf[64];
            snprintf(buf, sizeof buf, "%s", optarg);
            char *slash = strchr(buf, '/');
            char *dash = strchr(buf, '-');
            if (slash) {
                *slash++ = '\0';
            }
            if (dash) {
                *dash++ = '\0';
            }
            if (!parse_u64(buf, &o->first) || o->first == 0 || (dash && !parse_u64(dash, &o->last)) ||
                (slash && (!parse_u64(slash, &o->step) || o->step == 0)) || (dash && o->last < o->first)) {
                fprintf(stderr, "ota_powercut: error: --points takes A-B or A-B/STEP (1-based)\n");
                return 2;
            }
            if (!dash) {
                o->last = o->first;
            }
            break;
        }
        case 'r':
            if (!parse_u64(optarg, &v) || v > 10000000) {
                fprintf(stderr, "ota_powercut: error: --random takes a count\n");
                return 2;
            }
            o->random_runs = (long)v;
            break;
        case 'i': {
            bool all = strcmp(optarg, "all") == 0, found = all;
            for (int i = 0; i < PC_INITIAL_COUNT; i++) {
                bool is = all || strcmp(optarg, pc_initial_name((pc_initial_t)i)) == 0;
                if (is && !initial_set) {
                    memset(o->initial, 0, sizeof o->initial);
                    initial_set = true;
                }
                o->initial[i] |= is;
                found |= is;
            }
            if (!found) {
                fprintf(stderr, "ota_powercut: error: --initial takes fresh, updated, swapped or all\n");
                return 2;
            }
            break;
        }
        case 'c':
            if (!parse_cuts(optarg, o)) {
                fprintf(stderr,
                        "ota_powercut: error: --cuts takes K:clean or K:torn:SEED, comma-separated "
                        "(at most %d)\n",
                        PC_MAX_CUTS);
                return 2;
            }
            break;
        case 'I': o->inplace = true; break;
        case 'R': o->scenario = PC_SCENARIO_RELEASE; break;
        case 'P': o->scenario = PC_SCENARIO_PER_ITEM; break;
        case 'B': o->rollback = true; break;
        case 'N': o->data_only = true; break;
        case 'Q': o->prior_release = true; break;
        case 'D': o->delta = true; break;
        case 'X': o->secure = true; break;
        case 'O': o->ota_bin = optarg; break;
        case 'E': o->expect_violations = true; break;
        case 'a':
            if (!parse_u64(optarg, &v) || v < 4096 || v > PC_MAX_APP_SIZE) {
                fprintf(stderr, "ota_powercut: error: --app-size takes 4096..%u bytes\n",
                        (unsigned)PC_MAX_APP_SIZE);
                return 2;
            }
            o->app_size = (uint32_t)v;
            break;
        case 't': o->testdata = optarg; break;
        case 'v': o->verbose++; break;
        case 'C':
            if (!apply_case(optarg, o)) {
                fprintf(stderr, "ota_powercut: error: no case '%s' (--list-cases)\n", optarg);
                return 2;
            }
            initial_set = true;
            break;
        case 'L':
            for (size_t i = 0; i < pc_case_count; i++) {
                printf("%s\n", pc_cases[i].name);
            }
            exit(0);
        case 'h': usage(stdout, argv[0]); exit(0);
        default: usage(stderr, argv[0]); return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "ota_powercut: error: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (o->scenario != PC_SCENARIO_EXAMPLE && (o->secure || o->delta || o->inplace)) {
        fprintf(stderr,
                "ota_powercut: error: --release / --per-item: not with --secure, --delta or --inplace\n");
        return 2;
    }
    if (o->data_only && (o->rollback || o->scenario == PC_SCENARIO_EXAMPLE)) {
        fprintf(stderr, "ota_powercut: error: --data-only needs --release or --per-item, not --rollback\n");
        return 2;
    }
    if (o->prior_release && o->scenario != PC_SCENARIO_RELEASE) {
        fprintf(stderr, "ota_powercut: error: --prior-release needs --release\n");
        return 2;
    }
    if (o->rollback && o->scenario == PC_SCENARIO_EXAMPLE) {
        fprintf(stderr, "ota_powercut: error: --rollback needs --release or --per-item\n");
        return 2;
    }
    if (o->secure && o->inplace) {
        fprintf(stderr, "ota_powercut: error: --secure is a scenario of its own: not with --inplace\n");
        return 2;
    }
    if (!initial_set) {
        o->initial[PC_INITIAL_FRESH] = true;
    }
    if (o->ncuts > 0 && (o->initial[0] + o->initial[1] + o->initial[2]) != 1) {
        fprintf(stderr, "ota_powercut: error: --cuts replays one run: name one --initial\n");
        return 2;
    }
    return 0;
}
