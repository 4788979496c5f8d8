/* Secure Boot V2 signature blocks: decode, encode, key digests. Layout: ota_sig_block.h and
 * reference/esp-secure-formats.md. */
#include "ota/ota_sig_block.h"

#include <string.h>

#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"

#include "byte_order.h"

/* RSA offsets */
#define RSA_N       36u
#define RSA_E       420u
#define RSA_RINV    424u
#define RSA_MPRIME  808u
#define RSA_SIG     812u
#define RSA_KEY_LEN (RSA_SIG - RSA_N) /* n||e||rinv||M' = 776 */

/* The block stores big numbers little-endian; copying reverses them either way. */
static void reverse_copy(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dst[i] = src[n - 1 - i];
    }
}

size_t ota_sig_scheme_digest_len(ota_sig_scheme_t scheme)
{
    switch (scheme) {
    case OTA_SIG_SCHEME_RSA3072:
    case OTA_SIG_SCHEME_ECDSA_P256: return 32;
    case OTA_SIG_SCHEME_ECDSA_P384: return 48;
    default: return 0;
    }
}

size_t ota_sig_scheme_coord_len(ota_sig_scheme_t scheme)
{
    switch (scheme) {
    case OTA_SIG_SCHEME_ECDSA_P256: return 32;
    case OTA_SIG_SCHEME_ECDSA_P384: return 48;
    default: return 0;
    }
}

const char *ota_sig_scheme_name(ota_sig_scheme_t scheme)
{
    switch (scheme) {
    case OTA_SIG_SCHEME_RSA3072: return "RSA-3072";
    case OTA_SIG_SCHEME_ECDSA_P256: return "ECDSA-P256";
    case OTA_SIG_SCHEME_ECDSA_P384: return "ECDSA-P384";
    default: return "none";
    }
}

const char *ota_sig_scheme_family(ota_sig_scheme_t scheme)
{
    return scheme == OTA_SIG_SCHEME_RSA3072 ? "RSA" : scheme == OTA_SIG_SCHEME_NONE ? "none" : "ECDSA";
}

/* ECDSA field offsets for a digest of dlen bytes. */
static size_t ec_curve_off(size_t dlen)
{
    return 4 + dlen;
}

int ota_sig_block_parse(const uint8_t raw[OTA_SIG_BLOCK_SIZE], ota_sig_block_t *out)
{
    if (raw == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (raw[0] != OTA_SIG_BLOCK_MAGIC) {
        return OTA_ERR_SIG_BAD_MAGIC;
    }
    if (raw[1] != OTA_SIG_VERSION_RSA && raw[1] != OTA_SIG_VERSION_ECDSA) {
        return OTA_ERR_SIG_BAD_VERSION;
    }
    uint32_t crc = ota_get_le32(raw + OTA_SIG_BLOCK_CRC_OFFSET);
    if (ota_crc32_le(0, raw, OTA_SIG_BLOCK_CRC_OFFSET) != crc) {
        return OTA_ERR_SIG_BAD_CRC;
    }
    memset(out, 0, sizeof *out);
    out->version = raw[1];
    out->crc = crc;
    if (raw[1] == OTA_SIG_VERSION_RSA) {
        out->scheme = OTA_SIG_SCHEME_RSA3072;
        out->digest_len = 32;
        memcpy(out->digest, raw + 4, 32);
        reverse_copy(out->rsa_n, raw + RSA_N, OTA_SIG_RSA_LEN);
        out->rsa_e = ota_get_le32(raw + RSA_E);
        reverse_copy(out->rsa_rinv, raw + RSA_RINV, OTA_SIG_RSA_LEN);
        out->rsa_mprime = ota_get_le32(raw + RSA_MPRIME);
        reverse_copy(out->signature, raw + RSA_SIG, OTA_SIG_RSA_LEN);
        out->signature_len = OTA_SIG_RSA_LEN;
        return OTA_OK;
    }
    size_t dlen;
    switch (raw[2]) {
    case 0: dlen = 32; break;
    case 1: dlen = 48; break;
    default: return OTA_ERR_SIG_BAD_SCHEME;
    }
    uint8_t curve = raw[ec_curve_off(dlen)];
    if (curve == OTA_SIG_CURVE_P256 && dlen == 32) {
        out->scheme = OTA_SIG_SCHEME_ECDSA_P256;
    } else if (curve == OTA_SIG_CURVE_P384 && dlen == 48) {
        out->scheme = OTA_SIG_SCHEME_ECDSA_P384;
    } else {
        return OTA_ERR_SIG_BAD_SCHEME; /* P-192, or a curve that does not match the SHA */
    }
    size_t c = ota_sig_scheme_coord_len(out->scheme);
    const uint8_t *p = raw + ec_curve_off(dlen) + 1;
    out->digest_len = dlen;
    memcpy(out->digest, raw + 4, dlen);
    reverse_copy(out->ec_x, p, c);
    reverse_copy(out->ec_y, p + c, c);
    reverse_copy(out->signature, p + 2 * c, c);
    reverse_copy(out->signature + c, p + 3 * c, c);
    out->signature_len = 2 * c;
    return OTA_OK;
}

/* The key material as it sits in the block, into key_out; returns its length (0 if invalid). */
static size_t key_material(const ota_sig_block_t *b, uint8_t key_out[RSA_KEY_LEN])
{
    if (b->scheme == OTA_SIG_SCHEME_RSA3072) {
        reverse_copy(key_out, b->rsa_n, OTA_SIG_RSA_LEN);
        ota_put_le32(key_out + (RSA_E - RSA_N), b->rsa_e);
        reverse_copy(key_out + (RSA_RINV - RSA_N), b->rsa_rinv, OTA_SIG_RSA_LEN);
        ota_put_le32(key_out + (RSA_MPRIME - RSA_N), b->rsa_mprime);
        return RSA_KEY_LEN;
    }
    size_t c = ota_sig_scheme_coord_len(b->scheme);
    if (c == 0) {
        return 0;
    }
    key_out[0] = (uint8_t)(b->scheme == OTA_SIG_SCHEME_ECDSA_P256 ? OTA_SIG_CURVE_P256 : OTA_SIG_CURVE_P384);
    reverse_copy(key_out + 1, b->ec_x, c);
    reverse_copy(key_out + 1 + c, b->ec_y, c);
    return 1 + 2 * c;
}

int ota_sig_block_serialise(const ota_sig_block_t *b, uint8_t raw[OTA_SIG_BLOCK_SIZE])
{
    if (b == NULL || raw == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    size_t dlen = ota_sig_scheme_digest_len(b->scheme);
    if (dlen == 0 || b->digest_len != dlen) {
        return OTA_ERR_INVALID_ARG;
    }
    uint8_t key[RSA_KEY_LEN];
    size_t klen = key_material(b, key);
    memset(raw, 0, OTA_SIG_BLOCK_SIZE);
    raw[0] = OTA_SIG_BLOCK_MAGIC;
    memcpy(raw + 4, b->digest, dlen);
    if (b->scheme == OTA_SIG_SCHEME_RSA3072) {
        if (b->signature_len != OTA_SIG_RSA_LEN) {
            return OTA_ERR_INVALID_ARG;
        }
        raw[1] = OTA_SIG_VERSION_RSA;
        memcpy(raw + RSA_N, key, klen);
        reverse_copy(raw + RSA_SIG, b->signature, OTA_SIG_RSA_LEN);
    } else {
        size_t c = ota_sig_scheme_coord_len(b->scheme);
        if (b->signature_len != 2 * c) {
            return OTA_ERR_INVALID_ARG;
        }
        raw[1] = OTA_SIG_VERSION_ECDSA;
        raw[2] = b->scheme == OTA_SIG_SCHEME_ECDSA_P384 ? 1 : 0;
        uint8_t *p = raw + ec_curve_off(dlen);
        memcpy(p, key, klen);
        reverse_copy(p + klen, b->signature, c);
        reverse_copy(p + klen + c, b->signature + c, c);
    }
    ota_put_le32(raw + OTA_SIG_BLOCK_CRC_OFFSET, ota_crc32_le(0, raw, OTA_SIG_BLOCK_CRC_OFFSET));
    return OTA_OK;
}

int ota_sig_block_key_digest(const ota_sig_block_t *b, uint8_t out[OTA_SIG_KEY_DIGEST_LEN])
{
    if (b == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    uint8_t key[RSA_KEY_LEN];
    size_t klen = key_material(b, key);
    if (klen == 0) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_sha256(key, klen, out);
    return OTA_OK;
}

int ota_sig_block_raw_key_digest(const uint8_t raw[OTA_SIG_BLOCK_SIZE], uint8_t out[OTA_SIG_KEY_DIGEST_LEN])
{
    if (raw == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (raw[1] == OTA_SIG_VERSION_RSA) {
        ota_sha256(raw + RSA_N, RSA_KEY_LEN, out);
        return OTA_OK;
    }
    if (raw[1] == OTA_SIG_VERSION_ECDSA && raw[2] <= 1) {
        size_t dlen = raw[2] == 0 ? 32 : 48;
        ota_sha256(raw + ec_curve_off(dlen), 1 + 2 * (dlen == 32 ? 32 : 48), out);
        return OTA_OK;
    }
    return OTA_ERR_SIG_BAD_VERSION;
}

bool ota_sig_block_same_key(const ota_sig_block_t *a, const ota_sig_block_t *b)
{
    if (a == NULL || b == NULL || a->scheme != b->scheme) {
        return false;
    }
    uint8_t ka[RSA_KEY_LEN], kb[RSA_KEY_LEN];
    size_t la = key_material(a, ka);
    size_t lb = key_material(b, kb);
    return la != 0 && la == lb && memcmp(ka, kb, la) == 0;
}

int ota_sig_sector_parse(const uint8_t sector[OTA_SIG_SECTOR_SIZE],
                         ota_sig_block_t blocks[OTA_SIG_MAX_BLOCKS], int *first_err)
{
    int n = 0;
    int err = OTA_OK;
    for (unsigned i = 0; i < OTA_SIG_MAX_BLOCKS; i++) {
        err = ota_sig_block_parse(sector + i * OTA_SIG_BLOCK_SIZE, &blocks[i]);
        if (err != OTA_OK) {
            break;
        }
        n++;
    }
    if (first_err != NULL) {
        *first_err = err;
    }
    return n;
}

uint64_t ota_sig_sector_offset_for_image(uint64_t image_len)
{
    return (image_len + OTA_SIG_SECTOR_SIZE - 1) / OTA_SIG_SECTOR_SIZE * OTA_SIG_SECTOR_SIZE;
}

uint64_t ota_sig_sector_offset_for_data(uint64_t total_len)
{
    uint64_t down = total_len / OTA_SIG_SECTOR_SIZE * OTA_SIG_SECTOR_SIZE;
    return down < OTA_SIG_SECTOR_SIZE ? UINT64_MAX : down - OTA_SIG_SECTOR_SIZE;
}
