/* The chip table's Secure Boot V2 rules (ota_chip_sbv2_t) against ESP-IDF v6.0.2: the ESP32-C3 row
 * against ../shared/esp-idf itself (soc_caps.h, the ROM's secure_boot.h, the bootloader's Kconfig),
 * every chip against soc_caps_v6.0.2.txt (the macro values read at tag v6.0.2, file by file, cited
 * there). Plus the one-line rules the refusals print. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/ota_app_image.h"
#include "test_support.h"

static char *read_text(const char *path)
{
    size_t len = 0;
    uint8_t *raw = ts_read_file(path, &len);
    char *text = malloc(len + 1);
    assert_non_null(text);
    memcpy(text, raw, len);
    text[len] = '\0';
    free(raw);
    return text;
}

/* Value of "#define NAME value" at the start of a line ("1", "(1U)", "3"); 0 when not defined. */
static int macro(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *line = text; line != NULL && *line != '\0';) {
        const char *p = line;
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (strncmp(p, "#define", 7) == 0) {
            p += 7;
            while (*p == ' ' || *p == '\t') {
                p++;
            }
            if (strncmp(p, name, n) == 0 && (p[n] == ' ' || p[n] == '\t')) {
                p += n;
                while (*p == ' ' || *p == '\t' || *p == '(') {
                    p++;
                }
                return atoi(p);
            }
        }
        line = strchr(line, '\n');
        line = line != NULL ? line + 1 : NULL;
    }
    return 0;
}

typedef struct {
    int sup, rsa, ecc, p384, dig, rev, blk, krsa, minrev;
} caps_t;

static void expect_row(const char *chip, const caps_t *c, bool known)
{
    const ota_chip_info_t *info = ota_chip_info_by_name(chip);
    if (info == NULL) {
        fail_msg("%s: not in the chip table", chip);
    }
    const ota_chip_sbv2_t *sb = &info->sbv2;
    if (!known) {
        assert_false(sb->supported);
        return;
    }
    bool supported = c->sup && (c->rsa || c->ecc || c->krsa);
    if (sb->supported != supported || sb->min_rev != c->minrev || sb->rsa3072 != (c->rsa || c->krsa) ||
        sb->ecdsa_p256 != (c->ecc != 0) || sb->ecdsa_p384 != (c->ecc && c->p384) ||
        sb->key_digests != c->dig || sb->revocable != (c->rev != 0) || sb->sig_blocks != c->blk) {
        fail_msg(
            "%s: table {supported %d min_rev %u rsa %d p256 %d p384 %d digests %u revocable %d blocks %u} "
            "differs from ESP-IDF v6.0.2 {SUP %d RSA %d ECC %d P384 %d DIG %d REV %d BLK %d KRSA %d MINREV "
            "%d}",
            chip, sb->supported, sb->min_rev, sb->rsa3072, sb->ecdsa_p256, sb->ecdsa_p384, sb->key_digests,
            sb->revocable, sb->sig_blocks, c->sup, c->rsa, c->ecc, c->p384, c->dig, c->rev, c->blk, c->krsa,
            c->minrev);
    }
}

static void test_every_chip_matches_the_v6_0_2_values(void **state)
{
    (void)state;
    char *text = read_text(OTA_TEST_SOURCE_DIR "/soc_caps_v6.0.2.txt");
    bool seen[0x40] = {false};
    unsigned rows = 0;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (line[0] == '#' || line[0] == '\0') {
            continue;
        }
        char chip[16];
        caps_t c;
        int n = sscanf(line, "%15s %d %d %d %d %d %d %d %d %d", chip, &c.sup, &c.rsa, &c.ecc, &c.p384, &c.dig,
                       &c.rev, &c.blk, &c.krsa, &c.minrev);
        assert_true(n == 10 || (n == 1 && strstr(line, " -") != NULL));
        expect_row(chip, &c, n == 10);
        seen[ota_chip_info_by_name(chip)->id & 0x3F] = true;
        rows++;
    }
    assert_int_equal(rows, 13);
    /* every chip of the table has its row */
    for (unsigned id = 0; id < 0x40; id++) {
        if (ota_chip_info((uint16_t)id) != NULL && !seen[id]) {
            fail_msg("chip id %u (%s) has no row in soc_caps_v6.0.2.txt", id,
                     ota_chip_display_name((uint16_t)id));
        }
    }
    free(text);
}

static void test_esp32c3_matches_the_shared_esp_idf(void **state)
{
    (void)state;
    char *caps = read_text(OTA_SHARED_DIR "/esp-idf/components/soc/esp32c3/include/soc/soc_caps.h");
    char *rom =
        read_text(OTA_SHARED_DIR "/esp-idf/components/esp_rom/esp32c3/include/esp32c3/rom/secure_boot.h");
    char *kconfig = read_text(OTA_SHARED_DIR "/esp-idf/components/bootloader/Kconfig.projbuild");
    const char *c3_rule = "!(IDF_TARGET_ESP32C3 && ESP32C3_REV_MIN_FULL < ";
    const char *at = strstr(kconfig, c3_rule);
    assert_non_null(at);
    const char *esp32_rule = "(IDF_TARGET_ESP32 && ESP32_REV_MIN_FULL >= ";
    const char *at32 = strstr(kconfig, esp32_rule);
    assert_non_null(at32);
    caps_t c = {
        .sup = macro(caps, "SOC_SECURE_BOOT_SUPPORTED"),
        .rsa = macro(caps, "SOC_SECURE_BOOT_V2_RSA"),
        .ecc = macro(caps, "SOC_SECURE_BOOT_V2_ECC"),
        .p384 = macro(caps, "SOC_ECDSA_SUPPORT_CURVE_P384"),
        .dig = macro(caps, "SOC_EFUSE_SECURE_BOOT_KEY_DIGESTS"),
        .rev = macro(caps, "SOC_EFUSE_REVOKE_BOOT_KEY_DIGESTS"),
        .blk = macro(rom, "SECURE_BOOT_NUM_BLOCKS"),
        .krsa = 0,
        .minrev = atoi(at + strlen(c3_rule)),
    };
    assert_int_equal(c.sup, 1); /* the header was read: C3 has secure boot */
    expect_row("esp32c3", &c, true);
    /* the ESP32's revision rule, from the same Kconfig */
    assert_int_equal(ota_chip_info(OTA_CHIP_ESP32)->sbv2.min_rev, atoi(at32 + strlen(esp32_rule)));
    free(caps);
    free(rom);
    free(kconfig);
}

static void test_rules_name_the_chip(void **state)
{
    (void)state;
    char buf[200];
    ota_chip_sbv2_unsupported(OTA_CHIP_ESP32, 100, buf, sizeof buf);
    assert_string_equal(buf, "ESP32 (rev v1.0): Secure Boot V2 needs chip revision v3.0 or later");
    assert_int_equal(ota_chip_sbv2_unsupported(OTA_CHIP_ESP32, 300, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    ota_chip_sbv2_rule(OTA_CHIP_ESP32, 300, buf, sizeof buf);
    assert_string_equal(buf, "ESP32 (rev v3.0): Secure Boot V2 takes RSA-3072 signatures, 1 key digest, "
                             "no key revocation, only signature block 0 counts");
    ota_chip_sbv2_rule(OTA_CHIP_ESP32C2, 100, buf, sizeof buf);
    assert_string_equal(buf, "ESP32-C2 (rev v1.0): Secure Boot V2 takes ECDSA-P256 signatures, 1 key digest, "
                             "no key revocation, only signature block 0 counts");
    ota_chip_sbv2_rule(OTA_CHIP_ESP32C5, 100, buf, sizeof buf);
    assert_string_equal(buf, "ESP32-C5 (rev v1.0): Secure Boot V2 takes RSA-3072 or ECDSA-P256 or ECDSA-P384 "
                             "signatures, 3 key digests, revocable, signature blocks 0..2 count");
    ota_chip_sbv2_unsupported(OTA_CHIP_ESP32H4, 0, buf, sizeof buf);
    assert_non_null(strstr(buf, "ESP32-H4: no Secure Boot V2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_chip_matches_the_v6_0_2_values),
        cmocka_unit_test(test_esp32c3_matches_the_shared_esp_idf),
        cmocka_unit_test(test_rules_name_the_chip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
