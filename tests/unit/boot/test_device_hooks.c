/* The device's port hooks: a real chip burns its anti-rollback eFuse and knows which app it runs;
 * ota_device_t asks the port for both when it has hooks, and keeps the emulated fields only when
 * the burn succeeded. */
#include "test_support.h"

#include <string.h>

#include "ota/ota_device.h"
#include "ota/ota_err.h"

typedef struct {
    int calls;
    uint32_t burned;
    int result;
    uint32_t running;
} fake_chip_t;

static int burn(void *ctx, uint32_t v)
{
    fake_chip_t *c = ctx;
    c->calls++;
    if (c->result == OTA_OK) {
        c->burned = v;
    }
    return c->result;
}

static int running_offset(void *ctx, uint32_t *offset)
{
    fake_chip_t *c = ctx;
    if (c->running == 0) {
        return OTA_ERR_NOT_FOUND;
    }
    *offset = c->running;
    return OTA_OK;
}

static void add(ota_partition_table_t *t, const char *label, uint8_t type, uint8_t subtype, uint32_t off)
{
    ota_partition_info_t *e = &t->entries[t->count++];
    memset(e, 0, sizeof *e);
    strcpy(e->label, label);
    e->type = type;
    e->subtype = subtype;
    e->offset = off;
    e->size = 0x100000;
}

static void test_burn_goes_through_the_hook(void **state)
{
    (void)state;
    ota_device_t dev;
    ota_device_init(&dev, NULL, NULL);
    fake_chip_t chip = {.result = OTA_OK};
    dev.hooks.burn_secure_version = burn;
    dev.hooks.ctx = &chip;
    assert_int_equal(ota_device_burn_secure_version(&dev, 3), OTA_OK);
    assert_int_equal(chip.calls, 1);
    assert_int_equal(chip.burned, 3);
    assert_int_equal(dev.efuse_secure_version, 3);
    /* never lowered, and no burn needed for an equal or lower value */
    assert_int_equal(ota_device_burn_secure_version(&dev, 2), OTA_OK);
    assert_int_equal(chip.calls, 1);
    assert_int_equal(dev.efuse_secure_version, 3);
    /* a failed burn is reported and leaves the field as the fuse is */
    chip.result = OTA_ERR_NOT_SUPPORTED;
    assert_int_equal(ota_device_burn_secure_version(&dev, 5), OTA_ERR_NOT_SUPPORTED);
    assert_int_equal(dev.efuse_secure_version, 3);
}

static void test_running_comes_from_the_hook(void **state)
{
    (void)state;
    ota_partition_table_t t;
    memset(&t, 0, sizeof t);
    add(&t, "nvs", OTA_PART_TYPE_DATA, 0x02, 0x9000);
    add(&t, "ota_0", OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_APP_OTA_0, 0x10000);
    add(&t, "ota_1", OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_APP_OTA_0 + 1, 0x110000);
    ota_device_t dev;
    ota_device_init(&dev, NULL, &t);
    fake_chip_t chip = {.running = 0x110000};
    dev.hooks.running_offset = running_offset;
    dev.hooks.ctx = &chip;
    dev.running_index = 1; /* the field says ota_0; the hardware wins */
    const ota_partition_info_t *r = ota_device_running(&dev);
    assert_non_null(r);
    assert_string_equal(r->label, "ota_1");
    chip.running = 0x9000; /* not an app: nothing runs from there */
    assert_null(ota_device_running(&dev));
    chip.running = 0;
    assert_null(ota_device_running(&dev));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burn_goes_through_the_hook),
        cmocka_unit_test(test_running_comes_from_the_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
