/* The ESP-IDF image validator as a verifier of an item's pipeline (ota_verifier.h): the default app
 * procedure's (pipeline internal). It checks header, segments, checksum and the appended SHA-256 on
 * the stream, and gives the checkpoint digest: the validator's own SHA-256 (the image's appended
 * digest covers everything before it), or one of its own when the image has none. */
#ifndef OTA_PIPELINE_VERIFIER_IMAGE_H
#define OTA_PIPELINE_VERIFIER_IMAGE_H

#include <stdbool.h>

#include "ota/ota_app_image.h"
#include "ota/port/ota_crypto.h"
#include "ota/ota_verifier.h"

typedef struct {
    ota_image_validator_config_t cfg; /* set before the first byte (the checker knows the chip) */
    ota_image_validator_t validator;
    bool own_hash; /* the image has no appended SHA-256: hash the stream here */
    ota_sha256_ctx_t sha;
} ota_image_verifier_t;

/** Fill @p out with the verifier over @p v (the caller's; it keeps cfg and own_hash up to date). */
void ota_image_verifier(ota_image_verifier_t *v, ota_verifier_t *out);

#endif /* OTA_PIPELINE_VERIFIER_IMAGE_H */
