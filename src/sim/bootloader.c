/* The simulated second-stage bootloader: bootloader_utility.c's selection and fallback, with the
 * same log lines. See ota_bootloader.h. */
#include "ota/sim/ota_bootloader.h"

#include <string.h>

#include "ota/ota_err.h"
#include "formats/ota_idf_console.h"
#include "sim/boot_banner.h"
#include "boot/ota_image_sig.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"
#include "ota/ota_ops.h"
#include "ota/ota_otadata.h"

static const char *TAG = "boot";
static const char *TAG_IMAGE = "esp_image";
static const char *TAG_SECURE = "secure_boot_v2";

#define MAX_OTA_SLOTS 16

/* bootloader_state_t: what load_partition_table found. */
typedef struct {
    const ota_partition_info_t *ota_info; /* otadata */
    const ota_partition_info_t *factory;
    const ota_partition_info_t *test;
    const ota_partition_info_t *ota[MAX_OTA_SLOTS]; /* by subtype & 0xF, as ESP-IDF indexes it */
    uint32_t app_count;                             /* number of OTA entries (not necessarily contiguous) */
} boot_state_t;

typedef struct {
    ota_device_t *dev;
    bool quiet;                          /* predict: no logs */
    bool dry;                            /* predict: no flash writes */
    bool anti;                           /* effective anti-rollback (it depends on rollback in Kconfig) */
    ota_boot_verify_fn verify_signature; /* NULL: Secure Boot V2 fails closed */
    boot_state_t bs;
    ota_otadata_entry_t otadata[2];
    bool has_initial_contents; /* ota_has_initial_contents */
    ota_boot_result_t *out;
    ota_idf_version_t idf; /* the bootloader's ESP-IDF: the wording of its lines (ota_idf_console.h) */
} boot_t;

#define BLOG(b, level, tag, ...) \
    do { \
        if (!(b)->quiet) { \
            ota_log_write(level, tag, __VA_ARGS__); \
        } \
    } while (0)
#define BLOGI(b, tag, ...) BLOG(b, OTA_LOG_INFO, tag, __VA_ARGS__)
#define BLOGW(b, tag, ...) BLOG(b, OTA_LOG_WARN, tag, __VA_ARGS__)
#define BLOGE(b, tag, ...) BLOG(b, OTA_LOG_ERROR, tag, __VA_ARGS__)
#define BLOGD(b, tag, ...) BLOG(b, OTA_LOG_DEBUG, tag, __VA_ARGS__)

const char *ota_bootloader_partition_usage(const ota_partition_info_t *p)
{
    switch (p->type) {
    case OTA_PART_TYPE_APP:
        if (p->subtype == OTA_PART_SUBTYPE_APP_FACTORY) {
            return "factory app";
        }
        if (p->subtype == OTA_PART_SUBTYPE_APP_TEST) {
            return "test app";
        }
        return ota_partition_is_ota_app(p) ? "OTA app" : "Unknown app";
    case OTA_PART_TYPE_DATA:
        switch (p->subtype) {
        case OTA_PART_SUBTYPE_DATA_OTA: return "OTA data";
        case OTA_PART_SUBTYPE_DATA_PHY: return "RF data";
        case OTA_PART_SUBTYPE_DATA_NVS: return "WiFi data";
        case OTA_PART_SUBTYPE_DATA_NVS_KEYS: return "NVS keys";
        case OTA_PART_SUBTYPE_DATA_EFUSE: return "efuse";
        default: return "Unknown data";
        }
    case OTA_PART_TYPE_BOOTLOADER:
        switch (p->subtype) {
        case 0x00: return "primary bootloader";
        case 0x01: return "ota bootloader";
        case 0x02: return "recovery bootloader";
        default: return "unknown";
        }
    case OTA_PART_TYPE_PARTITION_TABLE:
        switch (p->subtype) {
        case 0x00: return "primary partition_table";
        case 0x01: return "ota partition_table";
        default: return "unknown";
        }
    default: return "unknown";
    }
}

/* bootloader_utility_load_partition_table */
static int load_partition_table(boot_t *b)
{
    const ota_partition_table_t *t = &b->dev->table;
    memset(&b->bs, 0, sizeof b->bs);
    if (t->count == 0) {
        BLOGE(b, TAG, "Failed to verify partition table");
        return OTA_ERR_PT_INVALID;
    }
    BLOGI(b, TAG, "Partition Table:");
    BLOGI(b, TAG, "## Label            Usage          Type ST Offset   Length");
    for (size_t i = 0; i < t->count; i++) {
        const ota_partition_info_t *p = &t->entries[i];
        if (p->type == OTA_PART_TYPE_APP) {
            if (p->subtype == OTA_PART_SUBTYPE_APP_FACTORY) {
                b->bs.factory = p;
            } else if (p->subtype == OTA_PART_SUBTYPE_APP_TEST) {
                b->bs.test = p;
            } else if (ota_partition_is_ota_app(p)) {
                b->bs.ota[p->subtype & 0x0F] = p;
                b->bs.app_count++;
            }
        } else if (p->type == OTA_PART_TYPE_DATA && p->subtype == OTA_PART_SUBTYPE_DATA_OTA) {
            b->bs.ota_info = p;
        }
        BLOGI(b, TAG, "%2d %-16s %-16s %02x %02x %08x %08x", (int)i, p->label,
              ota_bootloader_partition_usage(p), p->type, p->subtype, (unsigned)p->offset, (unsigned)p->size);
    }
    BLOGI(b, TAG, "End of partition table");
    return OTA_OK;
}

static const ota_partition_info_t *index_to_partition(const boot_t *b, int index)
{
    if (index == OTA_BOOT_INDEX_FACTORY) {
        return b->bs.factory;
    }
    if (index == OTA_BOOT_INDEX_TEST) {
        return b->bs.test;
    }
    if (index >= 0 && index < MAX_OTA_SLOTS && index < (int)b->bs.app_count) {
        return b->bs.ota[index];
    }
    return NULL;
}

static void log_invalid_app_partition(boot_t *b, int index)
{
    if (index == OTA_BOOT_INDEX_FACTORY) {
        BLOGE(b, TAG, "Factory app partition is not bootable");
    } else if (index == OTA_BOOT_INDEX_TEST) {
        BLOGE(b, TAG, "Factory test app partition is not bootable");
    } else {
        BLOGE(b, TAG, "OTA app partition slot %d is not bootable", index);
    }
}

static int write_otadata(boot_t *b, int index)
{
    if (b->out != NULL) {
        b->out->otadata_written = true;
    }
    if (b->dry) {
        return OTA_OK;
    }
    int err = ota_ops_write_otadata(b->dev, index, &b->otadata[index]);
    if (err != OTA_OK) {
        BLOGE(b, TAG, "Error in write_otadata operation. err = %d", err);
    }
    return err;
}

static bool check_anti_rollback(boot_t *b, const ota_partition_info_t *part)
{
    if (!b->anti) {
        return true;
    }
    ota_app_desc_t desc;
    int err = part != NULL ? ota_ops_get_partition_description(b->dev, part, &desc) : OTA_ERR_NOT_FOUND;
    if (err != OTA_OK) {
        BLOGE(b, TAG, "Failed to get partition description %d", err);
        return false;
    }
    return ota_device_secure_version_ok(b->dev, desc.secure_version);
}

static void update_anti_rollback(boot_t *b, const ota_partition_info_t *part)
{
    ota_app_desc_t desc;
    int err = part != NULL ? ota_ops_get_partition_description(b->dev, part, &desc) : OTA_ERR_NOT_FOUND;
    if (err != OTA_OK) {
        BLOGE(b, TAG, "Failed to get partition description %d", err);
        return;
    }
    uint32_t before = b->dev->efuse_secure_version;
    if (ota_device_burn_secure_version(b->dev, desc.secure_version) == OTA_OK &&
        b->dev->efuse_secure_version != before && b->out != NULL) {
        b->out->efuse_burned = true;
    }
}

/* bootloader_utility_get_selected_boot_partition */
static int select_boot_index(boot_t *b, int *index_out)
{
    ota_otadata_entry_t *e = b->otadata;
    int boot_index = OTA_BOOT_INDEX_FACTORY;
    *index_out = boot_index;
    if (b->bs.ota_info == NULL) {
        return OTA_OK;
    }
    int err = ota_ops_read_otadata(b->dev, e);
    if (err != OTA_OK) {
        *index_out = OTA_BOOT_INDEX_INVALID;
        return err;
    }
    b->has_initial_contents = false;
    BLOGD(b, TAG, "otadata[0]: sequence values 0x%08x", (unsigned)e[0].ota_seq);
    BLOGD(b, TAG, "otadata[1]: sequence values 0x%08x", (unsigned)e[1].ota_seq);

    if (b->dev->rollback_enabled) {
        for (int i = 0; i < 2; i++) {
            if (e[i].ota_state == OTA_IMG_PENDING_VERIFY) {
                BLOGD(b, TAG, "otadata[%d] is marking as ABORTED", i);
                e[i].ota_state = OTA_IMG_ABORTED;
                if ((err = write_otadata(b, i)) != OTA_OK) {
                    return err;
                }
            }
        }
    }

    int active = -1;
    bool have_active_choice = true;
    if (!b->anti) {
        if ((ota_otadata_entry_is_invalid(&e[0]) && ota_otadata_entry_is_invalid(&e[1])) ||
            b->bs.app_count == 0) {
            BLOGD(b, TAG,
                  "OTA sequence numbers both empty (all-0xFF) or partition table does not have bootable "
                  "ota_apps (app_count=%u)",
                  (unsigned)b->bs.app_count);
            have_active_choice = false;
            if (b->bs.factory != NULL) {
                BLOGI(b, TAG, "Defaulting to factory image");
                boot_index = OTA_BOOT_INDEX_FACTORY;
            } else {
                BLOGI(b, TAG, "No factory image, trying OTA 0");
                boot_index = 0;
                if (ota_otadata_entry_is_initial(&e[0]) && ota_otadata_entry_is_initial(&e[1])) {
                    b->has_initial_contents = true;
                }
            }
        } else {
            active = ota_otadata_active(e);
        }
    } else {
        BLOGI(b, TAG, "Enabled a check secure version of app for anti rollback");
        BLOGI(b, TAG, "Secure version (from eFuse) = %u", (unsigned)b->dev->efuse_secure_version);
        if (ota_otadata_entry_is_initial(&e[0]) && ota_otadata_entry_is_initial(&e[1])) {
            BLOGI(b, TAG, "otadata[0..1] in initial state");
            b->has_initial_contents = true;
            have_active_choice = false;
        } else {
            bool ok[2] = {false, false};
            for (int i = 0; i < 2; i++) {
                if (ota_otadata_entry_is_valid(&e[i]) && b->bs.app_count > 0) {
                    uint32_t slot = ota_otadata_slot(e[i].ota_seq, b->bs.app_count);
                    if (check_anti_rollback(b, b->bs.ota[slot])) {
                        ok[i] = true;
                    } else {
                        BLOGD(b, TAG,
                              "OTA slot %u has an app with secure_version, this version is smaller than "
                              "in the device. This OTA slot will not be selected.",
                              (unsigned)slot);
                    }
                }
            }
            active = ota_otadata_select(e, ok, true);
        }
    }
    if (have_active_choice) {
        if (active != -1) {
            BLOGD(b, TAG, "Active otadata[%d]", active);
            boot_index = (int)ota_otadata_slot(e[active].ota_seq, b->bs.app_count);
            if (b->dev->rollback_enabled && e[active].ota_state == OTA_IMG_NEW) {
                BLOGD(b, TAG, "otadata[%d] is selected as new and marked PENDING_VERIFY state", active);
                e[active].ota_state = OTA_IMG_PENDING_VERIFY;
                if ((err = write_otadata(b, active)) != OTA_OK) {
                    return err;
                }
            }
            if (b->anti && e[active].ota_state == OTA_IMG_VALID) {
                update_anti_rollback(b, b->bs.ota[boot_index]);
            }
        } else if (b->bs.factory != NULL) {
            BLOGE(b, TAG, "ota data partition invalid, falling back to factory");
            boot_index = OTA_BOOT_INDEX_FACTORY;
        } else {
            BLOGE(b, TAG, "ota data partition invalid and no factory, will try all partitions");
            boot_index = OTA_BOOT_INDEX_FACTORY;
        }
    }
    *index_out = boot_index;
    return OTA_OK;
}

/* try_load_partition: bootloader_load_image = full verification (ESP_IMAGE_LOAD). */
static bool try_load_partition(boot_t *b, const ota_partition_info_t *part, ota_image_info_t *info)
{
    if (part->size == 0) {
        BLOGD(b, TAG, "Can't boot from zero-length partition");
        return false;
    }
    ota_image_diag_t diag;
    int err = ota_ops_image_verify(b->dev, part, true, info, &diag);
    if (!b->quiet) {
        if (info->header.magic == OTA_IMAGE_MAGIC) {
            ota_boot_log_chip_check(b->dev, &b->idf, "application", info->header.min_chip_rev);
        }
        if (OTA_IDF_CONSOLE_HISTORY) { /* esp_image's load lines: a device's bootloader prints its own */
            ota_idf_log_segments(&b->idf, part->offset, info, true);
        }
    }
    if (err == OTA_OK && b->anti && info->app_desc_valid &&
        !ota_device_secure_version_ok(b->dev, info->app_desc.secure_version)) {
        err = OTA_ERR_SECURE_VERSION; /* image_load re-checks it while loading (anti-FI) */
    }
    /* Secure Boot V2 (eFuse SECURE_BOOT_EN): every candidate's signature, against the burned key
     * digests, as esp_image_format's verify_secure_boot_signature. Signed apps without secure
     * boot are checked on update only: the bootloader does not look. */
    if (err == OTA_OK && b->dev->security.secure_boot_v2) {
        BLOGI(b, TAG_IMAGE, "Verifying image signature...");
        if (b->verify_signature == NULL) {
            /* A bootloader that cannot check the signature must not run the app: fail closed,
             * with the lines ESP-IDF prints for a signature that does not verify (no re-hash:
             * nothing says the image is otherwise fine). */
            BLOGE(b, TAG_SECURE,
                  "Secure Boot V2 is enabled, but no signature verifier is linked into "
                  "this bootloader (ota_bootloader_config_t.verify_signature)");
            BLOGE(b, TAG_SECURE, "Secure Boot V2 verification failed.");
            BLOGE(b, TAG_IMAGE, "Secure boot signature verification failed");
            return false;
        }
        int serr = b->verify_signature(b->dev, part, info->image_len);
        /* The lines and tags are ESP-IDF's: secure_boot_v2 from
         * components/bootloader_support/src/secure_boot_v2/secure_boot_signatures_bootloader.c
         * (esp_secure_boot_verify_rsa_signature_block), esp_image from
         * components/bootloader_support/src/esp_image_format.c (verify_secure_boot_signature). The
         * image itself was verified above (its SHA-256 too), so ESP-IDF's re-hash says "image valid,
         * signature bad". Our reason comes first, where the ROM prints its own. */
        if (serr != OTA_OK) {
            BLOGE(b, TAG_SECURE, "%s", ota_strerror(serr));
            BLOGE(b, TAG_SECURE, "Secure Boot V2 verification failed.");
            BLOGE(b, TAG_IMAGE, "Secure boot signature verification failed");
            BLOGI(b, TAG_IMAGE, "Calculating simple hash to check for corruption...");
            BLOGW(b, TAG_IMAGE, "image valid, signature bad");
            return false;
        }
        BLOGI(b, TAG_SECURE, "Signature verified successfully!");
    }
    if (err != OTA_OK) {
        if (diag.err != OTA_OK) {
            BLOGE(b, TAG_IMAGE, "%s", diag.message);
        }
        return false;
    }
    BLOGI(b, TAG, "Loaded app from partition at offset 0x%x", (unsigned)part->offset);
    return true;
}

static int set_actual_ota_seq(boot_t *b, int index)
{
    if (index > OTA_BOOT_INDEX_FACTORY && b->has_initial_contents) {
        ota_otadata_entry_make(&b->otadata[0], (uint32_t)index + 1, OTA_IMG_VALID);
        int err = write_otadata(b, 0);
        if (err != OTA_OK) {
            return err;
        }
        BLOGI(b, TAG, "Set actual ota_seq=%u in otadata[0]", (unsigned)index + 1);
        if (b->anti) {
            update_anti_rollback(b, b->bs.ota[index]);
        }
    }
    return OTA_OK;
}

/* The app's startup block, as the ESP-IDF recorded in its description prints it. */
static void log_app_info(boot_t *b, const ota_image_info_t *info)
{
    if (b->quiet) {
        return;
    }
    const ota_app_desc_t *d = &info->app_desc;
    if (!info->app_desc_valid) {
        ota_idf_version_t newest;
        ota_idf_version_parse(NULL, &newest);
        ota_idf_log(&newest, OTA_IDF_APP_INFO, &(ota_idf_args_t){{NULL, NULL}, {0}});
        return;
    }
    const ota_image_header_t *h = &info->header;
    ota_idf_app_info_t app = {
        .project_name = d->project_name,
        .version = d->version,
        .date = d->date,
        .time = d->time,
        .idf_ver = d->idf_ver,
        .elf_sha256 = d->app_elf_sha256,
        .secure_version_shown = b->anti,
        .secure_version = d->secure_version,
        .min_rev_full = h->min_chip_rev_full,
        .max_rev_full = h->max_chip_rev_full,
        .chip_rev = b->dev->chip_revision,
    };
    ota_idf_log_app_info(&app);
}

/* bootloader_init's banner (boot_banner.h); it also says which ESP-IDF the bootloader is */
static void log_banner(boot_t *b)
{
    if (!b->quiet) { /* the wording matters to the log only */
        ota_boot_log_banner(b->dev, &b->idf);
    }
}

static int boot_from(boot_t *b, const ota_partition_info_t *part, int index, const ota_image_info_t *info)
{
    int err = set_actual_ota_seq(b, index);
    if (err != OTA_OK) {
        return err;
    }
    ota_boot_result_t *out = b->out;
    if (out != NULL) {
        out->partition = part;
        out->index = index;
        out->fell_back = index != out->selected_index;
        out->image = *info;
    }
    ota_device_set_running(b->dev, part);
    BLOGI(b, TAG, "Disabling RNG early entropy source..."); /* bootloader_utility.c, unpack_load_app */
    log_app_info(b, info);
    return OTA_OK;
}

/* One candidate of bootloader_utility_load_boot_image's fallback order: true (with the boot's
 * result in *err) if the app at boot index @p index was loaded. */
static bool try_index(boot_t *b, int index, int *err)
{
    const ota_partition_info_t *part = index_to_partition(b, index);
    if (part == NULL || part->size == 0) {
        return false;
    }
    BLOGD(b, TAG, "Trying partition index %d offs 0x%x size 0x%x", index, (unsigned)part->offset,
          (unsigned)part->size);
    ota_image_info_t info;
    if (check_anti_rollback(b, part) && try_load_partition(b, part, &info)) {
        *err = boot_from(b, part, index, &info);
        return true;
    }
    log_invalid_app_partition(b, index);
    return false;
}

/* bootloader_utility_load_boot_image */
static int load_boot_image(boot_t *b, int start_index)
{
    ota_image_info_t info;
    const ota_partition_info_t *part;
    int index;
    if (start_index == OTA_BOOT_INDEX_TEST) {
        part = b->bs.test;
        if (part != NULL && check_anti_rollback(b, part) && try_load_partition(b, part, &info)) {
            return boot_from(b, part, OTA_BOOT_INDEX_TEST, &info);
        }
        BLOGE(b, TAG, "No bootable test partition in the partition table");
        return OTA_ERR_NO_BOOTABLE_APP;
    }
    /* work backwards from start_index, down to the factory app */
    int err;
    for (index = start_index; index >= OTA_BOOT_INDEX_FACTORY; index--) {
        if (try_index(b, index, &err)) {
            return err;
        }
    }
    /* failing that work forwards from start_index, try valid OTA slots */
    for (index = start_index + 1; index < (int)b->bs.app_count; index++) {
        if (try_index(b, index, &err)) {
            return err;
        }
    }
    part = b->bs.test;
    if (part != NULL && check_anti_rollback(b, part) && try_load_partition(b, part, &info)) {
        BLOGW(b, TAG, "Falling back to test app as only bootable partition");
        return boot_from(b, part, OTA_BOOT_INDEX_TEST, &info);
    }
    BLOGE(b, TAG, "No bootable app partitions in the partition table");
    return OTA_ERR_NO_BOOTABLE_APP;
}

static int run(boot_t *b)
{
    ota_device_set_running(b->dev, NULL);
    if (b->out != NULL) {
        memset(b->out, 0, sizeof *b->out);
        b->out->index = OTA_BOOT_INDEX_INVALID;
        b->out->selected_index = OTA_BOOT_INDEX_INVALID;
    }
    log_banner(b);
    int err = load_partition_table(b);
    if (err != OTA_OK) {
        return err;
    }
    int index;
    err = select_boot_index(b, &index);
    if (err != OTA_OK) {
        return err;
    }
    if (b->out != NULL) {
        b->out->selected_index = index;
    }
    return load_boot_image(b, index);
}

/* What the host's bootloader links: everything this project verifies with. Only ota_bootloader_run
 * and ota_bootloader_predict name it, so a firmware that calls ota_bootloader_boot with its own
 * config does not link the verifier (-ffunction-sections, --gc-sections). */
static const ota_bootloader_config_t s_host_config = {.verify_signature = ota_image_sig_verify_boot};

int ota_bootloader_run(ota_device_t *dev, ota_boot_result_t *out)
{
    return ota_bootloader_boot(dev, &s_host_config, out);
}

int ota_bootloader_predict(const ota_device_t *dev, ota_boot_result_t *out)
{
    return ota_bootloader_boot_predict(dev, &s_host_config, out);
}

int ota_bootloader_boot(ota_device_t *dev, const ota_bootloader_config_t *cfg, ota_boot_result_t *out)
{
    if (dev == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    boot_t *b = ota_calloc(1, sizeof *b);
    if (b == NULL) {
        return OTA_ERR_NO_MEM;
    }
    b->dev = dev;
    b->verify_signature = cfg != NULL ? cfg->verify_signature : NULL;
    b->anti = dev->anti_rollback_enabled && dev->rollback_enabled;
    b->out = out;
    int err = run(b);
    ota_free(b);
    return err;
}

int ota_bootloader_boot_predict(const ota_device_t *dev, const ota_bootloader_config_t *cfg,
                                ota_boot_result_t *out)
{
    if (dev == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    /* Run on a copy so eFuse and running-app changes stay in it; flash writes are skipped. */
    struct {
        boot_t b;
        ota_device_t dev;
        ota_boot_result_t result;
    } *w = ota_calloc(1, sizeof *w);
    if (w == NULL) {
        return OTA_ERR_NO_MEM;
    }
    w->dev = *dev;
    w->b.dev = &w->dev;
    w->b.quiet = true;
    w->b.dry = true;
    w->b.anti = dev->anti_rollback_enabled && dev->rollback_enabled;
    w->b.verify_signature = cfg != NULL ? cfg->verify_signature : NULL;
    w->b.out = &w->result;
    int err = run(&w->b);
    if (out != NULL) {
        *out = w->result;
        /* Point into the caller's table, not the copy's. */
        out->partition =
            w->result.partition ? &dev->table.entries[w->result.partition - w->dev.table.entries] : NULL;
    }
    ota_free(w);
    return err;
}
