/* ota_crypto_keys.h on OpenSSL 3: the CLI's signing, key generation and image encryption. */
#define OPENSSL_SUPPRESS_DEPRECATED /* PEM_read_bio_RSAPublicKey + EVP_PKEY_assign_RSA: PKCS#1 public keys */
#include "port/posix/ota_crypto_keys.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "formats/key_der.h"
#include "ota/ota_err.h"

struct ota_key {
    EVP_PKEY *pkey;
    ota_sig_scheme_t scheme;
    bool has_private;
};

static ota_sig_scheme_t scheme_of(EVP_PKEY *pkey)
{
    if (EVP_PKEY_is_a(pkey, "RSA")) {
        return EVP_PKEY_get_bits(pkey) == 3072 ? OTA_SIG_SCHEME_RSA3072 : OTA_SIG_SCHEME_NONE;
    }
    if (EVP_PKEY_is_a(pkey, "EC")) {
        char group[64] = "";
        size_t n = 0;
        if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &n) != 1) {
            return OTA_SIG_SCHEME_NONE;
        }
        if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
            return OTA_SIG_SCHEME_ECDSA_P256;
        }
        if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
            return OTA_SIG_SCHEME_ECDSA_P384;
        }
    }
    return OTA_SIG_SCHEME_NONE;
}

static bool has_private_part(EVP_PKEY *pkey)
{
    BIGNUM *bn = NULL;
    const char *name = EVP_PKEY_is_a(pkey, "RSA") ? OSSL_PKEY_PARAM_RSA_D : OSSL_PKEY_PARAM_PRIV_KEY;
    bool yes = EVP_PKEY_get_bn_param(pkey, name, &bn) == 1 && bn != NULL;
    BN_clear_free(bn);
    return yes;
}

static int wrap(EVP_PKEY *pkey, ota_key_t **out)
{
    ota_sig_scheme_t scheme = scheme_of(pkey);
    if (scheme == OTA_SIG_SCHEME_NONE) {
        EVP_PKEY_free(pkey);
        return OTA_ERR_KEY_UNSUPPORTED;
    }
    ota_key_t *k = calloc(1, sizeof *k);
    if (k == NULL) {
        EVP_PKEY_free(pkey);
        return OTA_ERR_NO_MEM;
    }
    k->pkey = pkey;
    k->scheme = scheme;
    k->has_private = has_private_part(pkey);
    *out = k;
    return OTA_OK;
}

int ota_key_load_pem(const void *pem, size_t len, ota_key_t **out)
{
    if (pem == NULL || out == NULL || len > INT32_MAX) {
        return OTA_ERR_INVALID_ARG;
    }
    *out = NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) {
        return OTA_ERR_NO_MEM;
    }
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    if (pkey == NULL) {
        (void)BIO_reset(bio);
        pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    }
    if (pkey == NULL) {
        (void)BIO_reset(bio);
        RSA *rsa = PEM_read_bio_RSAPublicKey(bio, NULL, NULL, NULL);
        if (rsa != NULL) {
            pkey = EVP_PKEY_new();
            if (pkey == NULL || EVP_PKEY_assign_RSA(pkey, rsa) != 1) {
                RSA_free(rsa);
                EVP_PKEY_free(pkey);
                pkey = NULL;
            }
        }
    }
    BIO_free(bio);
    if (pkey == NULL) {
        return OTA_ERR_KEY_PARSE;
    }
    return wrap(pkey, out);
}

void ota_key_free(ota_key_t *key)
{
    if (key != NULL) {
        EVP_PKEY_free(key->pkey);
        free(key);
    }
}

ota_sig_scheme_t ota_key_scheme(const ota_key_t *key)
{
    return key->scheme;
}

bool ota_key_is_private(const ota_key_t *key)
{
    return key->has_private;
}

/* x^-1 mod 2^32 for odd x (Newton: each step doubles the correct low bits). */
static uint32_t inverse_mod_2_32(uint32_t x)
{
    uint32_t inv = x; /* right to 3 bits for odd x */
    for (int i = 0; i < 5; i++) {
        inv *= 2u - x * inv;
    }
    return inv;
}

static int rsa_fields(EVP_PKEY *pkey, ota_sig_block_t *b)
{
    BIGNUM *n = NULL, *e = NULL, *r = BN_new();
    BN_CTX *ctx = BN_CTX_new();
    int err = OTA_ERR_CRYPTO;
    if (r != NULL && ctx != NULL && EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
        EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) == 1 && BN_num_bytes(e) <= 4 &&
        BN_bn2binpad(n, b->rsa_n, OTA_SIG_RSA_LEN) == (int)OTA_SIG_RSA_LEN && BN_set_word(r, 1) == 1 &&
        BN_lshift(r, r, 6144) == 1 && BN_mod(r, r, n, ctx) == 1 &&
        BN_bn2binpad(r, b->rsa_rinv, OTA_SIG_RSA_LEN) == (int)OTA_SIG_RSA_LEN) {
        b->rsa_e = (uint32_t)BN_get_word(e);
        uint32_t n0 = (uint32_t)BN_mod_word(n, (BN_ULONG)1 << 32);
        b->rsa_mprime = 0u - inverse_mod_2_32(n0);
        err = OTA_OK;
    }
    BN_free(n);
    BN_free(e);
    BN_free(r);
    BN_CTX_free(ctx);
    return err;
}

int ota_key_to_block(const ota_key_t *key, ota_sig_block_t *b)
{
    if (key == NULL || b == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    b->scheme = key->scheme;
    b->version = key->scheme == OTA_SIG_SCHEME_RSA3072 ? OTA_SIG_VERSION_RSA : OTA_SIG_VERSION_ECDSA;
    b->digest_len = ota_sig_scheme_digest_len(key->scheme);
    if (key->scheme == OTA_SIG_SCHEME_RSA3072) {
        return rsa_fields(key->pkey, b);
    }
    size_t c = ota_sig_scheme_coord_len(key->scheme);
    uint8_t pt[OTA_EC_POINT_MAX];
    size_t n = 0;
    if (EVP_PKEY_get_octet_string_param(key->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof pt, &n) !=
        1) {
        return OTA_ERR_CRYPTO;
    }
    return ota_ec_point_split(pt, n, c, b->ec_x, b->ec_y);
}

int ota_key_sign_block(const ota_key_t *key, ota_sig_block_t *b)
{
    if (key == NULL || b == NULL || !key->has_private ||
        b->digest_len != ota_sig_scheme_digest_len(key->scheme)) {
        return OTA_ERR_INVALID_ARG;
    }
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(key->pkey, NULL);
    int err = OTA_ERR_CRYPTO;
    if (pctx == NULL || EVP_PKEY_sign_init(pctx) != 1) {
        goto out;
    }
    if (key->scheme == OTA_SIG_SCHEME_RSA3072) {
        size_t n = OTA_SIG_RSA_LEN;
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
            EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) == 1 &&
            EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1 &&
            EVP_PKEY_sign(pctx, b->signature, &n, b->digest, b->digest_len) == 1 && n == OTA_SIG_RSA_LEN) {
            b->signature_len = n;
            err = OTA_OK;
        }
        goto out;
    }
    uint8_t der[160];
    size_t dlen = sizeof der;
    if (EVP_PKEY_sign(pctx, der, &dlen, b->digest, b->digest_len) == 1) {
        const unsigned char *p = der;
        ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
        size_t c = ota_sig_scheme_coord_len(key->scheme);
        if (sig != NULL && BN_bn2binpad(ECDSA_SIG_get0_r(sig), b->signature, (int)c) == (int)c &&
            BN_bn2binpad(ECDSA_SIG_get0_s(sig), b->signature + c, (int)c) == (int)c) {
            b->signature_len = 2 * c;
            err = OTA_OK;
        }
        ECDSA_SIG_free(sig);
    }
out:
    EVP_PKEY_CTX_free(pctx);
    return err;
}

int ota_key_generate(ota_sig_scheme_t scheme, ota_key_t **out)
{
    if (out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    EVP_PKEY *pkey = NULL;
    switch (scheme) {
    case OTA_SIG_SCHEME_RSA3072: pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072); break;
    case OTA_SIG_SCHEME_ECDSA_P256: pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); break;
    case OTA_SIG_SCHEME_ECDSA_P384: pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"); break;
    default: return OTA_ERR_INVALID_ARG;
    }
    if (pkey == NULL) {
        return OTA_ERR_CRYPTO;
    }
    return wrap(pkey, out);
}

int ota_key_to_pem(const ota_key_t *key, bool private_part, char **pem, size_t *len)
{
    if (key == NULL || pem == NULL || len == NULL || (private_part && !key->has_private)) {
        return OTA_ERR_INVALID_ARG;
    }
    BIO *bio = BIO_new(BIO_s_secmem());
    if (bio == NULL) {
        return OTA_ERR_NO_MEM;
    }
    int ok = private_part ? PEM_write_bio_PrivateKey_traditional(bio, key->pkey, NULL, NULL, 0, NULL, NULL)
                          : PEM_write_bio_PUBKEY(bio, key->pkey);
    int err = OTA_ERR_CRYPTO;
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    if (ok == 1 && n > 0) {
        *pem = malloc((size_t)n + 1);
        if (*pem == NULL) {
            err = OTA_ERR_NO_MEM;
        } else {
            memcpy(*pem, data, (size_t)n);
            (*pem)[n] = 0;
            *len = (size_t)n;
            err = OTA_OK;
        }
    }
    BIO_free(bio);
    return err;
}

int ota_crypto_random(uint8_t *out, size_t len)
{
    return len <= INT32_MAX && RAND_bytes(out, (int)len) == 1 ? OTA_OK : OTA_ERR_CRYPTO;
}

int ota_key_rsa_encrypt(const ota_key_t *key, const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                        size_t *out_len)
{
    if (key == NULL || !EVP_PKEY_is_a(key->pkey, "RSA")) {
        return OTA_ERR_INVALID_ARG;
    }
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(key->pkey, NULL);
    size_t need = 0;
    int err = OTA_ERR_CRYPTO;
    if (pctx != NULL && EVP_PKEY_encrypt_init(pctx) == 1 &&
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
        EVP_PKEY_encrypt(pctx, NULL, &need, in, in_len) == 1) {
        if (need > out_cap) {
            err = OTA_ERR_BUFFER_TOO_SMALL;
        } else if (EVP_PKEY_encrypt(pctx, out, &need, in, in_len) == 1) {
            *out_len = need;
            err = OTA_OK;
        }
    }
    EVP_PKEY_CTX_free(pctx);
    return err;
}

int ota_key_p256_point(const ota_key_t *key, uint8_t x[32], uint8_t y[32])
{
    if (key == NULL || key->scheme != OTA_SIG_SCHEME_ECDSA_P256) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_sig_block_t b;
    int err = ota_key_to_block(key, &b);
    if (err == OTA_OK) {
        memcpy(x, b.ec_x, 32);
        memcpy(y, b.ec_y, 32);
    }
    return err;
}

int ota_ec_p256_generate(uint8_t priv[32], uint8_t x[32], uint8_t y[32])
{
    ota_key_t *k = NULL;
    int err = ota_key_generate(OTA_SIG_SCHEME_ECDSA_P256, &k);
    if (err != OTA_OK) {
        return err;
    }
    BIGNUM *d = NULL;
    err = OTA_ERR_CRYPTO;
    if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1 &&
        BN_bn2binpad(d, priv, 32) == 32) {
        err = ota_key_p256_point(k, x, y);
    }
    BN_clear_free(d);
    ota_key_free(k);
    return err;
}
