/* The ESP-IDF image validator as a verifier, written against the public ota_verifier.h only; see
 * verifier_image.h. */
#include "verifier_image.h"

#include "ota/ota_err.h"

static int image_reset(void *arg)
{
    ota_image_verifier_t *v = arg;
    ota_image_validator_init(&v->validator, &v->cfg, NULL, NULL);
    if (v->own_hash) {
        ota_sha256_init(&v->sha);
    }
    return OTA_OK;
}

static int image_feed(void *arg, const uint8_t *data, size_t len)
{
    ota_image_verifier_t *v = arg;
    if (v->own_hash) {
        ota_sha256_update(&v->sha, data, len);
    }
    return ota_image_validator_feed(&v->validator, data, len);
}

static int image_snapshot(void *arg, uint64_t *hashed, uint8_t digest[32])
{
    ota_image_verifier_t *v = arg;
    if (v->own_hash) {
        ota_sha256_ctx_t copy = v->sha;
        ota_sha256_final(&copy, digest);
        *hashed = ota_image_validator_info(&v->validator)->bytes_fed;
        return OTA_OK;
    }
    return ota_image_validator_hash_snapshot(&v->validator, digest, hashed);
}

static int image_finish(void *arg, uint64_t total, ota_staged_read_fn read, void *read_arg)
{
    (void)total;
    (void)read;
    (void)read_arg;
    ota_image_verifier_t *v = arg;
    return ota_image_validator_finish(&v->validator);
}

static const char *image_message(void *arg)
{
    ota_image_verifier_t *v = arg;
    return ota_image_validator_diag(&v->validator)->message;
}

void ota_image_verifier(ota_image_verifier_t *v, ota_verifier_t *out)
{
    static const ota_verifier_t image = {.name = "esp_image",
                                         .reset = image_reset,
                                         .feed = image_feed,
                                         .snapshot = image_snapshot,
                                         .finish = image_finish,
                                         .message = image_message};
    *out = image;
    out->ctx = v;
}
