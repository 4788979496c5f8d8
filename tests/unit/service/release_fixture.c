/* See release_fixture.h. */
#include "release_fixture.h"

#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/ota_partition.h"
#include "ota/ota_update_features.h"
#include "ota/port/ota_crypto.h"
#include "ota/port/ota_source_posix.h"
#include "ota/sim/ota_app_image_builder.h"
#include "ota/sim/ota_bootloader.h"
#include "ota/sim/ota_partition_csv.h"
#include "ota/sim/ota_tone_build.h"

/* Two OTA slots; two data partitions with twins; one without, one whose "twin" is smaller. */
static const char TABLE[] = "nvs,      data, nvs,  0x9000,  0x4000,\n"
                            "otadata,  data, ota,  0xd000,  0x2000,\n"
                            "phy_init, data, phy,  0xf000,  0x1000,\n"
                            "ota_0,    app,  ota_0, 0x10000, 512K,\n"
                            "ota_1,    app,  ota_1, ,        512K,\n"
                            "flash_tone,   data, 0xff, ,     64K,\n"
                            "flash_tone_b, data, 0xff, ,     64K,\n"
                            "cfg,      data, 0xfe, ,        16K,\n"
                            "cfg_b,    data, 0xfe, ,        16K,\n"
                            "lonely,   data, 0xfd, ,        16K,\n"
                            "small,    data, 0xfc, ,        16K,\n"
                            "small_b,  data, 0xfc, ,        8K,\n";

uint8_t *rf_app(const char *version, uint64_t seed, size_t *len)
{
    ota_app_image_build_config_t cfg = {
        .size = 120000, .seed = seed, .version = version, .project_name = "release_test"};
    uint8_t *buf = malloc(cfg.size + 64);
    assert_int_equal(ota_app_image_build_to_buffer(&cfg, buf, cfg.size + 64, len), OTA_OK);
    return buf;
}

uint8_t *rf_tone(const char *version, uint64_t seed, size_t *len)
{
    static uint8_t song[9000];
    ts_fill_random(song, sizeof song, seed);
    ota_tone_file_t file = {.data = song, .len = sizeof song, .type = OTA_TONE_FILE_MP3};
    ota_tone_build_config_t cfg = {.version = version, .time = "12:00:00", .date = "2026-12-07"};
    uint8_t *img = malloc(16384);
    assert_int_equal(ota_tone_build_to_buffer(&cfg, &file, 1, img, 16384, len), OTA_OK);
    return img;
}

uint8_t *rf_cfg(unsigned x, unsigned y, unsigned z, uint64_t seed, size_t *len)
{
    *len = 5000;
    uint8_t *b = malloc(*len);
    ts_fill_random(b, *len, seed);
    b[0] = (uint8_t)z;
    b[1] = (uint8_t)y;
    b[2] = (uint8_t)x;
    b[3] = 0;
    return b;
}

void rf_device_init(sf_device_t *d, bool rollback)
{
    memset(d, 0, sizeof *d);
    d->emu = ts_ram_flash(RF_FLASH_SIZE);
    ota_flash_t *flash = ota_flash_emu_flash(d->emu);
    ota_partition_table_t *table = malloc(sizeof *table);
    ota_partition_csv_options_t opts = {0};
    ota_partition_diag_t diag;
    assert_int_equal(ota_partition_table_parse_csv(TABLE, strlen(TABLE), &opts, table, &diag), OTA_OK);
    assert_int_equal(ota_partition_table_store(flash, 0, table, true), OTA_OK);
    ota_device_init(&d->dev, flash, table);
    free(table);
    d->dev.rollback_enabled = rollback;
    size_t len;
    uint8_t *app = rf_app(RF_RUNNING, 1, &len);
    const ota_partition_info_t *ota0 = ota_partition_find_by_label(&d->dev.table, "ota_0");
    ota_partition_t p;
    ota_device_partition(&d->dev, ota0, &p);
    assert_int_equal(ota_partition_erase_range(&p, 0, 0x20000), OTA_OK);
    assert_int_equal(ota_partition_program(&p, 0, app, len), OTA_OK);
    free(app);
    rf_reboot(d);
    assert_string_equal(ota_device_running(&d->dev)->label, "ota_0");
    d->dir = ts_mkdtemp();
}

void rf_reboot(sf_device_t *d)
{
    ota_log_level_t level = ota_log_get_level();
    ota_log_set_level(OTA_LOG_NONE);
    ota_device_set_running(&d->dev, NULL);
    assert_int_equal(ota_bootloader_run(&d->dev, NULL), OTA_OK);
    ota_log_set_level(level);
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", b[i]);
    }
}

char *rf_manifest(sf_device_t *d, uint32_t sequence, const rf_item_t *items, int n)
{
    size_t cap = 8192, len = 0;
    char *json = malloc(cap);
    len += (size_t)snprintf(json + len, cap - len,
                            "{\"format\":\"ota-release-1\",\"sequence\":%u,\"items\":[", (unsigned)sequence);
    for (int i = 0; i < n; i++) {
        const rf_item_t *it = &items[i];
        free(sf_make_file(d, it->file, it->bytes, it->len));
        uint8_t sha[32];
        char shahex[65];
        ota_sha256(it->bytes, it->len, sha);
        hex(sha, sizeof sha, shahex);
        char label[64] = "", minv[80] = "";
        if (it->label != NULL) {
            snprintf(label, sizeof label, "\"label\":\"%s\",", it->label);
        }
        if (it->min_running != NULL) {
            snprintf(minv, sizeof minv, ",\"min_running_version\":\"%s\"", it->min_running);
        }
        len += (size_t)snprintf(json + len, cap - len,
                                "%s{%s\"type\":\"%s\",\"uri\":\"%s\",\"size\":%zu,\"sha256\":\"%s\","
                                "\"version\":\"%s\"%s}",
                                i ? "," : "", label, it->type, it->uri != NULL ? it->uri : it->file, it->len,
                                shahex, it->version, minv);
    }
    snprintf(json + len, cap - len, "]}");
    return json;
}

ota_release_diag_t rf_diag;
bool rf_step;

static void restart(void *ctx)
{
    rf_reboot(ctx);
}

int rf_run(sf_device_t *d, const char *json, size_t len, int *set, ota_service_summary_t *sum)
{
    memset(sum, 0, sizeof *sum);
    char *base = NULL;
    assert_true(asprintf(&base, "file://%s/release.json", d->dir) > 0);
    ota_source_posix_config_t posix = {.sdcard_root = d->dir};
    ota_service_config_t cfg = {
        .features = &ota_update_features_all,
        .device = &d->dev,
        .restart = restart,
        .restart_ctx = d,
        .source = {.transport = &posix},
    };
    ota_service_t *svc = NULL;
    assert_int_equal(ota_service_create(&cfg, &svc), OTA_OK);
    ota_release_config_t rc = {
        .manifest = (const uint8_t *)json, .manifest_len = len, .base_uri = base, .allow_unsigned = true};
    *set = ota_service_set_release(svc, &rc, &rf_diag);
    int ret = *set;
    if (ret == OTA_OK && !rf_step) {
        ret = ota_service_run(svc, sum);
    } else if (ret == OTA_OK) {
        while ((ret = ota_service_step(svc, sum)) == OTA_SERVICE_IN_PROGRESS) {
        }
    }
    ota_service_destroy(svc);
    free(base);
    return ret;
}

const char *rf_resolved(sf_device_t *d, const char *label)
{
    const ota_partition_info_t *p = NULL;
    assert_int_equal(ota_release_data_partition(&d->dev, label, &p), OTA_OK);
    assert_non_null(p);
    return p->label;
}

uint8_t *rf_snapshot(sf_device_t *d)
{
    uint8_t *copy = malloc(RF_FLASH_SIZE);
    memcpy(copy, ota_flash_emu_memory(d->emu), RF_FLASH_SIZE);
    return copy;
}

bool rf_unchanged(sf_device_t *d, const uint8_t *snap)
{
    return memcmp(ota_flash_emu_memory(d->emu), snap, RF_FLASH_SIZE) == 0;
}
