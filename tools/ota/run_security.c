/* `ota run`'s security options; see run_security.h. */
#include "run_security.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ota/ota_err.h"

int run_security_apply(void *arg, ota_device_file_t *file)
{
    run_security_t *rs = arg;
    ota_device_t *dev = ota_device_file_device(file);
    if (rs->manifest != NULL) {
        run_manifest_on_open(rs->manifest, file);
    }
    rs->saved = dev->security;
    snprintf(rs->saved_key_path, sizeof rs->saved_key_path, "%s", ota_device_file_decrypt_key_path(file));
    rs->saved_scheme = dev->security.decrypt_key.scheme;
    if (rs->digests > 0) {
        /* the given keys are the trusted ones, as burned eFuses with Secure Boot V2 on. Never over
         * burned eFuses: the next real boot checks those, so a run that trusted other keys would
         * report a success the device refuses. Nor beyond the chip's rule (slots, revision). */
        ota_device_security_t *sec = &dev->security;
        for (unsigned i = 0; i < OTA_DEVICE_KEY_DIGESTS; i++) {
            if (sec->key_digest_set[i] || sec->secure_boot_v2) {
                cli_error("--trusted-key-digest: %s has %s burned; its boot trusts only those eFuses "
                          "(drop the option, or use a device without them)",
                          ota_device_file_state_path(file),
                          sec->key_digest_set[i] ? "key digests" : "SECURE_BOOT_EN");
                return OTA_ERR_INVALID_STATE;
            }
        }
        char rule[200];
        const ota_chip_info_t *chip = ota_chip_info(dev->chip_id);
        if (ota_chip_sbv2_unsupported(dev->chip_id, dev->chip_revision, rule, sizeof rule) > 0 ||
            rs->digests > chip->sbv2.key_digests) {
            if (rule[0] == '\0') {
                ota_chip_sbv2_rule(dev->chip_id, dev->chip_revision, rule, sizeof rule);
            }
            cli_error("--trusted-key-digest: %s", rule);
            return OTA_ERR_INVALID_STATE;
        }
        memset(sec->key_digest_set, 0, sizeof sec->key_digest_set);
        memset(sec->key_revoked, 0, sizeof sec->key_revoked);
        for (unsigned i = 0; i < rs->digests; i++) {
            uint8_t *d = NULL;
            size_t len = 0;
            if (cli_read_file(rs->digest_path[i], &d, &len) != OTA_OK || len != 32) {
                cli_error("--trusted-key-digest %s: not a 32-byte key digest file", rs->digest_path[i]);
                free(d);
                return OTA_ERR_INVALID_ARG;
            }
            memcpy(sec->key_digest[i], d, 32);
            sec->key_digest_set[i] = true;
            free(d);
        }
        sec->secure_boot_v2 = true;
    }
    if (rs->decrypt != NULL) {
        const char *colon = strchr(rs->decrypt, ':');
        ota_enc_scheme_t scheme = colon == NULL                              ? 0
                                  : strncmp(rs->decrypt, "rsa3072:", 8) == 0 ? OTA_ENC_SCHEME_RSA3072
                                  : strncmp(rs->decrypt, "ecies:", 6) == 0   ? OTA_ENC_SCHEME_ECIES_P256
                                                                             : 0;
        char diag[480] = "";
        int err = scheme == 0 ? OTA_ERR_INVALID_ARG
                              : ota_device_file_set_decrypt_key(file, scheme, colon + 1, diag, sizeof diag);
        if (err != OTA_OK) {
            cli_error("--decrypt-key %s: %s", rs->decrypt,
                      scheme == 0 ? "rsa3072:PEM or ecies:HMAC_KEY.bin"
                      : diag[0]   ? diag
                                  : ota_strerror(err));
            return err;
        }
    }
    return OTA_OK;
}

void run_security_restore(void *arg, ota_device_file_t *file)
{
    run_security_t *rs = arg;
    ota_device_t *dev = ota_device_file_device(file);
    ota_enc_img_key_t key = dev->security.decrypt_key;
    dev->security = rs->saved;
    dev->security.decrypt_key = key;
    if (rs->decrypt != NULL) {
        char diag[480] = "";
        if (ota_device_file_set_decrypt_key(file, rs->saved_scheme, rs->saved_key_path, diag, sizeof diag) !=
            OTA_OK) {
            cli_warn("cannot restore the state file's decrypt key: %s", diag);
        }
    }
}
