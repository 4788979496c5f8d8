/* Secure Boot V2 signature sectors as the CLI makes and checks them (sig_cli.h). */
#include "sig_cli.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ota/port/ota_crypto.h"
#include "port/posix/ota_crypto_keys.h"
#include "ota/ota_err.h"
#include "ota/ota_sig_block.h"

int sig_check(const uint8_t *data, size_t signed_len, const ota_sig_trust_t *trust, ota_sig_report_t *rep)
{
    uint8_t d256[32], d384[48];
    ota_sha256(data, signed_len, d256);
    ota_sha384(data, signed_len, d384);
    return ota_sig_verify_sector(data + signed_len, d256, d384, trust, rep);
}

int sig_verdict(int err, const ota_sig_report_t *rep)
{
    for (unsigned i = 0; i < rep->blocks && err == OTA_OK; i++) {
        err = rep->result[i];
    }
    return err;
}

/* One key's block at @p block_out, over the digests of the signed data. Prints the error. */
static int sign_block(const char *keyfile, const uint8_t d256[32], const uint8_t d384[48], uint8_t *block_out)
{
    ota_key_t *key = NULL;
    ota_sig_block_t *b = calloc(1, sizeof *b);
    int err = b != NULL ? cli_load_key(keyfile, &key) : OTA_ERR_NO_MEM;
    if (err == OTA_OK && !ota_key_is_private(key)) {
        cli_error("%s: a public key cannot sign", keyfile);
        err = OTA_ERR_INVALID_ARG;
    } else if (err == OTA_OK) {
        err = ota_key_to_block(key, b);
        if (err == OTA_OK) {
            memcpy(b->digest, b->scheme == OTA_SIG_SCHEME_ECDSA_P384 ? d384 : d256, b->digest_len);
            err = ota_key_sign_block(key, b);
        }
        if (err == OTA_OK) {
            err = ota_sig_block_serialise(b, block_out);
        }
        if (err != OTA_OK) {
            cli_error("%s: cannot sign: %s", keyfile, ota_strerror(err));
        }
    } else if (err == OTA_ERR_NO_MEM) {
        cli_error("out of memory");
    }
    ota_key_free(key);
    free(b);
    return err;
}

int sig_sign(uint8_t *data, size_t padded, unsigned first, const char *const *keys, unsigned nkeys,
             ota_sig_report_t *rep)
{
    uint8_t d256[32], d384[48];
    ota_sha256(data, padded, d256);
    ota_sha384(data, padded, d384);
    int err = OTA_OK;
    for (unsigned i = 0; i < nkeys && err == OTA_OK; i++) {
        err = sign_block(keys[i], d256, d384, data + padded + (first + i) * OTA_SIG_BLOCK_SIZE);
    }
    if (err == OTA_OK) {
        /* check what was written the way a device will */
        err = sig_verdict(ota_sig_verify_sector(data + padded, d256, d384, NULL, rep), rep);
        if (err != OTA_OK) {
            cli_error("the signature just made does not verify: %s", ota_strerror(err));
        }
    }
    return err;
}

out_t *sig_blocks_result(const ota_sig_report_t *rep)
{
    out_t *arr = out_array();
    for (unsigned i = 0; i < rep->blocks; i++) {
        out_t *b = out_obj(arr, NULL);
        out_int(b, "index", i);
        out_str(b, "scheme", ota_sig_scheme_name(rep->block[i].scheme));
        out_hex(b, "key_digest", rep->key_digest[i], 32);
        out_bool(b, "valid", rep->result[i] == OTA_OK);
        out_err(b, "error", rep->result[i]);
    }
    return arr;
}

bool sig_sign_args(sig_sign_args_t *s, int argc, char **argv, int *rc)
{
    static const struct option with_append[] = {
        {"keyfile", required_argument, NULL, 'k'},
        {"append-signatures", no_argument, NULL, 'a'},
        CLI_OPTION_JSON,
        CLI_OPTION_HELP,
        CLI_OPTIONS_END,
    };
    static const struct option keyfile_only[] = {
        {"keyfile", required_argument, NULL, 'k'},
        CLI_OPTION_JSON,
        CLI_OPTION_HELP,
        CLI_OPTIONS_END,
    };
    const struct option *opts = s->allow_append ? with_append : keyfile_only;
    int c;
    while ((c = cli_getopt(&s->args, argc, argv, s->allow_append ? ":k:ah" : ":k:h", opts)) != -1) {
        if (c == 'a') {
            s->append = true;
        } else if (c == 'k' && s->nkeys == OTA_SIG_MAX_BLOCKS) {
            *rc = cli_usage_error(s->args.command, "at most %u keys", OTA_SIG_MAX_BLOCKS);
            return false;
        } else if (c == 'k') {
            s->keys[s->nkeys++] = optarg;
        }
    }
    if (!s->args.done && s->nkeys == 0) {
        *rc = cli_usage_error(s->args.command, "missing --keyfile");
        return false;
    }
    if (!cli_operands(&s->args, argc, 2, 2, "missing IN or OUT")) {
        *rc = s->args.status;
        return false;
    }
    s->in = argv[optind];
    s->out = argv[optind + 1];
    if (cli_read_file(s->in, &s->data, &s->len) != OTA_OK) {
        *rc = CLI_EXIT_FAIL;
        return false;
    }
    return true;
}
