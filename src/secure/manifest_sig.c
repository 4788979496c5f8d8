/* A signed release manifest (ota_manifest.h): the JSON text padded with 0xFF to 4 KiB and one
 * Secure Boot V2 signature sector, the layout espsecure sign_data --version 2 writes, so the
 * manifest is checked by the same code as a signed app or data partition (ota_sig_verify.h). */
#include <string.h>

#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/ota_manifest.h"
#include "ota/ota_sig_verify.h"

static const char *TAG = "ota_manifest";

int ota_manifest_verify_signed(const uint8_t *data, size_t len, const ota_sig_trust_t *trust,
                               ota_sig_report_t *rep, size_t *json_len)
{
    if (data == NULL || trust == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    /* espsecure verify_signature takes the last whole sector; a manifest file is nothing else, so
     * a length that is not a multiple of 4 KiB is not a signed manifest at all. */
    if (len < 2 * OTA_SIG_SECTOR_SIZE || len % OTA_SIG_SECTOR_SIZE != 0) {
        OTA_LOGE(TAG, "%u bytes: not a signed manifest (the text padded to 4 KiB, then the signature sector)",
                 (unsigned)len);
        return OTA_ERR_SIG_UNSIGNED;
    }
    size_t signed_len = len - OTA_SIG_SECTOR_SIZE;
    if (signed_len >
        (OTA_MANIFEST_MAX_SIZE + OTA_SIG_SECTOR_SIZE - 1) / OTA_SIG_SECTOR_SIZE * OTA_SIG_SECTOR_SIZE) {
        return OTA_ERR_MANIFEST_TOO_LARGE;
    }
    uint8_t d256[OTA_SHA256_LEN], d384[OTA_SHA384_LEN];
    ota_sha256(data, signed_len, d256);
    ota_sha384(data, signed_len, d384);
    int err = ota_sig_verify_sector(data + signed_len, d256, d384, trust, rep);
    if (err != OTA_OK) {
        OTA_LOGE(TAG, "manifest signature: %s", ota_strerror(err));
        return err;
    }
    if (json_len != NULL) {
        *json_len = ota_manifest_json_len(data, signed_len);
    }
    return OTA_OK;
}
