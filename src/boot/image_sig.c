/* Secure Boot V2 checks of an app in flash (ota_image_sig.h). */
#include "ota/ota_image_sig.h"

#include <string.h>

#include "ota/ota_app_image.h"
#include "ota/ota_err.h"
#include "ota/ota_mem.h"
#include "ota/ota_ops.h"

#define READ_CHUNK 4096u

int ota_image_sig_trust(const ota_device_t *dev, ota_sig_trust_t *trust)
{
    memset(trust, 0, sizeof *trust);
    const ota_device_security_t *sec = &dev->security;
    if (sec->secure_boot_v2) {
        /* Every burned slot counts; a revoked one stays in the list so that "revoked" is the
         * reason given when only it signed the image. */
        for (unsigned i = 0; i < OTA_DEVICE_KEY_DIGESTS; i++) {
            if (sec->key_digest_set[i]) {
                memcpy(trust->digest[trust->count], sec->key_digest[i], OTA_SIG_KEY_DIGEST_LEN);
                trust->revoked[trust->count] = sec->key_revoked[i];
                trust->count++;
            }
        }
        return trust->count > 0 ? OTA_OK : OTA_ERR_SIG_NO_TRUSTED_KEY;
    }
    if (!sec->signed_apps_on_update) {
        return OTA_ERR_INVALID_STATE;
    }
    /* CONFIG_SECURE_SIGNED_APPS_NO_SECURE_BOOT: the running app's block-0 key (esp_secure_boot_
     * get_signature_blocks_for_running_app). */
    const ota_partition_info_t *running = ota_device_running(dev);
    if (running == NULL) {
        return OTA_ERR_SIG_NO_TRUSTED_KEY;
    }
    ota_partition_t part;
    ota_device_partition(dev, running, &part);
    ota_image_validator_config_t cfg;
    ota_ops_validator_config(dev, &cfg);
    cfg.max_size = running->size;
    cfg.flash_addr = running->offset;
    cfg.ignore_trailing = true;
    ota_image_info_t info;
    int err = ota_image_verify_partition(&part, &cfg, true, &info, NULL);
    uint64_t at = err == OTA_OK ? ota_sig_sector_offset_for_image(info.image_len) : 0;
    uint8_t *raw =
        err == OTA_OK && at + OTA_SIG_SECTOR_SIZE <= running->size ? ota_malloc(OTA_SIG_BLOCK_SIZE) : NULL;
    if (raw == NULL) {
        return err == OTA_OK && at + OTA_SIG_SECTOR_SIZE <= running->size ? OTA_ERR_NO_MEM
                                                                          : OTA_ERR_SIG_NO_TRUSTED_KEY;
    }
    err = ota_partition_read(&part, (uint32_t)at, raw, OTA_SIG_BLOCK_SIZE);
    if (err == OTA_OK) {
        err = ota_sig_block_raw_key_digest(raw, trust->digest[0]) == OTA_OK ? OTA_OK
                                                                            : OTA_ERR_SIG_NO_TRUSTED_KEY;
    }
    ota_free(raw);
    if (err == OTA_OK) {
        trust->count = 1;
        trust->block0_only = true;
    }
    return err;
}

int ota_image_sig_verify_partition(const ota_partition_t *part, uint32_t image_len,
                                   const ota_sig_trust_t *trust, ota_sig_report_t *rep)
{
    uint64_t at = ota_sig_sector_offset_for_image(image_len);
    if (at + OTA_SIG_SECTOR_SIZE > part->info.size) {
        return OTA_ERR_SIG_NO_ROOM;
    }
    struct work {
        ota_sig_verifier_t v;
        uint8_t buf[READ_CHUNK];
    } *w = ota_malloc(sizeof *w);
    if (w == NULL) {
        return OTA_ERR_NO_MEM;
    }
    int err = ota_sig_verifier_init(&w->v, OTA_SIG_LAYOUT_APP, OTA_SIG_SCHEME_NONE);
    ota_sig_verifier_set_image_len(&w->v, image_len);
    uint64_t end = at + OTA_SIG_SECTOR_SIZE;
    for (uint64_t off = 0; err == OTA_OK && off < end; off += READ_CHUNK) {
        size_t n = (size_t)(end - off < READ_CHUNK ? end - off : READ_CHUNK);
        err = ota_partition_read(part, (uint32_t)off, w->buf, n);
        if (err == OTA_OK) {
            err = ota_sig_verifier_feed(&w->v, w->buf, n);
        }
    }
    if (err == OTA_OK) {
        err = ota_sig_verifier_finish(&w->v, trust, rep, NULL);
    }
    ota_free(w);
    return err;
}

int ota_image_sig_verify_boot(const ota_device_t *dev, const ota_partition_info_t *part, uint32_t image_len)
{
    ota_sig_trust_t trust;
    int err = ota_image_sig_trust(dev, &trust);
    if (err == OTA_OK) {
        ota_partition_t p;
        ota_device_partition(dev, part, &p);
        err = ota_image_sig_verify_partition(&p, image_len, &trust, NULL);
    }
    return err;
}
