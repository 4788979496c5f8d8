/* sdkconfig.h for the ESP32-C3 target compile check (scripts/esp_idf_check.py), written by hand.
 *
 * ESP-IDF generates this file from the Kconfig files of its components (idf.py menuconfig); here
 * there is no idf.py, so it holds what the headers this project includes read: ESP-IDF v6.0.2's
 * Kconfig defaults for ESP32-C3 (the "default" lines of the Kconfig files in ../shared/esp-idf,
 * e.g. components/freertos/Kconfig, components/lwip/Kconfig, components/mbedtls/Kconfig), and the
 * values of examples/esp-idf/ota_example/sdkconfig.defaults with the component's Kconfig
 * (components/ota_service/Kconfig). A value a header needs and this file lacks is a compile
 * error naming it, so the file cannot silently fall short. Booleans that are "n" are absent, as
 * in a generated sdkconfig.h. */
#pragma once

/* Target (components/soc/esp32c3, esp_system: single core) */
#define CONFIG_IDF_TARGET                  "esp32c3"
#define CONFIG_IDF_TARGET_ESP32C3          1
#define CONFIG_IDF_TARGET_ARCH_RISCV       1
#define CONFIG_IDF_TARGET_ARCH             "riscv"
#define CONFIG_IDF_FIRMWARE_CHIP_ID        0x0005
#define CONFIG_ESP_SYSTEM_SINGLE_CORE_MODE 1

/* FreeRTOS (components/freertos/Kconfig) */
#define CONFIG_FREERTOS_UNICORE                         1
#define CONFIG_FREERTOS_NUMBER_OF_CORES                 1
#define CONFIG_FREERTOS_HZ                              100
#define CONFIG_FREERTOS_MAX_TASK_NAME_LEN               16
#define CONFIG_FREERTOS_TASK_NOTIFICATION_ARRAY_ENTRIES 1

/* Log (components/log/Kconfig: default level Info) */
#define CONFIG_LOG_DEFAULT_LEVEL_INFO     1
#define CONFIG_LOG_DEFAULT_LEVEL          3
#define CONFIG_LOG_MAXIMUM_EQUALS_DEFAULT 1
#define CONFIG_LOG_MAXIMUM_LEVEL          3

/* lwIP (components/lwip/Kconfig) */
#define CONFIG_LWIP_IPV4                   1
#define CONFIG_LWIP_IPV6                   1
#define CONFIG_LWIP_IPV6_NUM_ADDRESSES     3
#define CONFIG_LWIP_DHCP_COARSE_TIMER_SECS 1
#define CONFIG_LWIP_TCP_OVERSIZE_MSS       1

/* FAT on wear levelling (components/wear_levelling/Kconfig: 4096-byte sectors) */
#define CONFIG_WL_SECTOR_SIZE_4096 1
#define CONFIG_WL_SECTOR_SIZE      4096

/* Bootloader: rollback on (the example's sdkconfig.defaults) */
#define CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE 1

/* Mbed TLS 4 / TF-PSA-Crypto (components/mbedtls/Kconfig: the "default y" options that
 * port/include/mbedtls/esp_config.h reads, less those of other chips: no ECC/ECDSA accelerator on
 * the ESP32-C3, no TEE), and the certificate bundle of the example's sdkconfig.defaults */
#define CONFIG_MBEDTLS_AES_C                           1
#define CONFIG_MBEDTLS_AES_ROM_TABLES                  1
#define CONFIG_MBEDTLS_ASN1_PARSE_C                    1
#define CONFIG_MBEDTLS_ASN1_WRITE_C                    1
#define CONFIG_MBEDTLS_BASE64_C                        1
#define CONFIG_MBEDTLS_CCM_C                           1
#define CONFIG_MBEDTLS_CERTIFICATE_BUNDLE              1
#define CONFIG_MBEDTLS_CERTIFICATE_BUNDLE_DEFAULT_FULL 1
#define CONFIG_MBEDTLS_CIPHER_MODE_CBC                 1
#define CONFIG_MBEDTLS_CIPHER_MODE_CFB                 1
#define CONFIG_MBEDTLS_CIPHER_MODE_CTR                 1
#define CONFIG_MBEDTLS_CIPHER_MODE_OFB                 1
#define CONFIG_MBEDTLS_CIPHER_MODE_XTS                 1
#define CONFIG_MBEDTLS_CLIENT_SSL_SESSION_TICKETS      1
#define CONFIG_MBEDTLS_CMAC_C                          1
#define CONFIG_MBEDTLS_CTR_DRBG_C                      1
#define CONFIG_MBEDTLS_ECDH_C                          1
#define CONFIG_MBEDTLS_ECDSA_C                         1
#define CONFIG_MBEDTLS_ECDSA_DETERMINISTIC             1
#define CONFIG_MBEDTLS_ECP_C                           1
#define CONFIG_MBEDTLS_ECP_DP_BP256R1_ENABLED          1
#define CONFIG_MBEDTLS_ECP_DP_BP384R1_ENABLED          1
#define CONFIG_MBEDTLS_ECP_DP_BP512R1_ENABLED          1
#define CONFIG_MBEDTLS_ECP_DP_CURVE25519_ENABLED       1
#define CONFIG_MBEDTLS_ECP_DP_SECP256K1_ENABLED        1
#define CONFIG_MBEDTLS_ECP_DP_SECP256R1_ENABLED        1
#define CONFIG_MBEDTLS_ECP_DP_SECP384R1_ENABLED        1
#define CONFIG_MBEDTLS_ECP_DP_SECP521R1_ENABLED        1
#define CONFIG_MBEDTLS_ECP_NIST_OPTIM                  1
#define CONFIG_MBEDTLS_ERROR_STRINGS                   1
#define CONFIG_MBEDTLS_FS_IO                           1
#define CONFIG_MBEDTLS_GCM_C                           1
#define CONFIG_MBEDTLS_HARDWARE_AES                    1
#define CONFIG_MBEDTLS_HARDWARE_MPI                    1
#define CONFIG_MBEDTLS_HARDWARE_SHA                    1
#define CONFIG_MBEDTLS_HAVE_TIME                       1
#define CONFIG_MBEDTLS_HMAC_DRBG_C                     1
#define CONFIG_MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA        1
#define CONFIG_MBEDTLS_KEY_EXCHANGE_ECDHE_RSA          1
#define CONFIG_MBEDTLS_LARGE_KEY_SOFTWARE_MPI          1
#define CONFIG_MBEDTLS_MD5_C                           1
#define CONFIG_MBEDTLS_MD_C                            1
#define CONFIG_MBEDTLS_PEM_PARSE_C                     1
#define CONFIG_MBEDTLS_PEM_WRITE_C                     1
#define CONFIG_MBEDTLS_PKCS1_V15                       1
#define CONFIG_MBEDTLS_PKCS1_V21                       1
#define CONFIG_MBEDTLS_PK_C                            1
#define CONFIG_MBEDTLS_PK_PARSE_C                      1
#define CONFIG_MBEDTLS_PK_WRITE_C                      1
#define CONFIG_MBEDTLS_ROM_MD5                         1
#define CONFIG_MBEDTLS_RSA_C                           1
#define CONFIG_MBEDTLS_SERVER_SSL_SESSION_TICKETS      1
#define CONFIG_MBEDTLS_SHA1_C                          1
#define CONFIG_MBEDTLS_SHA256_C                        1
#define CONFIG_MBEDTLS_SHA384_C                        1
#define CONFIG_MBEDTLS_SHA512_C                        1
#define CONFIG_MBEDTLS_SSL_ALPN                        1
#define CONFIG_MBEDTLS_SSL_CACHE_C                     1
#define CONFIG_MBEDTLS_SSL_PROTO_TLS1_2                1
#define CONFIG_MBEDTLS_SSL_RENEGOTIATION               1
#define CONFIG_MBEDTLS_SSL_SERVER_NAME_INDICATION      1
#define CONFIG_MBEDTLS_TLS_CLIENT                      1
#define CONFIG_MBEDTLS_TLS_ENABLED                     1
#define CONFIG_MBEDTLS_TLS_SERVER                      1
#define CONFIG_MBEDTLS_TLS_SERVER_AND_CLIENT           1
#define CONFIG_MBEDTLS_X509_CRL_PARSE_C                1
#define CONFIG_MBEDTLS_X509_CRT_PARSE_C                1
#define CONFIG_MBEDTLS_X509_CSR_PARSE_C                1
#define CONFIG_MBEDTLS_X509_USE_C                      1

/* The component (components/ota_service/Kconfig) with the example's sdkconfig.defaults */
#define CONFIG_OTA_SERVICE_WORK_BUFFER_SIZE 2048
#define CONFIG_OTA_SERVICE_TASK_STACK_SIZE  6144
#define CONFIG_OTA_SERVICE_TASK_PRIORITY    5
#define CONFIG_FIRMWARE_UPGRADE_URI         "http://192.168.0.3:8070/play_mp3_control.bin"
#define CONFIG_DATA_UPGRADE_URI             "file://sdcard/flash_tone.bin"
#define CONFIG_DATA_PARTITION_LABEL         "flash_tone"

/* The example's main/Kconfig.projbuild (SD card on SPI) */
#define CONFIG_EXAMPLE_SD_PIN_MOSI 7
#define CONFIG_EXAMPLE_SD_PIN_MISO 2
#define CONFIG_EXAMPLE_SD_PIN_CLK  6
#define CONFIG_EXAMPLE_SD_PIN_CS   10
