/* `ota image sign|verify-signature`: espsecure sign_data --version 2 / verify_signature
 * --version 2, and the Secure Boot V2 report of `image info` (signature_info_v2). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "image_secure.h"
#include "out.h"
#include "sig_cli.h"
#include "ota/port/ota_crypto.h"
#include "port/posix/ota_crypto_keys.h"
#include "ota/ota_err.h"
#include "ota/ota_sig_block.h"
#include "ota/ota_sig_verify.h"

static void digest_hex_spaced(const uint8_t d[32], char out[97])
{
    for (int i = 0; i < 32; i++) {
        snprintf(out + 3 * i, 4, i == 31 ? "%02x" : "%02x ", d[i]);
    }
}

/* signature_info_v2's lines for the parsed blocks. */
static void blocks_text(FILE *out, const ota_sig_report_t *rep)
{
    for (unsigned i = 0; i < rep->blocks; i++) {
        char hex[97];
        if (rep->result[i] == OTA_OK) {
            fprintf(out, "Signature block %u is valid (%s).\n", i,
                    ota_sig_scheme_family(rep->block[i].scheme));
        } else {
            fprintf(out, "Signature block %u is invalid (%s): %s.\n", i,
                    ota_sig_scheme_family(rep->block[i].scheme), ota_strerror(rep->result[i]));
        }
        digest_hex_spaced(rep->key_digest[i], hex);
        fprintf(out, "Public key digest for block %u: %s\n", i, hex);
    }
    if (rep->blocks < OTA_SIG_MAX_BLOCKS) {
        fprintf(out, "Signature block %u absent/invalid. Skipping checking next blocks.\n", rep->blocks);
    }
}

/* The verdict of a signature sector at @p sector (@p err: ota_sig_verify_sector's), and its
 * report: signature_info_v2's text, or "signature" in @p json. */
static int report_sector(FILE *text, cJSON *json, uint64_t sector, int err, const ota_sig_report_t *rep)
{
    if (text != NULL) {
        fprintf(text, "\nSecure Boot V2 signature (sector at 0x%llx)\n", (unsigned long long)sector);
        fprintf(text, "=============================================\n");
        blocks_text(text, rep);
    }
    if (json != NULL) {
        out_t *s = out_obj(json, "signature");
        out_int(s, "sector_offset", (int64_t)sector);
        out_put(s, "blocks", sig_blocks_result(rep));
    }
    return sig_verdict(err, rep);
}

int image_signature_report(const char *path, uint64_t image_len, uint64_t file_size, FILE *text, cJSON *json,
                           char *why, size_t why_len)
{
    uint64_t sector = ota_sig_sector_offset_for_image(image_len);
    if (file_size < sector + OTA_SIG_SECTOR_SIZE) {
        return OTA_OK; /* no room for a signature sector: padding (esptool image_info: valid) */
    }
    uint8_t *data = NULL;
    size_t len = 0;
    if (cli_read_file(path, &data, &len) != OTA_OK) {
        return OTA_ERR_IO;
    }
    if (len != file_size) {
        free(data);
        return OTA_ERR_IO;
    }
    /* Signed when block 0's magic is at the 4 KiB boundary after the image (where ESP-IDF's
     * esp_image_format.c v6.0.2 looks for the sector). Otherwise the bytes after the image are
     * padding, e.g. a partition read back or a file padded to a sector: esptool v4.9.1 image_info
     * calls the image valid and esp_https_ota installs it (esp_ota_end verifies the image only). */
    if (data[sector] != OTA_SIG_BLOCK_MAGIC) {
        free(data);
        return OTA_OK;
    }
    if (file_size != sector + OTA_SIG_SECTOR_SIZE) {
        /* a signed image: the sector covers what is before it, nothing after it */
        snprintf(why, why_len, "%llu bytes after the signature sector at 0x%llx are covered by no signature",
                 (unsigned long long)(file_size - sector - OTA_SIG_SECTOR_SIZE), (unsigned long long)sector);
        free(data);
        return OTA_ERR_IMG_TRAILING_DATA;
    }
    int err = OTA_OK;
    for (uint64_t i = image_len; i < sector; i++) {
        if (data[i] != 0xFF) {
            snprintf(why, why_len, "byte %llu between the image and the signature sector is not 0xFF padding",
                     (unsigned long long)i);
            err = OTA_ERR_IMG_TRAILING_DATA;
            break;
        }
    }
    ota_sig_report_t *rep = calloc(1, sizeof *rep);
    if (err == OTA_OK && rep != NULL) {
        err = sig_check(data, (size_t)sector, NULL, rep);
        if (rep->blocks == 0) {
            snprintf(why, why_len, "%llu bytes after the image are no signature sector: %s",
                     (unsigned long long)(file_size - image_len), ota_strerror(err));
            err = OTA_ERR_IMG_TRAILING_DATA;
        } else {
            err = report_sector(text, json, sector, err, rep);
            if (err != OTA_OK) {
                snprintf(why, why_len, "signature block does not verify");
            }
        }
    }
    free(rep);
    free(data);
    return err;
}

int image_partition_signature_report(const ota_partition_t *part, uint32_t part_size, uint64_t image_len,
                                     FILE *text, cJSON *json)
{
    uint64_t sector = ota_sig_sector_offset_for_image(image_len);
    if (sector + OTA_SIG_SECTOR_SIZE > part_size) {
        return OTA_OK; /* no room for a sector: not signed */
    }
    uint8_t *buf = malloc(64 * 1024);
    ota_sig_report_t *rep = calloc(1, sizeof *rep);
    int err = buf != NULL && rep != NULL
                  ? ota_partition_read(part, (uint32_t)sector, buf, OTA_SIG_SECTOR_SIZE)
                  : OTA_ERR_NO_MEM;
    if (err == OTA_OK && buf[0] != OTA_SIG_BLOCK_MAGIC) {
        /* erased, or other bytes (an unsigned app followed by the rest of a padded file): an
         * unsigned app, nothing to report; a damaged block (magic there) is reported */
        err = OTA_ERR_SIG_UNSIGNED;
    }
    if (err == OTA_OK) {
        /* the signed data: every byte of the slot before the sector */
        ota_sha256_ctx_t s256;
        ota_sha384_ctx_t s384;
        ota_sha256_init(&s256);
        ota_sha384_init(&s384);
        uint8_t sec[OTA_SIG_SECTOR_SIZE];
        memcpy(sec, buf, sizeof sec);
        for (uint64_t off = 0; off < sector && err == OTA_OK; off += 64 * 1024) {
            size_t n = sector - off < 64 * 1024 ? (size_t)(sector - off) : 64 * 1024;
            err = ota_partition_read(part, (uint32_t)off, buf, n);
            ota_sha256_update(&s256, buf, n);
            ota_sha384_update(&s384, buf, n);
        }
        uint8_t d256[32], d384[48];
        ota_sha256_final(&s256, d256);
        ota_sha384_final(&s384, d384);
        if (err == OTA_OK) {
            err = report_sector(text, json, sector, ota_sig_verify_sector(sec, d256, d384, NULL, rep), rep);
        }
    } else if (err == OTA_ERR_SIG_UNSIGNED) {
        err = OTA_OK;
    }
    free(rep);
    free(buf);
    return err;
}

/* --- image sign ------------------------------------------------------------------------------- */

static void sign_usage(FILE *out)
{
    fprintf(out, "Usage: ota image sign --keyfile KEY.pem [--keyfile KEY2.pem ...] [--append-signatures]\n"
                 "                      [--json] IN OUT\n"
                 "\n"
                 "Sign IN for Secure Boot V2 as espsecure 'sign_data --version 2' does: pad IN with 0xFF\n"
                 "to a 4 KiB boundary and append a 4096-byte signature sector holding one 1216-byte block\n"
                 "per key (at most 3). Keys: RSA-3072 (RSA-PSS, SHA-256), ECDSA P-256 (SHA-256) or\n"
                 "P-384 (SHA-384), private PEM. RSA-PSS and ECDSA signatures are randomised, so two runs\n"
                 "differ in the signature bytes only.\n"
                 "\n"
                 "Options:\n"
                 "  -k, --keyfile KEY       private key to sign with; repeat for more blocks\n"
                 "  -a, --append-signatures IN is signed already: keep its blocks and add these\n"
                 "      --json              print the result as one JSON document\n"
                 "  -h, --help              show this help\n"
                 "\n"
                 "Exit status: 0 signed, 1 failure (key, I/O, too many blocks), 2 usage error.\n");
}

/* espsecure sign_data's lines: the padding, then one line per key; @p ctx: the command's arguments. */
static void sign_text(const out_t *r, const void *ctx)
{
    const sig_sign_args_t *sa = ctx;
    unsigned long long padded = (unsigned long long)out_get_int(r, "signed_len");
    if (out_get_int(r, "padding") > 0) {
        printf("Padding data contents by %llu bytes so signature sector aligns at 4096 boundary\n",
               (unsigned long long)out_get_int(r, "padding"));
    }
    for (unsigned i = 0; i < sa->nkeys; i++) {
        printf("Signed %llu bytes of data from %s with key %s.\n", padded, out_get_str(r, "input"),
               sa->keys[i]);
    }
}

int cmd_image_sign(int argc, char **argv)
{
    sig_sign_args_t sa = {.args = {.command = "image sign", .usage = sign_usage}, .allow_append = true};
    int rc;
    if (!sig_sign_args(&sa, argc, argv, &rc)) {
        return rc;
    }
    const bool append = sa.append, json = sa.args.json;
    const char *in = sa.in, *out = sa.out;
    const char *const *keys = sa.keys;
    const unsigned nkeys = sa.nkeys;
    uint8_t *data = sa.data;
    size_t len = sa.len;
    size_t off = len;
    unsigned nblocks = 0;
    if (append) {
        uint64_t at = ota_sig_sector_offset_for_data(len);
        ota_sig_block_t *existing = malloc(OTA_SIG_MAX_BLOCKS * sizeof *existing);
        int perr = OTA_OK;
        int n = existing && at != UINT64_MAX && len % OTA_SIG_SECTOR_SIZE == 0
                    ? ota_sig_sector_parse(data + at, existing, &perr)
                    : 0;
        free(existing);
        if (n == 0) {
            cli_error("%s: --append-signatures: no signature sector at the end: %s", in, ota_strerror(perr));
            free(data);
            return CLI_EXIT_FAIL;
        }
        nblocks = (unsigned)n;
        off = (size_t)at;
    }
    if (nblocks + nkeys > OTA_SIG_MAX_BLOCKS) {
        cli_error("%s holds %u signature blocks already; %u more exceed the %u a sector holds", in, nblocks,
                  nkeys, OTA_SIG_MAX_BLOCKS);
        free(data);
        return CLI_EXIT_FAIL;
    }
    /* the signed data, padded with 0xFF to a sector; then the sector: the blocks kept, 0xFF after */
    size_t padded = (size_t)ota_sig_sector_offset_for_image(off);
    uint8_t sector[OTA_SIG_SECTOR_SIZE];
    memset(sector, 0xFF, sizeof sector);
    memcpy(sector, data + off, (size_t)nblocks * OTA_SIG_BLOCK_SIZE);
    uint8_t *img = realloc(data, padded + OTA_SIG_SECTOR_SIZE);
    ota_sig_report_t *rep = img != NULL ? calloc(1, sizeof *rep) : NULL;
    if (rep == NULL) {
        free(img != NULL ? img : data);
        cli_error("out of memory");
        return CLI_EXIT_FAIL;
    }
    memset(img + off, 0xFF, padded - off);
    memcpy(img + padded, sector, sizeof sector);
    int err = sig_sign(img, padded, nblocks, keys, nkeys, rep);
    if (err == OTA_OK && cli_write_file(out, img, padded + OTA_SIG_SECTOR_SIZE) != OTA_OK) {
        err = OTA_ERR_IO;
    }
    if (err == OTA_OK) {
        out_t *o = out_object();
        out_str(o, "input", in);
        out_str(o, "output", out);
        out_int(o, "signed_len", (int64_t)padded);
        out_int(o, "padding", (int64_t)(padded - off));
        out_put(o, "blocks", sig_blocks_result(rep));
        out_emit(o, json, sign_text, &sa);
    }
    free(rep);
    free(img);
    return err == OTA_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* --- image verify-signature ------------------------------------------------------------------ */

static void verify_usage(FILE *out)
{
    fprintf(out, "Usage: ota image verify-signature (--keyfile KEY.pem | --pubkey PUB.pem) [--json] IMAGE\n"
                 "\n"
                 "Verify a Secure Boot V2 signed file as espsecure 'verify_signature --version 2' does:\n"
                 "IMAGE's size must be a multiple of 4096, its last 4096 bytes are the signature sector\n"
                 "and everything before it is the signed data. Succeeds when a block holding the given\n"
                 "key has the right magic, version, CRC and digest, and its signature verifies.\n"
                 "\n"
                 "Options:\n"
                 "  -k, --keyfile KEY   private key (its public part is used)\n"
                 "  -p, --pubkey PUB    public key (espsecure extract_public_key output)\n"
                 "      --json          print the result as one JSON document\n"
                 "  -h, --help          show this help\n"
                 "\n"
                 "Exit status: 0 verified, 1 not verified (the error names why), 2 usage error.\n");
}

/* espsecure verify_signature's words for a signature that verified (a failure: the error only). */
static void verify_text(const out_t *r, const void *ctx)
{
    const ota_sig_report_t *rep = ctx;
    if (out_get_bool(r, "verified")) {
        printf("Verifying %llu bytes of data\n", (unsigned long long)out_get_int(r, "signed_len"));
        printf("Signature block %d verification successful using the supplied key (%s).\n", rep->verified,
               ota_sig_scheme_family(rep->block[rep->verified].scheme));
    }
}

int cmd_image_verify_signature(int argc, char **argv)
{
    static const struct option opts[] = {
        {"keyfile", required_argument, NULL, 'k'},
        {"pubkey", required_argument, NULL, 'p'},
        CLI_OPTION_JSON,
        CLI_OPTION_HELP,
        CLI_OPTIONS_END,
    };
    cli_args_t args = {.command = "image verify-signature", .usage = verify_usage};
    const char *keyfile = NULL;
    int c;
    while ((c = cli_getopt(&args, argc, argv, ":k:p:h", opts)) != -1) {
        switch (c) {
        case 'k':
        case 'p':
            if (keyfile != NULL) {
                return cli_usage_error("image verify-signature", "give one --keyfile or --pubkey");
            }
            keyfile = optarg;
            break;
        }
    }
    if (!args.done && keyfile == NULL) {
        return cli_usage_error("image verify-signature", "missing --keyfile or --pubkey");
    }
    if (!cli_operands(&args, argc, 1, 1, "missing IMAGE")) {
        return args.status;
    }
    const char *path = argv[optind];
    ota_key_t *key = NULL;
    if (cli_load_key(keyfile, &key) != OTA_OK) {
        return CLI_EXIT_FAIL;
    }
    ota_sig_trust_t trust = {.count = 1};
    int err = cli_key_digest(key, trust.digest[0]);
    ota_key_free(key);
    uint8_t *data = NULL;
    size_t len = 0;
    if (err != OTA_OK || cli_read_file(path, &data, &len) != OTA_OK) {
        return CLI_EXIT_FAIL;
    }
    uint64_t off = ota_sig_sector_offset_for_data(len);
    ota_sig_report_t *rep = calloc(1, sizeof *rep);
    if (rep == NULL) {
        free(data);
        return CLI_EXIT_FAIL;
    }
    rep->verified = -1;
    if (len % OTA_SIG_SECTOR_SIZE != 0) {
        /* espsecure v4.9.1 verify_signature_v2: "Data size should be non-zero & a multiple of
         * 4096": the sector is the file's last 4096 bytes, nothing unsigned may follow it */
        cli_error("%s: %zu bytes: not a multiple of 4096, so %zu bytes after the last whole sector are "
                  "covered by no signature",
                  path, len, len % OTA_SIG_SECTOR_SIZE);
        err = OTA_ERR_IMG_TRAILING_DATA;
        off = UINT64_MAX;
    } else if (off == UINT64_MAX) {
        err = OTA_ERR_SIG_UNSIGNED;
    } else {
        err = sig_check(data, (size_t)off, &trust, rep);
    }
    if (err == OTA_ERR_SIG_NO_TRUSTED_KEY) {
        err = OTA_ERR_KEY_MISMATCH;
    }
    out_t *o = out_object();
    out_str(o, "file", path);
    out_int(o, "signed_len", off == UINT64_MAX ? 0 : (int64_t)off);
    out_hex(o, "key_digest", trust.digest[0], 32);
    out_bool(o, "verified", err == OTA_OK);
    rep->verified >= 0 ? out_int(o, "block", rep->verified) : out_null(o, "block");
    out_put(o, "blocks", sig_blocks_result(rep));
    out_err(o, "error", err);
    out_emit(o, args.json, verify_text, rep);
    if (err != OTA_OK) {
        cli_error("%s: %s", path, ota_strerror(err));
    }
    free(rep);
    free(data);
    return err == OTA_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
