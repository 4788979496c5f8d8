/* See service_fixture.h. */
#include "ota/port/ota_source_posix.h"
#include "service_fixture.h"

#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/sim/ota_app_image_builder.h"
#include "ota/sim/ota_bootloader.h"
#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/ota_partition.h"
#include "ota/sim/ota_partition_csv.h"
#include "ota/ota_proc_default.h"
#include "ota/ota_update_features.h"

sf_events_t sf_events;

/* The ESP-ADF OTA example's table (testdata/partitions/seed_ota_example.csv, read in place). */
static void load_example_table(ota_partition_table_t *table)
{
    size_t len;
    uint8_t *csv = ts_read_file(ts_testdata("partitions/seed_ota_example.csv"), &len);
    ota_partition_csv_options_t opts = {0};
    ota_partition_diag_t diag;
    assert_int_equal(ota_partition_table_parse_csv((const char *)csv, len, &opts, table, &diag), OTA_OK);
    free(csv);
}

static uint8_t *build_app(const char *version, uint32_t size, uint64_t seed, uint16_t chip, uint32_t secure,
                          size_t *len)
{
    ota_app_image_build_config_t cfg = {
        .chip_id = chip,
        .size = size,
        .seed = seed,
        .version = version,
        .project_name = "ota_example",
        .secure_version = secure,
    };
    uint8_t *buf = malloc(size + 64);
    assert_int_equal(ota_app_image_build_to_buffer(&cfg, buf, size + 64, len), OTA_OK);
    return buf;
}

void sf_device_init(sf_device_t *d, const char *version)
{
    memset(d, 0, sizeof *d);
    d->emu = ts_ram_flash(4 * 1024 * 1024);
    ota_flash_t *flash = ota_flash_emu_flash(d->emu);
    ota_partition_table_t *table = malloc(sizeof *table);
    load_example_table(table);
    assert_int_equal(ota_partition_table_store(flash, 0, table, true), OTA_OK);
    ota_device_init(&d->dev, flash, table);
    free(table);
    size_t len;
    uint8_t *app = build_app(version, 300000, 1, 0 /* ESP32 */, 0, &len);
    const ota_partition_info_t *ota0 = ota_partition_find_by_label(&d->dev.table, "ota_0");
    ota_partition_t p;
    ota_device_partition(&d->dev, ota0, &p);
    assert_int_equal(ota_partition_erase_range(&p, 0, 0x50000), OTA_OK);
    assert_int_equal(ota_partition_program(&p, 0, app, len), OTA_OK);
    free(app);
    ota_log_level_t level = ota_log_get_level();
    ota_log_set_level(OTA_LOG_NONE);
    assert_int_equal(ota_bootloader_run(&d->dev, NULL), OTA_OK);
    ota_log_set_level(level);
    assert_string_equal(ota_device_running(&d->dev)->label, "ota_0");
    d->dir = ts_mkdtemp();
}

void sf_device_free(sf_device_t *d)
{
    ota_flash_emu_destroy(d->emu);
    ts_rmtree(d->dir);
    free(d->dir);
}

char *sf_make_file(sf_device_t *d, const char *name, const void *data, size_t len)
{
    char *path = ts_path_join(d->dir, name);
    ts_write_file(path, data, len);
    char *uri = NULL;
    assert_true(asprintf(&uri, "file://%s", path) > 0);
    free(path);
    return uri;
}

char *sf_make_app_ex(sf_device_t *d, const char *name, const char *version, uint32_t size, uint64_t seed,
                     uint16_t chip_id, uint32_t secure_version)
{
    size_t len;
    uint8_t *app = build_app(version, size, seed, chip_id, secure_version, &len);
    char *uri = sf_make_file(d, name, app, len);
    free(app);
    return uri;
}

char *sf_make_app(sf_device_t *d, const char *name, const char *version, uint32_t size, uint64_t seed)
{
    return sf_make_app_ex(d, name, version, size, seed, 0, 0);
}

static void record(const ota_event_t *ev, void *ctx)
{
    (void)ctx;
    int i = sf_events.n;
    if (ev->type == OTA_EVENT_RESULT && ev->id >= 0 && ev->id < 8) { /* kept however many events came */
        sf_events.item_result[ev->id] = (int)ev->result.result;
        sf_events.item_reason[ev->id] = ev->result.reason;
    }
    if (i >= 64) {
        return;
    }
    sf_events.type[i] = ev->type;
    sf_events.id[i] = ev->id;
    if (ev->type == OTA_EVENT_RESULT) {
        sf_events.reason[i] = ev->result.reason;
        sf_events.result[i] = ev->result.result;
    }
    if (ev->type == OTA_EVENT_VERSION_CHECK) {
        sf_events.decision[i] = ev->version_check.decision;
    }
    sf_events.n++;
}

static void restart(void *ctx)
{
    ota_device_t *dev = ctx;
    ota_device_set_running(dev, NULL);
    ota_bootloader_run(dev, NULL);
}

const struct ota_update_features *sf_features = &ota_update_features_all;

int sf_run(sf_device_t *d, const ota_upgrade_ops_t *list, int count, bool version_check,
           ota_service_summary_t *sum)
{
    return sf_run_ex(d, list, count, version_check, NULL, NULL, 0, sum);
}

int sf_run_ex(sf_device_t *d, const ota_upgrade_ops_t *list, int count, bool version_check,
              ota_source_open_fn opener, void *opener_ctx, uint64_t cut_at, ota_service_summary_t *sum)
{
    memset(&sf_events, 0, sizeof sf_events);
    for (int i = 0; i < 8; i++) {
        sf_events.item_result[i] = -1;
    }
    ota_source_posix_config_t posix = {.sdcard_root = d->dir};
    ota_service_config_t cfg = {
        .features = sf_features,
        .device = &d->dev,
        .event_cb = record,
        .restart = restart,
        .restart_ctx = &d->dev,
        .version_check = version_check,
        .source = {.transport = &posix},
        .open_source = opener,
        .open_source_ctx = opener_ctx,
    };
    if (cut_at != 0) {
        ota_flash_emu_schedule_cut(d->emu, cut_at, OTA_FLASH_CUT_TORN, cut_at);
    }
    ota_service_t *svc = NULL;
    assert_int_equal(ota_service_create(&cfg, &svc), OTA_OK);
    assert_int_equal(ota_service_set_upgrade_list(svc, list, count), OTA_OK);
    int ret = ota_service_run(svc, sum);
    ota_service_destroy(svc);
    return ret;
}

ota_upgrade_ops_t sf_app_item(const char *uri, bool reboot)
{
    ota_upgrade_ops_t ops = {{OTA_PART_TYPE_APP, NULL, uri, NULL}, NULL, NULL, NULL, NULL, reboot, false};
    ota_app_get_default_proc(&ops);
    return ops;
}

ota_upgrade_ops_t sf_data_item(const char *label, const char *uri)
{
    ota_upgrade_ops_t ops = {{OTA_PART_TYPE_DATA, label, uri, NULL}, NULL, NULL, NULL, NULL, false, false};
    ota_data_get_default_proc(&ops);
    return ops;
}

const uint8_t *sf_partition_bytes(sf_device_t *d, const char *label, uint32_t *size)
{
    const ota_partition_info_t *p = ota_partition_find_by_label(&d->dev.table, label);
    assert_non_null(p);
    if (size != NULL) {
        *size = p->size;
    }
    return ota_flash_emu_memory(d->emu) + p->offset;
}

uint32_t sf_partition_wear(sf_device_t *d, const char *label)
{
    const ota_partition_info_t *p = ota_partition_find_by_label(&d->dev.table, label);
    assert_non_null(p);
    uint32_t wear = 0;
    for (uint32_t s = p->offset / 4096; s < (p->offset + p->size) / 4096; s++) {
        wear += ota_flash_emu_sector_wear(d->emu, s);
    }
    return wear;
}
