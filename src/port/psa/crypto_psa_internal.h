/* Shared by the PSA Crypto backend's files (src/port/psa/): lazy psa_crypto_init(), status
 * mapping, key import helpers, wiping. Not a public header. */
#ifndef OTA_CRYPTO_PSA_INTERNAL_H
#define OTA_CRYPTO_PSA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <psa/crypto.h>

/* Which PSA implementation this is. TF-PSA-Crypto (Mbed TLS 4, ESP-IDF 6) defines its own
 * version macros; Mbed TLS 2.x/3.x carry PSA inside libmbedcrypto with mbedtls/version.h. */
#if defined(TF_PSA_CRYPTO_VERSION_MAJOR)
#define OTA_PSA_IMPL_NAME          "TF-PSA-Crypto " TF_PSA_CRYPTO_VERSION_STRING
#define OTA_PSA_HAS_MULTIPART_AEAD 1
#else
#include <mbedtls/version.h>
#define OTA_PSA_IMPL_NAME "Mbed TLS " MBEDTLS_VERSION_STRING
/* Mbed TLS 2.28 declares psa_aead_encrypt_setup/update/finish/verify in psa/crypto.h but does not
 * implement them (the link fails): only one-shot psa_aead_encrypt/decrypt exist there. */
#if MBEDTLS_VERSION_MAJOR >= 3
#define OTA_PSA_HAS_MULTIPART_AEAD 1
#else
#define OTA_PSA_HAS_MULTIPART_AEAD 0
#endif
#endif

/** psa_crypto_init() once (it is idempotent and cheap after the first call; ESP-IDF 6 also calls
 *  it at start-up). @return OTA_OK or OTA_ERR_CRYPTO. */
int ota_psa_ready(void);

/** A PSA status as an ota_err_t code for the common cases (memory, support, the rest). */
int ota_psa_err(psa_status_t st);

/** Import @p data as a volatile key. @return the PSA status. */
psa_status_t ota_psa_import(psa_key_type_t type, size_t bits, psa_key_usage_t usage, psa_algorithm_t alg,
                            const uint8_t *data, size_t len, psa_key_id_t *id);

/** Zero @p len bytes in a way the compiler keeps. */
void ota_psa_wipe(void *p, size_t len);

#endif /* OTA_CRYPTO_PSA_INTERNAL_H */
