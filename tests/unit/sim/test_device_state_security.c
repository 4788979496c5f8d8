/* The security keys of the device state file (ota_device_file.h): Secure Boot V2 on/off, the
 * three key digests and their revocation, signed apps without secure boot, signed data
 * partitions, the esp_encrypted_img decryption key. Each key: the values it takes, the values it
 * refuses (the error names the key and its line, the device is left as it was), and the round
 * trip through ota_device_state_format. Expected digests are the bytes espsecure wrote
 * (testdata/secure/digest_*.bin), turned into hex here, not by the code under test. */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/sim/ota_device_file.h"
#include "ota/ota_err.h"
#include "ota/ota_partition.h"

typedef struct {
    ota_flash_emu_t *emu;
    ota_partition_table_t *table;
    ota_device_t dev;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->emu = ts_ram_flash(0);
    size_t len;
    uint8_t *bin = ts_read_file(ts_testdata("partitions/seed_ota_example.bin"), &len);
    f->table = calloc(1, sizeof *f->table);
    assert_non_null(f->table);
    assert_int_equal(ota_partition_table_from_binary(bin, len, f->table, NULL), OTA_OK);
    free(bin);
    ota_device_init(&f->dev, ota_flash_emu_flash(f->emu), f->table);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    ota_flash_emu_destroy(f->emu);
    free(f->table);
    free(f);
    return 0;
}

static int parse(ota_device_t *dev, const char *text, char *diag, size_t size)
{
    diag[0] = '\0';
    return ota_device_state_parse(text, strlen(text), dev, diag, size);
}

/* A digest file of testdata/secure as 64 hex digits (lower case unless @p upper). */
static void digest_hex(const char *name, uint8_t bytes[32], char hex[65], bool upper)
{
    char rel[64];
    snprintf(rel, sizeof rel, "secure/%s", name);
    size_t len;
    uint8_t *d = ts_read_file(ts_testdata(rel), &len);
    assert_int_equal(len, 32);
    memcpy(bytes, d, 32);
    free(d);
    for (size_t i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, upper ? "%02X" : "%02x", bytes[i]);
    }
}

/* Field by field: struct copies need not copy padding. */
static void assert_security_equal(const ota_device_security_t *a, const ota_device_security_t *b)
{
    assert_int_equal(a->secure_boot_v2, b->secure_boot_v2);
    assert_int_equal(a->signed_apps_on_update, b->signed_apps_on_update);
    for (unsigned i = 0; i < OTA_DEVICE_KEY_DIGESTS; i++) {
        assert_int_equal(a->key_digest_set[i], b->key_digest_set[i]);
        if (a->key_digest_set[i]) { /* the bytes of an unset digest mean nothing */
            assert_memory_equal(a->key_digest[i], b->key_digest[i], 32);
        }
        assert_int_equal(a->key_revoked[i], b->key_revoked[i]);
    }
    for (unsigned i = 0; i < OTA_DEVICE_SIGNED_DATA_MAX; i++) {
        assert_string_equal(a->signed_data[i], b->signed_data[i]);
    }
    assert_int_equal(a->decrypt_key.scheme, b->decrypt_key.scheme);
    assert_ptr_equal(a->decrypt_key.data, b->decrypt_key.data);
    assert_int_equal(a->decrypt_key.len, b->decrypt_key.len);
}

/* @p text is refused: OTA_ERR_DEVICE_STATE, the message names @p key and line 1, @p dev unchanged. */
static void assert_refused(ota_device_t *dev, const char *text, const char *key)
{
    ota_device_t before = *dev;
    char diag[512];
    int err = parse(dev, text, diag, sizeof diag);
    if (err != OTA_ERR_DEVICE_STATE) {
        fail_msg("'%s' was accepted (%d)", text, err);
    }
    if (strstr(diag, key) == NULL || strstr(diag, "line 1") == NULL) {
        fail_msg("'%s': the message does not name %s at line 1: %s", text, key, diag);
    }
    assert_security_equal(&before.security, &dev->security);
}

static void test_defaults_off(void **state)
{
    fixture_t *f = *state;
    char diag[256];
    assert_int_equal(parse(&f->dev, "chip=esp32\n", diag, sizeof diag), OTA_OK);
    const ota_device_security_t *sec = &f->dev.security;
    assert_false(sec->secure_boot_v2);
    assert_false(sec->signed_apps_on_update);
    for (unsigned i = 0; i < OTA_DEVICE_KEY_DIGESTS; i++) {
        assert_false(sec->key_digest_set[i]);
        assert_false(sec->key_revoked[i]);
    }
    assert_int_equal(sec->signed_data[0][0], '\0');
    assert_null(sec->decrypt_key.data);
    /* nothing set: the formatted file has no security line (default devices keep their file) */
    char text[2048];
    assert_true(ota_device_state_format(&f->dev, text, sizeof text) < (int)sizeof text);
    assert_null(strstr(text, "secure_boot"));
    assert_null(strstr(text, "signed_"));
}

/* The boolean keys: ESP-IDF's y/n in the words a person writes, nothing else. */
static void test_booleans(void **state)
{
    fixture_t *f = *state;
    static const struct {
        const char *value;
        bool want;
    } good[] = {{"1", true},  {"true", true},   {"on", true},   {"yes", true}, {"TRUE", true}, {"Yes", true},
                {"0", false}, {"false", false}, {"off", false}, {"no", false}, {"OFF", false}};
    static const char *const bad[] = {"2", "-1", "maybe", "y", "n", "01", "true1", "1 0", "enabled"};
    static const char *const keys[] = {"secure_boot_v2", "signed_apps_no_secure_boot",
                                       "secure_boot_key_revoke0", "secure_boot_key_revoke1",
                                       "secure_boot_key_revoke2"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        ota_device_security_t *sec = &f->dev.security;
        bool *field = k == 0   ? &sec->secure_boot_v2
                      : k == 1 ? &sec->signed_apps_on_update
                               : &sec->key_revoked[k - 2];
        for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
            char text[128], diag[256];
            *field = !good[i].want;
            snprintf(text, sizeof text, "%s=%s\n", keys[k], good[i].value);
            assert_int_equal(parse(&f->dev, text, diag, sizeof diag), OTA_OK);
            if (*field != good[i].want) {
                fail_msg("%s: got %d", text, *field);
            }
        }
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            char text[128];
            snprintf(text, sizeof text, "%s=%s\n", keys[k], bad[i]);
            assert_refused(&f->dev, text, keys[k]);
        }
    }
}

/* KEY_DIGEST0..2: 64 hex digits (either case) as espsecure digest_sbv2_public_key writes them, or none. */
static void test_key_digests(void **state)
{
    fixture_t *f = *state;
    static const char *const files[] = {"digest_rsa3072.bin", "digest_ecdsa256.bin", "digest_ecdsa384.bin"};
    uint8_t want[3][32];
    char hex[3][65], text[512], diag[256];
    for (unsigned i = 0; i < 3; i++) {
        digest_hex(files[i], want[i], hex[i], i == 1); /* one of them in upper case */
    }
    snprintf(text, sizeof text,
             "secure_boot_key_digest0=%s\nsecure_boot_key_digest1=%s\nsecure_boot_key_digest2=%s\n", hex[0],
             hex[1], hex[2]);
    assert_int_equal(parse(&f->dev, text, diag, sizeof diag), OTA_OK);
    for (unsigned i = 0; i < 3; i++) {
        assert_true(f->dev.security.key_digest_set[i]);
        assert_memory_equal(f->dev.security.key_digest[i], want[i], 32);
    }
    assert_int_equal(parse(&f->dev, "secure_boot_key_digest1=none\n", diag, sizeof diag), OTA_OK);
    assert_false(f->dev.security.key_digest_set[1]);
    assert_true(f->dev.security.key_digest_set[0]);
    assert_true(f->dev.security.key_digest_set[2]);

    char bad[200];
    const char *key = "secure_boot_key_digest2";
    snprintf(bad, sizeof bad, "%s=%.63s\n", key, hex[0]); /* 63 digits */
    assert_refused(&f->dev, bad, key);
    snprintf(bad, sizeof bad, "%s=%s0\n", key, hex[0]); /* 65 digits */
    assert_refused(&f->dev, bad, key);
    snprintf(bad, sizeof bad, "%s=%.62sg0\n", key, hex[0]); /* not hex */
    assert_refused(&f->dev, bad, key);
    snprintf(bad, sizeof bad, "%s=0x%.62s\n", key, hex[0]); /* a 0x prefix is not a digest */
    assert_refused(&f->dev, bad, key);
    snprintf(bad, sizeof bad, "%s=\n", key);
    assert_refused(&f->dev, bad, key);
    snprintf(bad, sizeof bad, "%s=NONE\n", key);
    assert_refused(&f->dev, bad, key);
}

static void test_signed_data_partitions(void **state)
{
    fixture_t *f = *state;
    char diag[256];
    ota_device_security_t *sec = &f->dev.security;
    assert_int_equal(parse(&f->dev, "signed_data_partitions=flash_tone\n", diag, sizeof diag), OTA_OK);
    assert_string_equal(sec->signed_data[0], "flash_tone");
    assert_int_equal(sec->signed_data[1][0], '\0');
    assert_int_equal(parse(&f->dev, "signed_data_partitions=a,sixteen_chars_ab,c,d\n", diag, sizeof diag),
                     OTA_OK);
    assert_string_equal(sec->signed_data[0], "a");
    assert_string_equal(sec->signed_data[1], "sixteen_chars_ab");
    assert_string_equal(sec->signed_data[2], "c");
    assert_string_equal(sec->signed_data[3], "d");
    assert_int_equal(parse(&f->dev, "signed_data_partitions=none\n", diag, sizeof diag), OTA_OK);
    for (unsigned i = 0; i < OTA_DEVICE_SIGNED_DATA_MAX; i++) {
        assert_int_equal(sec->signed_data[i][0], '\0');
    }
    static const char *const bad[] = {
        "signed_data_partitions=a,b,c,d,e\n",         /* five: at most four */
        "signed_data_partitions=seventeen_chars_x\n", /* a label is at most 16 characters */
        "signed_data_partitions=a,,b\n",              /* an empty label */
        "signed_data_partitions=,a\n",
        "signed_data_partitions=a,\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_refused(&f->dev, bad[i], "signed_data_partitions");
    }
}

/* decrypt_key_scheme / decrypt_key_file are checked by the parser; the key itself is read by
 * ota_device_file_open (test_decrypt_key_file below). */
static void test_decrypt_key_values(void **state)
{
    fixture_t *f = *state;
    char diag[256];
    assert_int_equal(parse(&f->dev, "decrypt_key_scheme=rsa3072\n", diag, sizeof diag), OTA_OK);
    assert_int_equal(parse(&f->dev, "decrypt_key_scheme=ecies\n", diag, sizeof diag), OTA_OK);
    assert_int_equal(parse(&f->dev, "decrypt_key_file=/some/key.pem\n", diag, sizeof diag), OTA_OK);
    static const char *const bad_scheme[] = {"rsa", "RSA3072", "ecdsa256", "ecies-p256", "", "none"};
    for (size_t i = 0; i < sizeof bad_scheme / sizeof bad_scheme[0]; i++) {
        char text[80];
        snprintf(text, sizeof text, "decrypt_key_scheme=%s\n", bad_scheme[i]);
        assert_refused(&f->dev, text, "decrypt_key_scheme");
    }
    char text[500];
    int n = snprintf(text, sizeof text, "decrypt_key_file=/");
    memset(text + n, 'k', 399);
    strcpy(text + n + 399, "\n");
    assert_refused(&f->dev, text, "decrypt_key_file");
}

/* Every security setting through format and back: the same settings, and the lines ESP-IDF's
 * names for them carry the digests as espsecure wrote them. */
static void test_round_trip(void **state)
{
    fixture_t *f = *state;
    ota_device_security_t *sec = &f->dev.security;
    uint8_t d[3][32];
    char hex[3][65];
    digest_hex("digest_rsa3072.bin", d[0], hex[0], false);
    digest_hex("digest_rsa3072_b.bin", d[1], hex[1], false);
    digest_hex("digest_ecdsa384.bin", d[2], hex[2], false);
    sec->secure_boot_v2 = true;
    sec->signed_apps_on_update = true;
    for (unsigned i = 0; i < 3; i++) {
        sec->key_digest_set[i] = true;
        memcpy(sec->key_digest[i], d[i], 32);
    }
    sec->key_revoked[1] = true;
    strcpy(sec->signed_data[0], "flash_tone");
    strcpy(sec->signed_data[1], "sixteen_chars_ab");
    char text[4096];
    int n = ota_device_state_format(&f->dev, text, sizeof text);
    assert_true(n > 0 && n < (int)sizeof text);
    char line[120];
    assert_non_null(strstr(text, "secure_boot_v2=1\n"));
    assert_non_null(strstr(text, "signed_apps_no_secure_boot=1\n"));
    for (unsigned i = 0; i < 3; i++) {
        snprintf(line, sizeof line, "secure_boot_key_digest%u=%s\n", i, hex[i]);
        assert_non_null(strstr(text, line));
    }
    assert_non_null(strstr(text, "secure_boot_key_revoke1=1\n"));
    assert_null(strstr(text, "secure_boot_key_revoke0"));
    assert_non_null(strstr(text, "signed_data_partitions=flash_tone,sixteen_chars_ab\n"));

    ota_device_t again;
    ota_device_init(&again, ota_flash_emu_flash(f->emu), f->table);
    char diag[256];
    assert_int_equal(parse(&again, text, diag, sizeof diag), OTA_OK);
    assert_security_equal(&again.security, sec);

    /* and back to off: parsed "0"s clear what was on */
    assert_int_equal(parse(&again,
                           "secure_boot_v2=0\nsigned_apps_no_secure_boot=off\nsecure_boot_key_revoke1=no\n"
                           "secure_boot_key_digest0=none\nsecure_boot_key_digest1=none\n"
                           "secure_boot_key_digest2=none\n"
                           "signed_data_partitions=none\n",
                           diag, sizeof diag),
                     OTA_OK);
    ota_device_t fresh;
    ota_device_init(&fresh, ota_flash_emu_flash(f->emu), f->table);
    assert_security_equal(&again.security, &fresh.security);
}

/* The decryption key through the device file: path and scheme in the state file, the key's bytes
 * read from that path (never written to the state file), kept by save and open again. */
static void test_decrypt_key_file(void **state)
{
    (void)state;
    char *dir = ts_mkdtemp();
    char *dev_path = ts_path_join(dir, "dev.bin");
    char *sp = ts_path_join(dir, "dev.bin.state");
    ota_flash_file_options_t fo = {.create = true, .emu = {.size = 0x400000, .strict = true}};
    ota_flash_file_t *ff = NULL;
    assert_int_equal(ota_flash_file_open(dev_path, &fo, &ff), OTA_OK);
    size_t len;
    uint8_t *bin = ts_read_file(ts_testdata("partitions/seed_ota_example.bin"), &len);
    ota_partition_table_t *t = calloc(1, sizeof *t);
    assert_int_equal(ota_partition_table_from_binary(bin, len, t, NULL), OTA_OK);
    assert_int_equal(ota_partition_table_store(ota_flash_file_flash(ff), OTA_PARTITION_TABLE_OFFSET, t, true),
                     OTA_OK);
    free(t);
    free(bin);
    ota_flash_file_close(ff);

    static const struct {
        const char *scheme, *file;
        ota_enc_scheme_t want;
    } keys[] = {{"rsa3072", "secure/enc_rsa3072_priv.pem", OTA_ENC_SCHEME_RSA3072},
                {"ecies", "secure/enc_ecc_device_hmac_key.bin", OTA_ENC_SCHEME_ECIES_P256}};
    ota_device_file_options_t o = {.emu = {.strict = true}};
    for (size_t k = 0; k < 2; k++) {
        char key_path[4096];
        snprintf(key_path, sizeof key_path, "%s", ts_testdata(keys[k].file));
        size_t key_len;
        uint8_t *key = ts_read_file(key_path, &key_len);
        char text[4300];
        snprintf(text, sizeof text, "secure_boot_v2=1\ndecrypt_key_scheme=%s\ndecrypt_key_file=%s\n",
                 keys[k].scheme, key_path);
        ts_write_file(sp, text, strlen(text));
        for (int round = 0; round < 2; round++) { /* as written, then as saved */
            ota_device_file_t *f = NULL;
            char diag[512];
            assert_int_equal(ota_device_file_open(dev_path, &o, &f, diag, sizeof diag), OTA_OK);
            const ota_device_t *dev = ota_device_file_device(f);
            assert_true(dev->security.secure_boot_v2);
            assert_int_equal(dev->security.decrypt_key.scheme, keys[k].want);
            assert_int_equal(dev->security.decrypt_key.len, key_len);
            assert_memory_equal(dev->security.decrypt_key.data, key, key_len);
            assert_string_equal(ota_device_file_decrypt_key_path(f), key_path);
            assert_int_equal(ota_device_file_save(f), OTA_OK);
            ota_device_file_close(f);
        }
        size_t saved_len;
        char *saved = (char *)ts_read_file(sp, &saved_len);
        saved = realloc(saved, saved_len + 1);
        saved[saved_len] = '\0';
        char want[4400];
        snprintf(want, sizeof want, "decrypt_key_scheme=%s\ndecrypt_key_file=%s\n", keys[k].scheme, key_path);
        assert_non_null(strstr(saved, want));
        assert_null(memmem(saved, saved_len, key, key_len < 32 ? key_len : 32)); /* never the key's bytes */
        free(saved);
        free(key);
    }

    /* a key the scheme cannot use, a missing file: the open fails naming the state file and the key */
    static const char *const bad[] = {
        "decrypt_key_scheme=ecies\ndecrypt_key_file=%s/secure/enc_rsa3072_priv.pem\n",
        "decrypt_key_scheme=rsa3072\ndecrypt_key_file=%s/secure/no_such_key.pem\n",
    };
    for (size_t i = 0; i < 2; i++) {
        char text[4300];
        snprintf(text, sizeof text, bad[i], OTA_TESTDATA_DIR);
        ts_write_file(sp, text, strlen(text));
        ota_device_file_t *f = NULL;
        char diag[512];
        assert_int_equal(ota_device_file_open(dev_path, &o, &f, diag, sizeof diag), OTA_ERR_DEVICE_STATE);
        assert_null(f);
        assert_non_null(strstr(diag, ".state"));
        assert_non_null(strstr(diag, "decrypt key"));
    }
    free(sp);
    free(dev_path);
    ts_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_booleans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_digests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signed_data_partitions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decrypt_key_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test(test_decrypt_key_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
