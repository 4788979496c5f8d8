/* `ota release sign|info|verify`: a release manifest with a Secure Boot V2 signature sector, in
 * the layout of espsecure sign_data --version 2 (the text padded with 0xFF to 4 KiB, then the
 * sector), signed with ota_key_sign_block and checked by ota_manifest_verify_signed. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ota/port/ota_crypto.h"
#include "port/posix/ota_crypto_keys.h"
#include "ota/ota_err.h"
#include "ota/ota_manifest.h"
#include "ota/ota_sig_block.h"
#include "ota/ota_sig_verify.h"
#include "release_cli.h"
#include "sig_cli.h"

/* A file in the signed layout: a whole number of sectors, at least one of text, whose last sector's
 * block 0 parses. Returns the signed length, or 0 for a plain JSON file. */
size_t release_signed_len(const uint8_t *data, size_t len)
{
    if (len < 2 * OTA_SIG_SECTOR_SIZE || len % OTA_SIG_SECTOR_SIZE != 0) {
        return 0;
    }
    ota_sig_block_t b;
    return ota_sig_block_parse(data + len - OTA_SIG_SECTOR_SIZE, &b) == OTA_OK ? len - OTA_SIG_SECTOR_SIZE
                                                                               : 0;
}

/* Parse the JSON of @p path's bytes; prints the error. */
int release_parse_text(const char *path, const uint8_t *text, size_t len, ota_manifest_t *m)
{
    ota_manifest_diag_t diag;
    int err = ota_manifest_parse((const char *)text, len, m, &diag);
    if (err != OTA_OK) {
        if (diag.item >= 0) {
            cli_error("%s: item %d, field %s (byte %zu): %s", path, diag.item, diag.field ? diag.field : "-",
                      diag.offset, ota_strerror(err));
        } else {
            cli_error("%s: %s%s (byte %zu): %s", path, diag.field ? "field " : "",
                      diag.field ? diag.field : "", diag.offset, ota_strerror(err));
        }
    }
    return err;
}

out_t *release_manifest_json(const ota_manifest_t *m)
{
    out_t *o = out_object();
    out_str(o, "kind", m->kind == OTA_MANIFEST_RELEASE ? "release" : "esp-adf");
    out_int(o, "sequence", m->sequence);
    out_t *arr = out_arr(o, "items");
    for (unsigned i = 0; i < m->count; i++) {
        const ota_manifest_item_t *it = &m->items[i];
        out_t *j = out_obj(arr, NULL);
        out_str(j, "type", ota_manifest_item_type_name(it->type));
        out_str(j, "label", it->label);
        out_str(j, "uri", it->uri);
        it->has_size ? out_int(j, "size", it->size) : out_null(j, "size");
        out_hex(j, "sha256", it->has_sha256 ? it->sha256 : NULL, 32);
        if (it->has_md5) {
            out_hex(j, "md5", it->md5, 16);
        }
        out_str(j, "version", it->version);
        out_str(j, "min_running_version", it->min_running_version);
        out_str(j, "project_name", it->project_name);
    }
    return o;
}

void release_manifest_text(const ota_manifest_t *m)
{
    if (m->kind == OTA_MANIFEST_RELEASE) {
        printf("Release %u, %u item%s\n", m->sequence, m->count, m->count == 1 ? "" : "s");
    } else {
        printf("ESP-ADF esp_ota_service manifest (one app item, no sequence)\n");
    }
    for (unsigned i = 0; i < m->count; i++) {
        const ota_manifest_item_t *it = &m->items[i];
        char hex[65] = "-";
        if (it->has_sha256) {
            cli_hex(it->sha256, 32, hex);
        }
        printf("  %u: %-4s %-16s version %s", i, ota_manifest_item_type_name(it->type),
               it->label[0] ? it->label : (it->type == OTA_MANIFEST_ITEM_APP ? "(next OTA slot)" : "-"),
               it->version);
        if (it->min_running_version[0]) {
            printf(" (replaces %s or newer)", it->min_running_version);
        }
        printf("\n     uri %s\n", it->uri[0] ? it->uri : "-");
        if (it->has_size) {
            printf("     size %u, sha256 %s\n", it->size, hex);
        } else {
            printf("     size -, sha256 %s\n", hex);
        }
    }
}

/* --- release sign ------------------------------------------------------------------------------- */

static void sign_usage(FILE *out)
{
    fprintf(out, "Usage: ota release sign --keyfile KEY.pem [--keyfile KEY2.pem ...] [--json] IN OUT\n"
                 "\n"
                 "Sign the release manifest IN as espsecure 'sign_data --version 2' signs a file: pad it\n"
                 "with 0xFF to a 4 KiB boundary and append a 4096-byte Secure Boot V2 signature sector,\n"
                 "one block per key (at most 3): RSA-3072, ECDSA P-256 or P-384, private PEM. IN must be\n"
                 "a manifest that parses (docs/releases.md) and not signed already.\n"
                 "\n"
                 "Options:\n"
                 "  -k, --keyfile KEY   private key to sign with; repeat for more blocks\n"
                 "      --json          print the result as one JSON document\n"
                 "  -h, --help          show this help\n"
                 "\n"
                 "Exit status: 0 signed, 1 failure (IN not a manifest or signed already, key, I/O),\n"
                 "2 usage error.\n");
}

static void sign_text(const out_t *r, const void *ctx)
{
    unsigned nkeys = *(const unsigned *)ctx;
    printf("Signed %u bytes of manifest %s (release %u) with %u key%s: %s\n",
           (unsigned)out_get_int(r, "signed_len"), out_get_str(r, "input"),
           (unsigned)out_get_int(r, "sequence"), nkeys, nkeys == 1 ? "" : "s", out_get_str(r, "output"));
}

int release_sign(int argc, char **argv)
{
    sig_sign_args_t sa = {.args = {.command = "release sign", .usage = sign_usage}};
    int rc;
    if (!sig_sign_args(&sa, argc, argv, &rc)) {
        return rc;
    }
    const char *in = sa.in, *out = sa.out;
    const unsigned nkeys = sa.nkeys;
    uint8_t *data = sa.data;
    size_t len = sa.len;
    ota_manifest_t *m = calloc(1, sizeof *m);
    ota_sig_report_t *rep = calloc(1, sizeof *rep);
    size_t padded = (len + OTA_SIG_SECTOR_SIZE - 1) / OTA_SIG_SECTOR_SIZE * OTA_SIG_SECTOR_SIZE;
    uint8_t *img = m && rep ? realloc(data, padded + OTA_SIG_SECTOR_SIZE) : NULL;
    int err = img != NULL ? OTA_OK : OTA_ERR_NO_MEM;
    if (img != NULL) {
        data = img;
        if (release_signed_len(data, len) != 0) {
            cli_error("%s is signed already (it ends in a signature sector)", in);
            err = OTA_ERR_INVALID_ARG;
        } else {
            err = release_parse_text(in, data, len, m);
        }
    }
    if (err == OTA_OK) {
        memset(data + len, 0xFF, padded + OTA_SIG_SECTOR_SIZE - len);
        err = sig_sign(data, padded, 0, sa.keys, nkeys, rep);
    }
    if (err == OTA_OK && cli_write_file(out, data, padded + OTA_SIG_SECTOR_SIZE) != OTA_OK) {
        err = OTA_ERR_IO;
    }
    if (err == OTA_OK) {
        out_t *o = out_object();
        out_str(o, "input", in);
        out_str(o, "output", out);
        out_int(o, "sequence", m->sequence);
        out_int(o, "signed_len", (int64_t)padded);
        out_int(o, "padding", (int64_t)(padded - len));
        out_put(o, "blocks", sig_blocks_result(rep));
        out_emit(o, sa.args.json, sign_text, &nkeys);
    }
    free(rep);
    free(m);
    free(data);
    return err == OTA_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
