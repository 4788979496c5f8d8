/* Mbed TLS configuration of the microcontroller builds: only what the core's crypto backend
 * (src/port/mbedtls/crypto_mbedtls.c) calls - SHA-256 (image hashes, journal) and MD5 (the
 * partition table's MD5 entry). No platform layer, no entropy, no TLS: the footprint of the
 * crypto the OTA core needs, nothing more. */
#ifndef OTA_MCU_MBEDTLS_CONFIG_H
#define OTA_MCU_MBEDTLS_CONFIG_H

#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER /* the rolled loop: ESP-IDF's CONFIG_MBEDTLS_SHA256_SMALLER */
#define MBEDTLS_MD5_C
/* SHA-384 (ota_crypto.h; Secure Boot V2 ECDSA P-384 digests): linked only where called. */
#define MBEDTLS_SHA512_C
#define MBEDTLS_SHA512_SMALLER

#include "mbedtls/check_config.h"

#endif
