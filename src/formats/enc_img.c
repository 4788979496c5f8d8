/* Pre-encrypted image header (esp_encrypted_img): layout in ota_enc_img.h. */
#include "ota/ota_enc_img.h"

#include <string.h>

#include "ota/ota_err.h"

#include "byte_order.h"

#define OFF_KEY 4u
#define OFF_IV  388u
#define OFF_LEN 404u
#define OFF_TAG 408u

int ota_enc_img_header_parse(const uint8_t raw[OTA_ENC_IMG_HEADER_SIZE], ota_enc_img_header_t *out)
{
    if (raw == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (ota_get_le32(raw) != OTA_ENC_IMG_MAGIC) {
        return OTA_ERR_ENC_BAD_MAGIC;
    }
    memcpy(out->key_field, raw + OFF_KEY, OTA_ENC_IMG_KEY_FIELD_SIZE);
    memcpy(out->iv, raw + OFF_IV, OTA_ENC_IMG_IV_SIZE);
    out->image_len = ota_get_le32(raw + OFF_LEN);
    memcpy(out->tag, raw + OFF_TAG, OTA_ENC_IMG_TAG_SIZE);
    return OTA_OK;
}

int ota_enc_img_header_serialise(const ota_enc_img_header_t *h, uint8_t raw[OTA_ENC_IMG_HEADER_SIZE])
{
    if (h == NULL || raw == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(raw, 0, OTA_ENC_IMG_HEADER_SIZE);
    ota_put_le32(raw, OTA_ENC_IMG_MAGIC);
    memcpy(raw + OFF_KEY, h->key_field, OTA_ENC_IMG_KEY_FIELD_SIZE);
    memcpy(raw + OFF_IV, h->iv, OTA_ENC_IMG_IV_SIZE);
    ota_put_le32(raw + OFF_LEN, h->image_len);
    memcpy(raw + OFF_TAG, h->tag, OTA_ENC_IMG_TAG_SIZE);
    return OTA_OK;
}
