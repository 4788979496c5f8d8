/* Issue 10, classes 3 and 4: the edges of otadata sequence numbers and of the anti-rollback eFuse.
 *
 * Class 3: from any active seq (near 0 and near 0xFFFFFFFF) with 1..16 OTA slots, the seq that
 * switches to a slot is above the current one, never the blank 0xFFFFFFFF, and makes the
 * bootloader's own selection (highest valid seq, (seq - 1) % count) pick that slot; where no such
 * seq exists the switch is refused before anything is erased, and an update is never reported as
 * done when it would not boot. The expected seq is found by scanning, independently of the code.
 *
 * Class 4: a secure version the chip's eFuse field cannot hold (ESP-IDF ota.rst, "Restrictions":
 * 32 bits on ESP32, 16 on the others) is refused before erasing; and no order of confirm, power
 * cut between VALID and the eFuse burn, rollback and set-boot leaves a VALID app above the eFuse
 * so that an older app boots afterwards. */
#include "boot_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/ota_app_image.h"
#include "ota/sim/ota_app_image_builder.h"
#include "ota/sim/ota_bootloader.h"
#include "ota/ota_err.h"
#include "ota/ota_ops.h"

#define APP_SIZE 0x3000u

/* The smallest s > current, s != 0xFFFFFFFF, that the bootloader maps to @p slot, by scanning. */
static bool scan_next_seq(uint32_t current, uint32_t slot, uint32_t count, uint32_t *out)
{
    for (uint64_t s = (uint64_t)current + 1; s < 0xFFFFFFFFull && s <= (uint64_t)current + count; s++) {
        if ((uint32_t)((uint32_t)s - 1u) % count == slot) {
            *out = (uint32_t)s;
            return true;
        }
    }
    return false;
}

static void test_next_seq_edges_all_slot_counts(void **state)
{
    (void)state;
    static const uint32_t currents[] = {0,          1,          2,          3,          15,
                                        16,         17,         0x7FFFFFFF, 0x80000000, 0xFFFFFFE0,
                                        0xFFFFFFEF, 0xFFFFFFF0, 0xFFFFFFF7, 0xFFFFFFFA, 0xFFFFFFFB,
                                        0xFFFFFFFC, 0xFFFFFFFD, 0xFFFFFFFE};
    unsigned refused = 0, checked = 0;
    for (uint32_t count = 1; count <= 16; count++) {
        for (size_t c = 0; c < sizeof currents / sizeof currents[0]; c++) {
            uint32_t cur = currents[c];
            for (uint32_t slot = 0; slot < count; slot++) {
                uint32_t want = 0, got = 0xDEAD;
                bool exists = scan_next_seq(cur, slot, count, &want);
                int err = ota_otadata_next_seq(cur, slot, count, &got);
                if (!exists) {
                    assert_int_equal(err, OTA_ERR_OTADATA_SEQ_EXHAUSTED);
                    refused++;
                    continue;
                }
                if (err != OTA_OK || got != want) {
                    fail_msg("count %u, current 0x%08x, slot %u: got %d 0x%08x, want 0x%08x", (unsigned)count,
                             (unsigned)cur, (unsigned)slot, err, (unsigned)got, (unsigned)want);
                }
                /* the bootloader's selection on the two entries picks the new one and the slot */
                for (int at = 0; at < 2; at++) {
                    ota_otadata_entry_t e[2];
                    ota_otadata_entry_make(&e[at], cur, OTA_IMG_VALID);
                    ota_otadata_entry_make(&e[1 - at], got, OTA_IMG_NEW);
                    int active = ota_otadata_active(e);
                    assert_int_equal(active, 1 - at);
                    assert_int_equal(ota_otadata_slot(e[active].ota_seq, count), slot);
                }
                checked++;
            }
        }
    }
    assert_true(refused > 0 && checked > 1000);
}

/* A CSV with @p count OTA slots of 192 KiB (16 fit in 4 MiB after the system partitions). */
static void init_slots(fx_t *fx, uint32_t count)
{
    char csv[2048];
    int n = snprintf(csv, sizeof csv, "nvs,data,nvs,0x9000,0x4000\notadata,data,ota,0xd000,0x2000\n");
    for (uint32_t i = 0; i < count; i++) {
        n += snprintf(csv + n, sizeof csv - (size_t)n, "ota_%u,app,ota_%u,,192K\n", (unsigned)i, (unsigned)i);
    }
    fx_init_csv_text(fx, csv, (size_t)n);
}

static const char *label_of(uint32_t slot)
{
    static char buf[16];
    snprintf(buf, sizeof buf, "ota_%u", (unsigned)slot);
    return buf;
}

/* On a device: active entry at an edge seq, switch to every other slot with esp_ota_ops, boot. */
static void test_switch_on_device_near_the_top(void **state)
{
    (void)state;
    static const uint32_t counts[] = {2, 3, 5, 16};
    static const uint32_t currents[] = {0xFFFFFFF0, 0xFFFFFFFC, 0xFFFFFFFD, 0xFFFFFFFE};
    for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
        uint32_t count = counts[ci];
        fx_t fx;
        init_slots(&fx, count);
        for (uint32_t s = 0; s < count; s++) {
            fx_write_app(&fx, label_of(s), label_of(s), 0, APP_SIZE);
        }
        uint8_t *pristine = malloc(4u << 20);
        memcpy(pristine, ota_flash_emu_memory(fx.emu), 4u << 20);
        for (size_t k = 0; k < sizeof currents / sizeof currents[0]; k++) {
            uint32_t cur = currents[k];
            uint32_t cur_slot = (cur - 1u) % count;
            for (uint32_t slot = 0; slot < count; slot++) {
                if (slot == cur_slot) {
                    continue;
                }
                memcpy(ota_flash_emu_memory(fx.emu), pristine, 4u << 20);
                fx.dev.running_index = -1;
                fx_set_otadata(&fx, 0, cur, OTA_IMG_VALID);
                assert_int_equal(ota_bootloader_run(&fx.dev, NULL), OTA_OK);
                assert_string_equal(ota_device_running(&fx.dev)->label, label_of(cur_slot));
                const ota_partition_info_t *target = fx_part(&fx, label_of(slot));
                uint32_t want;
                bool possible = scan_next_seq(cur, slot, count, &want);
                ota_flash_emu_reset_stats(fx.emu);
                int check = ota_ops_check_update_target(&fx.dev, target);
                int set = ota_ops_set_boot_partition(&fx.dev, target);
                if (!possible) {
                    assert_int_equal(check, OTA_ERR_OTADATA_SEQ_EXHAUSTED);
                    assert_int_equal(set, OTA_ERR_OTADATA_SEQ_EXHAUSTED);
                    ota_flash_emu_stats_t st;
                    ota_flash_emu_get_stats(fx.emu, &st);
                    assert_int_equal(st.sector_erases + st.block_erases + st.program_ops, 0);
                    continue;
                }
                if (check != OTA_OK || set != OTA_OK) {
                    fail_msg("%u slots, seq 0x%08x -> %s: check %d, set %d", (unsigned)count, (unsigned)cur,
                             label_of(slot), check, set);
                }
                assert_int_equal(ota_bootloader_run(&fx.dev, NULL), OTA_OK);
                assert_string_equal(ota_device_running(&fx.dev)->label, label_of(slot));
                ota_otadata_entry_t e[2];
                fx_otadata(&fx, e);
                assert_int_equal(e[1].ota_seq, want);
            }
        }
        free(pristine);
        fx_free(&fx);
    }
}

/* --- class 4 ---------------------------------------------------------------------------------- */

/* The field width as ESP-IDF documents it (ota.rst, Restrictions): ESP32 32, the others 16. */
static void test_secure_version_field_widths(void **state)
{
    (void)state;
    fx_t fx;
    fx_init(&fx, "seed_ota_example.csv");
    fx.dev.chip_id = OTA_CHIP_ESP32;
    assert_int_equal(ota_device_secure_version_bits(&fx.dev), 32);
    assert_int_equal(ota_device_check_secure_version(&fx.dev, 32), OTA_OK);
    assert_int_equal(ota_device_check_secure_version(&fx.dev, 33), OTA_ERR_SECURE_VERSION_RANGE);
    static const uint16_t sixteen[] = {OTA_CHIP_ESP32S2, OTA_CHIP_ESP32C3, OTA_CHIP_ESP32S3, OTA_CHIP_ESP32C6,
                                       OTA_CHIP_ESP32H2};
    for (size_t i = 0; i < sizeof sixteen / sizeof sixteen[0]; i++) {
        fx.dev.chip_id = sixteen[i];
        assert_int_equal(ota_device_secure_version_bits(&fx.dev), 16);
        assert_int_equal(ota_device_check_secure_version(&fx.dev, 16), OTA_OK);
        assert_int_equal(ota_device_check_secure_version(&fx.dev, 17), OTA_ERR_SECURE_VERSION_RANGE);
    }
    fx_free(&fx);
}

/* set-boot of a slot holding an app whose secure version the eFuse cannot take: refused, nothing
 * written (not even the erase ESP-IDF does for a too-low version). */
static void test_set_boot_beyond_field_refused(void **state)
{
    (void)state;
    fx_t fx;
    fx_init(&fx, "seed_ota_example.csv");
    fx_write_app(&fx, "ota_0", "v1", 1, APP_SIZE);
    fx_write_app(&fx, "ota_1", "v9", 33, APP_SIZE);
    assert_int_equal(ota_bootloader_run(&fx.dev, NULL), OTA_OK);
    ota_flash_emu_reset_stats(fx.emu);
    assert_int_equal(ota_ops_set_boot_partition(&fx.dev, fx_part(&fx, "ota_1")),
                     OTA_ERR_SECURE_VERSION_RANGE);
    ota_flash_emu_stats_t st;
    ota_flash_emu_get_stats(fx.emu, &st);
    assert_int_equal(st.sector_erases + st.block_erases + st.program_ops, 0);
    fx_free(&fx);
}

/* Orders of operations from "old app A (secure version 1) runs VALID, eFuse 1; new app B just
 * switched to (NEW)". After every boot, the app that runs must not be below the highest secure
 * version that was ever VALID on flash (what anti-rollback promises). */
enum {
    OP_BOOT,
    OP_CONFIRM,
    OP_CONFIRM_CUT_BEFORE_BURN,
    OP_ROLLBACK,
    OP_SET_BOOT_A,
    OP_COUNT
};
static const char *const k_op_names[] = {"boot", "confirm", "confirm+cut before the eFuse burn", "rollback",
                                         "set-boot A"};

typedef struct {
    fx_t fx;
    uint8_t *mem;
    ota_device_t dev;
    uint32_t b_secure;
} explore_t;

static uint32_t running_secure_version(fx_t *fx)
{
    ota_app_desc_t d;
    assert_int_equal(ota_ops_get_partition_description(&fx->dev, ota_device_running(&fx->dev), &d), OTA_OK);
    return d.secure_version;
}

/* Highest secure version among the apps that otadata holds as VALID. */
static uint32_t valid_floor(fx_t *fx, uint32_t floor)
{
    ota_otadata_entry_t e[2];
    fx_otadata(fx, e);
    uint32_t count = ota_device_ota_slot_count(&fx->dev);
    for (int i = 0; i < 2; i++) {
        if (ota_otadata_entry_is_valid(&e[i]) && e[i].ota_state == OTA_IMG_VALID) {
            ota_app_desc_t d;
            uint32_t n = ota_otadata_slot(e[i].ota_seq, count);
            const ota_partition_info_t *slot = ota_device_ota_slot(&fx->dev, n);
            if (ota_ops_get_partition_description(&fx->dev, slot, &d) == OTA_OK && d.secure_version > floor) {
                floor = d.secure_version;
            }
        }
    }
    return floor;
}

static void do_boot(fx_t *fx)
{
    fx->dev.running_index = -1;
    ota_bootloader_run(&fx->dev, NULL);
}

/* Run one sequence; returns a description of the violation or NULL. */
static const char *run_sequence(explore_t *x, const int *ops, int n, char *why, size_t why_len)
{
    fx_t *fx = &x->fx;
    memcpy(ota_flash_emu_memory(fx->emu), x->mem, 4u << 20);
    fx->dev = x->dev;
    uint32_t floor = 1;
    for (int i = 0; i < n; i++) {
        switch (ops[i]) {
        case OP_BOOT: do_boot(fx); break;
        case OP_CONFIRM: ota_ops_mark_app_valid_cancel_rollback(&fx->dev); break;
        case OP_CONFIRM_CUT_BEFORE_BURN: {
            uint32_t efuse = fx->dev.efuse_secure_version;
            ota_ops_mark_app_valid_cancel_rollback(&fx->dev);
            fx->dev.efuse_secure_version = efuse; /* the power went before the burn */
            do_boot(fx);
            break;
        }
        case OP_ROLLBACK:
            if (ota_ops_mark_app_invalid_rollback(&fx->dev) == OTA_OK) {
                do_boot(fx);
            }
            break;
        case OP_SET_BOOT_A: ota_ops_set_boot_partition(&fx->dev, fx_part(fx, "ota_0")); break;
        default: break;
        }
        floor = valid_floor(fx, floor);
        const ota_partition_info_t *run = ota_device_running(&fx->dev);
        if (run != NULL &&
            (ops[i] == OP_BOOT || ops[i] == OP_CONFIRM_CUT_BEFORE_BURN || ops[i] == OP_ROLLBACK)) {
            uint32_t sv = running_secure_version(fx);
            if (sv < floor) {
                snprintf(why, why_len,
                         "after step %d (%s) %s runs secure version %u, below VALID %u (eFuse %u)", i + 1,
                         k_op_names[ops[i]], run->label, (unsigned)sv, (unsigned)floor,
                         (unsigned)fx->dev.efuse_secure_version);
                return why;
            }
        }
    }
    return NULL;
}

/* fx_write_app for another chip. */
static void write_app(fx_t *fx, const char *label, const char *version, uint32_t secure_version,
                      uint16_t chip)
{
    ota_app_image_build_config_t cfg = {.chip_id = chip,
                                        .size = APP_SIZE,
                                        .seed = secure_version,
                                        .version = version,
                                        .project_name = "boot_test",
                                        .secure_version = secure_version};
    uint8_t *img = malloc(APP_SIZE);
    size_t len;
    assert_int_equal(ota_app_image_build_to_buffer(&cfg, img, APP_SIZE, &len), OTA_OK);
    fx_erase(fx, label);
    ota_partition_t part;
    ota_device_partition(&fx->dev, fx_part(fx, label), &part);
    assert_int_equal(ota_partition_program(&part, 0, img, len), OTA_OK);
    free(img);
}

static void explore(uint32_t b_secure, uint16_t chip, int depth, bool expect_refused_install)
{
    explore_t x;
    memset(&x, 0, sizeof x);
    fx_init(&x.fx, "seed_ota_example.csv");
    x.fx.dev.chip_id = chip;
    x.fx.dev.chip_revision = chip == OTA_CHIP_ESP32 ? x.fx.dev.chip_revision : 100;
    write_app(&x.fx, "ota_0", "A", 1, chip);
    write_app(&x.fx, "ota_1", "B", b_secure, chip);
    x.fx.dev.efuse_secure_version = 1;
    fx_set_otadata(&x.fx, 0, 1, OTA_IMG_VALID);
    do_boot(&x.fx);
    assert_string_equal(ota_device_running(&x.fx.dev)->label, "ota_0");
    int set = ota_ops_set_boot_partition(&x.fx.dev, fx_part(&x.fx, "ota_1"));
    if (expect_refused_install) {
        assert_int_equal(set, OTA_ERR_SECURE_VERSION_RANGE);
        fx_set_otadata(&x.fx, 1, 2, OTA_IMG_NEW); /* it got there anyway (an older updater) */
    } else {
        assert_int_equal(set, OTA_OK);
    }
    x.mem = malloc(4u << 20);
    memcpy(x.mem, ota_flash_emu_memory(x.fx.emu), 4u << 20);
    x.dev = x.fx.dev;
    int ops[8];
    long total = 1;
    for (int i = 0; i < depth; i++) {
        total *= OP_COUNT;
    }
    char why[256];
    for (long code = 0; code < total; code++) {
        long c = code;
        for (int i = 0; i < depth; i++) {
            ops[i] = (int)(c % OP_COUNT);
            c /= OP_COUNT;
        }
        if (run_sequence(&x, ops, depth, why, sizeof why) != NULL) {
            char seq[200] = "";
            for (int i = 0; i < depth; i++) {
                strcat(seq, k_op_names[ops[i]]);
                strcat(seq, i + 1 < depth ? ", " : "");
            }
            fail_msg("B secure version %u: %s -> %s", (unsigned)b_secure, seq, why);
        }
    }
    free(x.mem);
    fx_free(&x.fx);
}

static void test_confirm_and_efuse_orders_never_admit_a_downgrade(void **state)
{
    (void)state;
    explore(2, OTA_CHIP_ESP32, 4, false);
    explore(32, OTA_CHIP_ESP32, 4, false);   /* the widest value the ESP32 field holds */
    explore(16, OTA_CHIP_ESP32C3, 4, false); /* the widest value a 16-bit field holds */
    explore(33, OTA_CHIP_ESP32, 4, true);    /* beyond the field: never confirmed */
    explore(17, OTA_CHIP_ESP32C3, 4, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next_seq_edges_all_slot_counts),
        cmocka_unit_test(test_switch_on_device_near_the_top),
        cmocka_unit_test(test_secure_version_field_widths),
        cmocka_unit_test(test_set_boot_beyond_field_refused),
        cmocka_unit_test(test_confirm_and_efuse_orders_never_admit_a_downgrade),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
