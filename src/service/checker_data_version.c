/* ESP-ADF's data-version checker (ota_checker_data_version.h) on the public checker interface: it
 * sees the first 4 output bytes, before anything is erased. */
#include "ota/ota_checker_data_version.h"

#include <stdio.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/ota_semver_packed.h"
#include "ota/ota_service_adf.h"

static const char *TAG = "OTA_CHK_DATA";

static int data_version_check(void *ctx, const uint8_t *head, size_t len, bool ended)
{
    (void)ended;
    ota_checker_data_version_t *c = ctx;
    ota_check_result_t *r = &c->result;
    r->version[0] = '\0';
    r->upgrade_available = false;
    if (len < 4) {
        OTA_LOGE(TAG, "Failed to read 4-byte version header (got %u bytes)", (unsigned)len);
        r->decision = OTA_ERR_INVALID_SIZE;
        ota_service_report_check(c->service, r);
        return OTA_ERR_INVALID_SIZE;
    }
    uint32_t incoming = ota_semver_packed_read_le(head);
    if (ota_semver_unpack(incoming, r->version, sizeof r->version) != OTA_OK) {
        snprintf(r->version, sizeof r->version, "0x%08x", (unsigned)incoming);
    }
    r->upgrade_available = incoming != OTA_SEMVER_PACKED_INVALID && incoming > c->current_packed;
    r->decision = r->upgrade_available ? OTA_OK : OTA_ERR_VERSION_NOT_NEWER;
    OTA_LOGI(TAG, "Data version check: incoming=%s current=%s upgrade_available=%s", r->version, r->running,
             r->upgrade_available ? "true" : "false");
    ota_service_report_check(c->service, r);
    return r->decision;
}

int ota_checker_data_version_init(ota_checker_data_version_t *c, const ota_checker_data_version_config_t *cfg)
{
    if (c == NULL || cfg == NULL || cfg->current_version == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(c, 0, sizeof *c);
    ota_check_result_clear(&c->result);
    snprintf(c->result.running, sizeof c->result.running, "%s", cfg->current_version);
    snprintf(c->result.label, sizeof c->result.label, "%s", cfg->label != NULL ? cfg->label : "");
    c->service = cfg->service;
    c->current_packed = ota_semver_pack(cfg->current_version);
    c->checker =
        (ota_checker_t){.name = "data version", .peek_len = 4, .check = data_version_check, .ctx = c};
    return OTA_OK;
}
