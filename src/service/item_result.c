/* An item's result from its error code, and the result's name (ota_service.h). */
#include "ota/ota_err.h"
#include "ota/ota_service.h"

ota_item_result_t ota_item_result_of(int code)
{
    if (code == OTA_OK) {
        return OTA_ITEM_SUCCESS;
    }
    if (code == OTA_ERR_VERSION_NOT_NEWER || code == OTA_ERR_SVC_UP_TO_DATE) {
        return OTA_ITEM_SKIPPED;
    }
    return OTA_ITEM_FAILED;
}

const char *ota_item_result_name(ota_item_result_t result)
{
    switch (result) {
    case OTA_ITEM_SUCCESS: return "success";
    case OTA_ITEM_SKIPPED: return "skipped";
    case OTA_ITEM_FAILED: return "failed";
    case OTA_ITEM_NOT_RUN: return "not run";
    }
    return "?";
}
