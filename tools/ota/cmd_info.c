/* `ota info`: everything about a DEVICE (device_cli.h), changing nothing. The result is built once
 * (docs/json.md's `info` document); the text renderer reads it back. */
#include <stdlib.h>

#include "cli.h"
#include "commands.h"
#include "device_cli.h"
#include "image_report.h"
#include "ota/sim/ota_bootloader.h"
#include "ota/ota_err.h"
#include "formats/ota_install_journal.h"
#include "ota/ota_release.h"

/* What the text says and the JSON does not: how the chip, the bootloader's flash size and an erased
 * slot are named, where the state file and otadata are. */
typedef struct {
    ota_device_file_t *file;
    const ota_device_t *dev;
    const ota_bootloader_image_info_t *bootloader; /* NULL: none found */
    uint16_t app_chip[OTA_PARTITION_MAX_ENTRIES];  /* per app slot, in table order */
    bool app_erased[OTA_PARTITION_MAX_ENTRIES];
} info_text_ctx_t;

/* The second-stage bootloader in flash, in esptool image_info's words. */
static out_t *bootloader_result(const ota_bootloader_image_info_t *bl)
{
    out_t *o = out_object();
    const ota_chip_info_t *chip = ota_chip_info(bl->chip_id);
    out_str(o, "chip", chip ? chip->name : "unknown");
    out_int(o, "chip_id", bl->chip_id);
    out_int(o, "offset", bl->offset);
    out_int(o, "flash_size", bl->flash_size);
    out_str(o, "flash_mode", ota_image_flash_mode_name(bl->spi_mode));
    out_str(o, "flash_freq", ota_image_flash_freq_name(bl->chip_id, bl->spi_speed));
    out_int(o, "entry", bl->entry_addr);
    if (bl->has_desc) {
        out_int(o, "version", bl->desc_version);
        out_str(o, "idf_ver", bl->idf_ver);
        out_str(o, "date_time", bl->date_time);
        out_int(o, "secure_version", bl->desc_secure_version);
    } else {
        out_null(o, "idf_ver");
    }
    return o;
}

/* An install the service left unfinished (power cut, kill): the slot's first sector holds its
 * journal (ota_install_journal.h), not an image. How far it got: the last whole checkpoint. */
typedef struct {
    uint32_t bytes_written; /* 0: no checkpoint yet */
    uint32_t total_size;    /* OTA_JOURNAL_UNKNOWN_SIZE: unknown */
} interrupted_install_t;

static bool read_interrupted_install(const ota_device_t *dev, const ota_partition_info_t *p,
                                     interrupted_install_t *out)
{
    uint8_t *sector = malloc(OTA_FLASH_SECTOR_SIZE);
    ota_journal_header_t h;
    if (sector == NULL || p->size < OTA_FLASH_SECTOR_SIZE ||
        ota_flash_read(dev->flash, p->offset, sector, OTA_FLASH_SECTOR_SIZE) != OTA_OK ||
        ota_journal_header_decode(sector, &h) != OTA_OK) {
        free(sector);
        return false;
    }
    out->bytes_written = 0;
    out->total_size = h.staged ? OTA_JOURNAL_UNKNOWN_SIZE : h.total_size;
    for (uint32_t off = OTA_JOURNAL_RECORDS_OFFSET; off + OTA_JOURNAL_RECORD_SIZE <= OTA_FLASH_SECTOR_SIZE;
         off += OTA_JOURNAL_RECORD_SIZE) {
        ota_journal_checkpoint_t cp;
        int err = ota_journal_record_decode(sector + off, &cp);
        if (err == OTA_ERR_NOT_FOUND) {
            break; /* an erased slot ends the list; torn and stage slots are skipped */
        }
        if (err == OTA_OK) {
            out->bytes_written = cp.bytes_written;
        }
    }
    free(sector);
    return true;
}

/* The security settings (ota_device.h): eFuses and Kconfig, as `ota efuse` / `ota config` set them. */
static out_t *security_result(ota_device_file_t *f, const ota_device_t *dev)
{
    const ota_device_security_t *sec = &dev->security;
    out_t *o = out_object();
    out_bool(o, "secure_boot_v2", sec->secure_boot_v2);
    out_bool(o, "signed_apps_no_secure_boot", sec->signed_apps_on_update);
    out_t *keys = out_arr(o, "key_digests");
    for (unsigned i = 0; i < OTA_DEVICE_KEY_DIGESTS; i++) {
        out_t *k = out_obj(keys, NULL);
        out_hex(k, "digest", sec->key_digest_set[i] ? sec->key_digest[i] : NULL, 32);
        out_bool(k, "revoked", sec->key_revoked[i]);
    }
    out_t *sd = out_arr(o, "signed_data_partitions");
    for (unsigned i = 0; i < OTA_DEVICE_SIGNED_DATA_MAX && sec->signed_data[i][0] != '\0'; i++) {
        out_str(sd, NULL, sec->signed_data[i]);
    }
    const char *kp = ota_device_file_decrypt_key_path(f);
    if (kp[0] != '\0') {
        out_t *d = out_obj(o, "decrypt_key");
        out_str(d, "scheme", sec->decrypt_key.scheme == OTA_ENC_SCHEME_ECIES_P256 ? "ecies" : "rsa3072");
        out_str(d, "file", kp);
    } else {
        out_null(o, "decrypt_key");
    }
    return o;
}

static out_t *partitions_result(const ota_device_t *dev)
{
    out_t *parts = out_array();
    for (size_t i = 0; i < dev->table.count; i++) {
        const ota_partition_info_t *p = &dev->table.entries[i];
        out_t *o = out_obj(parts, NULL);
        out_str(o, "label", p->label);
        out_int(o, "type", p->type);
        out_int(o, "subtype", p->subtype);
        out_int(o, "offset", p->offset);
        out_int(o, "size", p->size);
        out_str(o, "usage", ota_bootloader_partition_usage(p));
    }
    return parts;
}

/* Every app slot's image: valid or why not, its app, its otadata state, an interrupted install. */
static out_t *apps_result(ota_device_t *dev, info_text_ctx_t *t)
{
    const ota_partition_info_t *running = ota_device_running(dev);
    out_t *apps = out_array();
    size_t n = 0;
    for (size_t i = 0; i < dev->table.count; i++) {
        const ota_partition_info_t *p = &dev->table.entries[i];
        if (p->type != OTA_PART_TYPE_APP) {
            continue;
        }
        ota_image_info_t info;
        ota_image_diag_t diag;
        int err = ota_ops_image_verify(dev, p, true, &info, &diag);
        uint32_t state = 0;
        char b[12];
        interrupted_install_t install;
        t->app_chip[n] = info.header.chip_id;
        t->app_erased[n++] = err == OTA_ERR_IMG_BAD_MAGIC && info.bytes_fed > 0 && info.header.magic == 0xFF;
        out_t *o = out_obj(apps, NULL);
        out_str(o, "label", p->label);
        out_int(o, "offset", p->offset);
        out_int(o, "size", p->size);
        out_int(o, "subtype", p->subtype);
        out_bool(o, "valid", err == OTA_OK);
        out_put(o, "error", err == OTA_OK ? NULL : image_report_error_json(err, &diag));
        out_put(o, "app_desc", info.app_desc_valid ? image_report_app_desc_json(&info.app_desc) : NULL);
        out_str(o, "state",
                ota_ops_get_state_partition(dev, p, &state) == OTA_OK ? device_state_text(state, b) : NULL);
        out_bool(o, "running", running == p);
        if (err != OTA_OK && read_interrupted_install(dev, p, &install)) {
            out_t *in = out_obj(o, "interrupted_install");
            out_int(in, "bytes_written", install.bytes_written);
            install.total_size != OTA_JOURNAL_UNKNOWN_SIZE ? out_int(in, "total_size", install.total_size)
                                                           : out_null(in, "total_size");
        } else {
            out_null(o, "interrupted_install");
        }
    }
    return apps;
}

/* The release the device runs (ota_release.h): its sequence, each data label -> the partition
 * holding it, its app; a release begun and not committed; the floor. */
static const ota_partition_info_t *partition_at(const ota_device_t *dev, uint32_t offset)
{
    for (size_t i = 0; i < dev->table.count; i++) {
        if (dev->table.entries[i].offset == offset) {
            return &dev->table.entries[i];
        }
    }
    return NULL;
}

static out_t *release_result(const ota_device_t *dev)
{
    ota_release_state_t *st = calloc(2, sizeof *st); /* installed, in progress */
    uint32_t floor = 0;
    int err = st == NULL ? OTA_ERR_NO_MEM : ota_release_installed(dev, &st[0]);
    if (err == OTA_OK) {
        err = ota_release_in_progress(dev, &st[1]);
    }
    if (err == OTA_OK) {
        err = ota_release_floor(dev, &floor);
    }
    out_t *o = out_object();
    if (err != OTA_OK) {
        out_null(o, "installed");
        out_null(o, "in_progress");
        out_null(o, "floor");
        out_err(o, "error", err);
        free(st);
        return o;
    }
    const ota_partition_info_t *running = ota_device_running(dev);
    for (int k = 0; k < 2; k++) {
        const char *key = k == 0 ? "installed" : "in_progress";
        if (st[k].sequence == 0) {
            out_null(o, key);
            continue;
        }
        out_t *r = out_obj(o, key);
        out_int(r, "sequence", st[k].sequence);
        out_int(r, "otadata_seq", st[k].otadata_seq);
        if (k == 0) {
            out_str(r, "app", running != NULL ? running->label : NULL);
        }
        out_t *data = out_arr(r, "data");
        for (unsigned i = 0; i < st[k].count && i < OTA_MANIFEST_MAX_ITEMS; i++) {
            const ota_partition_info_t *p = partition_at(dev, st[k].data[i].offset);
            out_t *d = out_obj(data, NULL);
            out_str(d, "label", st[k].data[i].label);
            out_str(d, "partition", p != NULL ? p->label : NULL);
            out_int(d, "offset", st[k].data[i].offset);
        }
    }
    out_int(o, "floor", floor);
    out_null(o, "error");
    free(st);
    return o;
}

static out_t *info_result(const device_args_t *a, ota_device_file_t *f, info_text_ctx_t *t)
{
    ota_device_t *dev = ota_device_file_device(f);
    const ota_partition_info_t *running = ota_device_running(dev);
    const ota_chip_info_t *chip = ota_chip_info(dev->chip_id);
    char rev[16];
    image_report_revision(dev->chip_revision, rev);
    ota_boot_result_t next;
    int next_err = ota_bootloader_predict(dev, &next);
    out_t *r = out_object();
    out_str(r, "device", a->device);
    out_int(r, "flash_size", dev->flash->size);
    out_int(r, "table_offset", dev->table_offset);
    out_put(r, "bootloader", t->bootloader ? bootloader_result(t->bootloader) : NULL);
    out_str(r, "chip", chip ? chip->name : "unknown");
    out_int(r, "chip_id", dev->chip_id);
    out_str(r, "chip_revision", rev);
    out_int(r, "efuse_secure_version", dev->efuse_secure_version);
    out_bool(r, "rollback", dev->rollback_enabled);
    out_bool(r, "anti_rollback", dev->anti_rollback_enabled);
    out_str(r, "running", running ? running->label : NULL);
    /* the state file's running app that is not in flash: not running, and said so */
    out_str(r, "running_not_in_flash", ota_device_file_stale_running(f));
    out_put(r, "security", security_result(f, dev));
    out_put(r, "partitions", partitions_result(dev));
    out_put(r, "otadata", device_otadata(dev));
    out_put(r, "apps", apps_result(dev, t));
    out_put(r, "release", release_result(dev));
    if (next_err == OTA_OK && next.partition != NULL) {
        out_t *n = out_obj(r, "next_boot");
        out_str(n, "label", next.partition->label);
        out_int(n, "offset", next.partition->offset);
        out_int(n, "index", next.index);
        out_bool(n, "fell_back", next.fell_back);
        out_null(r, "next_boot_error");
    } else {
        out_null(r, "next_boot");
        out_err_msg(r, "next_boot_error", next_err, NULL);
    }
    return r;
}

/* --- the text ------------------------------------------------------------------------------------ */

static void bootloader_text(const ota_bootloader_image_info_t *bl)
{
    if (bl == NULL) {
        printf("Bootloader: none found at 0x0, 0x1000 or 0x2000\n");
        return;
    }
    const char *mode = ota_image_flash_mode_name(bl->spi_mode);
    const char *freq = ota_image_flash_freq_name(bl->chip_id, bl->spi_speed);
    const char *size = ota_image_flash_size_name(bl->spi_size);
    printf("Bootloader: %s image at 0x%x (flash %s %s %s)", ota_chip_display_name(bl->chip_id),
           (unsigned)bl->offset, size ? size : "?", mode ? mode : "?", freq ? freq : "?");
    if (bl->has_desc) {
        printf(", ESP-IDF: %s, bootloader version %u, compile time %s", bl->idf_ver,
               (unsigned)bl->desc_version, bl->date_time);
    }
    printf("\n");
}

static void security_text(const out_t *sec)
{
    printf("Secure Boot V2: %s; signed apps without secure boot: %s\n",
           out_get_bool(sec, "secure_boot_v2") ? "enabled" : "disabled",
           out_get_bool(sec, "signed_apps_no_secure_boot") ? "on" : "off");
    const out_t *keys = out_get(sec, "key_digests");
    for (size_t i = 0; i < out_count(keys); i++) {
        const char *digest = out_get_str(out_at(keys, i), "digest");
        bool revoked = out_get_bool(out_at(keys, i), "revoked");
        if (digest != NULL || revoked) {
            printf("  KEY_DIGEST%u: %s%s\n", (unsigned)i, digest ? digest : "(not burned)",
                   revoked ? " (revoked)" : "");
        }
    }
    const out_t *sd = out_get(sec, "signed_data_partitions");
    if (out_count(sd) > 0) {
        printf("Signed data partitions:");
        for (size_t i = 0; i < out_count(sd); i++) {
            printf(" %s", out_at(sd, i)->valuestring);
        }
        printf(" (and any data subtype 0x06)\n");
    }
    const out_t *key = out_get(sec, "decrypt_key");
    if (out_has(sec, "decrypt_key")) {
        printf("Decrypt key (esp_encrypted_img): %s %s\n", out_get_str(key, "scheme"),
               out_get_str(key, "file"));
    }
}

static void otadata_text(const out_t *otadata, const ota_device_t *dev)
{
    if (out_count(otadata) == 0) {
        printf("\notadata: none\n");
        return;
    }
    printf("\notadata (0x%x):\n", (unsigned)ota_device_otadata(dev)->offset);
    for (size_t i = 0; i < out_count(otadata); i++) {
        const out_t *e = out_at(otadata, i);
        const char *slot = out_get_str(e, "slot");
        const char *crc = out_get_bool(e, "blank")       ? "blank"
                          : out_get_bool(e, "crc_valid") ? "crc ok"
                                                         : "crc BAD";
        printf("  [%d] seq %-10u state %-14s crc 0x%08x %-7s -> %-8s%s\n", (int)i,
               (unsigned)out_get_int(e, "seq"), out_get_str(e, "state"), (unsigned)out_get_int(e, "crc"), crc,
               slot ? slot : "-", out_get_bool(e, "active") ? "  (active)" : "");
    }
}

static void app_text(const out_t *app, uint16_t chip_id, bool erased)
{
    const out_t *desc = out_get(app, "app_desc");
    const out_t *install = out_get(app, "interrupted_install");
    printf("  %-10s 0x%06x  ", out_get_str(app, "label"), (unsigned)out_get_int(app, "offset"));
    if (out_get_bool(app, "valid")) {
        printf("valid    %s '%s' version %s, secure_version %u", ota_chip_display_name(chip_id),
               out_get_str(desc, "project_name"), out_get_str(desc, "version"),
               (unsigned)out_get_int(desc, "secure_version"));
    } else if (out_has(app, "interrupted_install")) {
        printf("INVALID  interrupted install (run again to finish): %u",
               (unsigned)out_get_int(install, "bytes_written"));
        if (out_has(install, "total_size")) {
            printf(" of %u", (unsigned)out_get_int(install, "total_size"));
        }
        printf(" bytes written");
    } else if (erased) {
        printf("empty    (erased)");
    } else {
        printf("INVALID  %s", out_get_str(out_get(app, "error"), "message"));
    }
    if (out_has(app, "state")) {
        printf(", otadata %s", out_get_str(app, "state"));
    }
    printf("%s\n", out_get_bool(app, "running") ? "  (running)" : "");
}

static void release_text(const out_t *rel)
{
    if (out_has(rel, "error")) {
        printf("\nRelease: unreadable (%s)\n", out_get_str(out_get(rel, "error"), "message"));
        return;
    }
    const out_t *in = out_get(rel, "installed");
    if (!out_has(rel, "installed")) {
        printf("\nRelease: none installed\n");
    } else {
        printf("\nRelease: %u installed (otadata seq %u), app %s\n", (unsigned)out_get_int(in, "sequence"),
               (unsigned)out_get_int(in, "otadata_seq"), out_has(in, "app") ? out_get_str(in, "app") : "-");
        const out_t *data = out_get(in, "data");
        for (size_t i = 0; i < out_count(data); i++) {
            const out_t *d = out_at(data, i);
            printf("  %-16s -> %-16s (0x%x)\n", out_get_str(d, "label"),
                   out_has(d, "partition") ? out_get_str(d, "partition") : "?",
                   (unsigned)out_get_int(d, "offset"));
        }
    }
    if (out_has(rel, "in_progress")) {
        printf(
            "Release in progress: %u (begun, not committed: the old release runs; run its manifest again)\n",
            (unsigned)out_get_int(out_get(rel, "in_progress"), "sequence"));
    }
    if (out_get_int(rel, "floor") != 0) {
        printf("Release floor: %u (an older manifest is refused)\n", (unsigned)out_get_int(rel, "floor"));
    }
}

static void info_text(const out_t *r, const void *ctx)
{
    const info_text_ctx_t *t = ctx;
    const ota_chip_info_t *chip = ota_chip_info((uint16_t)out_get_int(r, "chip_id"));
    printf("Device: %s (%u KiB flash)\n", out_get_str(r, "device"),
           (unsigned)(out_get_int(r, "flash_size") / 1024));
    printf("Chip: %s revision %s\n", chip ? chip->display_name : "unknown", out_get_str(r, "chip_revision"));
    bootloader_text(t->bootloader);
    printf("eFuse secure version: %u\n", (unsigned)out_get_int(r, "efuse_secure_version"));
    bool rollback = out_get_bool(r, "rollback");
    printf("Rollback: %s, anti-rollback: %s\n", rollback ? "on" : "off",
           out_get_bool(r, "anti_rollback") && rollback ? "on" : "off");
    if (out_has(r, "running")) {
        printf("Running: %s\n", out_get_str(r, "running"));
    } else if (out_has(r, "running_not_in_flash")) {
        printf("Running: nothing (%s said %s, which holds no valid app; not booted: run 'ota boot')\n",
               ota_device_file_state_path(t->file), out_get_str(r, "running_not_in_flash"));
    } else {
        printf("Running: nothing (not booted; run 'ota boot')\n");
    }
    security_text(out_get(r, "security"));
    printf("\nPartition table (0x%x):\n", (unsigned)out_get_int(r, "table_offset"));
    printf("## Label            Usage            Type ST Offset   Length\n");
    const out_t *parts = out_get(r, "partitions");
    for (size_t i = 0; i < out_count(parts); i++) {
        const out_t *p = out_at(parts, i);
        printf("%2d %-16s %-16s %02x %02x %08x %08x\n", (int)i, out_get_str(p, "label"),
               out_get_str(p, "usage"), (unsigned)out_get_int(p, "type"), (unsigned)out_get_int(p, "subtype"),
               (unsigned)out_get_int(p, "offset"), (unsigned)out_get_int(p, "size"));
    }
    otadata_text(out_get(r, "otadata"), t->dev);
    printf("\nApp slots:\n");
    const out_t *apps = out_get(r, "apps");
    for (size_t i = 0; i < out_count(apps); i++) {
        app_text(out_at(apps, i), t->app_chip[i], t->app_erased[i]);
    }
    release_text(out_get(r, "release"));
    const out_t *next = out_get(r, "next_boot");
    if (out_has(r, "next_boot")) {
        printf("\nNext boot: %s (0x%x)%s\n", out_get_str(next, "label"),
               (unsigned)out_get_int(next, "offset"),
               out_get_bool(next, "fell_back") ? " (fallback: the selected slot is not bootable)" : "");
    } else {
        printf("\nNext boot: nothing can boot (%s)\n", out_get_str(out_get(r, "next_boot_error"), "message"));
    }
}

static int info_run(ota_device_file_t *f, const device_args_t *a)
{
    ota_device_t *dev = ota_device_file_device(f);
    ota_bootloader_image_info_t bl;
    info_text_ctx_t *t = calloc(1, sizeof *t);
    if (t == NULL) {
        cli_error("%s", ota_strerror(OTA_ERR_NO_MEM));
        return CLI_EXIT_FAIL;
    }
    t->file = f;
    t->dev = dev;
    t->bootloader = ota_device_probe_bootloader(dev->flash, &bl) == OTA_OK ? &bl : NULL;
    out_emit(info_result(a, f, t), a->json, info_text, t);
    free(t);
    return CLI_EXIT_OK;
}

static const device_command_t info_command = {
    .name = "info",
    .operands = "DEVICE.bin",
    .operand_count = 1,
    .about = "Show a device: chip and eFuse state, the second-stage bootloader in flash (chip,\n"
             "address, flash settings, ESP-IDF version), partition table and its offset, both\n"
             "otadata entries (seq, state, CRC), every app slot's image (valid or why not,\n"
             "version, project, secure version, otadata state), the running app and what the\n"
             "bootloader would boot next.\n"
             "Changes nothing.\n",
    .json_help = "print the same as one JSON document",
    .exit_status = "0 shown, 1 the device is unreadable, 2 usage error.\n",
    .route = DEVICE_LOG_ERRORS_ONLY,
    .writable = false,
    .needs_running = false,
    .run = info_run,
};

int cmd_info(int argc, char **argv)
{
    return device_command_main(&info_command, argc, argv);
}
