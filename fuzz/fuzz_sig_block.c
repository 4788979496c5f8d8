/*
 * Secure Boot V2 signature sector (ota_sig_block.h, ota_sig_verify.h). The input is a whole signed
 * image (the seeds are espsecure's): its last 4 KiB is the sector. Checks: each block parses and
 * re-serialises to the same 1216 bytes, the key digest of a parsed block equals the digest of its
 * raw bytes, the sector parser agrees with the block parser, and the streaming verifier (app and
 * data layouts, input-derived piece sizes) never crashes and only refuses with signature errors.
 * The piece sizes come from a generator seeded by the last byte (1..16 KiB, mean a few hundred
 * bytes): a fixed size derived from that byte was 1 for some inputs, 70 000 calls for one input.
 */
#include "fuzz.h"

#include "ota/ota_err.h"
#include "ota/ota_sig_block.h"
#include "ota/ota_sig_verify.h"

OTA_FUZZ_QUIET_INIT

static bool sig_err(int err)
{
    return err <= -1000 && err > -1100;
}

static void verify_stream(const uint8_t *data, size_t size, ota_sig_layout_t layout, ota_sig_scheme_t scheme,
                          const ota_sig_trust_t *trust, uint32_t *seed)
{
    /* The verifier state holds two sectors: on the heap, so ASan sees its bounds too. */
    ota_sig_verifier_t *v = malloc(sizeof *v);
    ota_sig_report_t *rep = malloc(sizeof *rep);
    if (v == NULL || rep == NULL) {
        free(v);
        free(rep);
        return;
    }
    int err = ota_sig_verifier_init(v, layout, scheme);
    if (err == OTA_OK) {
        if (layout == OTA_SIG_LAYOUT_APP) {
            /* The image proper: everything before the last sector (the sector rounds it up). */
            ota_sig_verifier_set_image_len(v, size > OTA_SIG_SECTOR_SIZE ? size - OTA_SIG_SECTOR_SIZE : size);
        }
        for (size_t pos = 0, n = 0; pos < size && err == OTA_OK; pos += n) {
            n = ota_fuzz_piece(seed, 14);
            n = size - pos < n ? size - pos : n;
            err = ota_sig_verifier_feed(v, data + pos, n);
        }
        uint64_t signed_len = 0;
        if (err == OTA_OK) {
            err = ota_sig_verifier_finish(v, trust, rep, &signed_len);
            if (err == OTA_OK) {
                OTA_FUZZ_CHECK(signed_len <= size);
                OTA_FUZZ_CHECK(rep->verified >= 0 && rep->verified < (int)rep->blocks);
            }
        }
        OTA_FUZZ_CHECK(err == OTA_OK || sig_err(err));
    }
    free(v);
    free(rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < OTA_SIG_SECTOR_SIZE) {
        return 0;
    }
    /* The sector in an exact-size buffer: a read past it is an ASan report. */
    uint8_t *sector = malloc(OTA_SIG_SECTOR_SIZE);
    ota_sig_block_t *blocks = malloc(OTA_SIG_MAX_BLOCKS * sizeof *blocks);
    uint8_t *raw = malloc(OTA_SIG_BLOCK_SIZE);
    if (sector == NULL || blocks == NULL || raw == NULL) {
        goto out;
    }
    memcpy(sector, data + size - OTA_SIG_SECTOR_SIZE, OTA_SIG_SECTOR_SIZE);

    int first_err = OTA_OK;
    int n = ota_sig_sector_parse(sector, blocks, &first_err);
    OTA_FUZZ_CHECK(n >= 0 && n <= (int)OTA_SIG_MAX_BLOCKS);
    OTA_FUZZ_CHECK(n == (int)OTA_SIG_MAX_BLOCKS ? first_err == OTA_OK : sig_err(first_err));

    ota_sig_trust_t trust;
    memset(&trust, 0, sizeof trust);
    for (int i = 0; i < n; i++) {
        const uint8_t *at = sector + (size_t)i * OTA_SIG_BLOCK_SIZE;
        ota_sig_block_t again;
        OTA_FUZZ_CHECK(ota_sig_block_parse(at, &again) == OTA_OK);
        /* Round trip: the parsed fields are all the block holds. */
        OTA_FUZZ_CHECK(ota_sig_block_serialise(&blocks[i], raw) == OTA_OK);
        /* (the 16 padding bytes after the CRC are not part of the block: ROM and parser skip them) */
        OTA_FUZZ_CHECK(memcmp(raw, at, OTA_SIG_BLOCK_CRC_OFFSET + 4u) == 0);
        uint8_t d1[OTA_SIG_KEY_DIGEST_LEN], d2[OTA_SIG_KEY_DIGEST_LEN];
        OTA_FUZZ_CHECK(ota_sig_block_key_digest(&blocks[i], d1) == OTA_OK);
        OTA_FUZZ_CHECK(ota_sig_block_raw_key_digest(at, d2) == OTA_OK);
        OTA_FUZZ_CHECK(memcmp(d1, d2, sizeof d1) == 0);
        OTA_FUZZ_CHECK(ota_sig_block_same_key(&blocks[i], &again));
        /* Trust the keys the sector carries, so the verifier reaches the signature check. */
        memcpy(trust.digest[trust.count], d1, sizeof d1);
        trust.revoked[trust.count] = (data[0] & (1u << i)) != 0;
        trust.count++;
    }
    /* The block after the last good one must be refused by the block parser too. */
    if (n < (int)OTA_SIG_MAX_BLOCKS) {
        ota_sig_block_t bad;
        OTA_FUZZ_CHECK(ota_sig_block_parse(sector + (size_t)n * OTA_SIG_BLOCK_SIZE, &bad) == first_err);
    }
    trust.block0_only = (data[0] & 8) != 0;

    /* The verifier over the whole input (MAX_LEN bounds it: the ESP32-C6 seeds fit whole). */
    uint32_t seed = ota_fuzz_piece_seed(data[size - 1]);
    ota_sig_scheme_t scheme = n > 0 ? blocks[0].scheme : (ota_sig_scheme_t)(1 + data[0] % 3);
    verify_stream(data, size, OTA_SIG_LAYOUT_APP, scheme, &trust, &seed);
    verify_stream(data, size, OTA_SIG_LAYOUT_DATA, scheme, &trust, &seed);

out:
    free(sector);
    free(blocks);
    free(raw);
    return 0;
}
