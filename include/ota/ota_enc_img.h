/**
 * @file ota_enc_img.h
 * @brief The header of a pre-encrypted image (esp_encrypted_img / esp_enc_img_gen.py).
 *
 * A pre-encrypted image is a 512-byte header followed by the image encrypted with AES-256-GCM
 * (ciphertext as long as the plaintext, no associated data). Header, little-endian:
 *
 *  0    4    magic 0x0788B6CF
 *  4    384  RSA-3072 scheme: the 32-byte AES key, RSA PKCS#1 v1.5-encrypted to the device key;
 *            ECIES-P256 scheme: server ephemeral public key X||Y (64, big-endian), HKDF salt
 *            (32), zeros (288)
 *  388  16   GCM IV (16 bytes, not GCM's 12-byte default)
 *  404  4    plaintext size
 *  408  16   GCM authentication tag
 *  424  88   zeros
 *
 * Pure: no I/O, no allocation, no crypto. The decryptor is ota_enc_img_decrypt.h.
 */
#ifndef OTA_ENC_IMG_H
#define OTA_ENC_IMG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_ENC_IMG_MAGIC            0x0788B6CFu
#define OTA_ENC_IMG_HEADER_SIZE      512u
#define OTA_ENC_IMG_KEY_FIELD_SIZE   384u
#define OTA_ENC_IMG_IV_SIZE          16u
#define OTA_ENC_IMG_TAG_SIZE         16u
/** ECIES-P256: the server's ephemeral point and the HKDF salt inside the key field. */
#define OTA_ENC_IMG_ECIES_POINT_SIZE 64u
#define OTA_ENC_IMG_ECIES_SALT_SIZE  32u

typedef struct {
    uint8_t key_field[OTA_ENC_IMG_KEY_FIELD_SIZE]; /**< encrypted AES key, or ECIES point || salt */
    uint8_t iv[OTA_ENC_IMG_IV_SIZE];
    uint32_t image_len; /**< plaintext (and ciphertext) length */
    uint8_t tag[OTA_ENC_IMG_TAG_SIZE];
} ota_enc_img_header_t;

/** Decode the 512-byte header.
 *  @return OTA_OK, OTA_ERR_ENC_BAD_MAGIC, OTA_ERR_INVALID_ARG (NULL). */
int ota_enc_img_header_parse(const uint8_t raw[OTA_ENC_IMG_HEADER_SIZE], ota_enc_img_header_t *out);

/** Encode @p h as esp_enc_img_gen.py writes it (magic, reserved bytes zero).
 *  @return OTA_OK or OTA_ERR_INVALID_ARG (NULL). */
int ota_enc_img_header_serialise(const ota_enc_img_header_t *h, uint8_t raw[OTA_ENC_IMG_HEADER_SIZE]);

#ifdef __cplusplus
}
#endif
#endif /* OTA_ENC_IMG_H */
