/**
 * @file key_der.h
 * @brief Key encodings every crypto backend needs, written once (not a public header).
 *
 * The crypto ports (src/port/posix OpenSSL, src/port/mbedtls, src/port/psa) each take keys in a
 * library's own form; what leads there is the same bytes work: the RSA private key inside a PEM
 * file (esp_enc_img_gen.py's / openssl's, PKCS#1 or unencrypted PKCS#8) as DER, the DER
 * RSAPublicKey of a modulus and exponent (a Secure Boot V2 signature block's key), an EC public
 * key as the SEC1 uncompressed point, and the coordinate size of a curve. Pure: bytes in, bytes out.
 */
#ifndef OTA_FORMATS_KEY_DER_H
#define OTA_FORMATS_KEY_DER_H

#include <stddef.h>
#include <stdint.h>

#include "ota/port/ota_crypto.h"

/**
 * The DER RSAPrivateKey (PKCS#1, RFC 8017 A.1.2) inside a PEM private key: "RSA PRIVATE KEY" as it
 * is, "PRIVATE KEY" (PKCS#8, RFC 5208) unwrapped when its algorithm is rsaEncryption. @p der gets
 * at most pem_len bytes. @return OTA_OK and *der_len, or OTA_ERR_KEY_PARSE (not PEM, an encrypted
 * PEM, not an RSA private key).
 */
int ota_pem_rsa_private_der(const char *pem, size_t pem_len, uint8_t *der, size_t *der_len);

/**
 * RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 A.1.1) of the
 * big-endian modulus @p n (leading zeros dropped) and exponent @p e, into @p out.
 * @return its size, or 0 if it does not fit @p cap (or n_len is 0 or above 65535 bytes).
 */
size_t ota_der_rsa_public(uint8_t *out, size_t cap, const uint8_t *n, size_t n_len, uint32_t e);

/** The size of one coordinate of @p curve in bytes (32 for P-256, 48 for P-384), 0 if unknown. */
size_t ota_ec_coord_len(ota_ec_curve_t curve);

/** Most bytes a SEC1 uncompressed point of a known curve takes (P-384). */
#define OTA_EC_POINT_MAX (1 + 2 * 48)

/** SEC1 2.3.3 uncompressed point 0x04 || x || y of @p c-byte coordinates; returns 1 + 2c. */
size_t ota_ec_point_uncompressed(uint8_t out[OTA_EC_POINT_MAX], const uint8_t *x, const uint8_t *y, size_t c);

/** The coordinates of a SEC1 uncompressed point @p pt of @p n bytes on a curve of @p c-byte
 *  coordinates. @return OTA_OK, or OTA_ERR_CRYPTO when it is not 0x04 || x || y of that size. */
int ota_ec_point_split(const uint8_t *pt, size_t n, size_t c, uint8_t *x, uint8_t *y);

#endif /* OTA_FORMATS_KEY_DER_H */
