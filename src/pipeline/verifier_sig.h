/* The Secure Boot V2 signature check as a verifier of an item's data path (service internal). */
#ifndef OTA_SERVICE_VERIFIER_SIG_H
#define OTA_SERVICE_VERIFIER_SIG_H

#include <stdint.h>

#include "path.h"
#include "ota/ota_sig_verify.h"

typedef struct ota_sig_check ota_sig_check_t;

/**
 * Add a signature verifier to @p item (after the verifiers it has). Layout APP: @p image_len
 * (with @p arg) says the image's length with its appended hash once known (0 before); the image
 * plus the signature sector must fit @p room bytes (OTA_ERR_SIG_NO_ROOM, as soon as the length
 * is known, and before erasing via ota_sig_check_room). Layout DATA: the last whole sector of the
 * stream. Trust: ota_image_sig_trust of the item's device, taken by ota_sig_check_trust before
 * the first byte. *out is freed with ota_sig_check_free.
 */
int ota_sig_check_add(ota_item_t *item, ota_sig_layout_t layout, uint32_t room,
                      uint64_t (*image_len)(void *arg), void *arg, ota_sig_check_t **out);
/** Take the device's trusted keys now (before anything is erased); refuses the item if none. */
int ota_sig_check_trust(ota_sig_check_t *chk);
/**
 * Before anything is erased: with the output's size @p total known (the stream's Content-Length
 * or file size, or the plaintext size from an esp_encrypted_img header; -1 unknown), refuse
 * (ota_item_refuse) an item whose image, padded to 4 KiB, and signature sector cannot fit the
 * room: OTA_ERR_SIG_NO_ROOM when the image alone would fit, OTA_ERR_IMG_TOO_LARGE when not even
 * that. OTA_OK when it may fit (or the size is unknown: learn_len still refuses while streaming,
 * before the commit). @p chk NULL: OTA_OK.
 */
int ota_sig_check_fit(ota_sig_check_t *chk, int64_t total);
/** The signed data length after a successful finish (DATA layout: where the sector starts). */
uint64_t ota_sig_check_signed_len(const ota_sig_check_t *chk);
void ota_sig_check_free(ota_sig_check_t *chk);

#endif /* OTA_SERVICE_VERIFIER_SIG_H */
