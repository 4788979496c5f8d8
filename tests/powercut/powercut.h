/* ota_powercut: the power-cut sweep of DESIGN.md §4 (see docs/powercut.md).
 *
 * The harness drives ESP-ADF's OTA example list (tone data partition from a file:// URI, then the
 * app with reboot_flag) through the real OTA service on a RAM-emulated flash (strict NOR), cuts
 * the power before chosen flash operations, powers on again, boots with the simulated bootloader,
 * runs the service again, and checks the invariants after every cut, every boot and at the end.
 *
 * Files: powercut.c (sweep, random runs, report), pc_cases.c (the cases CTest runs, declared by
 * their flags), pc_options.c (command line, --case), pc_device.c
 * (images, initial states, the uninterrupted run), pc_session.c (spy flash, memory source,
 * sessions), pc_check.c (the invariants), pc_inplace.c (ESP-ADF's unsafe in-place data
 * procedure: the harness can fail), pc_release.c (the release scenarios: a manifest of app +
 * flash_tone + data_ver on a table with twins, set consistency, the same items per item). */
#ifndef OTA_POWERCUT_H
#define OTA_POWERCUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/ota_device.h"
#include "ota/sim/ota_flash_emu.h"
#include "ota/ota_service.h"

/* The app running before the update (the version the ESP-ADF example's README log shows), the
 * one an "updated" device ran before it, and the update. Newer = greater by ota_version.h. */
#define PC_OLD_VERSION      "v2.2-252-g62edbd26-dirty"
#define PC_PREV_VERSION     "v2.2-237-g6532b89f"
#define PC_NEW_VERSION      "v2.3-4-g1f2e3d4c"
#define PC_PROJECT          "ota_example"
#define PC_DEFAULT_APP_SIZE 250000u  /* 3 blocks + 13 sectors: block and sector erases */
#define PC_MAX_APP_SIZE     0xF0000u /* the previous app (40 KiB larger) must fit a 1 MiB slot */
#define PC_TONE_LABEL       "flash_tone"
#define PC_APP_URI          "mem://powercut/app.bin" /* served from memory by pc_open_source() */
#define PC_MAX_CUTS         8
#define PC_MAX_ITEMS        4 /* items of the service's list (the release: 3) */

/** What is updated (pc_release.c has the release scenarios). */
typedef enum {
    PC_SCENARIO_EXAMPLE = 0, /**< ESP-ADF's example list: flash_tone, then the app (seed_ota_example.csv) */
    PC_SCENARIO_RELEASE,     /**< a release (ota_service_set_release) on the twin table: installed as one */
    PC_SCENARIO_PER_ITEM,    /**< the same items as a plain list, each committed in place on its own */
} pc_scenario_t;

/** The device before the update. The old app always runs; the update goes to the other slot. */
typedef enum {
    /** factory-flashed: old app in ota_0 booted once (the bootloader wrote otadata[0] seq 1), ota_1 erased */
    PC_INITIAL_FRESH = 0,
    /** updated twice before: previous app in ota_1 (otadata[1] seq 2), old app in ota_0 (seq 3) */
    PC_INITIAL_UPDATED,
    /** old app runs from ota_1 (otadata[1] seq 2), previous app in ota_0 (seq 1): otadata[0] is written */
    PC_INITIAL_SWAPPED,
    PC_INITIAL_COUNT
} pc_initial_t;

const char *pc_initial_name(pc_initial_t initial);

/** One power cut: before the k-th program/erase of a session. */
typedef struct {
    uint64_t k;
    ota_flash_cut_mode_t mode;
    uint64_t seed; /**< torn contents (the emulator mixes k into it) */
} pc_cut_t;

/** What the device is updated with, and what it held before. */
typedef struct {
    uint8_t *old_app, *prev_app, *new_app;
    size_t old_app_len, prev_app_len, new_app_len;
    /* what the app URI serves: new_app, or (--delta) an esp_delta_ota patch old_app -> new_app */
    uint8_t *app_stream;
    size_t app_stream_len;
    uint8_t *old_tone, *new_tone; /* new: the example's flash_tone.bin (format 0), old: a format-1 image */
    size_t old_tone_len, new_tone_len;
    char *old_tone_path, *new_tone_path;
    char *tone_uri;    /* file:///abs/path of new_tone */
    char app_etag[40]; /* the memory source's ETag (a resume needs one) */
    /* --secure: every app signed (RSA-3072), the app URI serves new_app pre-encrypted; the device
     * trusts key_digest (Secure Boot V2) and holds the RSA-3072 decryption key (PEM text) */
    bool secure;
    uint8_t key_digest[32];
    uint8_t *decrypt_pem;
    size_t decrypt_pem_len;
    /* the release scenarios (pc_release.c): a second data item, a data-version image (ESP-ADF's
     * 4-byte packed semver header + payload), and the files the manifest's file:// URIs name */
    uint8_t *old_dver, *new_dver;
    size_t old_dver_len, new_dver_len;
    char *rel_dir;                    /* temporary folder: app.bin, data_ver.bin */
    char *rel_app_uri, *rel_dver_uri; /* file:// URIs of the new app and the new data version */
    char *manifest;                   /* the release manifest (JSON text) */
    size_t manifest_len;
} pc_images_t;

/** One flash operation of the current session (for messages). */
typedef struct {
    uint64_t n; /* 1-based within the session */
    bool erase;
    uint32_t addr, len;
    int result;
} pc_op_t;

/** Invariant classes, in the order of DESIGN.md §4, plus the two end-to-end ones. */
typedef enum {
    PC_INV_BOOT = 0, /* 1: a valid app boots; new only if complete and verified before the switch */
    PC_INV_OTADATA,  /* 2: otadata never invalid in both sectors */
    PC_INV_DATA,     /* 3: data old-complete / new-complete / detectably incomplete */
    PC_INV_RUNNING,  /* 4: the running slot is never written */
    PC_INV_SET,      /* the booted app and every data label it resolves are all old or all new */
    PC_INV_FLOOR,    /* a release: the release floor never goes down, and ends at the release's */
    PC_INV_NOR,      /* the NOR rules: program only erased bits, erase whole aligned units */
    PC_INV_RERUN,    /* an uninterrupted run after cuts completes without a failed item */
    PC_INV_FINAL,    /* the final state equals the uninterrupted run's */
    PC_INV_HARNESS,  /* the harness itself could not do what it must (cut not reached...) */
    PC_INV_COUNT
} pc_inv_t;

const char *pc_inv_name(pc_inv_t inv);

/** State of the data partition as the checks classify it. */
typedef enum {
    PC_DATA_OLD = 0,
    PC_DATA_NEW,
    PC_DATA_INCOMPLETE, /* journal present or strict tone validation fails */
    PC_DATA_BAD,        /* none of these: half written and valid-looking (a violation) */
} pc_data_state_t;

/** The data items of the release scenarios: [0] the tone, [1] the data version. */
#define PC_DATA_ITEMS 2

typedef struct pc_harness {
    /* configuration */
    const pc_images_t *img;
    pc_initial_t initial;
    bool inplace;
    pc_scenario_t scenario;
    bool rollback;  /* the new app never confirms itself: the bootloader rolls it back */
    bool data_only; /* the release has no app item (its COMMIT record is the commit point) */
    int verbose;

    /* the device: an emulator behind a spy flash that logs and checks every operation */
    ota_flash_emu_t *emu;
    const ota_flash_t *real;
    ota_flash_t spy;
    ota_device_t dev;
    const ota_partition_info_t *slot[2];        /* ota_0, ota_1 (entries of dev.table) */
    const ota_partition_info_t *tone, *otadata; /* tone: where the update writes flash_tone's data */
    /* release scenarios: [item][0] the label (the old release's), [item][1] its twin */
    const ota_partition_info_t *part[PC_DATA_ITEMS][2];
    int live[PC_DATA_ITEMS]; /* which of each pair the old release runs with (0 unless prior_release) */
    bool prior_release;      /* the old release is itself a release, its data in the twins (bound) */
    /* the partitions the running app resolved its data labels to at its boot (NULL: none, off) */
    const ota_partition_info_t *resolved[PC_DATA_ITEMS];
    uint32_t floor_initial, floor_max; /* ota_release_floor: before the update, highest seen in the run */
    int final_slot;            /* the slot that runs at the end (the target; the old one when rolled back) */
    int run_slot, target_slot; /* where the old app runs, where the update goes */
    uint32_t initial_seq[2];   /* otadata seqs before the update (blank: 0xFFFFFFFF) */
    uint32_t switch_seq;       /* the seq that selects the target slot after the update */

    /* the initial state and the uninterrupted run's final state */
    uint8_t *initial_mem;
    ota_device_t initial_dev;
    uint8_t *final_mem;
    ota_device_t final_dev;
    uint64_t n_ops;      /* N: flash operations of the uninterrupted run */
    uint64_t n_by[3][2]; /* [target slot, data, otadata][erase, program] */

    /* the current session */
    bool watch;            /* spy checks on (off while setting up) */
    uint64_t session_base; /* emulator op count at the session's start */
    pc_op_t *log;
    size_t log_len, log_cap;
    int last_running;      /* slot of the app running or last run (-1: none) */
    int session_boot_slot; /* slot the session's first boot started (-1: none yet) */
    int hook_status;       /* the restart hook's outcome (PC_STEP_*) */
    int failed_item, failed_reason;
    int item_result[PC_MAX_ITEMS], item_reason[PC_MAX_ITEMS]; /* the last run's items (-1: none) */
    bool restarted;
    char failed_detail[160];

    /* violations of the current run */
    int run_violations;
    char first_violation[512];
    int inv_count[PC_INV_COUNT];
    const char *phase; /* "after cut 1", "boot after cut 1", "final" */
    /* set consistency over the whole process: boots checked, mixed sets (old app with new data or
     * the reverse), sets with an incomplete data label */
    uint64_t set_boots, set_mixed, set_incomplete;
} pc_harness_t;

/* Outcome of a step of a session. */
enum {
    PC_STEP_OK = 0,
    PC_STEP_CUT = 1,
    PC_STEP_FATAL = 2
};

/* --- pc_cases.c: the cases CTest runs, declared by their flags --- */
/** Which cuts a reentrant case is swept with. */
typedef enum {
    PC_CUT_BOTH = 0,       /**< clean, then torn (the default) */
    PC_CUT_CLEAN_ONLY = 1, /**< the interrupted operation has no effect */
    PC_CUT_TORN_ONLY = 2,  /**< the interrupted operation is partly done (seeds .seed..) */
} pc_cut_kinds_t;

/** A case: `ota_powercut --case NAME` runs it as if its flags were given on the command line. */
typedef struct {
    const char *name;
    /** Swept over every flash operation with a power cut before it (littlefs's reentrant = true);
     * without it only the uninterrupted run and the random runs. */
    bool reentrant;
    pc_cut_kinds_t cuts;
    uint64_t seed;      /**< the first torn seed and the random runs' seed (0: 1) */
    int seeds;          /**< torn sweeps with seeds seed..seed+seeds-1 (0: 1) */
    bool every_initial; /**< fresh, updated and swapped (else fresh) */
    long random;        /**< random runs with 2-5 cuts after the sweeps */
    bool delta, secure, inplace,
        expect_violations;  /**< as --delta, --secure, --inplace, --expect-violations */
    pc_scenario_t scenario; /**< --release / --per-item */
    bool rollback;          /**< --rollback */
    bool data_only;         /**< --data-only */
    bool prior_release;     /**< --prior-release */
    uint32_t app_size;      /**< 0: PC_DEFAULT_APP_SIZE */
} pc_case_t;

extern const pc_case_t pc_cases[];
extern const size_t pc_case_count;

/* --- pc_options.c: the command line --- */
/** The options (see --help). */
typedef struct {
    bool clean, torn;
    uint64_t seed;
    int seeds;
    uint64_t first, last, step; /* points; last 0 = N */
    long random_runs;
    bool inplace;
    uint32_t app_size;
    int verbose;
    bool initial[PC_INITIAL_COUNT];
    pc_cut_t cuts[PC_MAX_CUTS];
    int ncuts; /* --cuts: replay this list only */
    bool expect_violations;
    bool delta;  /* the app item is an esp_delta_ota patch from the old app to the new one */
    bool secure; /* Secure Boot V2 on, signed apps, the update pre-encrypted (esp_encrypted_img) */
    pc_scenario_t scenario;
    bool rollback, data_only, prior_release;
    const char *ota_bin; /* the CLI --secure signs and encrypts with */
    const char *testdata;
    const char *argv0;
} pc_options_t;

/** Parse argv; 0 to go on, else the exit status (2: usage error). --help exits 0 itself. */
int pc_parse_options(int argc, char **argv, pc_options_t *o);

/* --- pc_device.c: images, initial states, the uninterrupted run --- */
int pc_images_load(pc_images_t *img, const char *testdata, uint32_t app_size, bool delta, bool secure,
                   const char *ota_bin);
void pc_images_free(pc_images_t *img);
/** Create the device in @p initial, run the uninterrupted update once (N, final state). */
int pc_harness_init(pc_harness_t *h, const pc_images_t *img, pc_initial_t initial, const pc_options_t *o,
                    const char *table_csv);
void pc_harness_free(pc_harness_t *h);
/** Back to the initial state (flash, device, power on, no cut scheduled). */
void pc_restore(pc_harness_t *h);
/* --- pc_session.c: spy flash, memory source, sessions --- */
/** Put the spy flash (h->spy) in front of the emulator (h->real). */
void pc_spy_attach(pc_harness_t *h);
/**
 * One session: session 0 is the update from the running old app (service run, restart = boot,
 * then a reset and a boot); later sessions start with a power-on and a boot, then the same.
 * With @p cut the power goes before its k-th operation. Returns PC_STEP_CUT if the cut happened,
 * PC_STEP_OK if the session completed (then *completed_ops has its operation count), PC_STEP_FATAL
 * if it cannot go on (no app boots).
 */
int pc_session(pc_harness_t *h, int index, const pc_cut_t *cut, uint64_t *completed_ops);
/** "erase 0x210000+0x10000 (flash_tone+0x0)" for operation @p n of the current session. */
void pc_describe_op(const pc_harness_t *h, uint64_t n, char *buf, size_t size);
/** One line on the otadata entries as the raw flash holds them. */
void pc_describe_otadata(const pc_harness_t *h, char *buf, size_t size);
/** Label of the partition holding @p addr, or "?". */
const char *pc_partition_at(const pc_harness_t *h, uint32_t addr, uint32_t *rel);

/* --- pc_check.c --- */
/** Record a violation of the current run (printed by the caller). */
void pc_violation(pc_harness_t *h, pc_inv_t inv, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/** Raw-flash checks valid at any moment (also with the power off): invariants 1 (otadata names
 * only complete images), 2, 3 and 4 (bytes). Returns the data partition's state. */
pc_data_state_t pc_check_state(pc_harness_t *h);
/** After a boot: a valid app booted, the old or the new one, complete. */
void pc_check_boot(pc_harness_t *h, int err, const ota_partition_info_t *booted, const char *version);
/** After the last uninterrupted session: the state equals the uninterrupted run's. */
void pc_check_final(pc_harness_t *h);
const char *pc_data_state_name(pc_data_state_t s);
/** True if @p mem's partition @p part starts with @p image. */
bool pc_holds(const uint8_t *mem, const ota_partition_info_t *part, const uint8_t *image, size_t len);

/* --- pc_release.c: the release scenarios --- */
/** The partition table with twins (CSV text). */
extern const char pc_release_table_csv[];
/** The data-version images, the files and the manifest of the release (img's other images loaded). */
int pc_release_images_load(pc_images_t *img, bool data_only);
void pc_release_images_free(pc_images_t *img);
/** The table's data partitions and the old release's data (the initial state). */
int pc_release_make_initial(pc_harness_t *h);
/** Give @p svc the release (manifest) or the same items as a plain list (per item). */
int pc_release_set_up(pc_harness_t *h, ota_service_t *svc);
/** Invariant 3 on every data partition of the twin table but h->tone (checked by the caller). */
void pc_release_check_data(pc_harness_t *h, const uint8_t *mem);
/** Set consistency after a boot (@p app_new: the booted slot holds the complete new app; a
 *  data-only release: the labels alone). */
void pc_release_check_set(pc_harness_t *h, bool app_new);
/** After the initial boot: the old release's COMMIT record (--prior-release). */
int pc_release_after_boot(pc_harness_t *h);
/** After the last session of a run: the release floor is the release's sequence. */
void pc_release_check_final(pc_harness_t *h);
/** What the uninterrupted run must have written (NULL: all right). */
const char *pc_release_expect(const pc_harness_t *h);
/** The state of @p part by its bytes: item @p item's old / new image, incomplete or bad. */
pc_data_state_t pc_classify_part(const pc_harness_t *h, const uint8_t *mem, const ota_partition_info_t *part,
                                 int item, char *why, size_t why_size);

/* --- pc_inplace.c --- */
/** ESP-ADF's in-place data procedure: erase the whole partition, header first, no journal. */
void pc_inplace_get_proc(ota_upgrade_ops_t *ops);

#endif /* OTA_POWERCUT_H */
