/* Secure Boot V2 checks of an app in flash (ota_image_sig.h). */
#include "boot/ota_image_sig.h"

#include <string.h>

#include "ota/ota_app_image.h"
#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"
#include "ota/ota_ops.h"
#include "ota/ota_device.h"

#define READ_CHUNK 4096u

static const char *TAG = "secure_boot_v2";

/* The chip's Secure Boot V2 rule (ota_chip_sbv2_t) into @p trust; OTA_ERR_SIG_CHIP_NO_SBV2 (logged
 * with the rule) when the chip has none at its revision. */
static int chip_rule(const ota_device_t *dev, ota_sig_trust_t *trust)
{
    const ota_chip_info_t *c = ota_chip_info(dev->chip_id);
    char why[160];
    if (ota_chip_sbv2_unsupported(dev->chip_id, dev->chip_revision, why, sizeof why) > 0) {
        OTA_LOGE(TAG, "%s", why);
        return OTA_ERR_SIG_CHIP_NO_SBV2;
    }
    trust->schemes = (uint8_t)((c->sbv2.rsa3072 ? 1u << OTA_SIG_SCHEME_RSA3072 : 0u) |
                               (c->sbv2.ecdsa_p256 ? 1u << OTA_SIG_SCHEME_ECDSA_P256 : 0u) |
                               (c->sbv2.ecdsa_p384 ? 1u << OTA_SIG_SCHEME_ECDSA_P384 : 0u));
    trust->max_blocks = c->sbv2.sig_blocks;
    trust->chip_id = dev->chip_id;
    trust->chip_rev = dev->chip_revision;
    return OTA_OK;
}

int ota_image_sig_trust(const ota_device_t *dev, ota_sig_trust_t *trust)
{
    memset(trust, 0, sizeof *trust);
    const ota_device_security_t *sec = &dev->security;
    if (!sec->secure_boot_v2 && !sec->signed_apps_on_update) {
        return OTA_ERR_INVALID_STATE;
    }
    int err = chip_rule(dev, trust);
    if (err != OTA_OK) {
        return err;
    }
    if (sec->secure_boot_v2) {
        /* Every burned slot the chip has counts; a revoked one stays in the list so that "revoked"
         * is the reason given when only it signed the image. */
        unsigned slots = ota_chip_info(dev->chip_id)->sbv2.key_digests;
        for (unsigned i = 0; i < OTA_DEVICE_KEY_DIGESTS && i < slots; i++) {
            if (sec->key_digest_set[i]) {
                memcpy(trust->digest[trust->count], sec->key_digest[i], OTA_SIG_KEY_DIGEST_LEN);
                trust->revoked[trust->count] = sec->key_revoked[i];
                trust->count++;
            }
        }
        return trust->count > 0 ? OTA_OK : OTA_ERR_SIG_NO_TRUSTED_KEY;
    }
    /* CONFIG_SECURE_SIGNED_APPS_NO_SECURE_BOOT: the key of the running app's first *valid* block
     * (magic, version, CRC; a scheme the chip takes), and the new image's block 0 must verify with
     * it. ESP-IDF v6.0.2 secure_boot_v2/secure_boot_signatures_app.c: get_secure_boot_key_digests
     * -> calculate_image_public_key_digests skips blocks failing validate_signature_block, and
     * esp_secure_boot_verify_sbv2_signature_block compares block 0 with trusted digest 0. */
    const ota_partition_info_t *running = ota_device_running(dev);
    if (running == NULL) {
        return OTA_ERR_SIG_NO_TRUSTED_KEY;
    }
    ota_partition_t part;
    ota_device_partition(dev, running, &part);
    ota_image_validator_config_t cfg;
    ota_device_validator_config(dev, &cfg);
    cfg.max_size = running->size;
    cfg.flash_addr = running->offset;
    cfg.ignore_trailing = true;
    ota_image_info_t info;
    err = ota_image_verify_partition(&part, &cfg, true, &info, NULL);
    uint64_t at = err == OTA_OK ? ota_sig_sector_offset_for_image(info.image_len) : 0;
    bool room = err == OTA_OK && at + OTA_SIG_SECTOR_SIZE <= running->size;
    struct work {
        ota_sig_block_t block;
        uint8_t raw[OTA_SIG_BLOCK_SIZE];
    } *w = room ? ota_malloc(sizeof *w) : NULL;
    if (w == NULL) {
        return room ? OTA_ERR_NO_MEM : OTA_ERR_SIG_NO_TRUSTED_KEY;
    }
    err = OTA_ERR_SIG_NO_TRUSTED_KEY;
    for (unsigned i = 0; i < trust->max_blocks && err == OTA_ERR_SIG_NO_TRUSTED_KEY; i++) {
        int rerr =
            ota_partition_read(&part, (uint32_t)(at + i * OTA_SIG_BLOCK_SIZE), w->raw, OTA_SIG_BLOCK_SIZE);
        if (rerr != OTA_OK) {
            err = rerr;
        } else if (ota_sig_block_parse(w->raw, &w->block) == OTA_OK &&
                   (trust->schemes & (1u << w->block.scheme)) != 0) {
            err = ota_sig_block_key_digest(&w->block, trust->digest[0]);
        }
    }
    ota_free(w);
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
    if (err == OTA_ERR_SIG_CHIP_SCHEME) {
        char rule[200];
        ota_chip_sbv2_rule(trust->chip_id, trust->chip_rev, rule, sizeof rule);
        OTA_LOGE(TAG, "no signature block of a scheme the chip takes: %s", rule);
    }
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
