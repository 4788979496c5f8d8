/* `ota keys generate|digest|extract-public`: espsecure generate_signing_key --version 2,
 * digest_sbv2_public_key and extract_public_key --version 2. Private keys are written 0600 and
 * never printed. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "out.h"
#include "commands.h"
#include "port/posix/ota_crypto_keys.h"
#include "ota/ota_err.h"
#include "ota/ota_sig_block.h"

/* --json: the error object on stdout (the cause is on stderr already), naming the files so a
 * script knows which failed; never the key's bytes. @p keyfile NULL: no input key (generate). */
static int keys_failure(bool json, int err, const char *keyfile, const char *out_name, const char *out)
{
    out_t *o = out_error(err, NULL);
    if (keyfile != NULL) {
        out_str(o, "keyfile", keyfile);
    }
    out_str(o, out_name, out);
    out_emit(o, json, NULL, NULL);
    return CLI_EXIT_FAIL;
}

/* The result of generate (@p keyfile NULL: "file" is the key written), digest and extract-public
 * (which key, where the result went): the key's scheme and public key digest, never its bytes. */
static void emit_key(bool json, const char *keyfile, const char *output, ota_sig_scheme_t scheme,
                     const uint8_t digest[32], out_text_fn text)
{
    out_t *o = out_object();
    out_str(o, keyfile != NULL ? "keyfile" : "file", keyfile != NULL ? keyfile : output);
    if (keyfile != NULL) {
        out_str(o, "output", output);
    }
    out_str(o, "scheme", ota_sig_scheme_name(scheme));
    out_hex(o, "key_digest", digest, 32);
    out_emit(o, json, text, NULL);
}

static void generate_text(const out_t *r, const void *ctx)
{
    (void)ctx;
    printf("%s signing key written to %s (mode 0600)\nPublic key digest: %s\n", out_get_str(r, "scheme"),
           out_get_str(r, "file"), out_get_str(r, "key_digest"));
}

static void digest_text(const out_t *r, const void *ctx)
{
    (void)ctx;
    printf("Public key digest of %s (%s) written to %s: %s\n", out_get_str(r, "keyfile"),
           out_get_str(r, "scheme"), out_get_str(r, "output"), out_get_str(r, "key_digest"));
}

static void extract_text(const out_t *r, const void *ctx)
{
    (void)ctx;
    printf("%s public key from %s written to %s\n", out_get_str(r, "scheme"), out_get_str(r, "keyfile"),
           out_get_str(r, "output"));
}

/* Write a private key file readable by its owner only, whatever the umask, without ever
 * having it on disk with wider permissions. */
static int write_private(const char *path, const char *pem, size_t len, bool force)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL), 0600);
    if (fd < 0) {
        cli_error("cannot create %s: %s%s", path, strerror(errno), errno == EEXIST ? " (use --force)" : "");
        return OTA_ERR_IO;
    }
    int err = OTA_OK;
    if (fchmod(fd, 0600) != 0 || write(fd, pem, len) != (ssize_t)len || fsync(fd) != 0) {
        cli_error("cannot write %s: %s", path, strerror(errno));
        err = OTA_ERR_IO;
    }
    if (close(fd) != 0 && err == OTA_OK) {
        cli_error("cannot write %s: %s", path, strerror(errno));
        err = OTA_ERR_IO;
    }
    return err;
}

/* --- keys generate ---------------------------------------------------------------------------- */

static void generate_usage(FILE *out)
{
    fprintf(out, "Usage: ota keys generate --scheme rsa3072|ecdsa256|ecdsa384 [--force] [--json] OUT.pem\n"
                 "\n"
                 "Generate a Secure Boot V2 signing key as espsecure 'generate_signing_key --version 2'\n"
                 "does: RSA-3072 (e = 65537, PKCS#1 PEM), or ECDSA P-256 / P-384 (SEC1 PEM). The file\n"
                 "is created with mode 0600; the private key is never printed. Prints the public key\n"
                 "digest (what 'keys digest' writes and eFuse holds).\n"
                 "\n"
                 "Options:\n"
                 "  -s, --scheme S   rsa3072, ecdsa256 or ecdsa384 (required)\n"
                 "  -f, --force      overwrite OUT.pem if it exists\n"
                 "      --json       print the result as one JSON document\n"
                 "  -h, --help       show this help\n"
                 "\n"
                 "Exit status: 0 written, 1 failure (OUT exists, I/O), 2 usage error.\n");
}

static int keys_generate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"scheme", required_argument, NULL, 's'},
        {"force", no_argument, NULL, 'f'},
        CLI_OPTION_JSON,
        CLI_OPTION_HELP,
        CLI_OPTIONS_END,
    };
    cli_args_t a = {.command = "keys generate", .usage = generate_usage};
    ota_sig_scheme_t scheme = OTA_SIG_SCHEME_NONE;
    bool force = false;
    int c;
    while ((c = cli_getopt(&a, argc, argv, ":s:fh", opts)) != -1) {
        switch (c) {
        case 's':
            if (strcmp(optarg, "rsa3072") == 0) {
                scheme = OTA_SIG_SCHEME_RSA3072;
            } else if (strcmp(optarg, "ecdsa256") == 0) {
                scheme = OTA_SIG_SCHEME_ECDSA_P256;
            } else if (strcmp(optarg, "ecdsa384") == 0) {
                scheme = OTA_SIG_SCHEME_ECDSA_P384;
            } else {
                return cli_usage_error("keys generate", "unknown --scheme '%s' (rsa3072, ecdsa256, ecdsa384)",
                                       optarg);
            }
            break;
        case 'f': force = true; break;
        }
    }
    if (!a.done && scheme == OTA_SIG_SCHEME_NONE) {
        return cli_usage_error("keys generate", "missing --scheme");
    }
    if (!cli_operands(&a, argc, 1, 1, "missing OUT.pem")) {
        return a.status;
    }
    const char *out = argv[optind];
    ota_key_t *key = NULL;
    int err = ota_key_generate(scheme, &key);
    char *pem = NULL;
    size_t len = 0;
    uint8_t digest[32];
    if (err == OTA_OK) {
        err = ota_key_to_pem(key, true, &pem, &len);
    }
    if (err == OTA_OK) {
        err = cli_key_digest(key, digest);
    }
    ota_key_free(key);
    if (err != OTA_OK) {
        cli_error("cannot generate a %s key: %s", ota_sig_scheme_name(scheme), ota_strerror(err));
        free(pem);
        return keys_failure(a.json, err, NULL, "file", out);
    }
    err = write_private(out, pem, len, force);
    memset(pem, 0, len);
    free(pem);
    if (err != OTA_OK) {
        return keys_failure(a.json, err, NULL, "file", out);
    }
    emit_key(a.json, NULL, out, scheme, digest, generate_text);
    return CLI_EXIT_OK;
}

/* --- keys digest ------------------------------------------------------------------------------ */

static void digest_usage(FILE *out)
{
    fprintf(out, "Usage: ota keys digest [--json] KEY.pem OUT.bin\n"
                 "\n"
                 "Write the 32-byte Secure Boot V2 public key digest of KEY.pem (private or public) to\n"
                 "OUT.bin, as espsecure 'digest_sbv2_public_key' does: SHA-256 of the key as it sits in\n"
                 "a signature block (RSA n, e, rinv, M'; ECDSA curve id and point). It is what eFuse\n"
                 "KEY_DIGESTn holds on a device that trusts the key.\n"
                 "\n"
                 "Options:\n"
                 "      --json       print the result as one JSON document\n"
                 "  -h, --help       show this help\n"
                 "\n"
                 "Exit status: 0 written, 1 failure (key, I/O), 2 usage error.\n");
}

static int keys_digest(int argc, char **argv)
{
    cli_args_t a = {.command = "keys digest", .usage = digest_usage};
    if (!cli_parse_plain(&a, argc, argv, true, 2, 2, "need KEY.pem and OUT.bin")) {
        return a.status;
    }
    ota_key_t *key = NULL;
    int err = cli_load_key(argv[optind], &key);
    if (err != OTA_OK) {
        return keys_failure(a.json, err, argv[optind], "output", argv[optind + 1]);
    }
    uint8_t digest[32];
    ota_sig_scheme_t scheme = ota_key_scheme(key);
    err = cli_key_digest(key, digest);
    ota_key_free(key);
    if (err == OTA_OK) {
        err = cli_write_file(argv[optind + 1], digest, sizeof digest);
    } else {
        cli_error("%s: %s", argv[optind], ota_strerror(err));
    }
    if (err != OTA_OK) {
        return keys_failure(a.json, err, argv[optind], "output", argv[optind + 1]);
    }
    emit_key(a.json, argv[optind], argv[optind + 1], scheme, digest, digest_text);
    return CLI_EXIT_OK;
}

/* --- keys extract-public ---------------------------------------------------------------------- */

static void extract_usage(FILE *out)
{
    fprintf(out, "Usage: ota keys extract-public [--json] KEY.pem OUT.pem\n"
                 "\n"
                 "Write the public part of a signing key as a PEM SubjectPublicKeyInfo, as espsecure\n"
                 "'extract_public_key --version 2' does (for 'image verify-signature --pubkey').\n"
                 "\n"
                 "Options:\n"
                 "      --json       print the result as one JSON document (with the public key\n"
                 "                   digest; never key material)\n"
                 "  -h, --help       show this help\n"
                 "\n"
                 "Exit status: 0 written, 1 failure (key, I/O), 2 usage error.\n");
}

static int keys_extract_public(int argc, char **argv)
{
    cli_args_t a = {.command = "keys extract-public", .usage = extract_usage};
    if (!cli_parse_plain(&a, argc, argv, true, 2, 2, "need KEY.pem and OUT.pem")) {
        return a.status;
    }
    ota_key_t *key = NULL;
    int err = cli_load_key(argv[optind], &key);
    if (err != OTA_OK) {
        return keys_failure(a.json, err, argv[optind], "output", argv[optind + 1]);
    }
    char *pem = NULL;
    size_t len = 0;
    uint8_t digest[32];
    ota_sig_scheme_t scheme = ota_key_scheme(key);
    err = ota_key_to_pem(key, false, &pem, &len);
    if (err == OTA_OK) {
        err = cli_key_digest(key, digest);
    }
    ota_key_free(key);
    if (err != OTA_OK) {
        cli_error("%s: %s", argv[optind], ota_strerror(err));
        free(pem);
        return keys_failure(a.json, err, argv[optind], "output", argv[optind + 1]);
    }
    err = cli_write_file(argv[optind + 1], pem, len);
    free(pem);
    if (err != OTA_OK) {
        return keys_failure(a.json, err, argv[optind], "output", argv[optind + 1]);
    }
    emit_key(a.json, argv[optind], argv[optind + 1], scheme, digest, extract_text);
    return CLI_EXIT_OK;
}

static const cli_command_t k_keys_commands[] = {
    {"generate", keys_generate, "generate a Secure Boot V2 signing key (written 0600)"},
    {"digest", keys_digest, "write a key's Secure Boot V2 public key digest (eFuse value)"},
    {"extract-public", keys_extract_public, "write the public key of a signing key"},
};

int cmd_keys(int argc, char **argv)
{
    return cli_dispatch("keys", k_keys_commands, sizeof k_keys_commands / sizeof k_keys_commands[0], argc,
                        argv);
}
