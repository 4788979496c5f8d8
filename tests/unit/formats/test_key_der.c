/* The key encodings the crypto backends share (src/formats/key_der.c), against OpenSSL's own
 * encoders as the independent computation, on Espressif's test keys (../shared/testdata/secure). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "test_support.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "formats/key_der.h"
#include "ota/ota_err.h"

#define SECURE OTA_TESTDATA_DIR "/secure/"

typedef struct {
    char *data;
    size_t len;
} blob_t;

static blob_t load(const char *name)
{
    blob_t b = {NULL, 0};
    b.data = (char *)ts_read_file_at(SECURE, name, &b.len);
    return b;
}

static EVP_PKEY *openssl_key(const blob_t *pem, int is_public)
{
    BIO *bio = BIO_new_mem_buf(pem->data, (int)pem->len);
    assert_non_null(bio);
    EVP_PKEY *k = is_public ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)
                            : PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    assert_non_null(k);
    return k;
}

/* A PEM written by OpenSSL: PKCS#8 (@p pkcs8), optionally encrypted with a pass phrase. */
static blob_t openssl_pem(EVP_PKEY *k, int pkcs8, int encrypted)
{
    BIO *bio = BIO_new(BIO_s_mem());
    const EVP_CIPHER *c = encrypted ? EVP_aes_256_cbc() : NULL;
    int ok =
        pkcs8 ? PEM_write_bio_PKCS8PrivateKey(bio, k, c, encrypted ? "secret" : NULL, encrypted ? 6 : 0, NULL,
                                              NULL)
              : PEM_write_bio_PrivateKey_traditional(bio, k, c, encrypted ? (unsigned char *)"secret" : NULL,
                                                     encrypted ? 6 : 0, NULL, NULL);
    assert_int_equal(ok, 1);
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    blob_t b = {malloc((size_t)n), (size_t)n};
    memcpy(b.data, data, (size_t)n);
    BIO_free(bio);
    return b;
}

static void test_rsa_private_pem(void **state)
{
    (void)state;
    blob_t pem = load("enc_rsa3072_priv.pem"); /* "RSA PRIVATE KEY": PKCS#1 */
    EVP_PKEY *k = openssl_key(&pem, 0);
    /* i2d_PrivateKey: the algorithm's own form, RSAPrivateKey (PKCS#1) for RSA */
    unsigned char *want = NULL;
    int want_len = i2d_PrivateKey(k, &want);
    assert_true(want_len > 0);

    uint8_t *der = malloc(pem.len);
    size_t der_len = 0;
    assert_int_equal(ota_pem_rsa_private_der(pem.data, pem.len, der, &der_len), OTA_OK);
    assert_int_equal(der_len, (size_t)want_len);
    assert_memory_equal(der, want, der_len);

    /* the same key as PKCS#8 ("PRIVATE KEY"), as openssl genpkey writes it: unwrapped to the same */
    blob_t p8 = openssl_pem(k, 1, 0);
    assert_non_null(strstr(p8.data, "BEGIN PRIVATE KEY"));
    uint8_t *der8 = malloc(p8.len);
    size_t der8_len = 0;
    assert_int_equal(ota_pem_rsa_private_der(p8.data, p8.len, der8, &der8_len), OTA_OK);
    assert_int_equal(der8_len, (size_t)want_len);
    assert_memory_equal(der8, want, der8_len);

    /* encrypted PEMs (traditional with Proc-Type, PKCS#8 "ENCRYPTED PRIVATE KEY") are refused */
    blob_t enc1 = openssl_pem(k, 0, 1), enc8 = openssl_pem(k, 1, 1);
    uint8_t *tmp = malloc(enc1.len > enc8.len ? enc1.len : enc8.len);
    assert_int_equal(ota_pem_rsa_private_der(enc1.data, enc1.len, tmp, &der_len), OTA_ERR_KEY_PARSE);
    assert_int_equal(ota_pem_rsa_private_der(enc8.data, enc8.len, tmp, &der_len), OTA_ERR_KEY_PARSE);
    free(tmp);
    free(enc1.data);
    free(enc8.data);
    free(der8);
    free(p8.data);
    free(der);
    OPENSSL_free(want);
    EVP_PKEY_free(k);
    free(pem.data);
}

static void test_not_rsa_private(void **state)
{
    (void)state;
    uint8_t der[4096];
    size_t der_len = 0;
    blob_t ec = load("key_ecdsa256.pem"); /* "EC PRIVATE KEY" */
    assert_int_equal(ota_pem_rsa_private_der(ec.data, ec.len, der, &der_len), OTA_ERR_KEY_PARSE);
    EVP_PKEY *k = openssl_key(&ec, 0);
    blob_t ec8 = openssl_pem(k, 1, 0); /* PKCS#8 of id-ecPublicKey, not rsaEncryption */
    assert_int_equal(ota_pem_rsa_private_der(ec8.data, ec8.len, der, &der_len), OTA_ERR_KEY_PARSE);
    blob_t pub = load("pub_rsa3072.pem"); /* a public key is no private key */
    assert_int_equal(ota_pem_rsa_private_der(pub.data, pub.len, der, &der_len), OTA_ERR_KEY_PARSE);
    static const char junk[] = "-----BEGIN RSA PRIVATE KEY-----\n!!!!\n-----END RSA PRIVATE KEY-----\n";
    assert_int_equal(ota_pem_rsa_private_der(junk, sizeof junk - 1, der, &der_len), OTA_ERR_KEY_PARSE);
    static const char cut[] = "-----BEGIN RSA PRIVATE KEY-----\nMIIG4wIBAAKCAYEA";
    assert_int_equal(ota_pem_rsa_private_der(cut, sizeof cut - 1, der, &der_len), OTA_ERR_KEY_PARSE);
    free(pub.data);
    free(ec8.data);
    EVP_PKEY_free(k);
    free(ec.data);
}

static void test_rsa_public_der(void **state)
{
    (void)state;
    blob_t pem = load("pub_rsa3072.pem");
    EVP_PKEY *k = openssl_key(&pem, 1);
    /* i2d_PublicKey: RSAPublicKey (PKCS#1) for RSA */
    unsigned char *want = NULL;
    int want_len = i2d_PublicKey(k, &want);
    assert_true(want_len > 0);
    BIGNUM *n = NULL, *e = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n), 1);
    assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e), 1);
    uint8_t nb[384];
    assert_int_equal(BN_bn2binpad(n, nb, sizeof nb), (int)sizeof nb);
    uint8_t der[512];
    size_t len = ota_der_rsa_public(der, sizeof der, nb, sizeof nb, (uint32_t)BN_get_word(e));
    assert_int_equal(len, (size_t)want_len);
    assert_memory_equal(der, want, len);
    /* leading zero bytes of the modulus are not part of the INTEGER (X.690 8.3.2) */
    uint8_t padded[385] = {0};
    memcpy(padded + 1, nb, sizeof nb);
    assert_int_equal(ota_der_rsa_public(der, sizeof der, padded, sizeof padded, (uint32_t)BN_get_word(e)),
                     len);
    assert_memory_equal(der, want, len);
    /* too small a buffer: nothing */
    assert_int_equal(ota_der_rsa_public(der, (size_t)want_len - 1, nb, sizeof nb, 65537), 0);
    BN_free(n);
    BN_free(e);
    OPENSSL_free(want);
    EVP_PKEY_free(k);
    free(pem.data);
}

static void test_ec_points(void **state)
{
    (void)state;
    assert_int_equal(ota_ec_coord_len(OTA_EC_P256), 32);
    assert_int_equal(ota_ec_coord_len(OTA_EC_P384), 48);
    assert_int_equal(ota_ec_coord_len((ota_ec_curve_t)0), 0);
    const char *files[] = {"pub_ecdsa256.pem", "pub_ecdsa384.pem"};
    for (int i = 0; i < 2; i++) {
        blob_t pem = load(files[i]);
        EVP_PKEY *k = openssl_key(&pem, 1);
        uint8_t want[OTA_EC_POINT_MAX];
        size_t want_len = 0;
        assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, want,
                                                         sizeof want, &want_len),
                         1);
        size_t c = i == 0 ? 32 : 48;
        uint8_t x[48], y[48], pt[OTA_EC_POINT_MAX];
        assert_int_equal(ota_ec_point_split(want, want_len, c, x, y), OTA_OK);
        assert_int_equal(ota_ec_point_uncompressed(pt, x, y, c), want_len);
        assert_memory_equal(pt, want, want_len);
        /* a point of the other curve's size, or a compressed one (0x02/0x03), is refused */
        assert_int_equal(ota_ec_point_split(want, want_len, i == 0 ? 48 : 32, x, y), OTA_ERR_CRYPTO);
        want[0] = 0x02;
        assert_int_equal(ota_ec_point_split(want, want_len, c, x, y), OTA_ERR_CRYPTO);
        EVP_PKEY_free(k);
        free(pem.data);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rsa_private_pem),
        cmocka_unit_test(test_not_rsa_private),
        cmocka_unit_test(test_rsa_public_der),
        cmocka_unit_test(test_ec_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
