/* A RAM ESP32 device whose table has twins (flash_tone + flash_tone_b, cfg + cfg_b) and a data
 * partition without one (lonely), a data partition whose "twin" is smaller (small), an app booted from ota_0, and release manifests made from item
 * files: for the release tests (test_release*.c). */
#ifndef RELEASE_FIXTURE_H
#define RELEASE_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/ota_release.h"
#include "ota/ota_service.h"
#include "service_fixture.h"

#define RF_FLASH_SIZE (4u * 1024u * 1024u)
#define RF_RUNNING    "v1.0"

/* One item file of a release. */
typedef struct {
    const char *type;  /* "app" / "data" */
    const char *label; /* NULL: none (app) */
    const char *file;  /* file name in the device's dir (the manifest names it relatively) */
    uint8_t *bytes;
    size_t len;
    const char *version;
    const char *min_running; /* NULL: none */
    const char *uri;         /* the manifest's uri; NULL: the file name (relative) */
} rf_item_t;

/* The device (sf_device_t: emu, dev, dir) with the release table and rollback as given. */
void rf_device_init(sf_device_t *d, bool rollback);

/* Item bytes (malloc'ed): an app image of @p version, a format-1 tone image of @p version, data
 * with ESP-ADF's packed header x.y.z. */
uint8_t *rf_app(const char *version, uint64_t seed, size_t *len);
uint8_t *rf_tone(const char *version, uint64_t seed, size_t *len);
uint8_t *rf_cfg(unsigned x, unsigned y, unsigned z, uint64_t seed, size_t *len);

/* Write the items' files and return the manifest text (malloc'ed) of release @p sequence. */
char *rf_manifest(sf_device_t *d, uint32_t sequence, const rf_item_t *items, int n);

/* ota_service_set_release (base URI: file://DIR/release.json, unsigned allowed) and, if it accepted,
 * ota_service_run. *@p set gets set_release's result. Restart = the simulated bootloader. */
int rf_run(sf_device_t *d, const char *json, size_t len, int *set, ota_service_summary_t *sum);

/* rf_run's diag of the last set_release, and whether rf_run drives the run with ota_service_step
 * (a main loop without threads) instead of ota_service_run. */
extern ota_release_diag_t rf_diag;
extern bool rf_step;

/* The label of the partition ota_release_data_partition resolves @p label to. */
const char *rf_resolved(sf_device_t *d, const char *label);

/* A copy of the whole flash (malloc'ed), and whether the flash still equals it. */
uint8_t *rf_snapshot(sf_device_t *d);
bool rf_unchanged(sf_device_t *d, const uint8_t *snap);

/* A reset: the simulated bootloader boots the device again. */
void rf_reboot(sf_device_t *d);

#endif /* RELEASE_FIXTURE_H */
