/* TEMPORARY until w26rec/w26rel are merged: the release API's readers as they behave on a device
 * without any release record (the plain label), and no engine. Deleted at the merge. */
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_release.h"

int ota_release_data_partition(const ota_device_t *dev, const char *label, const ota_partition_info_t **out)
{
    *out = ota_partition_find_by_label(&dev->table, label);
    return *out != NULL ? OTA_OK : OTA_ERR_NOT_FOUND;
}

int ota_service_set_release(ota_service_t *service, const ota_release_config_t *cfg, ota_release_diag_t *diag)
{
    (void)service, (void)cfg;
    diag->item = -1;
    return OTA_ERR_NOT_SUPPORTED;
}
