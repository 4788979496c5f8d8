/* ESP-ADF's MD5 verifier (ota_verifier_md5.h) on the public verifier interface: MD5 through the
 * crypto port (ota_crypto.h), so every backend (OpenSSL, Mbed TLS, PSA) provides it. */
#include "ota/ota_verifier_md5.h"

#include <stdio.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"

static const char *TAG = "OTA_VER_MD5";

static int md5_reset(void *ctx)
{
    ota_verifier_md5_t *v = ctx;
    ota_md5_init(&v->md5);
    v->message[0] = '\0';
    return OTA_OK;
}

static int md5_feed(void *ctx, const uint8_t *data, size_t len)
{
    ota_verifier_md5_t *v = ctx;
    ota_md5_update(&v->md5, data, len);
    return OTA_OK;
}

static void hex(const uint8_t *d, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

static int md5_finish(void *ctx, uint64_t total, ota_staged_read_fn read, void *read_arg)
{
    (void)total;
    (void)read;
    (void)read_arg;
    ota_verifier_md5_t *v = ctx;
    ota_md5_final(&v->md5, v->computed);
    if (memcmp(v->computed, v->expected, OTA_MD5_LEN) != 0) {
        char got[2 * OTA_MD5_LEN + 1], want[2 * OTA_MD5_LEN + 1];
        hex(v->computed, OTA_MD5_LEN, got);
        hex(v->expected, OTA_MD5_LEN, want);
        snprintf(v->message, sizeof v->message, "MD5 %s, expected %s", got, want);
        OTA_LOGE(TAG, "MD5 mismatch: image integrity check failed (%s)", v->message);
        return OTA_ERR_SVC_MD5_MISMATCH;
    }
    OTA_LOGI(TAG, "MD5 verified successfully");
    return OTA_OK;
}

static const char *md5_message(void *ctx)
{
    ota_verifier_md5_t *v = ctx;
    return v->message;
}

void ota_verifier_md5_init(ota_verifier_md5_t *v, const uint8_t expected_md5[OTA_MD5_LEN])
{
    memset(v, 0, sizeof *v);
    memcpy(v->expected, expected_md5, OTA_MD5_LEN);
    v->verifier = (ota_verifier_t){.name = "md5",
                                   .reset = md5_reset,
                                   .feed = md5_feed,
                                   .finish = md5_finish,
                                   .message = md5_message,
                                   .ctx = v};
    ota_md5_init(&v->md5);
}
