/* ota_crypto.h on Mbed TLS: signature verification, AES-256-GCM, RSA decryption, ECDH, KDFs.
 * Written against Mbed TLS 2.28 (Debian's, what the host test builds); the 3.x call signatures
 * (ESP-IDF 5.x) are selected by MBEDTLS_VERSION_MAJOR. Mbed TLS allocates its bignums and
 * the GCM cipher context itself (the crypto library's own allocations). */
#include "ota/port/ota_crypto.h"

#include <stdlib.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/gcm.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>
#include <mbedtls/version.h>

#include "formats/key_der.h"
#include "ota/ota_err.h"

/* Blinding RNG for private-key operations (RSA decryption, ECDH, point multiplication). On an
 * ESP32 this is the hardware RNG through the same entropy interface. */
typedef struct {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
} rng_t;

static int rng_init(rng_t *r)
{
    mbedtls_entropy_init(&r->entropy);
    mbedtls_ctr_drbg_init(&r->drbg);
    static const unsigned char pers[] = "ota-service";
    return mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func, &r->entropy, pers, sizeof pers - 1) == 0
               ? OTA_OK
               : OTA_ERR_CRYPTO;
}

static void rng_free(rng_t *r)
{
    mbedtls_ctr_drbg_free(&r->drbg);
    mbedtls_entropy_free(&r->entropy);
}

/* ---- signatures ----------------------------------------------------------------------------- */

int ota_rsa_pss_verify_sha256(const uint8_t *n, size_t n_len, uint32_t e, const uint8_t hash[OTA_SHA256_LEN],
                              const uint8_t *sig, size_t sig_len)
{
    if (n == NULL || n_len == 0 || hash == NULL || sig == NULL || sig_len != n_len) {
        return OTA_ERR_INVALID_ARG;
    }
    uint8_t ebuf[4] = {(uint8_t)(e >> 24), (uint8_t)(e >> 16), (uint8_t)(e >> 8), (uint8_t)e};
    mbedtls_rsa_context rsa;
#if MBEDTLS_VERSION_MAJOR >= 3
    mbedtls_rsa_init(&rsa);
    (void)mbedtls_rsa_set_padding(&rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
#else
    mbedtls_rsa_init(&rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
#endif
    int err = OTA_ERR_CRYPTO;
    if (mbedtls_rsa_import_raw(&rsa, n, n_len, NULL, 0, NULL, 0, NULL, 0, ebuf, sizeof ebuf) == 0 &&
        mbedtls_rsa_complete(&rsa) == 0) {
#if MBEDTLS_VERSION_MAJOR >= 3
        int rc = mbedtls_rsa_rsassa_pss_verify_ext(&rsa, MBEDTLS_MD_SHA256, OTA_SHA256_LEN, hash,
                                                   MBEDTLS_MD_SHA256, 32, sig);
#else
        int rc = mbedtls_rsa_rsassa_pss_verify_ext(&rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC, MBEDTLS_MD_SHA256,
                                                   OTA_SHA256_LEN, hash, MBEDTLS_MD_SHA256, 32, sig);
#endif
        /* every failure of the public operation on a well-formed key is a bad signature */
        err = rc == 0 ? OTA_OK : OTA_ERR_SIG_INVALID;
    }
    mbedtls_rsa_free(&rsa);
    return err;
}

static int group_id(ota_ec_curve_t curve, size_t *coord)
{
    *coord = ota_ec_coord_len(curve);
    switch (curve) {
    case OTA_EC_P256: return MBEDTLS_ECP_DP_SECP256R1;
    case OTA_EC_P384: return MBEDTLS_ECP_DP_SECP384R1;
    default: return MBEDTLS_ECP_DP_NONE;
    }
}

/* Load (x, y) as a point of grp and check it is on the curve. */
static int read_point(const mbedtls_ecp_group *grp, mbedtls_ecp_point *q, const uint8_t *x, const uint8_t *y,
                      size_t c)
{
    uint8_t buf[OTA_EC_POINT_MAX];
    size_t n = ota_ec_point_uncompressed(buf, x, y, c);
    if (mbedtls_ecp_point_read_binary(grp, q, buf, n) != 0 || mbedtls_ecp_check_pubkey(grp, q) != 0) {
        return -1;
    }
    return 0;
}

int ota_ecdsa_verify(ota_ec_curve_t curve, const uint8_t *x, const uint8_t *y, const uint8_t *hash,
                     size_t hash_len, const uint8_t *r, const uint8_t *s)
{
    size_t c = 0;
    int gid = group_id(curve, &c);
    if (gid == MBEDTLS_ECP_DP_NONE || x == NULL || y == NULL || hash == NULL || r == NULL || s == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi mr, ms;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&mr);
    mbedtls_mpi_init(&ms);
    int err = OTA_ERR_CRYPTO;
    if (mbedtls_ecp_group_load(&grp, (mbedtls_ecp_group_id)gid) == 0 &&
        mbedtls_mpi_read_binary(&mr, r, c) == 0 && mbedtls_mpi_read_binary(&ms, s, c) == 0) {
        if (read_point(&grp, &q, x, y, c) != 0) {
            err = OTA_ERR_SIG_INVALID;
        } else {
            err =
                mbedtls_ecdsa_verify(&grp, hash, hash_len, &q, &mr, &ms) == 0 ? OTA_OK : OTA_ERR_SIG_INVALID;
        }
    }
    mbedtls_mpi_free(&mr);
    mbedtls_mpi_free(&ms);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return err;
}

/* ---- AES-256-GCM ---------------------------------------------------------------------------- */

/* Mbed TLS 2.x wants whole 16-byte blocks in every gcm_update but the last, so a partial block
 * waits in `pending` until more input completes it or finish() flushes it. */
typedef struct {
    mbedtls_gcm_context gcm;
    uint8_t pending[16];
    size_t npending;
    int encrypt;
    int active;
} gcm_state_t;

_Static_assert(sizeof(gcm_state_t) <= sizeof(((ota_aes_gcm_ctx_t *)0)->opaque),
               "ota_aes_gcm_ctx_t too small");

static gcm_state_t *gcm(ota_aes_gcm_ctx_t *ctx)
{
    return (gcm_state_t *)(void *)ctx->opaque;
}

int ota_aes_gcm_init(ota_aes_gcm_ctx_t *ctx, int encrypt, const uint8_t key[OTA_AES256_KEY_LEN],
                     const uint8_t *iv, size_t iv_len)
{
    if (ctx == NULL || key == NULL || iv == NULL || iv_len == 0) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(ctx, 0, sizeof *ctx);
    gcm_state_t *st = gcm(ctx);
    mbedtls_gcm_init(&st->gcm);
    st->active = 1;
    st->encrypt = encrypt ? 1 : 0;
    int mode = st->encrypt ? MBEDTLS_GCM_ENCRYPT : MBEDTLS_GCM_DECRYPT;
#if MBEDTLS_VERSION_MAJOR >= 3
    int rc = mbedtls_gcm_setkey(&st->gcm, MBEDTLS_CIPHER_ID_AES, key, 256);
    if (rc == 0) {
        rc = mbedtls_gcm_starts(&st->gcm, mode, iv, iv_len);
    }
#else
    int rc = mbedtls_gcm_setkey(&st->gcm, MBEDTLS_CIPHER_ID_AES, key, 256);
    if (rc == 0) {
        rc = mbedtls_gcm_starts(&st->gcm, mode, iv, iv_len, NULL, 0);
    }
#endif
    if (rc != 0) {
        ota_aes_gcm_free(ctx);
        return OTA_ERR_CRYPTO;
    }
    return OTA_OK;
}

#if MBEDTLS_VERSION_MAJOR >= 3
static int gcm_blocks(gcm_state_t *st, const uint8_t *in, size_t len, uint8_t *out)
{
    size_t olen = 0;
    return mbedtls_gcm_update(&st->gcm, in, len, out, len, &olen) == 0 ? (int)olen : OTA_ERR_CRYPTO;
}
#else
static int gcm_blocks(gcm_state_t *st, const uint8_t *in, size_t len, uint8_t *out)
{
    return mbedtls_gcm_update(&st->gcm, len, in, out) == 0 ? (int)len : OTA_ERR_CRYPTO;
}
#endif

int ota_aes_gcm_update(ota_aes_gcm_ctx_t *ctx, const uint8_t *in, size_t len, uint8_t *out)
{
    gcm_state_t *st = gcm(ctx);
    if (!st->active) {
        return OTA_ERR_INVALID_STATE;
    }
    size_t written = 0;
    if (st->npending > 0) {
        size_t take = 16 - st->npending < len ? 16 - st->npending : len;
        memcpy(st->pending + st->npending, in, take);
        st->npending += take;
        in += take;
        len -= take;
        if (st->npending < 16) {
            return 0;
        }
        if (gcm_blocks(st, st->pending, 16, out) < 0) {
            return OTA_ERR_CRYPTO;
        }
        st->npending = 0;
        written = 16;
    }
    size_t whole = len / 16 * 16;
    if (whole > 0) {
        if (gcm_blocks(st, in, whole, out + written) < 0) {
            return OTA_ERR_CRYPTO;
        }
        written += whole;
    }
    memcpy(st->pending, in + whole, len - whole);
    st->npending = len - whole;
    return (int)written;
}

/* Flush the partial block and compute the tag. */
static int gcm_final(gcm_state_t *st, uint8_t *out, uint8_t tag[OTA_GCM_TAG_LEN])
{
    int n = 0;
    if (st->npending > 0) {
        n = gcm_blocks(st, st->pending, st->npending, out);
        if (n < 0) {
            return n;
        }
        n = (int)st->npending;
    }
#if MBEDTLS_VERSION_MAJOR >= 3
    size_t olen = 0;
    if (mbedtls_gcm_finish(&st->gcm, NULL, 0, &olen, tag, OTA_GCM_TAG_LEN) != 0) {
        return OTA_ERR_CRYPTO;
    }
#else
    if (mbedtls_gcm_finish(&st->gcm, tag, OTA_GCM_TAG_LEN) != 0) {
        return OTA_ERR_CRYPTO;
    }
#endif
    return n;
}

int ota_aes_gcm_finish_decrypt(ota_aes_gcm_ctx_t *ctx, uint8_t *out, const uint8_t tag[OTA_GCM_TAG_LEN])
{
    gcm_state_t *st = gcm(ctx);
    if (!st->active || st->encrypt) {
        return OTA_ERR_INVALID_STATE;
    }
    uint8_t computed[OTA_GCM_TAG_LEN];
    int n = gcm_final(st, out, computed);
    if (n >= 0) {
        /* constant-time compare */
        uint8_t diff = 0;
        for (size_t i = 0; i < OTA_GCM_TAG_LEN; i++) {
            diff |= (uint8_t)(computed[i] ^ tag[i]);
        }
        if (diff != 0) {
            n = OTA_ERR_ENC_AUTH;
        }
    }
    ota_aes_gcm_free(ctx);
    return n;
}

int ota_aes_gcm_finish_encrypt(ota_aes_gcm_ctx_t *ctx, uint8_t *out, uint8_t tag[OTA_GCM_TAG_LEN])
{
    gcm_state_t *st = gcm(ctx);
    if (!st->active || !st->encrypt) {
        return OTA_ERR_INVALID_STATE;
    }
    int n = gcm_final(st, out, tag);
    ota_aes_gcm_free(ctx);
    return n;
}

void ota_aes_gcm_free(ota_aes_gcm_ctx_t *ctx)
{
    if (ctx != NULL && gcm(ctx)->active) {
        mbedtls_gcm_free(&gcm(ctx)->gcm);
        mbedtls_platform_zeroize(ctx, sizeof *ctx);
    }
}

/* ---- RSA decryption, KDFs, ECDH ------------------------------------------------------------- */

int ota_rsa_pkcs1_decrypt_pem(const char *pem, size_t pem_len, const uint8_t *in, size_t in_len, uint8_t *out,
                              size_t out_cap, size_t *out_len)
{
    if (pem == NULL || in == NULL || out == NULL || out_len == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    /* The PEM is the core's to read (formats/key_der.c, the same for every backend); Mbed TLS
     * takes the DER RSAPrivateKey it holds. */
    unsigned char *der = malloc(pem_len > 0 ? pem_len : 1);
    if (der == NULL) {
        return OTA_ERR_NO_MEM;
    }
    size_t der_len = 0;
    int err = ota_pem_rsa_private_der(pem, pem_len, der, &der_len);
    rng_t rng;
    int rng_err = rng_init(&rng);
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    if (err == OTA_OK && rng_err != OTA_OK) {
        err = rng_err;
    }
    if (err == OTA_OK) {
#if MBEDTLS_VERSION_MAJOR >= 3
        int rc = mbedtls_pk_parse_key(&pk, der, der_len, NULL, 0, mbedtls_ctr_drbg_random, &rng.drbg);
#else
        int rc = mbedtls_pk_parse_key(&pk, der, der_len, NULL, 0);
#endif
        if (rc != 0 || mbedtls_pk_get_type(&pk) != MBEDTLS_PK_RSA) {
            err = OTA_ERR_KEY_PARSE;
        } else {
            /* the parsed key uses PKCS#1 v1.5 padding, which esp_enc_img_gen.py uses */
            uint8_t tmp[1024];
            size_t n = 0;
            rc = mbedtls_pk_decrypt(&pk, in, in_len, tmp, &n, sizeof tmp, mbedtls_ctr_drbg_random, &rng.drbg);
            if (rc != 0) {
                err = rc == MBEDTLS_ERR_RSA_INVALID_PADDING || rc == MBEDTLS_ERR_RSA_BAD_INPUT_DATA ||
                              rc == MBEDTLS_ERR_RSA_PRIVATE_FAILED
                          ? OTA_ERR_ENC_WRONG_KEY
                          : OTA_ERR_CRYPTO;
            } else if (n > out_cap) {
                err = OTA_ERR_BUFFER_TOO_SMALL;
            } else {
                memcpy(out, tmp, n);
                *out_len = n;
            }
            mbedtls_platform_zeroize(tmp, sizeof tmp);
        }
    }
    mbedtls_pk_free(&pk);
    rng_free(&rng);
    mbedtls_platform_zeroize(der, pem_len > 0 ? pem_len : 1);
    free(der);
    return err;
}

int ota_pbkdf2_hmac_sha256(const uint8_t *password, size_t password_len, const uint8_t *salt, size_t salt_len,
                           unsigned iterations, uint8_t *out, size_t out_len)
{
    if (password == NULL || salt == NULL || out == NULL || iterations == 0 || out_len == 0) {
        return OTA_ERR_INVALID_ARG;
    }
#if MBEDTLS_VERSION_MAJOR >= 3
    return mbedtls_pkcs5_pbkdf2_hmac_ext(MBEDTLS_MD_SHA256, password, password_len, salt, salt_len,
                                         iterations, (uint32_t)out_len, out) == 0
               ? OTA_OK
               : OTA_ERR_CRYPTO;
#else
    mbedtls_md_context_t md;
    mbedtls_md_init(&md);
    int err = OTA_ERR_CRYPTO;
    if (mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1) == 0 &&
        mbedtls_pkcs5_pbkdf2_hmac(&md, password, password_len, salt, salt_len, iterations, (uint32_t)out_len,
                                  out) == 0) {
        err = OTA_OK;
    }
    mbedtls_md_free(&md);
    return err;
#endif
}

int ota_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
                    const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    if (ikm == NULL || out == NULL || out_len == 0 || (salt == NULL && salt_len) ||
        (info == NULL && info_len)) {
        return OTA_ERR_INVALID_ARG;
    }
    return mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), salt, salt_len, ikm, ikm_len, info,
                        info_len, out, out_len) == 0
               ? OTA_OK
               : OTA_ERR_CRYPTO;
}

int ota_ecdh_p256(const uint8_t priv[32], const uint8_t peer_x[32], const uint8_t peer_y[32],
                  uint8_t secret[32])
{
    if (priv == NULL || peer_x == NULL || peer_y == NULL || secret == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi d, z;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&d);
    mbedtls_mpi_init(&z);
    rng_t rng;
    int err = rng_init(&rng);
    if (err == OTA_OK) {
        err = OTA_ERR_CRYPTO;
        if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
            mbedtls_mpi_read_binary(&d, priv, 32) == 0) {
            if (read_point(&grp, &q, peer_x, peer_y, 32) != 0 || mbedtls_ecp_check_privkey(&grp, &d) != 0) {
                err = OTA_ERR_INVALID_ARG;
            } else if (mbedtls_ecdh_compute_shared(&grp, &z, &q, &d, mbedtls_ctr_drbg_random, &rng.drbg) ==
                           0 &&
                       mbedtls_mpi_write_binary(&z, secret, 32) == 0) {
                err = OTA_OK;
            }
        }
    }
    rng_free(&rng);
    mbedtls_mpi_free(&d);
    mbedtls_mpi_free(&z);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return err;
}

int ota_ec_p256_public(const uint8_t priv[32], uint8_t x[32], uint8_t y[32])
{
    if (priv == NULL || x == NULL || y == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    mbedtls_ecp_group grp;
    mbedtls_ecp_point r;
    mbedtls_mpi d;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&r);
    mbedtls_mpi_init(&d);
    rng_t rng;
    int err = rng_init(&rng);
    if (err == OTA_OK) {
        err = OTA_ERR_CRYPTO;
        if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
            mbedtls_mpi_read_binary(&d, priv, 32) == 0) {
            if (mbedtls_ecp_check_privkey(&grp, &d) != 0) {
                err = OTA_ERR_INVALID_ARG;
            } else if (mbedtls_ecp_mul(&grp, &r, &d, &grp.G, mbedtls_ctr_drbg_random, &rng.drbg) == 0) {
                /* through the public encoder: the point's fields are private in Mbed TLS 3 */
                uint8_t pt[OTA_EC_POINT_MAX];
                size_t n = 0;
                if (mbedtls_ecp_point_write_binary(&grp, &r, MBEDTLS_ECP_PF_UNCOMPRESSED, &n, pt,
                                                   sizeof pt) == 0) {
                    err = ota_ec_point_split(pt, n, 32, x, y);
                }
            }
        }
    }
    rng_free(&rng);
    mbedtls_mpi_free(&d);
    mbedtls_ecp_point_free(&r);
    mbedtls_ecp_group_free(&grp);
    return err;
}
