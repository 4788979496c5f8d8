/**
 * @file ota_stage_decrypt.h
 * @brief The decrypt stage of the data path: esp_encrypted_img (RSA-3072 or ECIES-P256 key
 *        exchange, AES-256-GCM) decrypted while streaming (ota_enc_img_decrypt.h wrapped as an
 *        ota_stage_t).
 *
 * The stream must start with the esp_encrypted_img header (else OTA_ERR_ENC_BAD_MAGIC, before
 * anything is erased: the item's checker reads the first output bytes through the stages). The
 * plaintext goes on to the checker, verifiers and target as it is decrypted; it is not
 * authenticated until finish() has checked the GCM tag, which runs before any verifier finishes
 * and before the target commits: a wrong key, a truncated stream or one altered byte fails the
 * item with nothing committed. Memory: the decryptor (~2.3 KiB) plus the crypto library's GCM
 * state; no image buffer.
 *
 * Resume: OTA_STAGE_RESUME_REBUILD from zero (rebuild_from_zero): rebuild() starts a fresh
 * decryptor from the stream's header and re-encrypts the output prefix — sector 0 from the
 * target's RAM copy, the rest from flash — (ota_enc_img_dec_advance) to rebuild GHASH and the
 * counter. A wrong byte on flash makes the final tag fail. No copy of sector 0 in the stage.
 */
#ifndef OTA_STAGE_DECRYPT_H
#define OTA_STAGE_DECRYPT_H

#include "ota/ota_enc_img_decrypt.h"
#include "ota/ota_stage.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Make a decrypt stage for @p key (borrowed: keep it alive). Free with ota_stage_decrypt_free.
 *  @return OTA_OK; OTA_ERR_INVALID_ARG (NULL key or key data); OTA_ERR_NO_MEM. The key is
 *          checked when the stage starts (ota_enc_img_dec_init) and used when the stream's header
 *          arrives (ota_enc_img_dec_update's codes then, from the stage's process()). */
int ota_stage_decrypt_create(const ota_enc_img_key_t *key, ota_stage_t *out);
/**
 * The plaintext size the stream's header announces (what the stage will output), once the header
 * has been read (after the item's checker decoded ahead), else -1. For checks before erasing.
 */
int64_t ota_stage_decrypt_plain_size(const ota_stage_t *stage);
/** Release a stage made by ota_stage_decrypt_create (its ctx). */
void ota_stage_decrypt_free(ota_stage_t *stage);

#ifdef __cplusplus
}
#endif
#endif /* OTA_STAGE_DECRYPT_H */
