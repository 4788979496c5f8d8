/* The engine state behind ESP-ADF esp_ota_service's newer calls (ota_service_adf.h): progress
 * counters of the current item, the pause flag and its pause point, the result a check-only run
 * collects. The engine embeds one (service.c: the lines marked "ESP-ADF hook") and calls these
 * functions; nothing here calls the engine, so the pipeline can take it over as it is. */
#ifndef OTA_ADF_STATE_H
#define OTA_ADF_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/ota_check_result.h"

typedef struct {
    uint32_t written; /* atomic: output bytes of the current item on flash (bounded by the partition) */
    uint32_t total;   /* atomic: the current item's size, OTA_CHECK_SIZE_UNKNOWN if unknown */
    int pause;        /* atomic: pause requested */
    int parked;       /* atomic: the run is standing at a pause point */
    ota_check_result_t *check; /* the check-only run's result, NULL otherwise */
} ota_adf_state_t;

/** A new item starts: counters back to 0 / unknown. */
void ota_adf_item_begin(ota_adf_state_t *st);

/** The item's size is known (before its first byte is written). Negative: unknown. */
void ota_adf_note_total(ota_adf_state_t *st, int64_t total);

/** Progress of the current item (every chunk, before the event's rate limit). */
void ota_adf_note_progress(ota_adf_state_t *st, uint64_t written, int64_t total);

/** A checker's version decision (into the check-only run's result, if one runs). */
void ota_adf_note_version_check(ota_adf_state_t *st, const char *running, const char *incoming, int decision);

/** The check-only run ended with @p ret: decision, upgrade_available, label (@p label when the
 *  checker named none); the capture stops. */
void ota_adf_check_done(ota_adf_state_t *st, int ret, const char *label);

/**
 * The pause point between two chunks of a run in a thread of its own (run() or the worker): waits
 * while a pause is requested and @p stop (atomic) is 0. Nothing is written meanwhile; the device
 * stays bootable as at any chunk boundary.
 */
void ota_adf_pause_point(ota_adf_state_t *st, const int *stop);

/** ota_service_step(): true when the step must do nothing (paused); marks the run parked. */
bool ota_adf_step_paused(ota_adf_state_t *st);

void ota_adf_set_pause(ota_adf_state_t *st, bool pause);
bool ota_adf_parked(const ota_adf_state_t *st);
void ota_adf_progress(const ota_adf_state_t *st, uint32_t *written, uint32_t *total);

#endif /* OTA_ADF_STATE_H */
