/* The release scenarios of ota_powercut (docs/powercut.md, "The release sweep"): a device whose
 * table has twins for its two data partitions (flash_tone + flash_tone_b, data_ver + data_ver_b)
 * updated with a release of three items - the new app, the new tone image and a new data-version
 * image (ESP-ADF's 4-byte packed semver header + payload, ota_semver_packed.h) - from a manifest
 * (ota_manifest.h) whose items are file:// URIs, through ota_service_set_release. Or (per item) the
 * same three items as a plain upgrade list, each committed in place on its own as today's
 * procedures do: set consistency must catch that one. Variants: --data-only (no app item: the
 * COMMIT record is the commit point), --prior-release (the old release is a release too, its data
 * in the twins: the new one writes the labels), --rollback (pc_session.c: the new app never
 * confirms, the bootloader rolls it back).
 *
 * Set consistency: after every boot, the booted app (old or new, by its bytes) and the content of
 * every data label as the running app resolves it (ota_release_data_partition) are all of the old
 * release or all of the new one. */
#include "powercut.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/ota_release_log.h"
#include "ota/ota_adf_example.h"
#include "ota/ota_ops.h"
#include "ota/ota_err.h"
#include "ota/ota_partition.h"
#include "ota/ota_proc_default.h"
#include "ota/ota_release.h"
#include "ota/ota_semver_packed.h"
#include "ota/port/ota_crypto.h"

#define DVER_LABEL       "data_ver"
#define OLD_DVER_VERSION "1.0.0"
#define NEW_DVER_VERSION "1.1.0"
#define OLD_DVER_SIZE    8192u  /* two sectors */
#define NEW_DVER_SIZE    12288u /* three */
#define RELEASE_SEQUENCE 7u

static const char *const k_labels[PC_DATA_ITEMS] = {PC_TONE_LABEL, DVER_LABEL};

/* ESP-IDF's CSV: the example's table with a twin (same type, subtype, size) for each data
 * partition; flash_tone shrunk to 512 KiB so that everything fits 4 MiB. */
const char pc_release_table_csv[] = "# Name,   Type, SubType, Offset,   Size, Flags\n"
                                    "nvs,          data, nvs,   0x9000,  0x4000,\n"
                                    "otadata,      data, ota,   0xd000,  0x2000,\n"
                                    "phy_init,     data, phy,   0xf000,  0x1000,\n"
                                    "ota_0,        app,  ota_0, 0x10000, 1M,\n"
                                    "ota_1,        app,  ota_1, ,        1M,\n"
                                    "flash_tone,   data, 0xff,  ,        512K,\n"
                                    "flash_tone_b, data, 0xff,  ,        512K,\n"
                                    "data_ver,     data, 0xfe,  ,        64K,\n"
                                    "data_ver_b,   data, 0xfe,  ,        64K,\n";

/* A data-version image: the packed semver, little-endian, then payload from a seeded generator. */
static uint8_t *make_dver(const char *version, size_t len, uint64_t seed)
{
    uint8_t *d = malloc(len);
    if (d == NULL) {
        return NULL;
    }
    uint32_t packed = ota_semver_pack(version);
    for (int i = 0; i < 4; i++) {
        d[i] = (uint8_t)(packed >> (8 * i));
    }
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 4; i < len; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        d[i] = (uint8_t)x;
    }
    return d;
}

static bool write_tmp(const char *dir, const char *name, const uint8_t *data, size_t len, char **uri)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s", dir, name) < 0) {
        return false;
    }
    FILE *f = fopen(path, "wb");
    bool ok = f != NULL && fwrite(data, 1, len, f) == len;
    if (f != NULL && fclose(f) != 0) {
        ok = false;
    }
    if (!ok) {
        fprintf(stderr, "ota_powercut: error: cannot write %s: %s\n", path, strerror(errno));
    }
    *uri = NULL;
    if (ok && asprintf(uri, "file://%s", path) < 0) {
        *uri = NULL;
        ok = false;
    }
    free(path);
    return ok;
}

static void sha256_hex(const uint8_t *data, size_t len, char hex[65])
{
    uint8_t d[OTA_SHA256_LEN];
    ota_sha256(data, len, d);
    for (int i = 0; i < OTA_SHA256_LEN; i++) {
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    }
}

int pc_release_images_load(pc_images_t *img, bool data_only)
{
    img->old_dver = make_dver(OLD_DVER_VERSION, OLD_DVER_SIZE, 11);
    img->new_dver = make_dver(NEW_DVER_VERSION, NEW_DVER_SIZE, 12);
    img->old_dver_len = OLD_DVER_SIZE;
    img->new_dver_len = NEW_DVER_SIZE;
    const char *base = getenv("TMPDIR");
    if (img->old_dver == NULL || img->new_dver == NULL ||
        asprintf(&img->rel_dir, "%s/ota-powercut-release-XXXXXX", base != NULL ? base : "/tmp") < 0) {
        img->rel_dir = NULL;
        return OTA_ERR_NO_MEM;
    }
    if (mkdtemp(img->rel_dir) == NULL) {
        fprintf(stderr, "ota_powercut: error: cannot make %s: %s\n", img->rel_dir, strerror(errno));
        free(img->rel_dir);
        img->rel_dir = NULL;
        return OTA_ERR_IO;
    }
    if (!write_tmp(img->rel_dir, "app.bin", img->new_app, img->new_app_len, &img->rel_app_uri) ||
        !write_tmp(img->rel_dir, "data_ver.bin", img->new_dver, img->new_dver_len, &img->rel_dver_uri)) {
        return OTA_ERR_IO;
    }
    /* The manifest (ota_manifest.h): sizes and SHA-256s of the very bytes served. The tone image is
     * format 0 (no version of its own): its version is the manifest's word only. */
    char app_sha[65], tone_sha[65], dver_sha[65];
    sha256_hex(img->new_app, img->new_app_len, app_sha);
    sha256_hex(img->new_tone, img->new_tone_len, tone_sha);
    sha256_hex(img->new_dver, img->new_dver_len, dver_sha);
    char app_item[600] = "";
    if (!data_only) {
        snprintf(app_item, sizeof app_item,
                 ",\n {\"type\": \"app\", \"uri\": \"%s\", \"size\": %zu, \"sha256\": \"%s\", \"version\": "
                 "\"%s\"}",
                 img->rel_app_uri, img->new_app_len, app_sha, PC_NEW_VERSION);
    }
    int n = asprintf(&img->manifest,
                     "{\"format\": \"%s\", \"sequence\": %u, \"items\": [\n"
                     " {\"label\": \"%s\", \"type\": \"data\", \"uri\": \"%s\", \"size\": %zu, \"sha256\": "
                     "\"%s\", \"version\": \"1.0.0\"},\n"
                     " {\"label\": \"%s\", \"type\": \"data\", \"uri\": \"%s\", \"size\": %zu, \"sha256\": "
                     "\"%s\", \"version\": \"%s\"}%s]}\n",
                     OTA_MANIFEST_FORMAT, (unsigned)RELEASE_SEQUENCE, PC_TONE_LABEL, img->tone_uri,
                     img->new_tone_len, tone_sha, DVER_LABEL, img->rel_dver_uri, img->new_dver_len, dver_sha,
                     NEW_DVER_VERSION, app_item);
    if (n < 0) {
        img->manifest = NULL;
        return OTA_ERR_NO_MEM;
    }
    img->manifest_len = (size_t)n;
    return OTA_OK;
}

void pc_release_images_free(pc_images_t *img)
{
    if (img->rel_dir != NULL) {
        char *path = NULL;
        static const char *const names[] = {"app.bin", "data_ver.bin"};
        for (int i = 0; i < 2; i++) {
            if (asprintf(&path, "%s/%s", img->rel_dir, names[i]) >= 0) {
                unlink(path);
                free(path);
            }
        }
        rmdir(img->rel_dir);
    }
    free(img->rel_dir);
    free(img->rel_app_uri);
    free(img->rel_dver_uri);
    free(img->manifest);
    free(img->old_dver);
    free(img->new_dver);
}

int pc_release_make_initial(pc_harness_t *h)
{
    char twin[OTA_PARTITION_LABEL_MAX + 8];
    for (int i = 0; i < PC_DATA_ITEMS; i++) {
        snprintf(twin, sizeof twin, "%s%s", k_labels[i], OTA_RELEASE_TWIN_SUFFIX);
        h->part[i][0] = ota_partition_find_by_label(&h->dev.table, k_labels[i]);
        h->part[i][1] = ota_partition_find_by_label(&h->dev.table, twin);
        if (h->part[i][0] == NULL || h->part[i][1] == NULL) {
            fprintf(stderr, "ota_powercut: error: the release table has no %s or %s\n", k_labels[i], twin);
            return OTA_ERR_NOT_FOUND;
        }
    }
    /* The old release: the old data version in data_ver (flash_tone's old image is written by the
     * caller); the twins erased. A release writes the twins, a per-item list the labels.
     * --prior-release: the old release's data are in the twins (its COMMIT record follows the
     * first boot, pc_release_after_boot), the labels erased; the new release writes the labels. */
    const pc_images_t *img = h->img;
    int live = h->prior_release ? 1 : 0;
    ota_partition_t p;
    int err = OTA_OK;
    if (h->prior_release) {
        ota_device_partition(&h->dev, h->part[0][0], &p);
        uint32_t tone_len = (uint32_t)((img->old_tone_len + 4095u) / 4096u * 4096u);
        err = ota_partition_erase_range(&p, 0, tone_len);
        ota_device_partition(&h->dev, h->part[0][1], &p);
        if (err == OTA_OK) {
            err = ota_partition_erase_range(&p, 0, tone_len);
        }
        if (err == OTA_OK) {
            err = ota_partition_program(&p, 0, img->old_tone, img->old_tone_len);
        }
    }
    ota_device_partition(&h->dev, h->part[1][live], &p);
    if (err == OTA_OK) {
        err = ota_partition_erase_range(&p, 0, OLD_DVER_SIZE);
    }
    if (err == OTA_OK) {
        err = ota_partition_program(&p, 0, img->old_dver, img->old_dver_len);
    }
    for (int i = 0; i < PC_DATA_ITEMS; i++) {
        h->live[i] = live;
    }
    h->tone = h->part[0][h->scenario == PC_SCENARIO_RELEASE ? 1 - live : 0];
    return err;
}

int pc_release_after_boot(pc_harness_t *h)
{
    if (!h->prior_release) {
        return ota_release_floor(&h->dev, &h->floor_initial);
    }
    /* Release 6 = the old app + the old data in the twins, bound to the entry the old app runs
     * from (the highest seq in every initial state) with the old app's id, as the engine commits
     * a release with an app. */
    const ota_partition_info_t *running = ota_device_running(&h->dev);
    ota_app_desc_t desc;
    ota_release_state_t st;
    memset(&st, 0, sizeof st);
    st.sequence = RELEASE_SEQUENCE - 1;
    st.otadata_seq = h->switch_seq - 1;
    st.count = PC_DATA_ITEMS;
    for (int i = 0; i < PC_DATA_ITEMS; i++) {
        snprintf(st.data[i].label, sizeof st.data[i].label, "%s", k_labels[i]);
        st.data[i].offset = h->part[i][1]->offset;
    }
    int err =
        running == NULL ? OTA_ERR_INVALID_STATE : ota_ops_get_partition_description(&h->dev, running, &desc);
    if (err == OTA_OK) {
        err = ota_release_log_begin(&h->dev, st.sequence, st.otadata_seq);
    }
    if (err == OTA_OK) {
        err = ota_release_log_commit(&h->dev, &st, desc.app_elf_sha256);
    }
    for (int i = 0; i < PC_DATA_ITEMS && err == OTA_OK; i++) {
        const ota_partition_info_t *p = NULL;
        err = ota_release_data_partition(&h->dev, k_labels[i], &p);
        if (err == OTA_OK && p != h->part[i][1]) {
            fprintf(stderr, "ota_powercut: error: the prior release does not resolve %s to %s\n", k_labels[i],
                    h->part[i][1]->label);
            err = OTA_ERR_INVALID_STATE;
        }
    }
    if (err == OTA_OK) {
        err = ota_release_floor(&h->dev, &h->floor_initial);
    }
    if (err != OTA_OK) {
        fprintf(stderr, "ota_powercut: error: cannot record the prior release: %s\n", ota_strerror(err));
    }
    return err;
}

int pc_release_set_up(pc_harness_t *h, ota_service_t *svc)
{
    const pc_images_t *img = h->img;
    if (h->scenario == PC_SCENARIO_RELEASE) {
        ota_release_config_t cfg = {
            .manifest = (const uint8_t *)img->manifest,
            .manifest_len = img->manifest_len,
            .allow_unsigned = true,
        };
        ota_release_diag_t diag;
        int err = ota_service_set_release(svc, &cfg, &diag);
        if (err != OTA_OK) {
            fprintf(stderr, "ota_powercut: ota_service_set_release: %s (item %d)\n", ota_strerror(err),
                    diag.item);
        }
        return err;
    }
    /* Per item: the example's list (flash_tone with its tone need_upgrade, the app with
     * reboot_flag) with the data-version item between them, the default data procedure (its data
     * is written as is); every item commits itself, in place. */
    ota_adf_example_list_config_t lc = {
        .firmware_upgrade_uri = img->rel_app_uri,
        .data_upgrade_uri = img->tone_uri,
        .data_partition_label = PC_TONE_LABEL,
    };
    ota_upgrade_ops_t list[3];
    memset(list, 0, sizeof list);
    if (ota_adf_example_list_make(&lc, list) != 2) {
        return OTA_ERR_INVALID_STATE;
    }
    list[2] = list[1];
    list[1] = (ota_upgrade_ops_t){
        .node = {.type = OTA_PART_TYPE_DATA, .label = DVER_LABEL, .uri = img->rel_dver_uri}};
    ota_data_get_default_proc(&list[1]);
    return ota_service_set_upgrade_list(svc, list, h->data_only ? 2 : 3);
}

void pc_release_check_data(pc_harness_t *h, const uint8_t *mem)
{
    char why[300];
    for (int i = 0; i < PC_DATA_ITEMS; i++) {
        for (int j = 0; j < 2; j++) {
            const ota_partition_info_t *p = h->part[i][j];
            if (p == h->tone) {
                continue;
            }
            /* A data-version image has no integrity of its own (a torn commit of its first sector
             * reads as some version): the release's twin of it is guarded by the item's SHA-256
             * before the commit binds it, and by set consistency once bound; not by its bytes. */
            bool unguarded = h->scenario == PC_SCENARIO_RELEASE && i == 1 && j != h->live[1];
            if (!unguarded && pc_classify_part(h, mem, p, i, why, sizeof why) == PC_DATA_BAD) {
                pc_violation(h, PC_INV_DATA, "%s", why);
            }
            /* A release never writes the partitions the old release runs with (the labels, or
             * with --prior-release the twins). */
            if (h->scenario == PC_SCENARIO_RELEASE && j == h->live[i] &&
                memcmp(mem + p->offset, h->initial_mem + p->offset, p->size) != 0) {
                pc_violation(h, PC_INV_RUNNING, "%s, which the old release runs with, was written", p->label);
            }
        }
    }
}

void pc_release_check_set(pc_harness_t *h, bool app_new)
{
    const uint8_t *mem = ota_flash_emu_memory(h->emu);
    char text[300] = "", why[300];
    size_t used = 0;
    bool mixed = false, incomplete = false;
    h->set_boots++;
    /* The release floor (the newest sequence accepted, kept by the BEGIN / COMMIT records) never
     * goes down: not at a cut, not at an otadata rewrite by the bootloader or the app. */
    uint32_t floor = 0;
    int ferr = ota_release_floor(&h->dev, &floor);
    if (h->scenario == PC_SCENARIO_RELEASE && (ferr != OTA_OK || floor < h->floor_max)) {
        pc_violation(h, PC_INV_FLOOR, "the release floor is %u (%s), it was %u", (unsigned)floor,
                     ota_strerror(ferr), (unsigned)h->floor_max);
    }
    if (ferr == OTA_OK && floor > h->floor_max) {
        h->floor_max = floor;
    }
    for (int i = 0; i < PC_DATA_ITEMS; i++) {
        const ota_partition_info_t *p = NULL;
        int err = ota_release_data_partition(&h->dev, k_labels[i], &p);
        if (err != OTA_OK || p == NULL) {
            pc_violation(h, PC_INV_SET, "the %s app cannot resolve %s: %s", app_new ? "new" : "old",
                         k_labels[i], ota_strerror(err));
            return;
        }
        h->resolved[i] = p;
        pc_data_state_t s = pc_classify_part(h, mem, p, i, why, sizeof why);
        if (h->data_only && i == 0) {
            app_new = s == PC_DATA_NEW; /* no app item: the first label says which release */
        }
        mixed |= s == (app_new ? PC_DATA_OLD : PC_DATA_NEW);
        incomplete |= s == PC_DATA_INCOMPLETE || s == PC_DATA_BAD;
        int w = snprintf(text + used, sizeof text - used, "%s%s = %s (%s)", i ? ", " : "", k_labels[i],
                         pc_data_state_name(s), p->label);
        used += w > 0 && (size_t)w < sizeof text - used ? (size_t)w : 0;
    }
    if (mixed || incomplete) {
        h->set_mixed += mixed;
        h->set_incomplete += incomplete;
        pc_violation(h, PC_INV_SET, "booted the %s app (%s) with %s: not one release",
                     h->data_only ? "unchanged"
                     : app_new    ? "new"
                                  : "old",
                     ota_device_running(&h->dev) != NULL ? ota_device_running(&h->dev)->label : "?", text);
    }
}

void pc_release_check_final(pc_harness_t *h)
{
    uint32_t floor = 0;
    int err = ota_release_floor(&h->dev, &floor);
    if (err != OTA_OK || floor != RELEASE_SEQUENCE) {
        pc_violation(h, PC_INV_FLOOR, "the release floor is %u (%s) after the release %u", (unsigned)floor,
                     ota_strerror(err), (unsigned)RELEASE_SEQUENCE);
    }
}

const char *pc_release_expect(const pc_harness_t *h)
{
    const uint8_t *mem = h->final_mem;
    char why[300];
    pc_data_state_t want = h->rollback ? PC_DATA_OLD : PC_DATA_NEW;
    for (int i = 0; i < PC_DATA_ITEMS; i++) {
        int written = h->scenario == PC_SCENARIO_RELEASE ? 1 - h->live[i] : 0;
        if (pc_classify_part(h, mem, h->part[i][written], i, why, sizeof why) != PC_DATA_NEW) {
            return i == 0 ? "the partition the tone was written to does not hold flash_tone_fmt0.bin"
                          : "the partition the data version was written to does not hold data_ver.bin";
        }
        const ota_partition_info_t *p = NULL;
        if (ota_release_data_partition(&h->final_dev, k_labels[i], &p) != OTA_OK || p == NULL ||
            pc_classify_part(h, mem, p, i, why, sizeof why) != want) {
            return h->rollback ? "a data label does not resolve to the old release's data after the rollback"
                               : "a data label does not resolve to the new release's data";
        }
    }
    return NULL;
}
