/* ota_crypto.h on OpenSSL: signature verification, AES-256-GCM, RSA decryption, ECDH, KDFs.
 *
 * The EC and RSA key set-up uses the low-level RSA / EC_KEY calls (deprecated in OpenSSL 3 in
 * favour of OSSL_PARAM builders): they take raw big-endian numbers exactly as the signature
 * block holds them, in a few lines, and run the same code underneath. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "ota/port/ota_crypto.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

#include "formats/key_der.h"
#include "ota/ota_err.h"

/* ---- signatures ----------------------------------------------------------------------------- */

int ota_rsa_pss_verify_sha256(const uint8_t *n, size_t n_len, uint32_t e, const uint8_t hash[OTA_SHA256_LEN],
                              const uint8_t *sig, size_t sig_len)
{
    if (n == NULL || n_len == 0 || hash == NULL || sig == NULL || sig_len != n_len) {
        return OTA_ERR_INVALID_ARG;
    }
    int err = OTA_ERR_CRYPTO;
    RSA *rsa = RSA_new();
    BIGNUM *bn = BN_bin2bn(n, (int)n_len, NULL);
    BIGNUM *be = BN_new();
    EVP_PKEY *pkey = EVP_PKEY_new();
    EVP_PKEY_CTX *pctx = NULL;
    if (rsa == NULL || bn == NULL || be == NULL || pkey == NULL || BN_set_word(be, e) != 1 ||
        RSA_set0_key(rsa, bn, be, NULL) != 1) {
        BN_free(bn);
        BN_free(be);
        goto out;
    }
    /* rsa owns bn and be now */
    if (EVP_PKEY_set1_RSA(pkey, rsa) != 1 || (pctx = EVP_PKEY_CTX_new(pkey, NULL)) == NULL ||
        EVP_PKEY_verify_init(pctx) != 1 || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) != 1) {
        goto out;
    }
    err = EVP_PKEY_verify(pctx, sig, sig_len, hash, OTA_SHA256_LEN) == 1 ? OTA_OK : OTA_ERR_SIG_INVALID;
out:
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_free(pkey);
    RSA_free(rsa);
    return err;
}

static int curve_nid(ota_ec_curve_t curve, size_t *coord)
{
    *coord = ota_ec_coord_len(curve);
    switch (curve) {
    case OTA_EC_P256: return NID_X9_62_prime256v1;
    case OTA_EC_P384: return NID_secp384r1;
    default: return NID_undef;
    }
}

/* An EC_KEY with the public point (x, y); NULL if the point is not on the curve. */
static EC_KEY *ec_public_key(int nid, const uint8_t *x, const uint8_t *y, size_t c)
{
    EC_KEY *key = EC_KEY_new_by_curve_name(nid);
    BIGNUM *bx = BN_bin2bn(x, (int)c, NULL);
    BIGNUM *by = BN_bin2bn(y, (int)c, NULL);
    if (key == NULL || bx == NULL || by == NULL ||
        EC_KEY_set_public_key_affine_coordinates(key, bx, by) != 1) {
        EC_KEY_free(key);
        key = NULL;
    }
    BN_free(bx);
    BN_free(by);
    return key;
}

int ota_ecdsa_verify(ota_ec_curve_t curve, const uint8_t *x, const uint8_t *y, const uint8_t *hash,
                     size_t hash_len, const uint8_t *r, const uint8_t *s)
{
    size_t c = 0;
    int nid = curve_nid(curve, &c);
    if (nid == NID_undef || x == NULL || y == NULL || hash == NULL || r == NULL || s == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    EC_KEY *key = ec_public_key(nid, x, y, c);
    if (key == NULL) {
        return OTA_ERR_SIG_INVALID;
    }
    int err = OTA_ERR_CRYPTO;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *br = BN_bin2bn(r, (int)c, NULL);
    BIGNUM *bs = BN_bin2bn(s, (int)c, NULL);
    if (sig == NULL || br == NULL || bs == NULL || ECDSA_SIG_set0(sig, br, bs) != 1) {
        BN_free(br);
        BN_free(bs);
    } else {
        int rc = ECDSA_do_verify(hash, (int)hash_len, sig, key);
        err = rc == 1 ? OTA_OK : rc == 0 ? OTA_ERR_SIG_INVALID : OTA_ERR_CRYPTO;
        if (rc < 0) {
            /* r or s zero / out of range is a bad signature, not a backend failure */
            err = OTA_ERR_SIG_INVALID;
        }
    }
    ECDSA_SIG_free(sig);
    EC_KEY_free(key);
    return err;
}

/* ---- AES-256-GCM ---------------------------------------------------------------------------- */

typedef struct {
    EVP_CIPHER_CTX *evp; /* OpenSSL's; allocated by the library */
    int encrypt;
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
    if (ctx == NULL || key == NULL || iv == NULL || iv_len == 0 || iv_len > 128) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(ctx, 0, sizeof *ctx);
    gcm_state_t *st = gcm(ctx);
    st->encrypt = encrypt ? 1 : 0;
    st->evp = EVP_CIPHER_CTX_new();
    if (st->evp == NULL) {
        return OTA_ERR_NO_MEM;
    }
    if (EVP_CipherInit_ex(st->evp, EVP_aes_256_gcm(), NULL, NULL, NULL, st->encrypt) != 1 ||
        EVP_CIPHER_CTX_ctrl(st->evp, EVP_CTRL_GCM_SET_IVLEN, (int)iv_len, NULL) != 1 ||
        EVP_CipherInit_ex(st->evp, NULL, NULL, key, iv, st->encrypt) != 1) {
        ota_aes_gcm_free(ctx);
        return OTA_ERR_CRYPTO;
    }
    return OTA_OK;
}

int ota_aes_gcm_update(ota_aes_gcm_ctx_t *ctx, const uint8_t *in, size_t len, uint8_t *out)
{
    gcm_state_t *st = gcm(ctx);
    if (st->evp == NULL) {
        return OTA_ERR_INVALID_STATE;
    }
    size_t done = 0;
    /* EVP takes int lengths */
    while (done < len) {
        int chunk = len - done > (1u << 30) ? (1 << 30) : (int)(len - done);
        int outl = 0;
        if (EVP_CipherUpdate(st->evp, out + done, &outl, in + done, chunk) != 1) {
            return OTA_ERR_CRYPTO;
        }
        done += (size_t)outl;
    }
    return (int)done;
}

int ota_aes_gcm_finish_decrypt(ota_aes_gcm_ctx_t *ctx, uint8_t *out, const uint8_t tag[OTA_GCM_TAG_LEN])
{
    gcm_state_t *st = gcm(ctx);
    if (st->evp == NULL || st->encrypt) {
        return OTA_ERR_INVALID_STATE;
    }
    int outl = 0;
    int err = OTA_ERR_CRYPTO;
    if (EVP_CIPHER_CTX_ctrl(st->evp, EVP_CTRL_GCM_SET_TAG, OTA_GCM_TAG_LEN, (void *)(uintptr_t)tag) == 1) {
        err = EVP_DecryptFinal_ex(st->evp, out, &outl) == 1 ? outl : OTA_ERR_ENC_AUTH;
    }
    ota_aes_gcm_free(ctx);
    return err;
}

int ota_aes_gcm_finish_encrypt(ota_aes_gcm_ctx_t *ctx, uint8_t *out, uint8_t tag[OTA_GCM_TAG_LEN])
{
    gcm_state_t *st = gcm(ctx);
    if (st->evp == NULL || !st->encrypt) {
        return OTA_ERR_INVALID_STATE;
    }
    int outl = 0;
    int err = OTA_ERR_CRYPTO;
    if (EVP_EncryptFinal_ex(st->evp, out, &outl) == 1 &&
        EVP_CIPHER_CTX_ctrl(st->evp, EVP_CTRL_GCM_GET_TAG, OTA_GCM_TAG_LEN, tag) == 1) {
        err = outl;
    }
    ota_aes_gcm_free(ctx);
    return err;
}

void ota_aes_gcm_free(ota_aes_gcm_ctx_t *ctx)
{
    if (ctx != NULL) {
        EVP_CIPHER_CTX_free(gcm(ctx)->evp);
        gcm(ctx)->evp = NULL;
    }
}

/* ---- RSA decryption, KDFs, ECDH ------------------------------------------------------------- */

int ota_rsa_pkcs1_decrypt_pem(const char *pem, size_t pem_len, const uint8_t *in, size_t in_len, uint8_t *out,
                              size_t out_cap, size_t *out_len)
{
    if (pem == NULL || in == NULL || out == NULL || out_len == NULL || pem_len > INT32_MAX) {
        return OTA_ERR_INVALID_ARG;
    }
    /* The PEM is the core's to read (formats/key_der.c, the same for every backend; an encrypted
     * PEM is refused there, never a pass phrase prompt); OpenSSL takes the DER RSAPrivateKey. */
    uint8_t *der = OPENSSL_malloc(pem_len > 0 ? pem_len : 1);
    if (der == NULL) {
        return OTA_ERR_NO_MEM;
    }
    size_t der_len = 0;
    EVP_PKEY *pkey = NULL;
    if (ota_pem_rsa_private_der(pem, pem_len, der, &der_len) == OTA_OK) {
        const unsigned char *p = der;
        pkey = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, (long)der_len);
    }
    OPENSSL_clear_free(der, pem_len > 0 ? pem_len : 1);
    if (pkey == NULL || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
        EVP_PKEY_free(pkey);
        return OTA_ERR_KEY_PARSE;
    }
    int err = OTA_ERR_CRYPTO;
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(pkey, NULL);
    size_t need = 0;
    if (pctx != NULL && EVP_PKEY_decrypt_init(pctx) == 1 &&
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
        EVP_PKEY_decrypt(pctx, NULL, &need, in, in_len) == 1) {
        uint8_t tmp[1024];
        size_t n = sizeof tmp;
        if (need > sizeof tmp) {
            err = OTA_ERR_KEY_UNSUPPORTED;
        } else if (EVP_PKEY_decrypt(pctx, tmp, &n, in, in_len) != 1) {
            err = OTA_ERR_ENC_WRONG_KEY;
        } else if (n > out_cap) {
            err = OTA_ERR_BUFFER_TOO_SMALL;
        } else {
            memcpy(out, tmp, n);
            *out_len = n;
            err = OTA_OK;
        }
        OPENSSL_cleanse(tmp, sizeof tmp);
    }
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_free(pkey);
    return err;
}

int ota_pbkdf2_hmac_sha256(const uint8_t *password, size_t password_len, const uint8_t *salt, size_t salt_len,
                           unsigned iterations, uint8_t *out, size_t out_len)
{
    if (password == NULL || salt == NULL || out == NULL || iterations == 0 || out_len == 0) {
        return OTA_ERR_INVALID_ARG;
    }
    return PKCS5_PBKDF2_HMAC((const char *)password, (int)password_len, salt, (int)salt_len, (int)iterations,
                             EVP_sha256(), (int)out_len, out) == 1
               ? OTA_OK
               : OTA_ERR_CRYPTO;
}

int ota_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
                    const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    if (ikm == NULL || out == NULL || out_len == 0 || (salt == NULL && salt_len) ||
        (info == NULL && info_len)) {
        return OTA_ERR_INVALID_ARG;
    }
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    size_t n = out_len;
    int ok = pctx != NULL && EVP_PKEY_derive_init(pctx) == 1 &&
             EVP_PKEY_CTX_set_hkdf_md(pctx, EVP_sha256()) == 1 &&
             EVP_PKEY_CTX_set1_hkdf_salt(pctx, salt, (int)salt_len) == 1 &&
             EVP_PKEY_CTX_set1_hkdf_key(pctx, ikm, (int)ikm_len) == 1 &&
             EVP_PKEY_CTX_add1_hkdf_info(pctx, info, (int)info_len) == 1 &&
             EVP_PKEY_derive(pctx, out, &n) == 1 && n == out_len;
    EVP_PKEY_CTX_free(pctx);
    return ok ? OTA_OK : OTA_ERR_CRYPTO;
}

int ota_ecdh_p256(const uint8_t priv[32], const uint8_t peer_x[32], const uint8_t peer_y[32],
                  uint8_t secret[32])
{
    if (priv == NULL || peer_x == NULL || peer_y == NULL || secret == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    EC_KEY *peer = ec_public_key(NID_X9_62_prime256v1, peer_x, peer_y, 32);
    if (peer == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    int err = OTA_ERR_INVALID_ARG;
    EC_KEY *mine = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
    BIGNUM *d = BN_bin2bn(priv, 32, NULL);
    if (mine != NULL && d != NULL && !BN_is_zero(d) &&
        BN_cmp(d, EC_GROUP_get0_order(EC_KEY_get0_group(mine))) < 0 && EC_KEY_set_private_key(mine, d) == 1) {
        err = ECDH_compute_key(secret, 32, EC_KEY_get0_public_key(peer), mine, NULL) == 32 ? OTA_OK
                                                                                           : OTA_ERR_CRYPTO;
    }
    BN_clear_free(d);
    EC_KEY_free(mine);
    EC_KEY_free(peer);
    return err;
}

int ota_ec_p256_public(const uint8_t priv[32], uint8_t x[32], uint8_t y[32])
{
    if (priv == NULL || x == NULL || y == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    int err = OTA_ERR_INVALID_ARG;
    EC_GROUP *grp = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    EC_POINT *pt = grp != NULL ? EC_POINT_new(grp) : NULL;
    BIGNUM *d = BN_bin2bn(priv, 32, NULL);
    BIGNUM *bx = BN_new();
    BIGNUM *by = BN_new();
    if (pt != NULL && d != NULL && bx != NULL && by != NULL && !BN_is_zero(d) &&
        BN_cmp(d, EC_GROUP_get0_order(grp)) < 0) {
        err = OTA_ERR_CRYPTO;
        if (EC_POINT_mul(grp, pt, d, NULL, NULL, NULL) == 1 &&
            EC_POINT_get_affine_coordinates(grp, pt, bx, by, NULL) == 1 && BN_bn2binpad(bx, x, 32) == 32 &&
            BN_bn2binpad(by, y, 32) == 32) {
            err = OTA_OK;
        }
    }
    BN_free(bx);
    BN_free(by);
    BN_clear_free(d);
    EC_POINT_free(pt);
    EC_GROUP_free(grp);
    return err;
}
