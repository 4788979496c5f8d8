/*
 * esp_encrypted_img (ota_enc_img.h, ota_enc_img_decrypt.h): the 512-byte header parser with a
 * serialise round trip, then the streaming decryptor over the whole input in input-derived piece
 * sizes, with the ECIES-P256 device key of ../shared/testdata/secure (so the seed
 * app_esp32c6.enc_ecc.bin decrypts and mutations reach GCM). ECIES, not RSA: an RSA-3072
 * decryption per input would make the run a hundred times slower for no extra parsing.
 * Checks: no crash, leak or out-of-bounds; the output never exceeds the declared length; every
 * refusal is in the signature/encryption block (-1000 .. -1099).
 */
#include <stdio.h>

#include "fuzz.h"

#include "ota/ota_enc_img.h"
#include "ota/ota_enc_img_decrypt.h"
#include "ota/ota_err.h"

/* Set by fuzz/CMakeLists.txt: ../shared/testdata beside the project; OTA_TESTDATA overrides it. */
#ifndef OTA_FUZZ_TESTDATA_DIR
#define OTA_FUZZ_TESTDATA_DIR "../shared/testdata"
#endif

static uint8_t g_hmac_key[32];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    ota_log_set_level(OTA_LOG_NONE);
    const char *dir = getenv("OTA_TESTDATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/secure/enc_ecc_device_hmac_key.bin", dir ? dir : OTA_FUZZ_TESTDATA_DIR);
    FILE *f = fopen(path, "rb");
    /* Without the file a fixed key still exercises every path up to the GCM tag. */
    if (f == NULL || fread(g_hmac_key, 1, sizeof g_hmac_key, f) != sizeof g_hmac_key) {
        memset(g_hmac_key, 0x5A, sizeof g_hmac_key);
    }
    if (f != NULL) {
        fclose(f);
    }
    return 0;
}

static bool enc_err(int err)
{
    return err <= -1000 && err > -1100;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= OTA_ENC_IMG_HEADER_SIZE) {
        uint8_t *raw = malloc(OTA_ENC_IMG_HEADER_SIZE), *again = malloc(OTA_ENC_IMG_HEADER_SIZE);
        if (raw != NULL && again != NULL) {
            memcpy(raw, data, OTA_ENC_IMG_HEADER_SIZE);
            ota_enc_img_header_t h;
            int err = ota_enc_img_header_parse(raw, &h);
            OTA_FUZZ_CHECK(err == OTA_OK || enc_err(err));
            if (err == OTA_OK) {
                /* Round trip: the fields parsed are the header's whole meaning. */
                ota_enc_img_header_t h2;
                OTA_FUZZ_CHECK(ota_enc_img_header_serialise(&h, again) == OTA_OK);
                OTA_FUZZ_CHECK(ota_enc_img_header_parse(again, &h2) == OTA_OK);
                OTA_FUZZ_CHECK(memcmp(&h, &h2, sizeof h) == 0);
            }
        }
        free(raw);
        free(again);
    }

    /* Piece sizes from the last byte: 1..~4 KiB, so header and GCM block edges are crossed. */
    size_t step = size ? 1u + (size_t)data[size - 1] * 17u : 1u;
    ota_enc_img_key_t key = {OTA_ENC_SCHEME_ECIES_P256, g_hmac_key, sizeof g_hmac_key};
    ota_enc_img_decryptor_t *d = malloc(sizeof *d);
    uint8_t *out = malloc(step + OTA_ENC_IMG_OUT_SLACK);
    if (d == NULL || out == NULL) {
        free(d);
        free(out);
        return 0;
    }
    int err = ota_enc_img_dec_init(d, &key);
    OTA_FUZZ_CHECK(err == OTA_OK);
    uint64_t produced = 0;
    for (size_t pos = 0; pos < size && err >= 0; pos += step) {
        size_t n = size - pos < step ? size - pos : step;
        /* Exact-size copy of the piece: a read past it is an ASan report. */
        uint8_t *piece = malloc(n);
        if (piece == NULL) {
            break;
        }
        memcpy(piece, data + pos, n);
        err = ota_enc_img_dec_update(d, piece, n, out, step + OTA_ENC_IMG_OUT_SLACK);
        free(piece);
        if (err > 0) {
            produced += (uint64_t)err;
        }
    }
    if (err >= 0) {
        err = ota_enc_img_dec_finish(d, out);
        if (err > 0) {
            produced += (uint64_t)err;
        }
    } else {
        ota_enc_img_dec_abort(d);
    }
    OTA_FUZZ_CHECK(err >= 0 || enc_err(err));
    /* (header_done() is false again after finish(): it tells whether GCM is live) */
    bool header = d->header_have == OTA_ENC_IMG_HEADER_SIZE;
    if (err >= 0) {
        OTA_FUZZ_CHECK(header && produced == d->header.image_len);
    }
    if (header) {
        OTA_FUZZ_CHECK(produced <= d->header.image_len);
    }
    free(d);
    free(out);
    return 0;
}
