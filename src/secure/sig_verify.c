/* Secure Boot V2 signature verification (ESP-IDF secure_boot_v2 semantics): ota_sig_verify.h. */
#include "ota/ota_sig_verify.h"

#include <string.h>

#include "ota/ota_err.h"

int ota_sig_verify_block(const ota_sig_block_t *b, const uint8_t *digest, size_t digest_len)
{
    if (b == NULL || digest == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (digest_len != b->digest_len || memcmp(digest, b->digest, digest_len) != 0) {
        return OTA_ERR_SIG_DIGEST_MISMATCH;
    }
    switch (b->scheme) {
    case OTA_SIG_SCHEME_RSA3072:
        return ota_rsa_pss_verify_sha256(b->rsa_n, OTA_SIG_RSA_LEN, b->rsa_e, b->digest, b->signature,
                                         b->signature_len);
    case OTA_SIG_SCHEME_ECDSA_P256:
    case OTA_SIG_SCHEME_ECDSA_P384: {
        size_t c = ota_sig_scheme_coord_len(b->scheme);
        return ota_ecdsa_verify(b->scheme == OTA_SIG_SCHEME_ECDSA_P256 ? OTA_EC_P256 : OTA_EC_P384, b->ec_x,
                                b->ec_y, b->digest, b->digest_len, b->signature, b->signature + c);
    }
    default: return OTA_ERR_INVALID_ARG;
    }
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t value)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != value) {
            return false;
        }
    }
    return true;
}

/* Rank of a failure: the most telling one is reported when no block verified. */
static int rank(int err)
{
    switch (err) {
    case OTA_ERR_SIG_INVALID:
    case OTA_ERR_SIG_DIGEST_MISMATCH: return 3;
    case OTA_ERR_SIG_KEY_REVOKED:
    case OTA_ERR_SIG_CHIP_SCHEME: return 2;
    case OTA_ERR_SIG_NO_TRUSTED_KEY: return 1;
    default: return 0;
    }
}

/* One block at a time (ESP-IDF checks the blocks in order, each on its own): read, parse, key
 * digest, trust, signature. With @p rep the blocks are kept there; else in @p scratch (one parsed
 * block and one raw block, OTA_SIG_VERIFY_SCRATCH bytes). */
static int verify_blocks(ota_sig_read_fn read, void *arg, uint64_t off, const uint8_t *sha256,
                         const uint8_t *sha384, const ota_sig_trust_t *trust, ota_sig_report_t *rep,
                         ota_sig_summary_t *sum, void *scratch)
{
    memset(sum, 0, sizeof *sum);
    sum->verified = -1;
    if (rep != NULL) {
        memset(rep, 0, sizeof *rep);
        rep->verified = -1;
    }
    if (read == NULL || sha256 == NULL || scratch == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_sig_block_t *own = scratch;
    uint8_t *raw = (uint8_t *)scratch + sizeof(ota_sig_block_t);
    int best = OTA_ERR_SIG_NO_TRUSTED_KEY;
    bool erased = false;
    /* the chip reads SECURE_BOOT_NUM_BLOCKS blocks (ESP32, -C2: block 0 only) */
    unsigned nblocks = trust != NULL && trust->max_blocks != 0 && trust->max_blocks < OTA_SIG_MAX_BLOCKS
                           ? trust->max_blocks
                           : OTA_SIG_MAX_BLOCKS;
    for (unsigned i = 0; i < nblocks; i++) {
        int err = read(arg, (uint32_t)(off + i * OTA_SIG_BLOCK_SIZE), raw, OTA_SIG_BLOCK_SIZE);
        if (err != OTA_OK) {
            return err;
        }
        ota_sig_block_t *b = rep != NULL ? &rep->block[i] : own;
        err = ota_sig_block_parse(raw, b);
        if (err != OTA_OK) {
            sum->parse_err = err;
            erased = i == 0 && all_bytes(raw, OTA_SIG_BLOCK_SIZE, 0xFF);
            break;
        }
        sum->blocks++;
        sum->scheme[i] = b->scheme;
        uint8_t key_digest[OTA_SIG_KEY_DIGEST_LEN];
        (void)ota_sig_block_key_digest(b, key_digest);
        if (rep != NULL) {
            memcpy(rep->key_digest[i], key_digest, sizeof key_digest);
        }
        err = OTA_OK;
        if (trust != NULL && trust->schemes != 0 && (trust->schemes & (1u << b->scheme)) == 0) {
            err = OTA_ERR_SIG_CHIP_SCHEME; /* the caller names the rule (ota_chip_sbv2_rule) */
        } else if (i >= 1 && trust != NULL && trust->block0_only) {
            err = OTA_ERR_SIG_NO_TRUSTED_KEY;
        } else if (trust != NULL) {
            err = OTA_ERR_SIG_NO_TRUSTED_KEY;
            for (unsigned k = 0; k < trust->count && k < OTA_SIG_MAX_BLOCKS; k++) {
                if (memcmp(trust->digest[k], key_digest, OTA_SIG_KEY_DIGEST_LEN) == 0) {
                    err = trust->revoked[k] ? OTA_ERR_SIG_KEY_REVOKED : OTA_OK;
                    if (err == OTA_OK) {
                        break;
                    }
                }
            }
        }
        if (err == OTA_OK) {
            if (b->scheme == OTA_SIG_SCHEME_ECDSA_P384) {
                err = sha384 != NULL ? ota_sig_verify_block(b, sha384, OTA_SHA384_LEN)
                                     : OTA_ERR_SIG_DIGEST_MISMATCH;
            } else {
                err = ota_sig_verify_block(b, sha256, OTA_SHA256_LEN);
            }
        }
        sum->result[i] = err;
        if (err == OTA_OK) {
            if (sum->verified < 0) {
                sum->verified = (int)i;
            }
        } else if (rank(err) > rank(best)) {
            best = err;
        }
    }
    if (rep != NULL) {
        rep->blocks = sum->blocks;
        rep->parse_err = sum->parse_err;
        rep->verified = sum->verified;
        memcpy(rep->result, sum->result, sizeof rep->result);
    }
    if (sum->blocks == 0) {
        /* erased block 0: never signed; anything else in its place is a damaged block */
        return erased ? OTA_ERR_SIG_UNSIGNED : sum->parse_err;
    }
    return sum->verified >= 0 ? OTA_OK : best;
}

static int read_memory(void *arg, uint32_t off, void *buf, size_t len)
{
    memcpy(buf, (const uint8_t *)arg + off, len);
    return OTA_OK;
}

int ota_sig_verify_sector(const uint8_t sector[OTA_SIG_SECTOR_SIZE], const uint8_t sha256[OTA_SHA256_LEN],
                          const uint8_t *sha384, const ota_sig_trust_t *trust, ota_sig_report_t *rep)
{
    ota_sig_report_t local;
    ota_sig_summary_t sum;
    if (sector == NULL) {
        if (rep != NULL) {
            memset(rep, 0, sizeof *rep);
            rep->verified = -1;
        }
        return OTA_ERR_INVALID_ARG;
    }
    /* the blocks go to the report (the caller's or ours): of the scratch only the raw block is used */
    _Alignas(ota_sig_block_t) uint8_t scratch[OTA_SIG_VERIFY_SCRATCH];
    return verify_blocks(read_memory, (void *)sector, 0, sha256, sha384, trust, rep != NULL ? rep : &local,
                         &sum, scratch);
}

int ota_sig_verify_read(ota_sig_read_fn read, void *arg, uint64_t sector_off,
                        const uint8_t sha256[OTA_SHA256_LEN], const uint8_t *sha384,
                        const ota_sig_trust_t *trust, ota_sig_summary_t *sum, void *scratch)
{
    return verify_blocks(read, arg, sector_off, sha256, sha384, trust, NULL, sum, scratch);
}

/* ---- streaming verifier --------------------------------------------------------------------- */

int ota_sig_verifier_init(ota_sig_verifier_t *v, ota_sig_layout_t layout, ota_sig_scheme_t scheme)
{
    if (v == NULL || (layout != OTA_SIG_LAYOUT_APP && layout != OTA_SIG_LAYOUT_DATA)) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(v, 0, sizeof *v);
    v->layout = layout;
    v->want_sha384 = scheme == OTA_SIG_SCHEME_ECDSA_P384 || scheme == OTA_SIG_SCHEME_NONE;
    v->want_sha256 = scheme != OTA_SIG_SCHEME_ECDSA_P384;
    v->sector_off = UINT64_MAX;
    if (v->want_sha256) {
        ota_sha256_init(&v->sha256);
    }
    if (v->want_sha384) {
        ota_sha384_init(&v->sha384);
    }
    return OTA_OK;
}

void ota_sig_verifier_set_image_len(ota_sig_verifier_t *v, uint64_t image_len)
{
    if (v->layout == OTA_SIG_LAYOUT_APP) {
        v->sector_off = ota_sig_sector_offset_for_image(image_len);
    }
}

/* Hash the first n held bytes and drop them from the hold buffer. */
static void hash_held(ota_sig_verifier_t *v, size_t n)
{
    if (v->want_sha256) {
        ota_sha256_update(&v->sha256, v->hold, n);
    }
    if (v->want_sha384) {
        ota_sha384_update(&v->sha384, v->hold, n);
    }
    memmove(v->hold, v->hold + n, v->hold_len - n);
    v->hold_len -= n;
    v->hashed += n;
}

int ota_sig_verifier_feed(ota_sig_verifier_t *v, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        size_t room = sizeof v->hold - v->hold_len;
        size_t take = len < room ? len : room;
        memcpy(v->hold + v->hold_len, p, take);
        v->hold_len += take;
        v->pos += take;
        p += take;
        len -= take;
        if (v->hold_len == sizeof v->hold) {
            /* keep one sector unhashed: it may be the signature sector */
            size_t n = OTA_SIG_SECTOR_SIZE;
            if (v->sector_off != UINT64_MAX && v->sector_off < v->hashed + n) {
                n = v->sector_off > v->hashed ? (size_t)(v->sector_off - v->hashed) : 0;
            }
            if (n == 0) {
                /* past the sector of an app: the sector is held at hold[0]; the rest is ignored */
                v->hold_len = OTA_SIG_SECTOR_SIZE;
                continue;
            }
            hash_held(v, n);
        }
    }
    return OTA_OK;
}

int ota_sig_verifier_finish(ota_sig_verifier_t *v, const ota_sig_trust_t *trust, ota_sig_report_t *rep,
                            uint64_t *signed_len)
{
    uint64_t off = v->layout == OTA_SIG_LAYOUT_DATA ? ota_sig_sector_offset_for_data(v->pos) : v->sector_off;
    if (rep != NULL) {
        memset(rep, 0, sizeof *rep);
        rep->verified = -1;
    }
    if (off == UINT64_MAX || off + OTA_SIG_SECTOR_SIZE > v->pos) {
        return OTA_ERR_SIG_UNSIGNED; /* no room for a sector after the signed data */
    }
    if (off < v->hashed) {
        return OTA_ERR_INVALID_STATE;
    }
    hash_held(v, (size_t)(off - v->hashed));
    uint8_t d256[OTA_SHA256_LEN] = {0}, d384[OTA_SHA384_LEN] = {0};
    bool have384 = v->want_sha384;
    if (v->want_sha256) {
        ota_sha256_final(&v->sha256, d256);
    }
    if (v->want_sha384) {
        ota_sha384_final(&v->sha384, d384);
    }
    v->want_sha256 = v->want_sha384 = false;
    if (signed_len != NULL) {
        *signed_len = off;
    }
    return ota_sig_verify_sector(v->hold, d256, have384 ? d384 : NULL, trust, rep);
}
