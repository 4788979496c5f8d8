/* Shared by the ESP-ADF API tests (test_adf_check.c, test_adf_pause.c): a service on a fixture
 * device with an event recorder, and flash snapshots. */
#ifndef ADF_FIXTURE_H
#define ADF_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/ota_check_result.h"
#include "ota/ota_service.h"
#include "service_fixture.h"

#define NEW_VERSION "v2.2-253-g0000001"
#define APP_SIZE    300000u

typedef struct {
    int check_updates, begins, results, progress;
    ota_check_result_t last_check;
    ota_service_t *pause_on_progress; /* pause the service at its first PROGRESS with bytes > 0 */
} adf_events_t;
extern adf_events_t ev;

/* A service on @p d (4 KiB buffer, every feature, events into ev, which is cleared), with @p list
 * when not NULL. */
ota_service_t *make_service(sf_device_t *d, const ota_upgrade_ops_t *list, int count, bool version_check);

/* Whole flash copy (malloc'ed), to prove "byte-identical". */
uint8_t *snapshot(sf_device_t *d);

/* No erase or program counted since the last stats reset, and the flash equals @p before. */
void assert_flash_untouched(sf_device_t *d, const uint8_t *before);

#endif /* ADF_FIXTURE_H */
