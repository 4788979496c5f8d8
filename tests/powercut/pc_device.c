/* The device of the sweep: the images, an emulated ESP32 flash with the example's partition
 * table in one of the initial states, and the uninterrupted run every interrupted one must match. */
#include "powercut.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ota/sim/ota_delta_make.h"
#include "ota/sim/ota_app_image_builder.h"
#include "ota/sim/ota_bootloader.h"
#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"
#include "ota/ota_ops.h"
#include "ota/ota_otadata.h"
#include "ota/ota_partition.h"
#include "ota/sim/ota_partition_csv.h"

#define FLASH_SIZE (4u * 1024u * 1024u)

const char *pc_initial_name(pc_initial_t initial)
{
    static const char *const names[] = {"fresh", "updated", "swapped"};
    return initial < PC_INITIAL_COUNT ? names[initial] : "?";
}

/* --- images --------------------------------------------------------------------------------- */

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "ota_powercut: error: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    uint8_t *data = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
        data = malloc((size_t)size);
        if (data != NULL && fread(data, 1, (size_t)size, f) != (size_t)size) {
            free(data);
            data = NULL;
        }
    }
    fclose(f);
    if (data == NULL) {
        fprintf(stderr, "ota_powercut: error: cannot read %s\n", path);
        return NULL;
    }
    *len = (size_t)size;
    return data;
}

static uint8_t *build_app(const char *version, uint32_t size, uint64_t seed, size_t *len)
{
    ota_app_image_build_config_t cfg = {
        .size = size,
        .seed = seed,
        .version = version,
        .project_name = PC_PROJECT,
    };
    uint8_t *buf = malloc(size);
    if (buf == NULL) {
        return NULL;
    }
    int err = ota_app_image_build_to_buffer(&cfg, buf, size, len);
    if (err != OTA_OK) {
        fprintf(stderr, "ota_powercut: error: cannot build app %s of %u bytes: %s\n", version, (unsigned)size,
                ota_strerror(err));
        free(buf);
        return NULL;
    }
    return buf;
}

static bool write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    bool ok = f != NULL && fwrite(data, 1, len, f) == len;
    if (f != NULL && fclose(f) != 0) {
        ok = false;
    }
    if (!ok) {
        fprintf(stderr, "ota_powercut: error: cannot write %s: %s\n", path, strerror(errno));
    }
    return ok;
}

/* Run the ota CLI (argv[0] = its path), its stdout discarded; true if it exits 0. */
static bool run_ota(char *const argv[])
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "ota_powercut: error: '%s %s %s' failed (status 0x%x)\n", argv[0], argv[1], argv[2],
                (unsigned)status);
        return false;
    }
    return true;
}

/* --secure: the images as a Secure Boot V2 device with esp_encrypted_img receives them. Every
 * app is signed with the test key whose digest the device trusts (the bootloader checks the
 * running and the previous app too); the update is the signed new app, pre-encrypted for the
 * device's RSA-3072 key. Made by the ota CLI (`image sign` = espsecure sign_data --version 2,
 * `image encrypt` = esp_enc_img_gen.py), from the testdata keys that Espressif's tools made.
 * With --delta the update is instead the esp_delta_ota patch from the signed old app to the
 * signed new one (its base: the old app's validation hash; its copies reach into the old app's
 * signature sector, read through the running partition), pre-encrypted likewise. */
static int secure_images(pc_images_t *img, const char *dir, const char *ota_bin, bool delta)
{
    char *tmp = NULL, *key = NULL, *pub = NULL, *digest = NULL, *priv = NULL;
    const char *base = getenv("TMPDIR");
    int err = OTA_ERR_IO;
    if (asprintf(&tmp, "%s/ota-powercut-XXXXXX", base != NULL ? base : "/tmp") < 0 ||
        asprintf(&key, "%s/secure/key_rsa3072.pem", dir) < 0 ||
        asprintf(&pub, "%s/secure/enc_rsa3072_pub.pem", dir) < 0 ||
        asprintf(&digest, "%s/secure/digest_rsa3072.bin", dir) < 0 ||
        asprintf(&priv, "%s/secure/enc_rsa3072_priv.pem", dir) < 0 || mkdtemp(tmp) == NULL) {
        fprintf(stderr, "ota_powercut: error: cannot make a temporary folder\n");
        free(tmp);
        tmp = NULL;
        goto out;
    }
    uint8_t **apps[3] = {&img->old_app, &img->prev_app, &img->new_app};
    size_t *lens[3] = {&img->old_app_len, &img->prev_app_len, &img->new_app_len};
    char in[600], out[600], enc[600];
    for (int i = 0; i < 3; i++) {
        snprintf(in, sizeof in, "%s/app%d.bin", tmp, i);
        snprintf(out, sizeof out, "%s/app%d.signed.bin", tmp, i);
        char *sign[] = {(char *)ota_bin, "image", "sign", "--keyfile", key, in, out, NULL};
        size_t len = 0;
        uint8_t *signed_app = NULL;
        if (!write_file(in, *apps[i], *lens[i]) || !run_ota(sign) ||
            (signed_app = read_file(out, &len)) == NULL) {
            goto out;
        }
        free(*apps[i]);
        *apps[i] = signed_app;
        *lens[i] = len;
        unlink(in);
    }
    snprintf(out, sizeof out, "%s/app2.signed.bin", tmp);
    if (delta) {
        delta_make_options_t opt = {.esp_header = true};
        uint8_t *patch = NULL;
        size_t patch_len = 0;
        int derr = delta_make(img->old_app, img->old_app_len, img->new_app, img->new_app_len, &opt, &patch,
                              &patch_len, NULL);
        snprintf(out, sizeof out, "%s/app2.patch", tmp);
        bool wrote = derr == OTA_OK && write_file(out, patch, patch_len);
        free(patch);
        if (!wrote) {
            fprintf(stderr, "ota_powercut: error: cannot make the patch: %s\n", ota_strerror(derr));
            goto out;
        }
    }
    snprintf(enc, sizeof enc, "%s/app2.enc.bin", tmp);
    char *encrypt[] = {(char *)ota_bin, "image", "encrypt", "--scheme", "rsa3072", out, pub, enc, NULL};
    size_t dlen = 0;
    uint8_t *d = NULL;
    if (!run_ota(encrypt) || (img->app_stream = read_file(enc, &img->app_stream_len)) == NULL ||
        (d = read_file(digest, &dlen)) == NULL || dlen != sizeof img->key_digest ||
        (img->decrypt_pem = read_file(priv, &img->decrypt_pem_len)) == NULL) {
        free(d);
        goto out;
    }
    memcpy(img->key_digest, d, sizeof img->key_digest);
    free(d);
    img->secure = true;
    err = OTA_OK;
out:
    if (tmp != NULL) {
        for (int i = 0; i < 3; i++) {
            snprintf(in, sizeof in, "%s/app%d.bin", tmp, i);
            unlink(in);
            snprintf(in, sizeof in, "%s/app%d.signed.bin", tmp, i);
            unlink(in);
        }
        snprintf(in, sizeof in, "%s/app2.enc.bin", tmp);
        unlink(in);
        snprintf(in, sizeof in, "%s/app2.patch", tmp);
        unlink(in);
        rmdir(tmp);
    }
    free(tmp);
    free(key);
    free(pub);
    free(digest);
    free(priv);
    return err;
}

int pc_images_load(pc_images_t *img, const char *testdata, uint32_t app_size, bool delta, bool secure,
                   const char *ota_bin)
{
    memset(img, 0, sizeof *img);
    char *dir = realpath(testdata, NULL); /* file:// needs an absolute path */
    if (dir == NULL) {
        fprintf(stderr, "ota_powercut: error: testdata folder %s: %s\n", testdata, strerror(errno));
        return OTA_ERR_NOT_FOUND;
    }
    /* asprintf leaves its pointer undefined on failure: keep NULL for pc_images_free */
    char *a = NULL, *b = NULL, *c = NULL;
    bool ok = asprintf(&a, "%s/esp-adf/flash_tone_fmt0.bin", dir) >= 0;
    img->new_tone_path = ok ? a : NULL;
    ok = ok && asprintf(&b, "%s/esp-adf/tone_fmt1_mixer.bin", dir) >= 0;
    img->old_tone_path = ok ? b : NULL;
    ok = ok && asprintf(&c, "file://%s", img->new_tone_path) >= 0;
    img->tone_uri = ok ? c : NULL;
    if (!ok) {
        free(dir);
        return OTA_ERR_NO_MEM;
    }
    img->new_tone = read_file(img->new_tone_path, &img->new_tone_len);
    img->old_tone = read_file(img->old_tone_path, &img->old_tone_len);
    /* Different sizes and seeds: no two images share their payload. The previous app is larger
     * than the new one, so an update leaves its tail behind the new image in the slot. */
    img->old_app = build_app(PC_OLD_VERSION, app_size, 1, &img->old_app_len);
    img->prev_app = build_app(PC_PREV_VERSION, app_size + 40960, 2, &img->prev_app_len);
    /* --delta: a release of the old app (same payload, new version): a patch of a few KiB */
    img->new_app = build_app(PC_NEW_VERSION, app_size, delta ? 1 : 3, &img->new_app_len);
    if (img->new_tone == NULL || img->old_tone == NULL || img->old_app == NULL || img->prev_app == NULL ||
        img->new_app == NULL) {
        free(dir);
        return OTA_ERR_IO;
    }
    int serr = secure ? secure_images(img, dir, ota_bin, delta) : OTA_OK; /* sets app_stream */
    free(dir);
    if (serr != OTA_OK) {
        return serr;
    }
    if (!secure) {
        img->app_stream = img->new_app;
        img->app_stream_len = img->new_app_len;
    }
    if (delta && !secure) {
        delta_make_options_t opt = {.esp_header = true};
        int err = delta_make(img->old_app, img->old_app_len, img->new_app, img->new_app_len, &opt,
                             &img->app_stream, &img->app_stream_len, NULL);
        if (err != OTA_OK) {
            img->app_stream = NULL;
            fprintf(stderr, "ota_powercut: error: cannot make the patch: %s\n", ota_strerror(err));
            return err;
        }
    }
    uint8_t digest[OTA_SHA256_LEN];
    ota_sha256(img->app_stream, img->app_stream_len, digest);
    snprintf(img->app_etag, sizeof img->app_etag, "\"%02x%02x%02x%02x%02x%02x%02x%02x\"", digest[0],
             digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7]);
    return OTA_OK;
}

void pc_images_free(pc_images_t *img)
{
    pc_release_images_free(img);
    free(img->old_app);
    free(img->prev_app);
    if (img->app_stream != img->new_app) {
        free(img->app_stream);
    }
    free(img->new_app);
    free(img->old_tone);
    free(img->new_tone);
    free(img->old_tone_path);
    free(img->new_tone_path);
    free(img->tone_uri);
    free(img->decrypt_pem);
    memset(img, 0, sizeof *img);
}

/* --- the initial states and the uninterrupted run ------------------------------------------ */

static int write_partition(pc_harness_t *h, const ota_partition_info_t *info, const uint8_t *data, size_t len)
{
    ota_partition_t p;
    ota_device_partition(&h->dev, info, &p);
    uint32_t sector = h->dev.flash->sector_size;
    int err = ota_partition_erase_range(&p, 0, (uint32_t)((len + sector - 1) / sector * sector));
    return err != OTA_OK ? err : ota_partition_program(&p, 0, data, len);
}

static int write_entry(pc_harness_t *h, int index, uint32_t seq)
{
    ota_otadata_entry_t e;
    ota_otadata_entry_make(&e, seq, OTA_IMG_VALID);
    return ota_ops_write_otadata(&h->dev, index, &e);
}

static int make_initial(pc_harness_t *h, const char *testdata_csv)
{
    size_t len = 0;
    uint8_t *csv = NULL;
    if (h->scenario == PC_SCENARIO_EXAMPLE) {
        csv = read_file(testdata_csv, &len);
    } else {
        testdata_csv = "the release table (pc_release.c)";
        len = strlen(pc_release_table_csv);
        csv = (uint8_t *)strdup(pc_release_table_csv);
    }
    if (csv == NULL) {
        return OTA_ERR_IO;
    }
    ota_partition_table_t *table = calloc(1, sizeof *table);
    ota_partition_diag_t diag;
    int err = table == NULL ? OTA_ERR_NO_MEM
                            : ota_partition_table_parse_csv((const char *)csv, len, NULL, table, &diag);
    free(csv);
    if (err == OTA_OK) {
        err = ota_partition_table_store(&h->spy, 0, table, true);
    }
    if (err != OTA_OK) {
        fprintf(stderr, "ota_powercut: error: partition table %s: %s %s\n", testdata_csv, ota_strerror(err),
                diag.message);
        free(table);
        return err;
    }
    ota_device_init(&h->dev, &h->spy, table);
    free(table);
    if (h->img->secure) {
        /* eFuses: Secure Boot V2 on, KEY_DIGEST0 burned; the pre-encryption key configured */
        ota_device_security_t *sec = &h->dev.security;
        sec->secure_boot_v2 = true;
        sec->key_digest_set[0] = true;
        memcpy(sec->key_digest[0], h->img->key_digest, sizeof sec->key_digest[0]);
        sec->decrypt_key = (ota_enc_img_key_t){
            .scheme = OTA_ENC_SCHEME_RSA3072, .data = h->img->decrypt_pem, .len = h->img->decrypt_pem_len};
    }
    h->slot[0] = ota_partition_find_by_label(&h->dev.table, "ota_0");
    h->slot[1] = ota_partition_find_by_label(&h->dev.table, "ota_1");
    h->tone = ota_partition_find_by_label(&h->dev.table, PC_TONE_LABEL);
    h->part[0][0] = h->tone;
    h->otadata = ota_device_otadata(&h->dev);
    if (h->slot[0] == NULL || h->slot[1] == NULL || h->tone == NULL || h->otadata == NULL) {
        fprintf(stderr, "ota_powercut: error: %s is not the OTA example's table\n", testdata_csv);
        return OTA_ERR_NOT_FOUND;
    }
    const pc_images_t *img = h->img;
    h->run_slot = h->initial == PC_INITIAL_SWAPPED ? 1 : 0;
    h->target_slot = 1 - h->run_slot;
    h->final_slot = h->rollback || h->data_only ? h->run_slot : h->target_slot;
    err = write_partition(h, h->slot[h->run_slot], img->old_app, img->old_app_len);
    if (err == OTA_OK) {
        err = write_partition(h, h->tone, img->old_tone, img->old_tone_len);
    }
    if (err == OTA_OK && h->scenario != PC_SCENARIO_EXAMPLE) {
        err = pc_release_make_initial(h); /* the old data version; h->tone: where the update writes */
    }
    if (err == OTA_OK && h->initial != PC_INITIAL_FRESH) {
        err = write_partition(h, h->slot[h->target_slot], img->prev_app, img->prev_app_len);
    }
    /* otadata as ESP-IDF leaves it: fresh = blank (the first boot writes otadata[0] = seq 1);
     * updated = the slots alternated ota_0 (1), ota_1 (2), ota_0 (3); swapped = ota_0 (1), ota_1 (2). */
    if (err == OTA_OK && h->initial == PC_INITIAL_UPDATED) {
        err = write_entry(h, 1, 2);
        if (err == OTA_OK) {
            err = write_entry(h, 0, 3);
        }
    } else if (err == OTA_OK && h->initial == PC_INITIAL_SWAPPED) {
        err = write_entry(h, 0, 1);
        if (err == OTA_OK) {
            err = write_entry(h, 1, 2);
        }
    }
    ota_boot_result_t br;
    if (err == OTA_OK) {
        err = ota_bootloader_run(&h->dev, &br);
    }
    if (err == OTA_OK && br.partition != h->slot[h->run_slot]) {
        err = OTA_ERR_INVALID_STATE;
    }
    ota_otadata_entry_t e[2];
    if (err == OTA_OK) {
        err = ota_ops_read_otadata(&h->dev, e);
    }
    if (err != OTA_OK) {
        fprintf(stderr, "ota_powercut: error: cannot make the %s initial state: %s\n",
                pc_initial_name(h->initial), ota_strerror(err));
        return err;
    }
    /* The update's seq, computed here independently: with two slots the next seq after the
     * highest one names the other slot (esp_rewrite_ota_data). */
    uint32_t max = 0;
    for (int i = 0; i < 2; i++) {
        h->initial_seq[i] = ota_otadata_entry_is_valid(&e[i]) ? e[i].ota_seq : OTA_OTADATA_SEQ_BLANK;
        if (ota_otadata_entry_is_valid(&e[i]) && e[i].ota_seq > max) {
            max = e[i].ota_seq;
        }
    }
    h->switch_seq = max + 1;
    if (h->scenario != PC_SCENARIO_EXAMPLE) {
        return pc_release_after_boot(h); /* --prior-release: the old release's records */
    }
    return OTA_OK;
}

void pc_restore(pc_harness_t *h)
{
    ota_flash_emu_power_on(h->emu);
    ota_flash_emu_schedule_cut(h->emu, 0, OTA_FLASH_CUT_CLEAN, 0);
    memcpy(ota_flash_emu_memory(h->emu), h->initial_mem, FLASH_SIZE);
    h->dev = h->initial_dev;
    h->last_running = h->run_slot;
    memset(h->resolved, 0, sizeof h->resolved);
    for (int i = 0; i < PC_DATA_ITEMS && h->scenario == PC_SCENARIO_RELEASE; i++) {
        h->resolved[i] = h->part[i][h->live[i]]; /* the old release's data, as the old app reads them */
    }
    h->floor_max = h->floor_initial;
    h->run_violations = 0;
    h->first_violation[0] = '\0';
    h->log_len = 0;
}

int pc_harness_init(pc_harness_t *h, const pc_images_t *img, pc_initial_t initial, const pc_options_t *o,
                    const char *table_csv)
{
    memset(h, 0, sizeof *h);
    h->img = img;
    h->initial = initial;
    h->inplace = o->inplace;
    h->scenario = o->scenario;
    h->rollback = o->rollback;
    h->data_only = o->data_only;
    h->prior_release = o->prior_release;
    h->verbose = o->verbose;
    h->last_running = -1;
    ota_flash_emu_config_t ecfg = {.size = FLASH_SIZE, .strict = true};
    int err = ota_flash_emu_create(&ecfg, NULL, &h->emu);
    if (err != OTA_OK) {
        return err;
    }
    pc_spy_attach(h);
    h->initial_mem = malloc(FLASH_SIZE);
    h->final_mem = malloc(FLASH_SIZE);
    if (h->initial_mem == NULL || h->final_mem == NULL) {
        return OTA_ERR_NO_MEM;
    }
    err = make_initial(h, table_csv);
    if (err != OTA_OK) {
        return err;
    }
    memcpy(h->initial_mem, ota_flash_emu_memory(h->emu), FLASH_SIZE);
    h->initial_dev = h->dev;

    /* The uninterrupted run: N and the final state every interrupted run must end in. */
    pc_restore(h);
    h->phase = "uninterrupted run";
    uint64_t n = 0;
    int st = pc_session(h, 0, NULL, &n);
    memcpy(h->final_mem, ota_flash_emu_memory(h->emu), FLASH_SIZE);
    h->final_dev = h->dev;
    if (st == PC_STEP_OK) {
        pc_check_state(h);
    }
    /* --expect-violations may sweep a scenario whose uninterrupted run already breaks set
     * consistency (a per-item list rolled back: its data stay new): each run then reports it. */
    bool set_only = h->run_violations == h->inv_count[PC_INV_SET] && o->expect_violations;
    if (st != PC_STEP_OK || (h->run_violations != 0 && !set_only)) {
        fprintf(stderr, "ota_powercut: error: the uninterrupted run (%s) does not pass: %s\n",
                pc_initial_name(initial), h->first_violation[0] ? h->first_violation : "it was interrupted");
        return OTA_ERR_INVALID_STATE;
    }
    if (h->run_violations != 0) {
        printf("powercut: %-7s the uninterrupted run itself: %s\n", pc_initial_name(initial),
               h->first_violation);
        memset(h->inv_count, 0, sizeof h->inv_count);
    }
    bool set_ok = h->run_violations == 0;
    h->n_ops = n;
    for (size_t i = 0; i < h->log_len; i++) {
        const pc_op_t *op = &h->log[i];
        uint32_t rel;
        const char *label = pc_partition_at(h, op->addr, &rel);
        int where = strcmp(label, "otadata") == 0 ? 2 : strncmp(label, "ota_", 4) == 0 ? 0 : 1;
        h->n_by[where][op->erase ? 0 : 1]++; /* data: every data partition but otadata */
    }
    /* What the uninterrupted run must have done, from the images themselves (not from its output):
     * the new app in the target slot, selected by switch_seq and confirmed, the new tone image. */
    const char *problem = NULL;
    ota_otadata_entry_t e[2];
    /* esp_rewrite_ota_data writes the entry that is not active; the old app's is otadata[run_slot] */
    int sw = 1 - h->run_slot;
    uint32_t want_state = h->rollback ? OTA_IMG_ABORTED : OTA_IMG_VALID;
    if (ota_device_running(&h->dev) != h->slot[h->final_slot]) {
        problem = h->rollback ? "the old app does not run after the rollback" : "the new app does not run";
    } else if (h->data_only) {
        const ota_partition_info_t *t = h->slot[h->target_slot];
        if (memcmp(h->final_mem + t->offset, h->initial_mem + t->offset, t->size) != 0) {
            problem = "a release without an app wrote the other app slot";
        } else if (!pc_holds(h->final_mem, h->tone, img->new_tone, img->new_tone_len)) {
            problem = "flash_tone does not hold flash_tone_fmt0.bin";
        } else if (set_ok) {
            problem = pc_release_expect(h); /* otadata's entries: property 5 compares them */
        }
    } else if (!pc_holds(h->final_mem, h->slot[h->target_slot], img->new_app, img->new_app_len)) {
        problem = "the target slot does not hold the new app";
    } else if (!pc_holds(h->final_mem, h->tone, img->new_tone, img->new_tone_len)) {
        problem = "flash_tone does not hold flash_tone_fmt0.bin";
    } else if (!pc_holds(h->final_mem, h->slot[h->run_slot], img->old_app, img->old_app_len)) {
        problem = "the old app's slot changed";
    } else if (ota_ops_read_otadata(&h->dev, e) != OTA_OK || e[sw].ota_seq != h->switch_seq ||
               e[sw].ota_state != want_state || !ota_otadata_entry_crc_ok(&e[sw])) {
        problem = h->rollback ? "otadata does not hold the new app's entry with the next seq as ABORTED"
                              : "otadata does not select the new app as VALID with the next seq";
    } else if (h->scenario != PC_SCENARIO_EXAMPLE && set_ok) {
        problem = pc_release_expect(h);
    }
    if (problem != NULL) {
        fprintf(stderr, "ota_powercut: error: uninterrupted run (%s): %s\n", pc_initial_name(initial),
                problem);
        return OTA_ERR_INVALID_STATE;
    }
    return OTA_OK;
}

void pc_harness_free(pc_harness_t *h)
{
    ota_flash_emu_destroy(h->emu);
    free(h->initial_mem);
    free(h->final_mem);
    free(h->log);
    memset(h, 0, sizeof *h);
}
