/* `ota release info|verify`: read a release manifest (plain or signed), check its signature with
 * given keys or burned key digests (ota_manifest_verify_signed), and its items' bytes. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "ota/port/ota_crypto.h"
#include "port/posix/ota_crypto_keys.h"
#include "ota/ota_err.h"
#include "ota/ota_manifest.h"
#include "ota/ota_sig_block.h"
#include "ota/ota_sig_verify.h"
#include "release_cli.h"
#include "sig_cli.h"

/* --- release info ------------------------------------------------------------------------------- */

static void info_usage(FILE *out)
{
    fprintf(out, "Usage: ota release info [--json] MANIFEST\n"
                 "\n"
                 "Print a release manifest (docs/releases.md) or an ESP-ADF esp_ota_service manifest:\n"
                 "sequence and items. A signed manifest (the text padded with 0xFF to 4 KiB, then a\n"
                 "Secure Boot V2 signature sector) also shows its signature blocks, each checked with\n"
                 "its own key (whether the key is trusted is 'ota release verify').\n"
                 "\n"
                 "Options:\n"
                 "      --json      print the result as one JSON document\n"
                 "  -h, --help      show this help\n"
                 "\n"
                 "Exit status: 0 shown, 1 not a manifest (the error names why) or a signature block\n"
                 "that does not verify, 2 usage error.\n");
}

/* The manifest, then whether it is signed and by which blocks. */
static void info_text(const out_t *r, const void *ctx)
{
    release_manifest_text(ctx);
    const out_t *blocks = out_get(r, "blocks");
    if (!out_get_bool(r, "signed")) {
        printf("Not signed.\n");
    }
    for (size_t i = 0; i < out_count(blocks); i++) {
        const out_t *b = out_at(blocks, i);
        printf("Signature block %u (%s, %u signed bytes): %s; key digest %s\n", (unsigned)i,
               out_get_str(b, "scheme"), (unsigned)out_get_int(r, "signed_len"),
               out_get_bool(b, "valid") ? "valid" : "INVALID", out_get_str(b, "key_digest"));
    }
}

int release_info(int argc, char **argv)
{
    cli_args_t args = {.command = "release info", .usage = info_usage};
    if (!cli_parse_plain(&args, argc, argv, true, 1, 1, "missing MANIFEST")) {
        return args.status;
    }
    const char *path = argv[optind];
    uint8_t *data = NULL;
    size_t len = 0;
    if (cli_read_file(path, &data, &len) != OTA_OK) {
        return CLI_EXIT_FAIL;
    }
    size_t slen = release_signed_len(data, len);
    ota_manifest_t *m = calloc(1, sizeof *m);
    ota_sig_report_t *rep = calloc(1, sizeof *rep);
    int err = m != NULL && rep != NULL ? OTA_OK : OTA_ERR_NO_MEM;
    if (err == OTA_OK) {
        err = release_parse_text(path, data, slen ? ota_manifest_json_len(data, slen) : len, m);
    }
    int sig_err = OTA_OK;
    if (err == OTA_OK && slen != 0) {
        sig_err = sig_verdict(sig_check(data, slen, NULL, rep), rep);
        if (sig_err != OTA_OK) {
            cli_error("%s: signature block does not verify: %s", path, ota_strerror(sig_err));
        }
    }
    if (err == OTA_OK) {
        out_t *o = release_manifest_json(m);
        out_str(o, "file", path);
        out_bool(o, "signed", slen != 0);
        if (slen != 0) {
            out_int(o, "signed_len", (int64_t)slen);
            out_put(o, "blocks", sig_blocks_result(rep));
        }
        out_err(o, "error", sig_err);
        out_emit(o, args.json, info_text, m);
    } else {
        out_failure(args.json, err, NULL);
    }
    free(rep);
    free(m);
    free(data);
    return err == OTA_OK && sig_err == OTA_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* --- release verify ----------------------------------------------------------------------------- */

static void verify_usage(FILE *out)
{
    fprintf(out, "Usage: ota release verify (--keyfile KEY.pem | --pubkey PUB.pem | --digest FILE) ...\n"
                 "                          [--items DIR] [--json] MANIFEST\n"
                 "\n"
                 "Verify a signed release manifest as a device does: a block of its Secure Boot V2\n"
                 "signature sector signed with a trusted key must verify (what espsecure\n"
                 "'verify_signature --version 2' checks), then the manifest must parse. Trusted keys\n"
                 "(at most 3 in all): a key file, or a key digest file of 32 bytes as burned in eFuse\n"
                 "(ota keys digest). With --items, each item's file DIR/NAME (NAME: the last part of its\n"
                 "URI) must have the manifest's size and SHA-256.\n"
                 "\n"
                 "Options:\n"
                 "  -k, --keyfile KEY   trust this key (private or public PEM)\n"
                 "  -p, --pubkey PUB    the same, for a public key\n"
                 "  -D, --digest FILE   trust this public key digest (32 bytes)\n"
                 "  -i, --items DIR     also check the item files in DIR\n"
                 "      --json          print the result as one JSON document\n"
                 "  -h, --help          show this help\n"
                 "\n"
                 "Exit status: 0 verified, 1 not verified (signature, manifest or an item's bytes; the\n"
                 "error names which), 2 usage error.\n");
}

/* Check one item file against its entry. */
static int check_item(const char *dir, const ota_manifest_item_t *it, unsigned i, cJSON *arr)
{
    const char *name = strrchr(it->uri, '/');
    name = name != NULL ? name + 1 : it->uri;
    size_t plen = strlen(dir) + strlen(name) + 2;
    char *path = malloc(plen);
    if (path == NULL) {
        return OTA_ERR_NO_MEM;
    }
    snprintf(path, plen, "%s/%s", dir, name);
    uint8_t *data = NULL;
    size_t len = 0;
    int err = name[0] != '\0' && cli_read_file(path, &data, &len) == OTA_OK ? OTA_OK : OTA_ERR_IO;
    if (err == OTA_OK && it->has_size && len != it->size) {
        cli_error("item %u (%s): %s is %zu bytes, the manifest says %u", i, it->label[0] ? it->label : "app",
                  path, len, it->size);
        err = OTA_ERR_INVALID_SIZE;
    }
    if (err == OTA_OK && it->has_sha256) {
        uint8_t d[32];
        ota_sha256(data, len, d);
        if (memcmp(d, it->sha256, 32) != 0) {
            cli_error("item %u (%s): %s: SHA-256 differs from the manifest's", i,
                      it->label[0] ? it->label : "app", path);
            err = OTA_ERR_IMG_HASH;
        }
    }
    out_t *o = out_obj(arr, NULL);
    out_int(o, "index", i);
    out_str(o, "file", path);
    out_bool(o, "ok", err == OTA_OK);
    out_err(o, "error", err);
    free(data);
    free(path);
    return err;
}

/* A verified manifest: which block verified, and what was checked (the failures are on stderr). */
static void verify_text(const out_t *r, const void *ctx)
{
    const ota_sig_report_t *rep = ctx;
    if (!out_get_bool(r, "verified")) {
        return;
    }
    const out_t *m = out_get(r, "manifest");
    size_t count = out_count(out_get(m, "items"));
    printf("Signature block %d verification successful using a trusted key (%s).\n", rep->verified,
           ota_sig_scheme_family(rep->block[rep->verified].scheme));
    printf("Release %u: %u item%s%s.\n", (unsigned)out_get_int(m, "sequence"), (unsigned)count,
           count == 1 ? "" : "s", out_has(r, "items") ? ", every item's size and SHA-256 match" : "");
}

int release_verify(int argc, char **argv)
{
    static const struct option opts[] = {
        {"keyfile", required_argument, NULL, 'k'},
        {"pubkey", required_argument, NULL, 'p'},
        {"digest", required_argument, NULL, 'D'},
        {"items", required_argument, NULL, 'i'},
        CLI_OPTION_JSON,
        CLI_OPTION_HELP,
        CLI_OPTIONS_END,
    };
    cli_args_t args = {.command = "release verify", .usage = verify_usage};
    const char *trusted[OTA_SIG_MAX_BLOCKS];
    bool is_digest[OTA_SIG_MAX_BLOCKS];
    unsigned n = 0;
    const char *items = NULL;
    int c;
    while ((c = cli_getopt(&args, argc, argv, ":k:p:D:i:h", opts)) != -1) {
        if (c == 'i') {
            items = optarg;
        } else if (c == 'k' || c == 'p' || c == 'D') {
            if (n == OTA_SIG_MAX_BLOCKS) {
                return cli_usage_error("release verify", "at most %u trusted keys", OTA_SIG_MAX_BLOCKS);
            }
            is_digest[n] = c == 'D';
            trusted[n++] = optarg;
        }
    }
    if (!args.done && n == 0) {
        return cli_usage_error("release verify", "missing --keyfile, --pubkey or --digest");
    }
    if (!cli_operands(&args, argc, 1, 1, "missing MANIFEST")) {
        return args.status;
    }
    const char *path = argv[optind];
    ota_sig_trust_t trust = {.count = n};
    for (unsigned i = 0; i < n; i++) {
        if (is_digest[i]) {
            uint8_t *d = NULL;
            size_t dl = 0;
            if (cli_read_file(trusted[i], &d, &dl) != OTA_OK) {
                return CLI_EXIT_FAIL;
            }
            if (dl != OTA_SIG_KEY_DIGEST_LEN) {
                cli_error("%s: %zu bytes, a key digest is 32", trusted[i], dl);
                free(d);
                return CLI_EXIT_FAIL;
            }
            memcpy(trust.digest[i], d, OTA_SIG_KEY_DIGEST_LEN);
            free(d);
        } else {
            ota_key_t *key = NULL;
            int err = cli_load_key(trusted[i], &key);
            if (err == OTA_OK) {
                err = cli_key_digest(key, trust.digest[i]);
            }
            ota_key_free(key);
            if (err != OTA_OK) {
                return CLI_EXIT_FAIL;
            }
        }
    }
    uint8_t *data = NULL;
    size_t len = 0;
    if (cli_read_file(path, &data, &len) != OTA_OK) {
        return CLI_EXIT_FAIL;
    }
    ota_manifest_t *m = calloc(1, sizeof *m);
    ota_sig_report_t *rep = calloc(1, sizeof *rep);
    int err = m != NULL && rep != NULL ? OTA_OK : OTA_ERR_NO_MEM;
    size_t json_len = 0;
    if (err == OTA_OK) {
        rep->verified = -1;
        err = ota_manifest_verify_signed(data, len, &trust, rep, &json_len);
        if (err != OTA_OK) {
            cli_error("%s: %s", path, ota_strerror(err));
        }
    }
    if (err == OTA_OK) {
        err = release_parse_text(path, data, json_len, m);
    }
    out_t *doc = out_object();
    out_t *arr = items != NULL && err == OTA_OK ? out_array() : NULL;
    int item_err = OTA_OK;
    for (unsigned i = 0; items != NULL && err == OTA_OK && i < m->count; i++) {
        int e = check_item(items, &m->items[i], i, arr);
        item_err = item_err == OTA_OK ? e : item_err;
    }
    out_str(doc, "file", path);
    out_bool(doc, "verified", err == OTA_OK && item_err == OTA_OK);
    if (rep != NULL && rep->verified >= 0) {
        out_int(doc, "block", rep->verified);
    } else {
        out_null(doc, "block");
    }
    if (err == OTA_OK) {
        out_put(doc, "manifest", release_manifest_json(m));
    }
    if (arr != NULL) {
        out_put(doc, "items", arr);
    }
    out_err(doc, "error", err != OTA_OK ? err : item_err);
    out_emit(doc, args.json, verify_text, rep);
    free(rep);
    free(m);
    free(data);
    return err == OTA_OK && item_err == OTA_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
