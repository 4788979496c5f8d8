/* ROM functions ESP-IDF's Linux target takes from esp_rom/linux (not in ../shared/esp-idf, which
 * holds only its headers) and log's FreeRTOS-based timestamp text: minimal stand-ins for the host
 * run. The MD5 is OpenSSL's (partition.c checks the table's MD5 entry with it). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "esp_rom_md5.h"
#include "esp_rom_sys.h"

/* md5_context_t has room for the EVP context pointer in its 64-byte block buffer */
static EVP_MD_CTX *evp(md5_context_t *c)
{
    EVP_MD_CTX *e;
    memcpy(&e, c->in, sizeof e);
    return e;
}

void esp_rom_md5_init(md5_context_t *context)
{
    EVP_MD_CTX *e = EVP_MD_CTX_new();
    (void)EVP_DigestInit_ex(e, EVP_md5(), NULL);
    memcpy(context->in, &e, sizeof e);
}

void esp_rom_md5_update(md5_context_t *context, const void *buf, uint32_t len)
{
    (void)EVP_DigestUpdate(evp(context), buf, len);
}

void esp_rom_md5_final(uint8_t *digest, md5_context_t *context)
{
    unsigned n = 0;
    (void)EVP_DigestFinal_ex(evp(context), digest, &n);
    EVP_MD_CTX_free(evp(context));
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
