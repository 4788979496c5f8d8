/* `ota image encrypt|decrypt`: esp_enc_img_gen.py encrypt / decrypt (esp_encrypted_img), both
 * schemes: RSA-3072 (the AES key RSA-encrypted to the device) and ECIES-P256 (ECDH with the
 * device key derived from its HMAC key). Decryption runs the library's streaming decryptor. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "image_secure.h"
#include "ota/port/ota_crypto.h"
#include "port/posix/ota_crypto_keys.h"
#include "ota/ota_enc_img.h"
#include "ota/ota_enc_img_decrypt.h"
#include "ota/ota_err.h"

static int parse_scheme(const char *command, const char *text, int *scheme)
{
    if (strcmp(text, "rsa3072") == 0) {
        *scheme = OTA_ENC_SCHEME_RSA3072;
    } else if (strcmp(text, "ecies") == 0 || strcmp(text, "ecies-p256") == 0) {
        *scheme = OTA_ENC_SCHEME_ECIES_P256;
    } else {
        return cli_usage_error(command, "unknown --scheme '%s' (rsa3072 or ecies)", text);
    }
    return CLI_EXIT_OK;
}

/* The options of both commands: --scheme S, --json, --help. */
static const struct option scheme_options[] = {
    {"scheme", required_argument, NULL, 's'},
    CLI_OPTION_JSON,
    CLI_OPTION_HELP,
    CLI_OPTIONS_END,
};

static const char *scheme_name(int scheme)
{
    return scheme == OTA_ENC_SCHEME_RSA3072 ? "rsa3072" : "ecies-p256";
}

/* The text of encrypt and decrypt; @p ctx: "Encrypted" or "Decrypted". */
static void result_text(const out_t *r, const void *ctx)
{
    printf("%s %llu bytes (%s) from %s to %s\n", (const char *)ctx,
           (unsigned long long)out_get_int(r, "image_len"), out_get_str(r, "scheme"), out_get_str(r, "input"),
           out_get_str(r, "output"));
}

static void print_result(bool json, const char *op, const char *in, const char *out, int scheme,
                         size_t image_len)
{
    out_t *o = out_object();
    out_str(o, "input", in);
    out_str(o, "output", out);
    out_str(o, "scheme", scheme_name(scheme));
    out_int(o, "image_len", (int64_t)image_len);
    out_emit(o, json, result_text, op);
}

/* --- encrypt ---------------------------------------------------------------------------------- */

static void encrypt_usage(FILE *out)
{
    fprintf(out, "Usage: ota image encrypt [--scheme rsa3072|ecies] [--json] IN DEVICE_PUB.pem OUT\n"
                 "\n"
                 "Make a pre-encrypted image as esp_enc_img_gen.py 'encrypt' does: a 512-byte header\n"
                 "(magic 0x0788B6CF, key material, 16-byte IV, size, GCM tag), then IN encrypted with\n"
                 "AES-256-GCM under a fresh random key. The scheme follows the key: an RSA-3072 public\n"
                 "key encrypts the AES key to it (PKCS#1 v1.5); a P-256 public key (the device's, from\n"
                 "its HMAC key) makes an ECIES header (ephemeral point, HKDF salt).\n"
                 "\n"
                 "Options:\n"
                 "  -s, --scheme S   rsa3072 or ecies: refuse a key of the other kind\n"
                 "      --json       print the result as one JSON document\n"
                 "  -h, --help       show this help\n"
                 "\n"
                 "Exit status: 0 written, 1 failure (key, I/O), 2 usage error.\n");
}

static int encrypt_image(const ota_key_t *key, int scheme, const uint8_t *plain, size_t len, uint8_t *out)
{
    ota_enc_img_header_t h;
    memset(&h, 0, sizeof h);
    h.image_len = (uint32_t)len;
    uint8_t aes[32];
    int err = ota_crypto_random(h.iv, sizeof h.iv);
    if (scheme == OTA_ENC_SCHEME_RSA3072) {
        size_t n = 0;
        if (err == OTA_OK) {
            err = ota_crypto_random(aes, sizeof aes);
        }
        if (err == OTA_OK) {
            err = ota_key_rsa_encrypt(key, aes, sizeof aes, h.key_field, sizeof h.key_field, &n);
        }
    } else {
        uint8_t dx[32], dy[32], eph[32], secret[32];
        if (err == OTA_OK) {
            err = ota_key_p256_point(key, dx, dy);
        }
        if (err == OTA_OK) {
            err = ota_ec_p256_generate(eph, h.key_field, h.key_field + 32);
        }
        if (err == OTA_OK) {
            err = ota_crypto_random(h.key_field + OTA_ENC_IMG_ECIES_POINT_SIZE, OTA_ENC_IMG_ECIES_SALT_SIZE);
        }
        if (err == OTA_OK) {
            err = ota_ecdh_p256(eph, dx, dy, secret);
        }
        if (err == OTA_OK) {
            static const char info[] = OTA_ENC_IMG_ECIES_HKDF_INFO;
            err = ota_hkdf_sha256(secret, 32, h.key_field + OTA_ENC_IMG_ECIES_POINT_SIZE,
                                  OTA_ENC_IMG_ECIES_SALT_SIZE, (const uint8_t *)info, sizeof info - 1, aes,
                                  sizeof aes);
        }
        memset(eph, 0, sizeof eph);
        memset(secret, 0, sizeof secret);
    }
    ota_aes_gcm_ctx_t gcm;
    if (err == OTA_OK) {
        err = ota_aes_gcm_init(&gcm, 1, aes, h.iv, sizeof h.iv);
    }
    memset(aes, 0, sizeof aes);
    if (err != OTA_OK) {
        return err;
    }
    uint8_t *c = out + OTA_ENC_IMG_HEADER_SIZE;
    int n = ota_aes_gcm_update(&gcm, plain, len, c);
    if (n < 0) {
        ota_aes_gcm_free(&gcm);
        return n;
    }
    int m = ota_aes_gcm_finish_encrypt(&gcm, c + n, h.tag);
    if (m < 0) {
        return m;
    }
    return ota_enc_img_header_serialise(&h, out);
}

int cmd_image_encrypt(int argc, char **argv)
{
    cli_args_t args = {.command = "image encrypt", .usage = encrypt_usage};
    int want = 0;
    int c;
    while ((c = cli_getopt(&args, argc, argv, ":s:h", scheme_options)) != -1) {
        if (c == 's' && parse_scheme("image encrypt", optarg, &want) != CLI_EXIT_OK) {
            return CLI_EXIT_USAGE;
        }
    }
    if (!cli_operands(&args, argc, 3, 3, "need IN, DEVICE_PUB.pem and OUT")) {
        return args.status;
    }
    const char *in = argv[optind], *keyfile = argv[optind + 1], *out = argv[optind + 2];
    uint8_t *plain = NULL;
    size_t len = 0;
    ota_key_t *key = NULL;
    if (cli_load_key(keyfile, &key) != OTA_OK) {
        return CLI_EXIT_FAIL;
    }
    int scheme = ota_key_scheme(key) == OTA_SIG_SCHEME_RSA3072      ? OTA_ENC_SCHEME_RSA3072
                 : ota_key_scheme(key) == OTA_SIG_SCHEME_ECDSA_P256 ? OTA_ENC_SCHEME_ECIES_P256
                                                                    : 0;
    if (scheme == 0 || (want != 0 && want != scheme)) {
        cli_error("%s: %s key cannot encrypt for the %s scheme", keyfile,
                  ota_sig_scheme_name(ota_key_scheme(key)), want ? scheme_name(want) : "rsa3072 or ecies");
        ota_key_free(key);
        return CLI_EXIT_FAIL;
    }
    if (cli_read_file(in, &plain, &len) != OTA_OK) {
        ota_key_free(key);
        return CLI_EXIT_FAIL;
    }
    int rc = CLI_EXIT_FAIL;
    uint8_t *enc = len <= UINT32_MAX ? malloc(len + OTA_ENC_IMG_HEADER_SIZE + 32) : NULL;
    int err = enc != NULL ? encrypt_image(key, scheme, plain, len, enc) : OTA_ERR_NO_MEM;
    if (err != OTA_OK) {
        cli_error("cannot encrypt %s: %s", in, ota_strerror(err));
    } else if (cli_write_file(out, enc, len + OTA_ENC_IMG_HEADER_SIZE) == OTA_OK) {
        print_result(args.json, "Encrypted", in, out, scheme, len);
        rc = CLI_EXIT_OK;
    }
    free(enc);
    free(plain);
    ota_key_free(key);
    return rc;
}

/* --- decrypt ---------------------------------------------------------------------------------- */

static void decrypt_usage(FILE *out)
{
    fprintf(out, "Usage: ota image decrypt [--scheme rsa3072|ecies] [--json] IN KEY OUT\n"
                 "\n"
                 "Decrypt a pre-encrypted image as esp_enc_img_gen.py 'decrypt' does, with the device's\n"
                 "key: an RSA-3072 private key PEM, or the 32-byte ECIES device HMAC key (binary).\n"
                 "The data streams through the library's decryptor in 64 KiB pieces; OUT is written\n"
                 "only when the GCM tag verified at the end (nothing unauthenticated is left behind).\n"
                 "\n"
                 "Options:\n"
                 "  -s, --scheme S   rsa3072 or ecies (default: a PEM file is rsa3072, 32 bytes ecies)\n"
                 "      --json       print the result as one JSON document\n"
                 "  -h, --help       show this help\n"
                 "\n"
                 "Exit status: 0 decrypted, 1 failure (wrong key, bad magic, truncated, tag mismatch),\n"
                 "2 usage error.\n");
}

int cmd_image_decrypt(int argc, char **argv)
{
    cli_args_t args = {.command = "image decrypt", .usage = decrypt_usage};
    int scheme = 0;
    int c;
    while ((c = cli_getopt(&args, argc, argv, ":s:h", scheme_options)) != -1) {
        if (c == 's' && parse_scheme("image decrypt", optarg, &scheme) != CLI_EXIT_OK) {
            return CLI_EXIT_USAGE;
        }
    }
    if (!cli_operands(&args, argc, 3, 3, "need IN, KEY and OUT")) {
        return args.status;
    }
    const char *in = argv[optind], *keyfile = argv[optind + 1], *out = argv[optind + 2];
    uint8_t *keydata = NULL, *enc = NULL;
    size_t key_len = 0, len = 0;
    if (cli_read_file(keyfile, &keydata, &key_len) != OTA_OK) {
        return CLI_EXIT_FAIL;
    }
    if (scheme == 0) {
        scheme = key_len >= 10 && memcmp(keydata, "-----BEGIN", 10) == 0 ? OTA_ENC_SCHEME_RSA3072
                                                                         : OTA_ENC_SCHEME_ECIES_P256;
    }
    if (scheme == OTA_ENC_SCHEME_ECIES_P256 && key_len != 32) {
        cli_error("%s: an ECIES device HMAC key is 32 bytes, not %zu", keyfile, key_len);
        free(keydata);
        return CLI_EXIT_FAIL;
    }
    if (cli_read_file(in, &enc, &len) != OTA_OK) {
        free(keydata);
        return CLI_EXIT_FAIL;
    }
    ota_enc_img_decryptor_t *d = malloc(sizeof *d);
    uint8_t *plain = malloc(len + OTA_ENC_IMG_OUT_SLACK);
    ota_enc_img_key_t key = {(ota_enc_scheme_t)scheme, keydata, key_len};
    int err = d != NULL && plain != NULL ? ota_enc_img_dec_init(d, &key) : OTA_ERR_NO_MEM;
    size_t produced = 0;
    for (size_t off = 0; err == OTA_OK && off < len;) {
        size_t n = len - off < 65536 ? len - off : 65536;
        int got =
            ota_enc_img_dec_update(d, enc + off, n, plain + produced, len + OTA_ENC_IMG_OUT_SLACK - produced);
        if (got < 0) {
            err = got;
        } else {
            produced += (size_t)got;
        }
        off += n;
    }
    if (d != NULL && plain != NULL) {
        int got = ota_enc_img_dec_finish(d, plain + produced);
        if (err == OTA_OK && got < 0) {
            err = got;
        } else if (err == OTA_OK) {
            produced += (size_t)got;
        }
    }
    int rc = CLI_EXIT_FAIL;
    if (err != OTA_OK) {
        cli_error("%s: %s", in, ota_strerror(err));
        out_t *o = out_object();
        out_str(o, "input", in);
        out_str(o, "scheme", scheme_name(scheme));
        out_err(o, "error", err);
        out_emit(o, args.json, NULL, NULL); /* the text: the error above */
    } else if (cli_write_file(out, plain, produced) == OTA_OK) {
        print_result(args.json, "Decrypted", in, out, scheme, produced);
        rc = CLI_EXIT_OK;
    }
    if (plain != NULL) {
        memset(plain, 0, len);
    }
    memset(keydata, 0, key_len);
    free(plain);
    free(d);
    free(enc);
    free(keydata);
    return rc;
}
