/* The device's security settings in ESP-IDF's terms: `ota efuse burn-key-digest|revoke-key|
 * enable-secure-boot` (espefuse's burn_key_digest / KEY_REVOKEn / SECURE_BOOT_EN) and
 * `ota config set` (the app's Kconfig: signed apps without secure boot, signed data partitions,
 * the esp_encrypted_img private key). They change DEVICE.state (ota_device_file.h); `ota info`
 * shows them. Burned eFuse bits never go back, as on the chip. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "device_cli.h"
#include "out.h"
#include "commands.h"
#include "ota/ota_app_image.h"
#include "ota/sim/ota_device_file.h"
#include "ota/ota_err.h"

typedef struct {
    cli_args_t cli; /* .json; .status when parse() ended the command */
    int slot;       /* burn-key-digest --slot, -1: the first free one */
    int npos;
    char *pos[4];
} sec_args_t;

/* True when the command goes on; else it returns a->cli.status. Only burn-key-digest takes
 * --slot (@p with_slot): elsewhere it would be accepted and mean nothing. */
static bool parse(const char *command, void (*usage)(FILE *), bool with_slot, int argc, char **argv,
                  int min_pos, int max_pos, sec_args_t *a)
{
    static const struct option slot_opts[] = {
        {"slot", required_argument, NULL, 's'},
        CLI_OPTION_JSON,
        CLI_OPTION_HELP,
        CLI_OPTIONS_END,
    };
    static const struct option plain_opts[] = {CLI_OPTION_JSON, CLI_OPTION_HELP, CLI_OPTIONS_END};
    memset(a, 0, sizeof *a);
    a->cli = (cli_args_t){.command = command, .usage = usage};
    a->slot = -1;
    while (cli_getopt(&a->cli, argc, argv, ":h", with_slot ? slot_opts : plain_opts) == 's') {
        uint64_t v;
        if (!cli_parse_uint(optarg, OTA_DEVICE_KEY_DIGESTS - 1, &v)) {
            a->cli.status = cli_usage_error(command, "--slot: 0, 1 or 2 (KEY_DIGEST0..2), got '%s'", optarg);
            return false;
        }
        a->slot = (int)v;
    }
    if (!cli_operands(&a->cli, argc, min_pos, max_pos, "missing argument")) {
        return false;
    }
    a->npos = argc - optind;
    for (int i = 0; i < a->npos; i++) {
        a->pos[i] = argv[optind + i];
    }
    return true;
}

static ota_device_file_t *open_dev(const char *path)
{
    ota_device_file_t *f = device_open(path, true);
    if (f != NULL) {
        cli_setup_log(stderr, false, true);
    }
    return f;
}

static void done_text(const out_t *r, const void *ctx)
{
    (void)ctx;
    printf("%s\n", out_get_str(r, "done"));
}

/* Save, print the result ({"ok":true,...} with --json), close. */
static int finish(ota_device_file_t *f, bool json, const char *what)
{
    int err = ota_device_file_save(f);
    if (err != OTA_OK) {
        cli_error("cannot write %s: %s", ota_device_file_state_path(f), ota_strerror(err));
    } else {
        out_t *o = out_object();
        out_bool(o, "ok", true);
        out_str(o, "done", what);
        out_emit(o, json, done_text, NULL);
    }
    ota_device_file_close(f);
    return err == OTA_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* The chip's Secure Boot V2 rule (ota_chip_sbv2_t): true if it has Secure Boot V2 at its
 * revision, else says so (naming the rule) and returns false. @p rule gets the rule's line. */
static bool chip_has_sbv2(const ota_device_t *dev, char *rule, size_t size)
{
    if (ota_chip_sbv2_unsupported(dev->chip_id, dev->chip_revision, rule, size) > 0) {
        cli_error("%s", rule);
        return false;
    }
    ota_chip_sbv2_rule(dev->chip_id, dev->chip_revision, rule, size);
    return true;
}

static unsigned chip_key_digests(const ota_device_t *dev)
{
    const ota_chip_info_t *c = ota_chip_info(dev->chip_id);
    return c != NULL && c->sbv2.key_digests < OTA_DEVICE_KEY_DIGESTS ? c->sbv2.key_digests
                                                                     : OTA_DEVICE_KEY_DIGESTS;
}

static void burn_usage(FILE *out)
{
    fprintf(out, "Usage: ota efuse burn-key-digest [--slot N] [--json] DEVICE DIGEST.bin\n"
                 "\n"
                 "Burn a Secure Boot V2 public key digest (32 bytes, from 'ota keys digest' or espsecure\n"
                 "digest_sbv2_public_key) into eFuse KEY_DIGESTn: --slot 0..2, default the first unburned\n"
                 "one. A burned slot cannot be burned again. The device trusts it once secure boot is\n"
                 "enabled ('ota efuse enable-secure-boot'). The chip's rule decides (docs/security.md):\n"
                 "ESP32 (from v3.0 only) and ESP32-C2 have one slot, KEY_DIGEST0.\n"
                 "\n"
                 "Options:\n"
                 "      --slot N   KEY_DIGESTN to burn, 0..2 (default: the first unburned one)\n"
                 "      --json     print the result as one JSON object ({\"ok\": true, \"done\": ...})\n"
                 "  -h, --help     show this help\n"
                 "\n"
                 "Exit status: 0 burned, 1 failed (DIGEST.bin not 32 bytes or unreadable, the slot or\n"
                 "all slots already burned, the chip has no such slot or no Secure Boot V2 at its\n"
                 "revision, DEVICE unreadable, I/O), 2 usage error.\n");
}

static int efuse_burn(int argc, char **argv)
{
    sec_args_t a;
    if (!parse("efuse burn-key-digest", burn_usage, true, argc, argv, 2, 2, &a)) {
        return a.cli.status;
    }
    uint8_t *digest = NULL;
    size_t len = 0;
    if (cli_read_file(a.pos[1], &digest, &len) != OTA_OK) {
        return CLI_EXIT_FAIL; /* cli_read_file said why */
    }
    if (len != 32) {
        cli_error("%s: a key digest is 32 bytes (SHA-256), the file has %zu", a.pos[1], len);
        free(digest);
        return CLI_EXIT_FAIL;
    }
    ota_device_file_t *f = open_dev(a.pos[0]);
    if (f == NULL) {
        free(digest);
        return CLI_EXIT_FAIL;
    }
    ota_device_t *dev = ota_device_file_device(f);
    ota_device_security_t *sec = &dev->security;
    /* espefuse v4.9.1 (espefuse/efuse/esp32/operations.py burn_key_digest) refuses an ESP32 below
     * v3.0 as well: the digest would serve no Secure Boot V2 */
    char rule[200];
    unsigned slots = chip_key_digests(dev);
    if (!chip_has_sbv2(dev, rule, sizeof rule) || (a.slot >= 0 && (unsigned)a.slot >= slots)) {
        if (a.slot >= 0 && (unsigned)a.slot >= slots) {
            cli_error("%s: there is no KEY_DIGEST%d", rule, a.slot);
        }
        free(digest);
        ota_device_file_close(f);
        return CLI_EXIT_FAIL;
    }
    int slot = a.slot;
    for (unsigned i = 0; slot < 0 && i < slots; i++) {
        if (!sec->key_digest_set[i]) {
            slot = (int)i;
        }
    }
    if (slot < 0 || sec->key_digest_set[slot]) {
        cli_error(slot < 0 ? "all %u key digest eFuse blocks are burned"
                           : "KEY_DIGEST%d is already burned (eFuse bits cannot be cleared)",
                  slot < 0 ? (int)slots : slot);
        free(digest);
        ota_device_file_close(f);
        return CLI_EXIT_FAIL;
    }
    sec->key_digest_set[slot] = true;
    memcpy(sec->key_digest[slot], digest, 32);
    free(digest);
    char what[64];
    snprintf(what, sizeof what, "burned KEY_DIGEST%d", slot);
    return finish(f, a.cli.json, what);
}

static void revoke_usage(FILE *out)
{
    fprintf(out, "Usage: ota efuse revoke-key [--json] DEVICE N\n"
                 "\n"
                 "Burn KEY_REVOKEN (N = 0..2): images signed only by key digest N are refused from now on,\n"
                 "by the bootloader and by updates. Cannot be undone. Refused on chips without key\n"
                 "revocation (ESP32, ESP32-C2) and for a slot the chip does not have.\n"
                 "\n"
                 "Options:\n"
                 "      --json     print the result as one JSON object ({\"ok\": true, \"done\": ...})\n"
                 "  -h, --help     show this help\n"
                 "\n"
                 "Exit status: 0 burned, 1 failed (the chip cannot revoke key N, DEVICE unreadable, I/O),\n"
                 "2 usage error (N not 0..2).\n");
}

static int efuse_revoke(int argc, char **argv)
{
    sec_args_t a;
    if (!parse("efuse revoke-key", revoke_usage, false, argc, argv, 2, 2, &a)) {
        return a.cli.status;
    }
    uint64_t n;
    if (!cli_parse_uint(a.pos[1], OTA_DEVICE_KEY_DIGESTS - 1, &n)) {
        return cli_usage_error("efuse revoke-key", "N: 0, 1 or 2, got '%s'", a.pos[1]);
    }
    ota_device_file_t *f = open_dev(a.pos[0]);
    if (f == NULL) {
        return CLI_EXIT_FAIL;
    }
    ota_device_t *dev = ota_device_file_device(f);
    char rule[200];
    if (!chip_has_sbv2(dev, rule, sizeof rule)) {
        ota_device_file_close(f);
        return CLI_EXIT_FAIL;
    }
    const ota_chip_info_t *chip = ota_chip_info(dev->chip_id);
    if (!chip->sbv2.revocable || n >= chip_key_digests(dev)) {
        cli_error("%s: there is no KEY_REVOKE%u", rule, (unsigned)n);
        ota_device_file_close(f);
        return CLI_EXIT_FAIL;
    }
    dev->security.key_revoked[n] = true;
    char what[64];
    snprintf(what, sizeof what, "burned KEY_REVOKE%u", (unsigned)n);
    return finish(f, a.cli.json, what);
}

static void enable_usage(FILE *out)
{
    fprintf(out, "Usage: ota efuse enable-secure-boot [--json] DEVICE\n"
                 "\n"
                 "Burn SECURE_BOOT_EN (Secure Boot V2): from now on 'ota boot' boots only apps signed by a\n"
                 "burned, unrevoked key digest, and 'ota run' refuses app updates that are not. Needs at\n"
                 "least one such digest (refused otherwise: the device could boot nothing), and a chip with\n"
                 "Secure Boot V2 at its revision (an ESP32 needs v3.0). Cannot be undone.\n"
                 "\n"
                 "Options:\n"
                 "      --json     print the result as one JSON object ({\"ok\": true, \"done\": ...})\n"
                 "  -h, --help     show this help\n"
                 "\n"
                 "Exit status: 0 burned, 1 failed (no usable key digest, no Secure Boot V2 on the chip at\n"
                 "its revision, DEVICE unreadable, I/O),\n"
                 "2 usage error.\n");
}

static int efuse_enable(int argc, char **argv)
{
    sec_args_t a;
    if (!parse("efuse enable-secure-boot", enable_usage, false, argc, argv, 1, 1, &a)) {
        return a.cli.status;
    }
    ota_device_file_t *f = open_dev(a.pos[0]);
    if (f == NULL) {
        return CLI_EXIT_FAIL;
    }
    ota_device_t *dev = ota_device_file_device(f);
    ota_device_security_t *sec = &dev->security;
    char rule[200];
    if (!chip_has_sbv2(dev, rule, sizeof rule)) {
        ota_device_file_close(f);
        return CLI_EXIT_FAIL;
    }
    bool usable = false;
    for (unsigned i = 0; i < chip_key_digests(dev); i++) {
        usable |= sec->key_digest_set[i] && !sec->key_revoked[i];
    }
    if (!usable) {
        cli_error("no burned, unrevoked key digest: burn one first ('ota efuse burn-key-digest')");
        ota_device_file_close(f);
        return CLI_EXIT_FAIL;
    }
    sec->secure_boot_v2 = true;
    return finish(f, a.cli.json, "burned SECURE_BOOT_EN (Secure Boot V2 enabled)");
}

static const cli_command_t k_efuse_commands[] = {
    {"burn-key-digest", efuse_burn, "burn a Secure Boot V2 key digest (KEY_DIGEST0..2)"},
    {"revoke-key", efuse_revoke, "revoke a key digest (KEY_REVOKE0..2)"},
    {"enable-secure-boot", efuse_enable, "enable Secure Boot V2 (SECURE_BOOT_EN)"},
};

int cmd_efuse(int argc, char **argv)
{
    return cli_dispatch("efuse", k_efuse_commands, sizeof k_efuse_commands / sizeof k_efuse_commands[0], argc,
                        argv);
}

static void config_set_usage(FILE *out)
{
    fprintf(out, "Usage: ota config set [--json] DEVICE SETTING VALUE\n"
                 "\n"
                 "Settings (the app's Kconfig on a real device):\n"
                 "  signed-apps-no-secure-boot on|off\n"
                 "      CONFIG_SECURE_SIGNED_APPS_NO_SECURE_BOOT: an app update must be signed (block 0) by\n"
                 "      the key of the running app's block 0; the bootloader does not check.\n"
                 "  signed-data-partitions LABEL[,LABEL...]|none\n"
                 "      CONFIG_SECURE_SIGNED_DATA_PARTITION: data partitions whose updates must be signed\n"
                 "      (up to 4; data subtype 0x06 is always signed).\n"
                 "  decrypt-key rsa3072:PEM | ecies:HMAC_KEY.bin | none\n"
                 "      the esp_encrypted_img private key: an RSA-3072 PEM, or the device's 32-byte ECIES\n"
                 "      HMAC key. The state file records the file's path, not its bytes.\n"
                 "\n"
                 "Options:\n"
                 "      --json     print the result as one JSON object ({\"ok\": true, \"done\": ...})\n"
                 "  -h, --help     show this help\n"
                 "\n"
                 "Exit status: 0 set, 1 failed (DEVICE unreadable, the decrypt key unreadable or not a\n"
                 "key of that scheme, I/O), 2 usage error (unknown setting, invalid value).\n");
}

static int config_set(int argc, char **argv)
{
    sec_args_t a;
    if (!parse("config set", config_set_usage, false, argc, argv, 3, 3, &a)) {
        return a.cli.status;
    }
    const char *name = a.pos[1], *value = a.pos[2];
    if (strcmp(name, "signed-apps-no-secure-boot") == 0) {
        if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0) {
            return cli_usage_error("config set", "signed-apps-no-secure-boot: on or off, got '%s'", value);
        }
        ota_device_file_t *f = open_dev(a.pos[0]);
        if (f == NULL) {
            return CLI_EXIT_FAIL;
        }
        ota_device_file_device(f)->security.signed_apps_on_update = strcmp(value, "on") == 0;
        return finish(f, a.cli.json, "set signed-apps-no-secure-boot");
    }
    if (strcmp(name, "signed-data-partitions") == 0) {
        char text[160];
        snprintf(text, sizeof text, "signed_data_partitions=%s\n", value);
        ota_device_file_t *f = open_dev(a.pos[0]);
        if (f == NULL) {
            return CLI_EXIT_FAIL;
        }
        /* the state file's own parser: one place for the rules (count, label length) */
        char diag[200] = "";
        ota_device_t *dev = ota_device_file_device(f);
        if (strlen(value) > 100 ||
            ota_device_state_parse(text, strlen(text), dev, diag, sizeof diag) != OTA_OK) {
            ota_device_file_close(f);
            return cli_usage_error("config set",
                                   "signed-data-partitions: up to 4 comma-separated labels of "
                                   "1..16 characters, or none; got '%s'",
                                   value);
        }
        return finish(f, a.cli.json, "set signed-data-partitions");
    }
    if (strcmp(name, "decrypt-key") == 0) {
        ota_enc_scheme_t scheme = 0;
        const char *path = NULL;
        if (strncmp(value, "rsa3072:", 8) == 0) {
            scheme = OTA_ENC_SCHEME_RSA3072;
            path = value + 8;
        } else if (strncmp(value, "ecies:", 6) == 0) {
            scheme = OTA_ENC_SCHEME_ECIES_P256;
            path = value + 6;
        } else if (strcmp(value, "none") != 0) {
            return cli_usage_error("config set",
                                   "decrypt-key: rsa3072:PEM, ecies:HMAC_KEY.bin or none, got '%s'", value);
        }
        char abs[PATH_MAX];
        if (path != NULL && realpath(path, abs) == NULL) {
            cli_error("cannot read the decrypt key %s", path);
            return CLI_EXIT_FAIL;
        }
        ota_device_file_t *f = open_dev(a.pos[0]);
        if (f == NULL) {
            return CLI_EXIT_FAIL;
        }
        char diag[480] = "";
        int err = ota_device_file_set_decrypt_key(f, scheme, path != NULL ? abs : NULL, diag, sizeof diag);
        if (err != OTA_OK) {
            cli_error("%s", diag[0] ? diag : ota_strerror(err));
            ota_device_file_close(f);
            return CLI_EXIT_FAIL;
        }
        return finish(f, a.cli.json, "set decrypt-key");
    }
    return cli_usage_error("config set", "unknown setting '%s' (see 'ota config set --help')", name);
}

static const cli_command_t k_config_commands[] = {
    {"set", config_set, "set a security setting (signed apps, signed data, decrypt key)"},
};

int cmd_config(int argc, char **argv)
{
    return cli_dispatch("config", k_config_commands, sizeof k_config_commands / sizeof k_config_commands[0],
                        argc, argv);
}
