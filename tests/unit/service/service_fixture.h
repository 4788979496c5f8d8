/* A RAM ESP32 device with the ESP-ADF example's partition table and an app booted from ota_0,
 * plus helpers to make update files, for the service tests. */
#ifndef SERVICE_FIXTURE_H
#define SERVICE_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/ota_device.h"
#include "ota/sim/ota_flash_emu.h"
#include "ota/ota_service.h"

#define SF_RUNNING_VERSION "v2.2-252-g62edbd26-dirty"

typedef struct {
    ota_flash_emu_t *emu;
    ota_device_t dev;
    char *dir; /* temporary directory: the "sdcard" and update files */
} sf_device_t;

/* Create the device, write an app of @p version to ota_0 and boot it. */
void sf_device_init(sf_device_t *d, const char *version);
void sf_device_free(sf_device_t *d);

/* Write an app image file into d->dir; returns its malloc'ed "file:///..." URI. */
char *sf_make_app(sf_device_t *d, const char *name, const char *version, uint32_t size, uint64_t seed);
/* Same with every builder option. */
char *sf_make_app_ex(sf_device_t *d, const char *name, const char *version, uint32_t size, uint64_t seed,
                     uint16_t chip_id, uint32_t secure_version);
/* Write @p data to d->dir/name; returns its malloc'ed "file:///..." URI. */
char *sf_make_file(sf_device_t *d, const char *name, const void *data, size_t len);

/* A service on the device with @p list; runs it; fills @p sum; returns ota_service_run's value.
 * Restart = run the bootloader. */
int sf_run(sf_device_t *d, const ota_upgrade_ops_t *list, int count, bool version_check,
           ota_service_summary_t *sum);

/* Like sf_run with an opener of your own (NULL = the platform's) and a flash-op cut scheduled
 * before the run (cut_at 0 = none). */
int sf_run_ex(sf_device_t *d, const ota_upgrade_ops_t *list, int count, bool version_check,
              ota_source_open_fn opener, void *opener_ctx, uint64_t cut_at, ota_service_summary_t *sum);

/* The optional features the next sf_run's service gets (default &ota_update_features_all). */
extern const struct ota_update_features *sf_features;

/* Events of the last sf_run. */
typedef struct {
    int n;
    ota_event_type_t type[64];
    int id[64];
    int reason[64];
    ota_item_result_t result[64];
    int decision[64];
    int item_result[8], item_reason[8]; /* RESULT of item id (result -1: none), past the 64 too */
} sf_events_t;
extern sf_events_t sf_events;

/* The app list item / data list item with the default procedures. */
ota_upgrade_ops_t sf_app_item(const char *uri, bool reboot);
ota_upgrade_ops_t sf_data_item(const char *label, const char *uri);

/* Bytes of a partition (pointer into the emulator's memory). */
const uint8_t *sf_partition_bytes(sf_device_t *d, const char *label, uint32_t *size);
/* Erase count of a partition (summed over its sectors). */
uint32_t sf_partition_wear(sf_device_t *d, const char *label);

#endif /* SERVICE_FIXTURE_H */
