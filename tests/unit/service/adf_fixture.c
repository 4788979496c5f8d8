/* See adf_fixture.h. */
#include "adf_fixture.h"

#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_service_adf.h"
#include "ota/port/ota_source_posix.h"
#include "ota/ota_update_features.h"

adf_events_t ev;

static void on_event(const ota_event_t *e, void *ctx)
{
    (void)ctx;
    switch (e->type) {
    case OTA_EVENT_CHECK_UPDATE:
        ev.check_updates++;
        ev.last_check = *e->check_update;
        break;
    case OTA_EVENT_ITEM_BEGIN: ev.begins++; break;
    case OTA_EVENT_RESULT: ev.results++; break;
    case OTA_EVENT_PROGRESS:
        ev.progress++;
        if (ev.pause_on_progress != NULL && e->progress.bytes > 0) {
            assert_int_equal(ota_service_pause(ev.pause_on_progress), OTA_OK);
            ev.pause_on_progress = NULL;
        }
        break;
    default: break;
    }
}

static ota_source_posix_config_t posix;

ota_service_t *make_service(sf_device_t *d, const ota_upgrade_ops_t *list, int count, bool version_check)
{
    memset(&ev, 0, sizeof ev);
    posix = (ota_source_posix_config_t){.sdcard_root = d->dir};
    ota_service_config_t cfg = {
        .features = &ota_update_features_all,
        .device = &d->dev,
        .work_buffer_size = 4096,
        .event_cb = on_event,
        .version_check = version_check,
        .progress_interval_ms = 1,
        .source = {.transport = &posix},
    };
    ota_service_t *s = NULL;
    assert_int_equal(ota_service_create(&cfg, &s), OTA_OK);
    if (list != NULL) {
        assert_int_equal(ota_service_set_upgrade_list(s, list, count), OTA_OK);
    }
    return s;
}

uint8_t *snapshot(sf_device_t *d)
{
    size_t size = ota_flash_emu_config(d->emu)->size;
    uint8_t *copy = malloc(size);
    memcpy(copy, ota_flash_emu_memory(d->emu), size);
    return copy;
}

void assert_flash_untouched(sf_device_t *d, const uint8_t *before)
{
    ota_flash_emu_stats_t st;
    ota_flash_emu_get_stats(d->emu, &st);
    assert_int_equal(st.sector_erases + st.block_erases, 0);
    assert_int_equal(st.program_ops, 0);
    assert_memory_equal(ota_flash_emu_memory(d->emu), before, ota_flash_emu_config(d->emu)->size);
}
