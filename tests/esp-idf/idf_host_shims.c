/* ROM functions ESP-IDF's Linux target takes from esp_rom/linux (not in ../shared/esp-idf, which
 * holds only its headers) and log's FreeRTOS-based timestamp text: minimal stand-ins for the host
 * run. The MD5 is Mbed TLS's (partition.c checks the table's MD5 entry with it). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/md5.h>

#include "esp_rom_md5.h"
#include "esp_rom_sys.h"

/* Mbed TLS's MD5 context has md5_context_t's size (88 bytes) and needs no heap: partition.c
 * stops hashing without a final call when the table is bad, which would leak anything allocated */
_Static_assert(sizeof(mbedtls_md5_context) <= sizeof(md5_context_t), "md5_context_t too small");

static mbedtls_md5_context *md5(md5_context_t *c)
{
    return (mbedtls_md5_context *)(void *)c;
}

void esp_rom_md5_init(md5_context_t *context)
{
    mbedtls_md5_init(md5(context));
    (void)mbedtls_md5_starts_ret(md5(context));
}

void esp_rom_md5_update(md5_context_t *context, const void *buf, uint32_t len)
{
    (void)mbedtls_md5_update_ret(md5(context), buf, len);
}

void esp_rom_md5_final(uint8_t *digest, md5_context_t *context)
{
    (void)mbedtls_md5_finish_ret(md5(context), digest);
}

int esp_rom_cvt(unsigned long long val, long radix, int pad, const char *digits, char *buf)
{
    char tmp[72];
    int n = 0;
    do {
        tmp[n++] = digits[val % (unsigned long long)radix];
        val /= (unsigned long long)radix;
    } while (val != 0 && n < (int)sizeof tmp);
    while (n < pad && n < (int)sizeof tmp) {
        tmp[n++] = '0';
    }
    for (int i = 0; i < n; i++) {
        buf[i] = tmp[n - 1 - i];
    }
    return n;
}

char *esp_log_timestamp_str(bool constrained_env, uint64_t timestamp_ms, char *buffer);
char *esp_log_timestamp_str(bool constrained_env, uint64_t timestamp_ms, char *buffer)
{
    (void)constrained_env;
    sprintf(buffer, "%llu", (unsigned long long)timestamp_ms);
    return buffer;
}
