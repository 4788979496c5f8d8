/*
 * esp_encrypted_img (ota_enc_img.h, ota_enc_img_decrypt.h): the 512-byte header parser with a
 * serialise round trip, then the streaming decryptor over the whole input in input-derived piece
 * sizes, with the ECIES-P256 device key of ../shared/testdata/secure (so the seed
 * app_esp32c6.enc_ecc.bin decrypts and mutations reach GCM). ECIES, not RSA: an RSA-3072
 * decryption per input would make the run a hundred times slower for no extra parsing.
 * Checks: no crash, leak or out-of-bounds; the output never exceeds the declared length; every
 * refusal is in the signature/encryption block (-1000 .. -1099).
 * Speed: the device private scalar (PBKDF2 of the fixed HMAC key, the same for every input) is
 * derived once at start-up; the AES key is a function of that scalar and the header's key field
 * only, so the decryptor's derive hook memoises it per exact key field (a miss runs the product's
 * ota_enc_img_ecies_aes_key: every distinct key field still goes through ECDH and HKDF once). The
 * input is fed in pieces from a generator (mean a few hundred bytes), not one fixed size that
 * could be 1.
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

static uint8_t g_hmac_key[32], g_priv[32];

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
    OTA_FUZZ_CHECK(ota_enc_img_ecies_device_key(g_hmac_key, sizeof g_hmac_key, g_priv) == OTA_OK);
    return 0;
}

static bool enc_err(int err)
{
    return err <= -1000 && err > -1100;
}

/*
 * ECDH + HKDF allocate in the crypto library (which ASan intercepts) and cost far more than the
 * parsing; most inputs carry a key field seen before (mutations mostly land in the ciphertext, and
 * the corpus holds a few dozen headers). Direct-mapped by a hash, keyed by the whole key field.
 */
#define KEY_CACHE 1024u
typedef struct {
    bool used;
    int err;
    uint8_t key_field[OTA_ENC_IMG_KEY_FIELD_SIZE];
    uint8_t aes_key[32];
} cache_entry_t;
static cache_entry_t g_cache[KEY_CACHE];

static int cached_derive(void *ctx, const ota_enc_img_key_t *key, const ota_enc_img_header_t *h,
                         uint8_t aes_key[32])
{
    (void)ctx;
    (void)key;                   /* always the ECIES key of g_priv */
    uint32_t hash = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < sizeof h->key_field; i++) {
        hash = (hash ^ h->key_field[i]) * 16777619u;
    }
    cache_entry_t *e = &g_cache[hash % KEY_CACHE];
    if (!e->used || memcmp(e->key_field, h->key_field, sizeof h->key_field) != 0) {
        e->used = true;
        e->err = ota_enc_img_ecies_aes_key(g_priv, h, e->aes_key);
        memcpy(e->key_field, h->key_field, sizeof h->key_field);
    }
    memcpy(aes_key, e->aes_key, 32);
    return e->err;
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

    /* Piece sizes 1..8 KiB from a generator seeded by the last byte: header and GCM block edges
     * are crossed at every offset. Output goes to the end of `out`: a write past what update()
     * and finish() may write runs off the heap block, an ASan report. */
    uint32_t seed = ota_fuzz_piece_seed(size ? data[size - 1] : 0);
    ota_enc_img_key_t key = {OTA_ENC_SCHEME_ECIES_P256, g_hmac_key, sizeof g_hmac_key};
    ota_enc_img_decryptor_t *d = malloc(sizeof *d);
    const size_t out_size = ((size_t)1 << 13) + OTA_ENC_IMG_OUT_SLACK;
    uint8_t *out = malloc(out_size);
    if (d == NULL || out == NULL) {
        free(d);
        free(out);
        return 0;
    }
    int err = ota_enc_img_dec_init(d, &key);
    OTA_FUZZ_CHECK(err == OTA_OK);
    OTA_FUZZ_CHECK(ota_enc_img_dec_set_derive(d, cached_derive, NULL) == OTA_OK);
    uint64_t produced = 0;
    for (size_t pos = 0, n = 0; pos < size && err >= 0; pos += n) {
        n = ota_fuzz_piece(&seed, 13);
        n = size - pos < n ? size - pos : n;
        /* Exact-size copy of the piece: a read past it is an ASan report. */
        uint8_t *piece = malloc(n);
        if (piece == NULL) {
            break;
        }
        memcpy(piece, data + pos, n);
        err = ota_enc_img_dec_update(d, piece, n, out + out_size - (n + OTA_ENC_IMG_OUT_SLACK),
                                     n + OTA_ENC_IMG_OUT_SLACK);
        free(piece);
        if (err > 0) {
            produced += (uint64_t)err;
        }
    }
    if (err >= 0) {
        err = ota_enc_img_dec_finish(d, out + out_size - OTA_ENC_IMG_OUT_SLACK);
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
        OTA_FUZZ_CHECK(header && produced == d->image_len);
    }
    if (header) {
        OTA_FUZZ_CHECK(produced <= d->image_len);
    }
    free(d);
    free(out);
    return 0;
}
