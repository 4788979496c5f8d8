/* TEMPORARY until w26rel is merged: no release engine yet. Deleted at the merge. */
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_release.h"

int ota_service_set_release(ota_service_t *service, const ota_release_config_t *cfg, ota_release_diag_t *diag)
{
    (void)service, (void)cfg;
    diag->item = -1;
    return OTA_ERR_NOT_SUPPORTED;
}
