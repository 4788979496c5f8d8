/**
 * @file ota_crypto.h
 * @brief Digests the core uses, provided by a crypto backend.
 *
 * Two backends implement this header with the same test vectors (tests/unit/crypto):
 * OpenSSL libcrypto on the host (SHA-NI speed), Mbed TLS for microcontrollers (what ESP-IDF
 * ships). CRC-32 is zlib's on the host. The context is a fixed-size opaque block so the core
 * never allocates for hashing; each backend checks at compile time that its state fits.
 */
#ifndef OTA_CRYPTO_H
#define OTA_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_SHA256_LEN 32
#define OTA_MD5_LEN 16

typedef struct {
    _Alignas(8) unsigned char opaque[128];
} ota_sha256_ctx_t;

void ota_sha256_init(ota_sha256_ctx_t *ctx);
void ota_sha256_update(ota_sha256_ctx_t *ctx, const void *data, size_t len);
void ota_sha256_final(ota_sha256_ctx_t *ctx, uint8_t out[OTA_SHA256_LEN]);
/** One-shot SHA-256. */
void ota_sha256(const void *data, size_t len, uint8_t out[OTA_SHA256_LEN]);

/** One-shot MD5 (the partition table's checksum entry). */
void ota_md5(const void *data, size_t len, uint8_t out[OTA_MD5_LEN]);

/**
 * CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320) with zlib's crc32() semantics: start with
 * crc = 0, feed chunks by passing the previous result. ESP-IDF's esp_rom_crc32_le(x, ...) equals
 * this function with the same x; the otadata CRC is ota_crc32_le(0xFFFFFFFF, &seq, 4).
 */
uint32_t ota_crc32_le(uint32_t crc, const void *data, size_t len);

/** Name and version of the backend, e.g. "OpenSSL 3.0.19". */
const char *ota_crypto_backend(void);

#ifdef __cplusplus
}
#endif
#endif /* OTA_CRYPTO_H */
