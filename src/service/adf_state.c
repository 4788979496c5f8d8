/* Progress counters, pause point and check-only capture (adf_state.h). The counters are 32-bit
 * (ESP-ADF's are too, and no atomic wider than the word exists on the microcontrollers). */
#include "adf_state.h"

#include <stdio.h>

#include "ota/ota_err.h"
#include "ota/port/ota_port.h"

/* How long the pause point sleeps between looks at the flags (ESP-ADF polls every 50 ms). */
#define PAUSE_POLL_MS 10u

static uint32_t clamp32(uint64_t v)
{
    return v >= OTA_CHECK_SIZE_UNKNOWN ? OTA_CHECK_SIZE_UNKNOWN - 1u : (uint32_t)v;
}

void ota_adf_item_begin(ota_adf_state_t *st)
{
    __atomic_store_n(&st->written, 0u, __ATOMIC_RELEASE);
    __atomic_store_n(&st->total, OTA_CHECK_SIZE_UNKNOWN, __ATOMIC_RELEASE);
}

void ota_adf_note_total(ota_adf_state_t *st, int64_t total)
{
    uint32_t t = total < 0 ? OTA_CHECK_SIZE_UNKNOWN : clamp32((uint64_t)total);
    __atomic_store_n(&st->total, t, __ATOMIC_RELEASE);
    if (st->check != NULL) {
        st->check->image_size = t;
    }
}

void ota_adf_note_progress(ota_adf_state_t *st, uint64_t written, int64_t total)
{
    __atomic_store_n(&st->written, clamp32(written), __ATOMIC_RELEASE);
    if (total >= 0) {
        __atomic_store_n(&st->total, clamp32((uint64_t)total), __ATOMIC_RELEASE);
    }
}

void ota_adf_note_version_check(ota_adf_state_t *st, const char *running, const char *incoming, int decision)
{
    ota_check_result_t *r = st->check;
    if (r == NULL) {
        return;
    }
    snprintf(r->running, sizeof r->running, "%s", running != NULL ? running : "");
    if (incoming != NULL && incoming[0] != '\0') {
        snprintf(r->version, sizeof r->version, "%s", incoming);
    }
    r->decision = decision;
    r->upgrade_available = decision == OTA_OK;
}

void ota_adf_check_done(ota_adf_state_t *st, int ret, const char *label)
{
    ota_check_result_t *r = st->check;
    st->check = NULL;
    if (r == NULL) {
        return;
    }
    r->decision = ret;
    r->upgrade_available = ret == OTA_OK;
    if (r->label[0] == '\0' && label != NULL) {
        snprintf(r->label, sizeof r->label, "%s", label);
    }
}

void ota_adf_pause_point(ota_adf_state_t *st, const int *stop)
{
    if (!__atomic_load_n(&st->pause, __ATOMIC_ACQUIRE)) {
        return;
    }
    __atomic_store_n(&st->parked, 1, __ATOMIC_RELEASE);
    while (__atomic_load_n(&st->pause, __ATOMIC_ACQUIRE) && !__atomic_load_n(stop, __ATOMIC_ACQUIRE)) {
        ota_port_sleep_ms(PAUSE_POLL_MS);
    }
    __atomic_store_n(&st->parked, 0, __ATOMIC_RELEASE);
}

bool ota_adf_step_paused(ota_adf_state_t *st)
{
    bool paused = __atomic_load_n(&st->pause, __ATOMIC_ACQUIRE) != 0;
    __atomic_store_n(&st->parked, paused ? 1 : 0, __ATOMIC_RELEASE);
    return paused;
}

void ota_adf_set_pause(ota_adf_state_t *st, bool pause)
{
    __atomic_store_n(&st->pause, pause ? 1 : 0, __ATOMIC_RELEASE);
}

bool ota_adf_parked(const ota_adf_state_t *st)
{
    return __atomic_load_n(&st->parked, __ATOMIC_ACQUIRE) != 0;
}

void ota_adf_progress(const ota_adf_state_t *st, uint32_t *written, uint32_t *total)
{
    *written = __atomic_load_n(&st->written, __ATOMIC_ACQUIRE);
    *total = __atomic_load_n(&st->total, __ATOMIC_ACQUIRE);
}
