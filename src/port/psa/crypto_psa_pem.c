/* PEM private key -> DER RSAPrivateKey for PSA's import (PSA takes RSA key pairs as PKCS#1 DER only;
 * the PEM parser of Mbed TLS, mbedtls_pk_*, is not part of the PSA API). PKCS#1 ("RSA PRIVATE
 * KEY") and unencrypted PKCS#8 ("PRIVATE KEY") are what esp_enc_img_gen.py / openssl write. */
#include <string.h>

#include "crypto_psa_internal.h"
#include "ota/ota_err.h"

static const char *find(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; n <= len && i <= len - n; i++) {
        if (memcmp(hay + i, needle, n) == 0) {
            return hay + i;
        }
    }
    return NULL;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Base64 body (line breaks allowed, '=' ends it); -1 on any other character. */
static long b64_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == '\n' || c == '\r' || c == ' ' || c == '\t') {
            continue;
        }
        if (c == '=') {
            break;
        }
        int v = b64_value(c);
        if (v < 0) {
            return -1; /* e.g. "Proc-Type: 4,ENCRYPTED" headers: an encrypted key */
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n == cap) {
                return -1;
            }
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    return (long)n;
}

/* One DER tag-length header at *p (< end); on success *p points at the contents. */
static int der_open(const uint8_t **p, const uint8_t *end, uint8_t tag, size_t *len)
{
    const uint8_t *q = *p;
    if (end - q < 2 || q[0] != tag) {
        return -1;
    }
    size_t l = q[1];
    q += 2;
    if (l & 0x80) {
        size_t k = l & 0x7f;
        if (k == 0 || k > 3 || (size_t)(end - q) < k) {
            return -1;
        }
        l = 0;
        while (k-- > 0) {
            l = l << 8 | *q++;
        }
    }
    if ((size_t)(end - q) < l) {
        return -1;
    }
    *p = q;
    *len = l;
    return 0;
}

/* PrivateKeyInfo ::= SEQUENCE { version INTEGER, algorithm AlgorithmIdentifier, privateKey OCTET
 * STRING } (RFC 5208): the RSAPrivateKey inside, when the algorithm is rsaEncryption. */
static int pkcs8_unwrap(uint8_t *der, size_t *der_len)
{
    static const uint8_t rsa_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
    const uint8_t *p = der, *end = der + *der_len;
    size_t l = 0;
    if (der_open(&p, end, 0x30, &l) != 0) {
        return -1;
    }
    end = p + l;
    if (der_open(&p, end, 0x02, &l) != 0) {
        return -1;
    }
    p += l;
    if (der_open(&p, end, 0x30, &l) != 0) {
        return -1;
    }
    const uint8_t *alg_end = p + l;
    if (der_open(&p, alg_end, 0x06, &l) != 0 || l != sizeof rsa_oid || memcmp(p, rsa_oid, l) != 0) {
        return -1;
    }
    p = alg_end;
    if (der_open(&p, end, 0x04, &l) != 0) {
        return -1;
    }
    memmove(der, p, l);
    *der_len = l;
    return 0;
}

int ota_psa_pem_rsa_private_der(const char *pem, size_t pem_len, uint8_t *der, size_t *der_len)
{
    static const char *const kinds[] = {"-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN PRIVATE KEY-----"};
    for (int k = 0; k < 2; k++) {
        const char *begin = find(pem, pem_len, kinds[k]);
        if (begin == NULL) {
            continue;
        }
        const char *body = begin + strlen(kinds[k]);
        const char *end = find(body, pem_len - (size_t)(body - pem), "-----END");
        if (end == NULL) {
            return OTA_ERR_KEY_PARSE;
        }
        long n = b64_decode(body, (size_t)(end - body), der, pem_len);
        if (n <= 0) {
            return OTA_ERR_KEY_PARSE;
        }
        *der_len = (size_t)n;
        if (k == 1 && pkcs8_unwrap(der, der_len) != 0) {
            return OTA_ERR_KEY_PARSE; /* PKCS#8 of another algorithm (EC ...) */
        }
        return OTA_OK;
    }
    return OTA_ERR_KEY_PARSE;
}
