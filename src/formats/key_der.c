/* Key encodings every crypto backend needs (formats/key_der.h): PEM -> DER RSA private key,
 * the DER RSAPublicKey of (n, e), the SEC1 uncompressed point. Moved here from the PSA backend
 * (issue 21: the backends' key parsing in one place); the OpenSSL and Mbed TLS backends parse the
 * PEM with it too, so an encrypted or non-RSA key is refused the same way by all three. */
#include <string.h>

#include "formats/key_der.h"
#include "ota/ota_err.h"

/* ---- reading: PEM, base64, DER ---------------------------------------------------------------- */

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

int ota_pem_rsa_private_der(const char *pem, size_t pem_len, uint8_t *der, size_t *der_len)
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

/* ---- writing: DER RSAPublicKey, SEC1 points ---------------------------------------------------- */

/* DER length field; returns its size. */
static size_t der_len(uint8_t *p, size_t len)
{
    if (len < 0x80) {
        p[0] = (uint8_t)len;
        return 1;
    }
    if (len < 0x100) {
        p[0] = 0x81;
        p[1] = (uint8_t)len;
        return 2;
    }
    p[0] = 0x82;
    p[1] = (uint8_t)(len >> 8);
    p[2] = (uint8_t)len;
    return 3;
}

/* DER INTEGER of the unsigned big-endian number v (leading zeros dropped, a 0x00 put back when
 * the top bit is set); with p == NULL only the size. */
static size_t der_uint(uint8_t *p, const uint8_t *v, size_t n)
{
    while (n > 1 && v[0] == 0) {
        v++;
        n--;
    }
    size_t body = n + (v[0] & 0x80 ? 1 : 0);
    uint8_t hdr[4];
    size_t h = 1 + der_len(hdr + 1, body);
    if (p != NULL) {
        p[0] = 0x02;
        memcpy(p + 1, hdr + 1, h - 1);
        p[h] = 0;
        memcpy(p + h + body - n, v, n);
    }
    return h + body;
}

size_t ota_der_rsa_public(uint8_t *out, size_t cap, const uint8_t *n, size_t n_len, uint32_t e)
{
    if (n == NULL || n_len == 0 || n_len > 0xFFFF - 16) {
        return 0;
    }
    uint8_t eb[4] = {(uint8_t)(e >> 24), (uint8_t)(e >> 16), (uint8_t)(e >> 8), (uint8_t)e};
    size_t body = der_uint(NULL, n, n_len) + der_uint(NULL, eb, sizeof eb);
    uint8_t hdr[4];
    size_t h = 1 + der_len(hdr, body);
    if (body > 0xFFFF || h + body > cap) {
        return 0;
    }
    out[0] = 0x30;
    memcpy(out + 1, hdr, h - 1);
    size_t off = h + der_uint(out + h, n, n_len);
    off += der_uint(out + off, eb, sizeof eb);
    return off;
}

size_t ota_ec_coord_len(ota_ec_curve_t curve)
{
    switch (curve) {
    case OTA_EC_P256: return 32;
    case OTA_EC_P384: return 48;
    default: return 0;
    }
}

size_t ota_ec_point_uncompressed(uint8_t out[OTA_EC_POINT_MAX], const uint8_t *x, const uint8_t *y, size_t c)
{
    out[0] = 0x04;
    memcpy(out + 1, x, c);
    memcpy(out + 1 + c, y, c);
    return 1 + 2 * c;
}

int ota_ec_point_split(const uint8_t *pt, size_t n, size_t c, uint8_t *x, uint8_t *y)
{
    if (c == 0 || n != 1 + 2 * c || pt[0] != 0x04) {
        return OTA_ERR_CRYPTO;
    }
    memcpy(x, pt + 1, c);
    memcpy(y, pt + 1 + c, c);
    return OTA_OK;
}
